//! kk-ticket — 受診券・利用券 (SPEC §3 kk-ticket, docs/ticket.md).
//!
//! `issue`: a 受診券 for every 特定健診 target of the fiscal year (`domain::target_status`, the
//! rule kk-unexamined uses), numbered through the ledger; `guidance`: a 利用券 for every
//! 積極的支援 / 動機付け支援 row of kk-stratify's output. Both write the ticket data in the
//! configured layout, optionally a PDF of printable tickets, and the updated ledger — all
//! committed together or not at all.

mod config;
mod data;
mod guidance;
mod issue;
pub mod ledger;
mod pdf;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use super::shared::{EncodingArg, OutputArgs, RunArgs};
use crate::console::{Console, Tally};
use crate::error::{Error, Loc, Result};
use crate::io::columns::{Cells, ColumnWriter, TooWide};
use crate::io::{Encoding, Sink, TextEncoder};
use config::{Loaded, Output};
use data::{Ticket, TicketField};

pub const TOOL: &str = "kk-ticket";

/// 受診券・利用券の発行 (整理番号・券面データ・印刷用PDF)
#[derive(Debug, Parser)]
#[command(name = TOOL, version)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// 年度の特定健診の対象者全員に受診券を発行する (整理番号は台帳で固定)
    #[command(after_help = "\
例:
  kk-ticket issue --fy 2026 --as-of 2026-04-01 --master master.csv \\
      --ledger numbers.csv --issue-date 2026-04-01 -o tickets.csv
  kk-ticket issue --fy 2026 --as-of 2026-04-01 --master master.csv --exclusions jogai.csv \\
      --config ticket.toml --ledger numbers.csv --issue-date R8.4.1 -o tickets.csv --pdf tickets.pdf
  kk-ticket issue --fy 2026 --as-of 2026-10-01 --master master.csv \\
      --ledger numbers.csv --issue-date 2026-10-01 --only-new -o new-tickets.csv

対象者は kk-unexamined list と同じ規則です: 基準日に資格があり、年度末年齢が40〜75歳で、基準日に75歳の誕生日より前の人。
年度と重なる除外事由のある人は除きます。整理番号は 年度下2桁 + 種別 (1 受診券、初回面接を健診当日に行う保険者は 5) + 8桁の連番。
台帳 (--ledger) にある人には同じ番号を、新しい対象者には次の連番を付け、台帳を出力と一緒に更新します (台帳がなければ作ります)。
資格を失って戻った人も同じ番号のままです。出力は被保険者キーの順。
終了コード: 0 完了 / 2 入力を処理できない (台帳の矛盾、設定にない保険者など。何も書きません) / 3 整合性チェック失敗")]
    Issue(IssueArgs),

    /// 階層化結果 (kk-stratify) の積極的支援・動機付け支援の人に利用券を発行する
    #[command(after_help = "\
例:
  kk-ticket guidance --fy 2026 --levels levels.csv --master master.csv \\
      --ledger numbers.csv --issue-date 2026-07-01 -o guidance-tickets.csv
  kk-ticket guidance --fy 2026 --levels levels.csv --master master.csv --config ticket.toml \\
      --ledger numbers.csv --issue-date R8.7.1 -o riyouken.csv --pdf riyouken.pdf

年度内の受診日の行のうち、人ごとに最も早い受診日の行を使います (同じ日なら先の行)。保健指導レベル 1 は積極的支援 (種別 2)、
2 は動機付け支援 (種別 3) の利用券です。受診券の整理番号の種別が 5 (初回面接を健診当日) の人は、受診券と同じ番号を使います。
氏名などは被保険者マスタから取ります (マスタにない人はエラー)。
終了コード: 0 完了 / 2 入力を処理できない (何も書きません) / 3 整合性チェック失敗")]
    Guidance(GuidanceArgs),
}

/// What both subcommands share.
#[derive(Debug, clap::Args)]
pub struct Common {
    /// 年度 (西暦4桁)
    #[arg(long, value_name = "YEAR")]
    pub fy: String,

    /// 被保険者マスタ
    #[arg(long, value_name = "FILE")]
    pub master: PathBuf,

    /// 整理番号台帳 (なければ作ります。出力と一緒に更新)
    #[arg(long, value_name = "FILE")]
    pub ledger: PathBuf,

    /// 交付日 (新しく付けた番号の交付日)
    #[arg(long, value_name = "DATE")]
    pub issue_date: String,

    /// 設定ファイル ticket.toml (有効期限、窓口負担、発行者、連番の範囲、出力レイアウト。docs/ticket.md)
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// 印刷用の券面PDF (1枚1ページ)
    #[arg(long, value_name = "FILE")]
    pub pdf: Option<PathBuf>,

    /// PDFのフォント (省略時は KK_FONT、なければ IPAexゴシック)
    #[arg(long, value_name = "FILE")]
    pub font: Option<PathBuf>,

    /// この実行で新しく番号を付けた人だけを書き出す (月々の追加発行)
    #[arg(long)]
    pub only_new: bool,

