//! kk-statutory — 法定報告支援 (SPEC §3 kk-statutory). Every decision about who is in the
//! report comes from `domain::statutory::standing`, the one rule set (DOMAIN.md, with its [I]
//! caveats); this module only reads the files and writes the lists.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand};
use jiff::civil::Date;
use rustc_hash::FxHashMap;

use super::reference::{Exclusion, date_field, examined_in, exclusions_in, person_key};
use super::{
    ListFormat, OutputArgs, RunArgs, check_distinct_outputs, code_text, parse_fy, read_input, read_rows,
    reference_error, resolve_input_encoding,
};
use crate::domain::statutory::{
    AGE_BANDS, Reason, age_band, exclusion_name, format_rate, rate_tenths, report_age, standing,
};
use crate::domain::{FiscalYear, PersonKey, age_at_fiscal_year_end, format_date, parse_count, parse_date};
use crate::error::{Error, FieldError, Loc, Result};
use crate::io::{CsvInput, CsvOut, Encoding, InputEncoding, Row, RowStore, Sink, TextEncoder, for_each_batch};
use crate::io::{encoding::UTF8_BOM, text_row, worker_count};
use crate::layout::{
    ERASURES, INSURED, MANIFEST, RECEIPT, RECONCILE_LIST, RESULT_RECORDS, STATUTORY_EXCLUSIONS, STATUTORY_SUMMARY,
    insured as f,
};
use crate::report::{Console, Progress, Summary, thousands};

pub const TOOL: &str = "kk-statutory";

/// 法定報告支援: 除外者情報・抹消者リスト・集計表・受領確認
#[derive(Debug, Parser)]
#[command(name = "kk-statutory", version)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// 法定報告対象者除外者情報: 年齢では対象だが、年度途中の加入・喪失または告示の除外で分母から外れる人
    #[command(after_help = "\
例:
  kk-statutory exclusions --fy 2025 --master master.csv --exclusions jogai.csv -o jogaisha.csv

除外事由コード: S105 年度途中加入 (資格取得日が4月1日より後) / S106 年度途中喪失 (資格喪失日が3月31日以前) /
S107 告示による除外 (除外期間が年度と重なる。告示区分に除外事由のコード)。1人1行、先に当てはまる事由だけを示します。
年度末年齢が40〜74歳 (年度末にちょうど75歳になる人は74歳扱い) で、年度内に1日でも資格がある人が対象です。")]
    Exclusions(ExclusionsArgs),

    /// 抹消者リスト: 健診結果のうち法定報告に含めてはいけない記録 (人 × 受診券整理番号 × 受診日ごと)
    #[command(after_help = "\
例:
  kk-statutory erasures --fy 2025 --master master.csv --exclusions jogai.csv < results.csv > massho.csv
  kk-statutory erasures --fy 2025 --master master.csv -i results.csv -o massho.csv --kept houkoku.csv

抹消事由コード (先に当てはまるもの): S101 被保険者マスタにない / S102 受診日が年度外 / S103 年度内に資格がない /
S104 年度末年齢が40〜74歳の範囲外 / S105 年度途中加入 / S106 年度途中喪失 / S107 告示による除外。
--kept: 抹消しない結果行をそのまま (入力と同じ文字コードで) 書き出します。kk-anonymize に渡すデータです。")]
    Erasures(ErasuresArgs),

    /// 集計表: 保険者ごと・全体の 性別 × 年齢階級 の対象者数・受診者数・受診率
    #[command(after_help = "\
例:
  kk-statutory summary --fy 2025 --master master.csv --results results.csv --exclusions jogai.csv -o shukei.csv
  kk-statutory summary --fy 2025 --master master.csv --results results.csv --format xlsx -o shukei.xlsx
  kk-statutory summary --fy 2025 --master master.csv --results results.csv -o shukei.csv --xlsx shukei.xlsx

