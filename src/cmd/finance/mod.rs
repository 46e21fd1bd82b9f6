//! kk-finance — 財務連動ファイル・請求書 (SPEC §3 kk-finance).
//!
//! From the month's 決定データ: the journal lines the federation's accounting system imports
//! (`--ledger`) and one invoice per insurer (`--invoices DIR`: a PDF each and `invoices.csv`). Every value is checked and the control totals — Σ保険者負担額
//! and Σ事務手数料 in = ledger = invoices, per insurer and overall — reconciled before anything is
//! written. Dates come from `--issue-date` or the month, never from the clock, so a re-run gives
//! the same bytes.

mod config;
mod decided;
mod invoice_pdf;
mod invoices;
mod ledger;

use std::path::PathBuf;

use clap::Parser;

use super::shared::{InputArgs, RunArgs, check_outputs, parse_date_option};
use crate::console::{Console, Tally, thousands_signed};
use crate::domain::{FiscalYear, end_of_next_month_business_day};
use crate::error::Result;
use crate::io::Sink;

pub use config::Config;
pub use decided::InsurerMonth;
pub use invoices::Invoice;

pub const TOOL: &str = "kk-finance";

/// 財務連動ファイルと保険者への請求書を決定データから作る
#[derive(Debug, Parser)]
#[command(
    name = TOOL,
    version,
    after_help = "\
例:
  kk-finance --insurers insurers.csv --config finance.toml --ledger ledger.csv --invoices out/invoices < decided.csv
  kk-finance --insurers insurers.csv --config finance.toml --issue-date 2026-05-10 -i decided.csv --ledger ledger.txt
  kk-finance --insurers insurers.csv --config finance.toml --invoices out/invoices --institutions kikan.csv -i decided.csv

設定ファイル(finance.toml)の書き方は docs/finance.md、例は fixtures/finance.toml。
保険者負担額・事務手数料の合計が 入力 = 財務連動ファイル = 請求書 で一致しなければ終了コード3で何も書きません。
終了コード: 0 完了 / 2 入力を処理できない(保険者一覧にない保険者、金額の誤り、列の不足など) / 3 合計の不一致"
)]
pub struct Cli {
    #[command(flatten)]
    pub input: InputArgs,

    /// 保険者一覧
    #[arg(long, value_name = "FILE")]
    pub insurers: PathBuf,

    /// 設定ファイル (TOML)
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,

    /// 財務連動ファイルの出力先
    #[arg(long, value_name = "FILE")]
    pub ledger: Option<PathBuf>,

    /// 請求書の出力フォルダ (保険者ごとの PDF と一覧 invoices.csv を書く)
    #[arg(long, value_name = "DIR")]
    pub invoices: Option<PathBuf>,

    /// 健診機関一覧 (健診機関番号, 健診機関名): 請求書の内訳に健診機関名も載せる
    #[arg(long, value_name = "FILE")]
    pub institutions: Option<PathBuf>,

    /// 請求書 PDF のフォント (TrueType/OpenType)。省略時は KK_FONT、次に IPAexゴシック・Noto Sans CJK の標準の場所
    #[arg(long, value_name = "FILE")]
    pub font: Option<PathBuf>,

    /// 発行日 (省略時は処理年月の末日)
    #[arg(long, value_name = "DATE")]
    pub issue_date: Option<String>,

    #[command(flatten)]
    pub run: RunArgs,
}

pub fn run(cli: &Cli) -> Result<u8> {
    let console = Console { tool: TOOL, quiet: cli.run.quiet };
    check_outputs(&[cli.ledger.as_deref(), cli.run.summary_json.as_deref()])?;
    let config = Config::load(&cli.config)?;
    let holidays = config.holidays(&cli.config)?;
    let ledger_enc = config.ledger_encoding(&cli.config)?;
    let insurers = decided::read_insurers(&cli.insurers, cli)?;
    let decided = decided::read_decided(cli, &insurers)?;
    let month = &decided.month;
    let first_day = decided.first_day();
    let issue = match &cli.issue_date {
        Some(s) => parse_date_option(s, "--issue-date")?,
        None => first_day.last_of_month(),
    };
    let due = end_of_next_month_business_day(issue, &holidays);
    let invoices = invoices::make(&decided.insurers, &config, month, FiscalYear::of(first_day), (issue, due));
    let ledger = ledger::lines(&invoices, &config, month);
    invoices::check_control_totals(&decided.insurers, &ledger, &invoices, &config)?;
    // every PDF is made before anything is written
    let pdfs = match &cli.invoices {
        Some(_) => {
            let names = cli.institutions.as_deref().map(|p| decided::read_institutions(p, cli)).transpose()?;
            invoice_pdf::render_all(&invoices, &config, month, cli.font.as_deref(), names.as_ref())?
        }
        None => Vec::new(),
    };
    let mut outputs: Vec<Sink> = Vec::new();
    if let Some(path) = &cli.ledger {
        let date = ledger::fill_date(config.ledger.date_format.as_deref().unwrap_or("%Y%m%d"), issue);
        outputs.push(ledger::write_ledger(path, &config, ledger_enc, &ledger, &date)?);
    }
    if let Some(dir) = &cli.invoices {
        outputs.extend(invoices::write(dir, &invoices, &pdfs, month)?);
    }
    for sink in outputs {
        sink.commit()?;
    }

    let mut tally = Tally::new(TOOL, "finance", decided.encoding, ledger_enc);
    tally.rows_in = decided.insurers.values().map(|m| m.breakdown.len() as u64).sum();
    tally.rows_out = ledger.len() as u64;
    tally.set("insurers", invoices.len() as u64).set("ledger_lines", ledger.len() as u64);
    let sum = |f: fn(&Invoice) -> i64| thousands_signed(invoices.iter().map(f).sum());
    let line = format!(
        "処理年月 {}: 保険者 {} 件, 保険者負担額 {} 円 + 事務手数料 {} 円 (消費税 {} 円) = 請求額 {} 円; 財務連動 {} 行",
        if month.is_empty() { "(決定データなし)" } else { month },
        invoices.len(),
        sum(|i| i.month.insurer_share),
        sum(|i| i.month.fee),
        sum(|i| i.fee_tax),
        sum(Invoice::total),
        ledger.len()
    );
    tally.finish(&console, line, cli.run.summary_json.as_deref(), 0)
}