    #[command(flatten)]
    pub encoding: EncodingArg,

    #[command(flatten)]
    pub output: OutputArgs,

    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, clap::Args)]
pub struct IssueArgs {
    /// 基準日 (この日に資格があり、75歳の誕生日より前の人が対象)
    #[arg(long, value_name = "DATE")]
    pub as_of: String,

    /// 除外事由 (告示の除外期間)
    #[arg(long, value_name = "FILE")]
    pub exclusions: Option<PathBuf>,

    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, clap::Args)]
pub struct GuidanceArgs {
    /// 階層化結果 (kk-stratify の出力)
    #[arg(long, value_name = "FILE")]
    pub levels: PathBuf,

    #[command(flatten)]
    pub common: Common,
}

pub fn run(cli: &Cli) -> Result<u8> {
    match &cli.command {
        Command::Issue(a) => issue::issue(a),
        Command::Guidance(a) => guidance::guidance(a),
    }
}

impl Common {
    fn console(&self) -> Console {
        Console { tool: TOOL, quiet: self.run.quiet }
    }

    fn check_outputs(&self) -> Result<()> {
        crate::cmd::shared::check_outputs(&[
            self.output.output.as_deref(),
            self.pdf.as_deref(),
            Some(&self.ledger),
            self.run.summary_json.as_deref(),
        ])
    }

    fn config(&self) -> Result<Loaded> {
        self.config.as_deref().map_or_else(|| Ok(Loaded::none()), Loaded::load)
    }
}

/// What a run writes: the ticket data, the PDF and the ledger (each to its temporary file,
/// committed with the others when the tool returns).
pub struct Outputs<'a> {
    pub common: &'a Common,
    pub config: &'a Loaded,
    pub layout: Option<&'a Output>,
    pub default_columns: &'a [TicketField],
    pub master_name: &'a str,
    pub master_enc: Encoding,
    pub pdf_title: &'a str,
}

impl Outputs<'_> {
    /// Writes `tickets` (the data, then the PDF) and, on another thread meanwhile, `ledger`;
    /// returns the output encoding and the characters replaced by 〓.
    fn write(&self, tickets: &[Ticket<'_>], ledger: &ledger::Ledger) -> Result<(Encoding, u64)> {
        let c = self.common;
        let configured = self.layout.and_then(|o| o.encoding.as_deref()).map(|e| e.parse::<Encoding>());
        let mut spec = c.output.spec(self.master_enc)?;
        if let (None, Some(Ok(e))) = (c.output.output_encoding, configured) {
            spec.encoding = e;
            spec.crlf = e.is_sjis();
        }
        // the ledger, when it changed, is written on another thread meanwhile; else the rows
        // are encoded on every core
        let (ledger_written, data) = std::thread::scope(|scope| {
            let changed = ledger.changed();
            let ledger_thread = changed.then(|| scope.spawn(|| ledger.write(self.master_enc, spec.replace)));
            let threads = if changed { 1 } else { crate::io::worker_count() };
            let data = self.write_data(tickets, &spec, threads);
            let ledger_written =
                ledger_thread.map(|t| t.join().unwrap_or_else(|e| std::panic::resume_unwind(e))).transpose();
            (ledger_written, data)
        });
        let (sink, mut replaced) = data?;
        let ledger_out = match ledger_written? {
            Some((out, r)) => {
                replaced += r;
                Some(out)
            }
            None => None,
        };
        let pdf = match &c.pdf {
            Some(path) => {
                let face = crate::io::pdf::Typeface::load(&crate::io::pdf::find_font(c.font.as_deref())?)?;
                let notes = &self.config.config.print.notes;
                let bytes = pdf::render(tickets, self.config.paper(), notes, &face, self.pdf_title)?;
                let mut s = Sink::create(Some(path))?;
                std::io::Write::write_all(&mut s, &bytes).map_err(|e| Error::io(path, e))?;
                Some(s)
            }
            None => None,
        };
        sink.commit()?;
        if let Some(s) = pdf {
            s.commit()?;
        }
        if let Some(out) = ledger_out {
            out.finish()?;
        }
        Ok((spec.encoding, replaced))
    }

    /// The ticket data in the configured layout, to its temporary file (not yet committed): the
    /// rows encoded in `threads` parts at once, written in order.
    fn write_data(&self, tickets: &[Ticket<'_>], spec: &crate::io::OutputSpec, threads: usize) -> Result<(Sink, u64)> {
        let (format, header, columns) = data::layout(self.layout, self.default_columns);
        let encoder = || TextEncoder::new(spec.encoding, spec.replace);
        let mut sink = Sink::create(spec.path.as_deref())?;
        let out_name = sink.name();
        let mut head = Vec::new();
        ColumnWriter::new(format, &columns, encoder(), spec.crlf).start(header, TicketField::name, &mut head)?;
        std::io::Write::write_all(&mut sink, &head).map_err(|e| Error::io(&out_name, e))?;
        let mut replaced = 0;
        // parts of at most 64k rows, `threads` of them at a time
        for batch in tickets.chunks((1 << 16) * threads.max(1)) {
            let size = batch.len().div_ceil(threads.max(1)).max(1);
            let parts: Vec<Result<(Vec<u8>, u64)>> = std::thread::scope(|scope| {
                let columns = &columns;
                let handles: Vec<_> = batch
                    .chunks(size)
                    .map(|part| {
                        scope.spawn(move || {
                            let mut writer = ColumnWriter::new(format, columns, encoder(), spec.crlf);
                            let mut bytes = Vec::with_capacity(part.len() * 200);
                            let mut cells = Cells::default();
                            for t in part {
                                self.encode_row(&mut writer, (columns, &mut cells), t, &mut bytes)?;
                            }
                            Ok((bytes, writer.replaced()))
                        })
                    })
                    .collect();
                handles.into_iter().map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))).collect()
            });
            for part in parts {
                let (bytes, r) = part?;
                std::io::Write::write_all(&mut sink, &bytes).map_err(|e| Error::io(&out_name, e))?;
                replaced += r;
            }
        }
        Ok((sink, replaced))
    }

    /// One ticket's row; a value the layout cannot hold is named where it was read: the
    /// master's line and the column.
    fn encode_row(
        &self,
        writer: &mut ColumnWriter<'_, TicketField>,
        (columns, cells): (&[crate::io::columns::Column<TicketField>], &mut Cells),
        t: &Ticket<'_>,
        bytes: &mut Vec<u8>,
    ) -> Result<()> {
        let line = t.person.line;
        let enc = writer.encoder().encoding;
        t.cells(columns, writer.encoder(), cells)
            .map_err(|(i, u)| u.error(Loc::cell(self.master_name, line, columns[i].field.name()), enc))?;
        let too_wide = |w: TooWide| Error::InvalidValue {
            loc: Loc::cell(self.master_name, line, columns[w.column].field.name()),
            code: crate::error::FieldError::TooLong.code(),
            message: "固定長の出力レイアウトの幅に収まりません",
        };
        writer.row_of(cells, bytes, too_wide)
    }
}

