//! kk-limitcheck — 金額・項目上限チェックリスト (SPEC §3 kk-limitcheck).
//!
//! The standard system rejects only claims above its configured upper limits. This tool checks
//! every claim against the exact contract valid on its 受診日 and lists each mismatch with the
//! expected and actual amounts, so staff review a short list instead of every claim.
//!
//! Contract resolution (SPEC §2 contracts): among the contracts with the claim's 契約区分 valid
//! on 受診日, the most specific applies — exact institution and insurer beat one wildcard, which
//! beats two. Two equally specific contracts that could both apply on one day are an error in
//! the contract file, found before any claim is read: the same institution, insurer and 契約区分
//! with overlapping periods (E013), or an institution-wide `(A,*)` and an insurer-wide `(*,B)`
//! contract overlapping where no exact `(A,B)` contract covers the overlap (E014).

mod check;
mod contracts;
mod households;
mod list;

use std::borrow::Borrow;
use std::path::{Path, PathBuf};

use clap::Parser;
use rustc_hash::{FxHashMap, FxHashSet};

use super::shared::{InputArgs, ListFormat, OutputArgs, RunArgs, check_outputs};
use crate::cmd::ticket::ledger::TicketBook;
use crate::console::{Console, Progress, Tally, thousands};
use crate::domain::TicketNumber;
use crate::error::Result;
use crate::io::{CsvInput, InputEncoding, for_each_batch, worker_count};
use crate::layout::CLAIMS;
use check::{Checked, Finding, Reference, Worker, amounts, load_results};
use contracts::Contracts;
use households::Households;

pub use check::Check;

pub const TOOL: &str = "kk-limitcheck";

/// 金額・項目上限チェックリスト: 請求を契約と照合し、食い違いを一覧にする
#[derive(Debug, Parser)]
#[command(
    name = TOOL,
    version,
    after_help = "\
例:
  kk-limitcheck --contracts contracts.csv < claims.csv > checklist.csv
  kk-limitcheck --contracts contracts.csv --master master.csv --household household.csv \\
      --results results.csv -i claims.csv -o checklist.csv --strict
  kk-limitcheck --contracts contracts.csv --tickets numbers.csv < claims.csv > checklist.csv

チェック(コードは docs/errors.md): L101 有効な契約なし / L102・L103 基本単価が契約より高い・低い /
L104 詳細単価合計 / L105 追加単価合計 / L106 追加項目数が上限超過 / L107 契約対象外の追加項目 /
L108 窓口負担額 / L109 請求金額の計算 / L110 受診券整理番号の重複 / L111 追加項目数とコード数の不一致 /
L112・L113 (--results) 請求した追加項目と結果の食い違い / L114 受診券整理番号の年度 /
L116・L117・L118 (--tickets) 受診券整理番号が台帳にない・別の人・別の年度。
値が不正な請求は E コードの行になります。非課税世帯の窓口負担免除は --master と --household で判定します。
終了コード: 0 完了 / 1 --strict で指摘あり / 2 入力を処理できない(契約ファイルの誤り・重複を含む)"
)]
pub struct Cli {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub output: OutputArgs,

    /// 契約ファイル
    #[arg(long, value_name = "FILE")]
    pub contracts: PathBuf,

    /// 被保険者マスタ (受診者の世帯番号を引く。--household と一緒に指定)
    #[arg(long, value_name = "FILE", requires = "household")]
    pub master: Option<PathBuf>,

    /// 世帯課税状況 (kk-import tax の出力。--master と一緒に指定)
    #[arg(long, value_name = "FILE", requires = "master")]
    pub household: Option<PathBuf>,

    /// 健診結果 (請求した追加項目が結果にあるかを照合する)
    #[arg(long, value_name = "FILE")]
    pub results: Option<PathBuf>,

    /// 整理番号台帳 (kk-ticket の --ledger): 台帳にない番号・別の人・別の年度の番号を指摘する
    #[arg(long, value_name = "FILE")]
    pub tickets: Option<PathBuf>,

    /// 出力形式: csv、または xlsx (Excel。見出し固定・フィルター付き。-o が必要)
    #[arg(long, value_enum, default_value = "csv")]
    pub format: ListFormat,

    #[command(flatten)]
    pub run: RunArgs,
}