対象者数 = 分母 (4月1日から3月31日まで継続して資格があり、年度末年齢40〜74歳、告示の除外なし)。
受診者数 = そのうち受診日が年度内の結果がある人。受診率 = 受診者数 ÷ 対象者数 (%、小数1桁、四捨五入)。
保険者番号「全体」は全保険者の合計、性別・年齢階級「計」は小計です。")]
    Summary(SummaryArgs),

    /// 受領済リスト: 送付したファイル (MANIFEST.csv) と受領結果を突き合わせる
    #[command(after_help = "\
例:
  kk-statutory reconcile --manifest MANIFEST.csv --receipt juryo.csv -o juryo-check.csv --strict

判定: 受領 / S201 返戻 / S202 未着 (受領結果にない) / S203 件数相違 / S204 送付記録にないファイルの受領。
終了コード: 0 完了 / 1 --strict で受領以外の判定あり / 2 入力の誤り")]
    Reconcile(ReconcileArgs),
}

/// Options every subcommand that reads the master shares.
#[derive(Debug, clap::Args)]
pub struct YearArgs {
    /// 年度 (西暦4桁、例 2025 = 2025年4月1日〜2026年3月31日)
    #[arg(long, value_name = "YEAR")]
    pub fy: String,

    /// 被保険者マスタ (kk-import master の出力)
    #[arg(long, value_name = "FILE")]
    pub master: PathBuf,

    /// 除外事由 (告示の除外期間)
    #[arg(long, value_name = "FILE")]
    pub exclusions: Option<PathBuf>,

    /// 入力の文字コード: auto, sjis, utf8 (既定は KK_ENCODING、なければ auto)
    #[arg(long = "encoding", value_name = "ENC")]
    pub encoding: Option<InputEncoding>,
}

#[derive(Debug, clap::Args)]
pub struct ExclusionsArgs {
    #[command(flatten)]
    pub year: YearArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, clap::Args)]
pub struct ErasuresArgs {
    #[command(flatten)]
    pub year: YearArgs,

    /// 健診結果 (省略または - で標準入力)
    #[arg(short = 'i', long = "input", value_name = "FILE")]
    pub input: Option<PathBuf>,

    /// 抹消しない結果行を書き出すファイル (報告するデータ)
    #[arg(long, value_name = "FILE")]
    pub kept: Option<PathBuf>,

    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, clap::Args)]
pub struct SummaryArgs {
    #[command(flatten)]
    pub year: YearArgs,

    /// 健診結果
    #[arg(long, value_name = "FILE")]
    pub results: PathBuf,

    /// 出力形式: csv、または xlsx (Excel。-o が必要)
    #[arg(long, value_enum, default_value = "csv")]
    pub format: ListFormat,

    /// 同じ集計表を Excel でも書く (CSV と両方ほしいとき、集計は1回)
    #[arg(long, value_name = "FILE.xlsx")]
    pub xlsx: Option<PathBuf>,

    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, clap::Args)]
pub struct ReconcileArgs {
    /// 送付ファイル一覧 (kk-anonymize --zip の MANIFEST.csv)
    #[arg(long, value_name = "FILE")]
    pub manifest: PathBuf,

    /// 受領結果 (ファイル名, 件数, 受領日, 受領結果, 返戻理由)
    #[arg(long, value_name = "FILE")]
    pub receipt: PathBuf,

    /// 入力の文字コード: auto, sjis, utf8 (既定は KK_ENCODING、なければ auto)
    #[arg(long = "encoding", value_name = "ENC")]
    pub encoding: Option<InputEncoding>,

    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub run: RunArgs,
}

pub fn run(cli: &Cli) -> Result<u8> {
    match &cli.command {
        Command::Exclusions(a) => exclusions(a),
        Command::Erasures(a) => erasures(a),
        Command::Summary(a) => summary(a),
        Command::Reconcile(a) => reconcile(a),
    }
}

/// What the report needs of a master row.
struct Person {
    key: PersonKey,
    sex: u8,
    birth: Date,
    acquired: Date,
    lost: Option<Date>,
}