/// Numbers persons through the ledger for one fiscal year.
pub struct Numbering<'l, 'c> {
    pub ledger: &'l mut ledger::Ledger,
    pub config: &'c Loaded,
    /// the master's name, for the error of an insurer the config does not know
    pub master: &'l str,
    pub fy: crate::domain::FiscalYear,
    pub issue_date: jiff::civil::Date,
    /// how many numbers this run issued
    pub fresh: u64,
}

impl<'c> Numbering<'_, 'c> {
    /// The person's number of `sort`: the ledger's (with its 交付日), else `shared` (the kind-5
    /// 受診券 number a 利用券 reuses), else the next serial of the insurer's range. Also says
    /// whether it is new, and gives the insurer's settings.
    pub fn number(
        &mut self,
        key: &crate::domain::PersonKey,
        person: &data::Person,
        sort: ledger::Sort,
        shared: Option<crate::domain::TicketNumber>,
    ) -> Result<(crate::domain::TicketNumber, jiff::civil::Date, bool, &'c config::Resolved)> {
        let known = self.ledger.find(key, self.fy, sort).map(|e| (e.number, e.issued));
        self.number_known(known, (key, key.sort_key()), person, sort, shared)
    }

    /// [`Numbering::number`] when the ledger's number for the person (`known`) was looked up
    /// beforehand ([`ledger::Ledger::known_in_order`]).
    pub fn number_known(
        &mut self,
        known: Option<(crate::domain::TicketNumber, jiff::civil::Date)>,
        (key, sort_key): (&crate::domain::PersonKey, crate::domain::SortKey),
        person: &data::Person,
        sort: ledger::Sort,
        shared: Option<crate::domain::TicketNumber>,
    ) -> Result<(crate::domain::TicketNumber, jiff::civil::Date, bool, &'c config::Resolved)> {
        let config: &'c Loaded = self.config;
        // the insurer from the sort key (the person and the key, read only for a new number,
        // are elsewhere in memory)
        let settings = config
            .insurer(sort_key.insurer8())
            .ok_or_else(|| Error::TicketInsurer { loc: Loc::cell(self.master, person.line, "保険者番号") })?;
        if let Some((number, issued)) = known {
            return Ok((number, issued, false, settings));
        }
        let holder = ledger::Holder { key, insurer: person.key_part(0), fy: self.fy, sort, issued: self.issue_date };
        let number = match shared {
            Some(n) => {
                self.ledger.add(holder, n);
                n
            }
            None => {
                let kind = sort.kind(sort == ledger::Sort::Checkup && settings.same_day);
                self.ledger.issue(holder, kind, settings.serials).ok_or_else(|| issue::used_up(config, person))?
            }
        };
        self.fresh += 1;
        Ok((number, self.issue_date, true, settings))
    }
}

/// The closing line, and `--summary-json` with it.
fn finish(console: &Console, tally: Tally, line: String, c: &Common) -> Result<u8> {
    tally.finish(console, line, c.run.summary_json.as_deref(), 0)
}