pub fn run(cli: &Cli) -> Result<u8> {
    let console = Console { tool: TOOL, quiet: cli.run.quiet };
    check_outputs(&[cli.output.output.as_deref(), cli.run.summary_json.as_deref()])?;
    let requested = cli.input.input_encoding()?;
    let mapping = cli.input.layout_file()?;
    let xlsx_path = cli.format.xlsx_path(cli.output.output.as_deref(), "--format xlsx", "-o")?;
    // everything the claims are checked against is read and checked first
    let contracts = Contracts::load(&cli.contracts, requested)?;
    let exemption = match (&cli.master, &cli.household) {
        (Some(m), Some(h)) => Some((m, h)),
        _ => {
            console.info("--master と --household がないため、非課税世帯の窓口負担免除は判定しません");
            None
        }
    };
    let results = cli.results.as_deref().map(|p| load_results(p, requested)).transpose()?;
    let tickets = cli.tickets.as_deref().map(|p| TicketBook::load(p, requested)).transpose()?;
    // read-only from here to the end of the run: not dropped at exit (freeing millions of keys
    // one by one costs more than the rest of the run's end; the OS takes the memory back at once)
    let reference: &'static Reference =
        Box::leak(Box::new(Reference { contracts, exemption: exemption.is_some(), results, tickets }));

    let mut input = CsvInput::open(cli.input.input.as_deref(), requested, &CLAIMS, mapping.as_ref())?;
    let progress = Progress::new(&console, cli.run.progress, "照合中");
    progress.follow(&mut input, cli.input.input.as_deref());
    let (claims, mut listed) = check_claims(&mut input, reference, &progress)?;
    progress.finish();
    let (in_enc, input_name) = (input.encoding(), input.name().to_string());
    drop(input);
    // 非課税 exemptions: the master is read once for just the claimants whose co-payment
    // depends on their household (a claim file is usually far smaller than the master)
    if let Some((master, household)) = exemption {
        resolve_exemptions(&mut listed, master, household, requested)?;
    }
    let invalid = listed.iter().filter(|c| c.invalid).count() as u64;
    let flagged = listed.iter().filter(|c| !c.invalid && !c.findings.is_empty()).count() as u64;
    let clean = claims - flagged - invalid;
    let rows = list::rows(listed);
    let spec = cli.output.spec(in_enc)?;
    let mut tally = Tally::new(TOOL, "check", in_enc, spec.encoding);
    tally.replaced = list::write(&rows, &spec, xlsx_path.as_deref(), &input_name)?;
    let findings = rows.iter().filter(|r| r.2.code.starts_with('L')).count() as u64;
    let errors = rows.len() as u64 - findings;
    let exit_code = u8::from(cli.run.strict && !rows.is_empty());
    let line = format!(
        "請求 {} 件 = 指摘なし {} 件 + 指摘あり {} 件 + 値の誤り {} 件; 指摘 {} 行, エラー {} 行",
        thousands(claims),
        thousands(clean),
        thousands(flagged),
        thousands(invalid),
        thousands(findings),
        thousands(errors)
    );
    for (_, _, f) in &rows {
        *tally.extra.entry(f.code).or_default() += 1;
    }
    tally.set("claims_clean", clean).set("claims_flagged", flagged).set("errors", errors);
    (tally.rows_in, tally.rows_out, tally.rows_rejected, tally.findings) =
        (claims, rows.len() as u64, invalid, findings);
    tally.finish(&console, line, cli.run.summary_json.as_deref(), exit_code)
}

/// Every claim checked on the workers; returns the number of claims and, in input order, those
/// with findings or whose co-payment waits for their household. A ticket claimed again is
/// flagged on the later claims.
fn check_claims(
    input: &mut CsvInput,
    reference: &'static Reference,
    progress: &Progress,
) -> Result<(u64, Vec<Checked>)> {
    // the first line of each ticket, to flag later claims of the same ticket (in input order)
    let mut tickets: FxHashMap<TicketNumber, u64> = FxHashMap::default();
    let mut listed: Vec<Checked> = Vec::new();
    let mut claims = 0u64;
    let workers = (0..worker_count()).map(|_| Worker::default()).collect();
    for_each_batch(
        input,
        workers,
        |w, ctx, chunk| {
            let mut out = Vec::new();
            ctx.parse_chunk(chunk, |row| {
                out.push(reference.check(w, &row)?);
                Ok(())
            })?;
            Ok(out)
        },
        |checked: Vec<Checked>| {
            for mut claim in checked {
                claims += 1;
                if let Some((ticket, amount)) = claim.ticket.take() {
                    if let Some(first) = tickets.get(&ticket) {
                        let mut f = amounts(Check::DuplicateTicket, 0, amount);
                        f.message = format!("{}(初回 {first}行目)", f.message);
                        claim.findings.push(f);
                    } else {
                        tickets.insert(ticket, claim.line);
                    }
                }
                if !claim.findings.is_empty() || claim.pending.is_some() {
                    listed.push(claim);
                }
            }
            progress.tick_to(claims);
            Ok(())
        },
    )?;
    Ok((claims, listed))
}

/// Decides the co-payments that waited for the claimant's household: L108 where the claimed
/// amount is not what the household's tax status gives.
fn resolve_exemptions(listed: &mut [Checked], master: &Path, household: &Path, requested: InputEncoding) -> Result<()> {
    let wanted: FxHashSet<&str> = listed.iter().filter_map(|c| c.pending.as_ref().map(|p| p.person.borrow())).collect();
    let households = Households::load(master, household, requested, &wanted)?;
    let copays: Vec<(usize, usize, Finding)> = listed
        .iter()
        .enumerate()
        .filter_map(|(i, claim)| {
            let p = claim.pending.as_ref()?;
            let expected = if households.exempt(p.person.borrow(), p.fy) { 0 } else { p.taxed };
            (p.claimed != expected).then(|| (i, p.at, amounts(Check::Copay, expected, p.claimed)))
        })
        .collect();
    drop(households);
    for (i, at, finding) in copays {
        listed[i].findings.insert(at, finding);
    }
    Ok(())
}