fn master_person(row: &Row<'_>) -> Result<Person> {
    let l = &INSURED;
    let key = person_key(row, l, "被保険者マスタ")?;
    let sex = match code_text(row, l, f::SEX)?.as_ref() {
        "1" => 1,
        "2" => 2,
        "" => return Err(reference_error(row, l, f::SEX, "被保険者マスタ", FieldError::Required)),
        _ => return Err(reference_error(row, l, f::SEX, "被保険者マスタ", FieldError::Code)),
    };
    // both are required fields: a value is always there once parsed
    let birth = date_field(row, l, f::BIRTH, "被保険者マスタ")?.unwrap_or_default();
    let acquired = date_field(row, l, f::ACQUIRED, "被保険者マスタ")?.unwrap_or_default();
    let lost = date_field(row, l, f::LOST, "被保険者マスタ")?;
    Ok(Person { key, sex, birth, acquired, lost })
}

/// The year, its exclusions and an open master: what exclusions, erasures and summary start from.
struct Year {
    fy: FiscalYear,
    requested: InputEncoding,
    excluded: FxHashMap<PersonKey, Exclusion>,
}

impl Year {
    fn load(a: &YearArgs) -> Result<Year> {
        let fy = parse_fy(&a.fy)?;
        let requested = resolve_input_encoding(a.encoding)?;
        let excluded = match &a.exclusions {
            Some(p) => exclusions_in(p, requested, fy)?,
            None => FxHashMap::default(),
        };
        Ok(Year { fy, requested, excluded })
    }

    fn standing(&self, p: &Person) -> std::result::Result<(), Reason> {
        standing(p.birth, p.acquired, p.lost, self.excluded.contains_key(&p.key), self.fy)
    }
}

/// Counts of master persons by where they stand (a reason's code, or "denominator").
type Tally = BTreeMap<&'static str, u64>;

fn tally_line(fy: FiscalYear, rows: u64, t: &Tally) -> String {
    let get = |k: &str| thousands(t.get(k).copied().unwrap_or(0));
    format!(
        "{fy}年度: マスタ {} 行 = 分母 {} 人 + 年度内に資格なし {} 人 + 年齢範囲外 {} 人 + 途中加入 {} 人 + 途中喪失 {} 人 + 告示除外 {} 人",
        thousands(rows),
        get("denominator"),
        get("S103"),
        get("S104"),
        get("S105"),
        get("S106"),
        get("S107"),
    )
}

fn summary_json(
    path: Option<&Path>,
    command: &'static str,
    (in_enc, out_enc): (Encoding, Encoding),
    (rows_in, rows_out, findings): (u64, u64, u64),
    extra: Tally,
    exit_code: u8,
) -> Result<()> {
    let Some(p) = path else { return Ok(()) };
    Summary {
        tool: TOOL,
        command,
        exit_code,
        input_encoding: in_enc.id(),
        output_encoding: out_enc.id(),
        rows_in,
        rows_out,
        rows_rejected: 0,
        findings,
        replaced_characters: 0,
        extra,
    }
    .write_json(p)
}

fn opt_date(d: Option<Date>) -> String {
    d.map(format_date).unwrap_or_default()
}

fn exclusions(a: &ExclusionsArgs) -> Result<u8> {
    let console = Console { tool: TOOL, quiet: a.run.quiet };
    check_distinct_outputs(&[a.output.output.as_deref(), a.run.summary_json.as_deref()])?;
    let year = Year::load(&a.year)?;
    let fy = year.fy;
    let mut master = CsvInput::open(Some(&a.year.master), year.requested, &INSURED, None)?;
    let in_enc = master.encoding();
    let out_enc = a.output.output_encoding(in_enc)?;
    let mut tally = Tally::new();
    let mut rows_in = 0u64;
    let mut listed: Vec<[String; 15]> = Vec::new();
    read_input(
        &mut master,
        |row, _| {
            let p = master_person(row)?;
            let st = year.standing(&p);
            let row_out = match st {
                Err(r @ (Reason::JoinedMidYear | Reason::LeftMidYear | Reason::Excluded)) => {
                    let ex = year.excluded.get(&p.key).filter(|_| r == Reason::Excluded);
                    let text = |field| code_text(row, &INSURED, field).map(|t| t.into_owned());
                    Some([
                        row.line.to_string(),
                        text(f::INSURER)?,
                        text(f::KIGO)?,
                        text(f::BANGO)?,
                        text(f::EDABAN)?,
                        p.sex.to_string(),
                        format_date(p.birth),
                        age_at_fiscal_year_end(p.birth, fy).to_string(),
                        format_date(p.acquired),
                        opt_date(p.lost),
                        r.code().to_string(),
                        match ex {
                            Some(e) => format!("{}({})", r.message(), exclusion_name(&e.code)),
                            None => r.message().to_string(),
                        },
                        ex.map(|e| e.code.clone()).unwrap_or_default(),
                        ex.map(|e| format_date(e.start)).unwrap_or_default(),
                        opt_date(ex.and_then(|e| e.end)),
                    ])
                }
                _ => None,
            };
            Ok(Some((st.err().map_or("denominator", Reason::code), row_out)))
        },
        |(code, row_out)| {
            rows_in += 1;
            *tally.entry(code).or_default() += 1;
            listed.extend(row_out);
        },
    )?;
    let counted: u64 = tally.values().sum();
    let excluded: u64 = ["S105", "S106", "S107"].iter().map(|c| tally.get(c).copied().unwrap_or(0)).sum();
    if counted != rows_in || excluded != listed.len() as u64 {
        return Err(Error::Integrity {
            detail: format!("マスタ {rows_in} 行, 集計 {tally:?}, 一覧 {}", listed.len())
        });
    }
    let crlf = a.output.crlf(out_enc);
    let mut out = CsvOut::new(a.output.output.as_deref(), out_enc, a.output.replace_unmappable, crlf)?;
    out.write_header(&STATUTORY_EXCLUSIONS)?;
    let name = master.name().to_string();
    for row in &listed {
        let line: u64 = row[0].parse().unwrap_or(0);
        out.write_texts(row, |i| Loc::cell(name.clone(), line, STATUTORY_EXCLUSIONS[i]))?;
    }
    let replaced = out.finish()?;
    console.replaced(replaced);
    console.info(tally_line(fy, rows_in, &tally));
    console.info(format!("除外者 {} 人を一覧にしました", thousands(listed.len() as u64)));
    let n = listed.len() as u64;
    summary_json(a.run.summary_json.as_deref(), "exclusions", (in_enc, out_enc), (rows_in, n, n), tally, 0)?;
    Ok(0)
}

/// A result record on the erasure list: person × ticket × 受診日.
struct Erased {
    line: u64,
    /// 受診券整理番号 … 受診日, as the list shows them.
    shown: [String; 6],
    rows: u64,
    reason: Reason,
}

fn erasures(a: &ErasuresArgs) -> Result<u8> {
    let console = Console { tool: TOOL, quiet: a.run.quiet };
    check_distinct_outputs(&[a.output.output.as_deref(), a.kept.as_deref(), a.run.summary_json.as_deref()])?;
    let year = Year::load(&a.year)?;
    let fy = year.fy;
    // the results' header is checked before the master is read
    let mut input = CsvInput::open(a.input.as_deref(), year.requested, &RESULT_RECORDS, None)?;
    // each master person's standing: Ok(()) in the denominator, else the reason
    let mut standing_of: FxHashMap<PersonKey, std::result::Result<(), Reason>> = FxHashMap::default();
    read_rows(
        &a.year.master,
        year.requested,
        &INSURED,
        |row, _| {
            let p = master_person(row)?;
            let st = year.standing(&p);
            Ok(Some((p.key, st)))
        },
        |(key, st)| {
            // a key twice in a master (not from kk-import) counts if any of its rows does
            let e = standing_of.entry(key).or_insert(st);
            if st.is_ok() {
                *e = st;
            }
        },
    )?;

    let in_enc = input.encoding();
    let out_enc = a.output.output_encoding(in_enc)?;
    let crlf_in = a.output.crlf(in_enc);
    let input_name = input.name().to_string();
    let width = input.header().len();
    // --kept: the rows not erased, as read (their encoding and the usual line ending)
    let mut kept = match &a.kept {
        Some(p) => {
            let mut sink = Sink::create(Some(p))?;
            let mut head = RowStore::new(crlf_in, 256);
            let loc = Loc::line(input.name().to_string(), 1);
            text_row(&mut head, &mut TextEncoder::new(in_enc, false), input.header(), &loc)?;
            let name = sink.name();
            if in_enc == Encoding::Utf8Bom {
                std::io::Write::write_all(&mut sink, UTF8_BOM).map_err(|e| Error::io(name.clone(), e))?;
            }
            for s in head.slices() {
                std::io::Write::write_all(&mut sink, s).map_err(|e| Error::io(name.clone(), e))?;
            }
            Some(sink)
        }
        None => None,
    };
    let progress = Progress::new(&console, a.run.progress, "照合中");
    let keep_rows = kept.is_some();
    type Group = (PersonKey, String, Date);
    let mut groups: FxHashMap<Group, usize> = FxHashMap::default();
    let mut erased: Vec<Erased> = Vec::new();
    let (mut rows_in, mut rows_kept, mut rows_erased) = (0u64, 0u64, 0u64);
    let l = &RESULT_RECORDS;
    for_each_batch(
        &mut input,
        (0..worker_count()).map(|_| ()).collect(),
        |_, ctx, chunk| {
            let mut store = RowStore::new(crlf_in, if keep_rows { chunk.bytes.len() } else { 0 });
            let mut found = Vec::new();
            let mut n = 0u64;
            ctx.parse_chunk(chunk, |row| {
                n += 1;
                let key = person_key(&row, l, "健診結果")?;
                let day = date_field(&row, l, 4, "健診結果")?.unwrap_or_default();
                let reason = match standing_of.get(&key) {
                    None => Some(Reason::NotInMaster),
                    Some(_) if !fy.contains(day) => Some(Reason::OutsideYear),
                    Some(st) => st.err(),
                };
                match reason {
                    Some(reason) => {
                        let text = |field| code_text(&row, l, field).map(|t| t.into_owned());
                        let ticket = text(5)?;
                        let shown = [ticket.clone(), text(0)?, text(1)?, text(2)?, text(3)?, format_date(day)];
                        found.push((row.line, (key, ticket, day), shown, reason));
                    }
                    None if keep_rows => {
                        for i in 0..width {
                            store.field(row.raw_at(i));
                        }
                        store.end_row();
                    }
                    None => {}
                }
                Ok(())
            })?;
            Ok((n, found, store))
        },
        |(n, found, store)| {
            rows_in += n;
            rows_erased += found.len() as u64;
            rows_kept += n - found.len() as u64;
            for (line, group, shown, reason) in found {
                match groups.get(&group) {
                    Some(&i) => erased[i].rows += 1,
                    None => {
                        groups.insert(group, erased.len());
                        erased.push(Erased { line, shown, rows: 1, reason });
                    }
                }
            }
            if let Some(sink) = &mut kept {
                let name = sink.name();
                for s in store.slices() {
                    std::io::Write::write_all(sink, s).map_err(|e| Error::io(name.clone(), e))?;
                }
            }
            progress.tick_to(rows_in);
            Ok(())
        },
    )?;
    progress.finish();
    if rows_in != rows_kept + rows_erased || erased.iter().map(|e| e.rows).sum::<u64>() != rows_erased {
        return Err(Error::Integrity {
            detail: format!("結果 {rows_in} 行 ≠ 報告 {rows_kept} 行 + 抹消 {rows_erased} 行"),
        });
    }
    let crlf = a.output.crlf(out_enc);
    let mut out = CsvOut::new(a.output.output.as_deref(), out_enc, a.output.replace_unmappable, crlf)?;
    out.write_header(&ERASURES)?;
    let mut tally = Tally::new();
    for e in &erased {
        *tally.entry(e.reason.code()).or_default() += 1;
        let row: Vec<String> = std::iter::once(e.line.to_string())
            .chain(e.shown.iter().cloned())
            .chain([e.rows.to_string(), e.reason.code().to_string(), e.reason.message().to_string()])
            .collect();
        out.write_texts(&row, |i| Loc::cell(input_name.clone(), e.line, ERASURES[i]))?;
    }
    let replaced = out.finish()?;
    if let Some(sink) = kept {
        sink.commit()?;
    }
    console.replaced(replaced);
    console.info(format!(
        "{fy}年度: 結果 {} 行 = 報告 {} 行 + 抹消 {} 行 (記録 {} 件)",
        thousands(rows_in),
        thousands(rows_kept),
        thousands(rows_erased),
        thousands(erased.len() as u64)
    ));
    let exit = u8::from(a.run.strict && !erased.is_empty());
    tally.insert("rows_kept", rows_kept);
    tally.insert("rows_erased", rows_erased);
    let records = erased.len() as u64;
    summary_json(
        a.run.summary_json.as_deref(),
        "erasures",
        (in_enc, out_enc),
        (rows_in, records, records),
        tally,
        exit,
    )?;
    Ok(exit)
}

fn summary(a: &SummaryArgs) -> Result<u8> {
    let console = Console { tool: TOOL, quiet: a.run.quiet };
    check_distinct_outputs(&[a.output.output.as_deref(), a.xlsx.as_deref(), a.run.summary_json.as_deref()])?;
    let xlsx_path = a.format.xlsx_path(a.output.output.as_deref(), "--format xlsx", "-o")?;
    let year = Year::load(&a.year)?;
    let fy = year.fy;
    let (examined, result_rows) = examined_in(&a.results, year.requested, fy)?;
    let mut master = CsvInput::open(Some(&a.year.master), year.requested, &INSURED, None)?;
    let in_enc = master.encoding();
    let out_enc = a.output.output_encoding(in_enc)?;
    // (8-digit insurer, sex, band) → (targets, examined)
    let mut cells: BTreeMap<(String, u8, i16), (u64, u64)> = BTreeMap::new();
    let mut tally = Tally::new();
    let mut rows_in = 0u64;
    read_input(
        &mut master,
        |row, _| {
            let p = master_person(row)?;
            let st = year.standing(&p);
            let cell = st.is_ok().then(|| {
                let band = age_band(report_age(p.birth, fy).unwrap_or(40));
                ((p.key.insurer8().to_string(), p.sex, band), examined.contains(&p.key))
            });
            Ok(Some((st.err().map_or("denominator", Reason::code), cell)))
        },
        |(code, cell)| {
            rows_in += 1;
            *tally.entry(code).or_default() += 1;
            if let Some((key, seen)) = cell {
                let c = cells.entry(key).or_default();
                c.0 += 1;
                c.1 += u64::from(seen);
            }
        },
    )?;
    let table = summary_table(&cells);
    let targets: u64 = cells.values().map(|c| c.0).sum();
    if targets != tally.get("denominator").copied().unwrap_or(0) {
        return Err(Error::Integrity { detail: format!("分母 {targets} ≠ {tally:?}") });
    }
    let workbook = |path: &Path| {
        use crate::io::xlsx::{Cell, write_sheet};
        let kinds = [Cell::Text, Cell::Text, Cell::Text, Cell::Number, Cell::Number, Cell::Number];
        write_sheet(path, "集計表", &STATUTORY_SUMMARY, &kinds, &table)
    };
    if let Some(path) = &a.xlsx {
        workbook(path)?;
    }
    match &xlsx_path {
        Some(path) => workbook(path)?,
        None => {
            let crlf = a.output.crlf(out_enc);
            let mut out = CsvOut::new(a.output.output.as_deref(), out_enc, a.output.replace_unmappable, crlf)?;
            out.write_header(&STATUTORY_SUMMARY)?;
            for row in &table {
                out.write_texts(row, |_| Loc::file(master.name().to_string()))?;
            }
            out.finish()?;
        }
    }
    let examined_n: u64 = cells.values().map(|c| c.1).sum();
    console.info(tally_line(fy, rows_in, &tally));
    console.info(format!(
        "対象者 {} 人、受診者 {} 人、受診率 {}% (結果 {} 行)",
        thousands(targets),
        thousands(examined_n),
        rate_tenths(examined_n, targets).map(format_rate).unwrap_or_else(|| "-".into()),
        thousands(result_rows)
    ));
    tally.insert("targets", targets);
    tally.insert("examined", examined_n);
    let n = table.len() as u64;
    summary_json(a.run.summary_json.as_deref(), "summary", (in_enc, out_enc), (rows_in, n, 0), tally, 0)?;
    Ok(0)
}

/// The headline table: per insurer (6-digit 国保 numbers shown as 6 digits), then 全体; within
/// each, 性別 1, 2, 計 × 年齢階級 40-44 … 70-74, 計. Every cell is listed, zeros included.
fn summary_table(cells: &BTreeMap<(String, u8, i16), (u64, u64)>) -> Vec<[String; 6]> {
    let mut insurers: Vec<&str> = cells.keys().map(|(i, _, _)| i.as_str()).collect();
    insurers.dedup();
    let mut table = Vec::new();
    let groups = insurers.iter().map(|i| Some(*i)).chain([None]);
    for insurer in groups {
        let shown = match insurer {
            Some(i) => i.strip_prefix("00").unwrap_or(i).to_string(),
            None => "全体".to_string(),
        };
        for sex in [Some(1u8), Some(2), None] {
            for band in AGE_BANDS.iter().enumerate().map(|(i, b)| Some((40 + 5 * i as i16, *b))).chain([None]) {
                let (mut t, mut e) = (0u64, 0u64);
                for ((i, s, b), (ct, ce)) in cells {
                    if insurer.is_none_or(|x| x == i)
                        && sex.is_none_or(|x| x == *s)
                        && band.is_none_or(|(x, _)| x == *b)
                    {
                        t += ct;
                        e += ce;
                    }
                }
                table.push([
                    shown.clone(),
                    sex.map_or("計".into(), |s| s.to_string()),
                    band.map_or("計".into(), |(_, label)| label.to_string()),
                    t.to_string(),
                    e.to_string(),
                    rate_tenths(e, t).map(format_rate).unwrap_or_default(),
                ]);
            }
        }
    }
    table
}

/// One file the recipient reported on.
struct Received {
    count: u64,
    date: String,
    result: u8,
    reason: String,
}

fn reconcile(a: &ReconcileArgs) -> Result<u8> {
    let console = Console { tool: TOOL, quiet: a.run.quiet };
    check_distinct_outputs(&[a.output.output.as_deref(), a.run.summary_json.as_deref()])?;
    let requested = resolve_input_encoding(a.encoding)?;
    let count = |row: &Row<'_>, l, field, what| {
        let text = code_text(row, l, field)?;
        parse_count(&text).map(u64::from).map_err(|e| reference_error(row, l, field, what, e))
    };
    let mut sent: Vec<(String, u64)> = Vec::new();
    let manifest_enc;
    {
        let mut input = CsvInput::open(Some(&a.manifest), requested, &MANIFEST, None)?;
        manifest_enc = input.encoding();
        read_input(
            &mut input,
            |row, _| {
                let name = row.text(0, &MANIFEST)?.trim().to_string();
                if name.is_empty() {
                    return Err(reference_error(row, &MANIFEST, 0, "送付ファイル一覧", FieldError::Required));
                }
                Ok(Some((name, count(row, &MANIFEST, 1, "送付ファイル一覧")?)))
            },
            |item| sent.push(item),
        )?;
    }
    let mut received: BTreeMap<String, Received> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    read_rows(
        &a.receipt,
        requested,
        &RECEIPT,
        |row, _| {
            let what = "受領結果";
            let name = row.text(0, &RECEIPT)?.trim().to_string();
            if name.is_empty() {
                return Err(reference_error(row, &RECEIPT, 0, what, FieldError::Required));
            }
            let result = match code_text(row, &RECEIPT, 3)?.as_ref() {
                "1" => 1,
                "2" => 2,
                "" => return Err(reference_error(row, &RECEIPT, 3, what, FieldError::Required)),
                _ => return Err(reference_error(row, &RECEIPT, 3, what, FieldError::Code)),
            };
            let date = code_text(row, &RECEIPT, 2)?;
            let date = if date.is_empty() {
                String::new()
            } else {
                format_date(parse_date(&date).map_err(|e| reference_error(row, &RECEIPT, 2, what, e))?)
            };
            let reason = row.text(4, &RECEIPT)?.trim().to_string();
            Ok(Some((name, Received { count: count(row, &RECEIPT, 1, what)?, date, result, reason })))
        },
        |(name, r)| {
            // the latest line about a file counts (a file returned, sent again, received)
            if received.insert(name.clone(), r).is_none() {
                order.push(name);
            }
        },
    )?;
    let mut rows: Vec<[String; 7]> = Vec::new();
    let mut tally = Tally::new();
    let mut push = |rows: &mut Vec<[String; 7]>, name: &str, sent: Option<u64>, r: Option<&Received>| {
        let (code, verdict) = match (sent, r) {
            (Some(_), None) => ("S202", "未着"),
            (None, Some(_)) => ("S204", "送付記録にないファイルの受領"),
            (Some(_), Some(r)) if r.result == 2 => ("S201", "返戻"),
            (Some(n), Some(r)) if n != r.count => ("S203", "件数相違"),
            _ => ("", "受領"),
        };
        *tally.entry(if code.is_empty() { "received" } else { code }).or_default() += 1;
        rows.push([
            name.to_string(),
            sent.map(|n| n.to_string()).unwrap_or_default(),
            r.map(|r| r.count.to_string()).unwrap_or_default(),
            r.map(|r| r.date.clone()).unwrap_or_default(),
            code.to_string(),
            verdict.to_string(),
            r.map(|r| r.reason.clone()).unwrap_or_default(),
        ]);
    };
    for (name, n) in &sent {
        push(&mut rows, name, Some(*n), received.get(name));
    }
    for name in order.iter().filter(|n| !sent.iter().any(|(s, _)| s == *n)) {
        push(&mut rows, name, None, received.get(name));
    }
    let problems = rows.iter().filter(|r| !r[4].is_empty()).count() as u64;
    let out_enc = a.output.output_encoding(manifest_enc)?;
    let crlf = a.output.crlf(out_enc);
    let mut out = CsvOut::new(a.output.output.as_deref(), out_enc, a.output.replace_unmappable, crlf)?;
    out.write_header(&RECONCILE_LIST)?;
    for row in &rows {
        out.write_texts(row, |i| Loc::cell(a.manifest.display().to_string(), 0, RECONCILE_LIST[i]))?;
    }
    let replaced = out.finish()?;
    console.replaced(replaced);
    console.info(format!(
        "送付 {} ファイル: 受領 {} / 返戻 {} / 未着 {} / 件数相違 {} / 送付記録なし {}",
        sent.len(),
        tally.get("received").copied().unwrap_or(0),
        tally.get("S201").copied().unwrap_or(0),
        tally.get("S202").copied().unwrap_or(0),
        tally.get("S203").copied().unwrap_or(0),
        tally.get("S204").copied().unwrap_or(0),
    ));
    let exit = u8::from(a.run.strict && problems > 0);
    let n = rows.len() as u64;
    summary_json(
        a.run.summary_json.as_deref(),
        "reconcile",
        (manifest_enc, out_enc),
        (sent.len() as u64, n, problems),
        tally,
        exit,
    )?;
    Ok(exit)
}
