//! kk-gen — deterministic synthetic data for demos, tests and benchmarks.
//!
//! Writes every canonical file of SPEC §2 for one month: several insurers (国保 municipalities
//! and one 健保組合) and institutions, persons with realistic names, addresses and dates,
//! contracts, claims, results, decided totals and the rest. The same seed and size always give
//! the same bytes. Anomalies are planted on purpose and listed in `anomalies.csv` (file, line,
//! column, expected code), so tests can check that every tool finds exactly them.
//!
//! No real person is in this data: names are drawn from common-name lists, numbers are random.

mod checkups;
mod contracts;
mod households;
mod insured;
mod items;
mod names;
mod others;
mod people;
mod writer;
mod xml;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use clap::Parser;
use jiff::civil::Date;

use crate::console::{Console, thousands};
use crate::domain::FiscalYear;
use crate::error::{Error, Result};
use crate::io::Encoding;
use people::{Anomaly, Gen, Insurer};

pub const TOOL: &str = "kk-gen";

/// 合成データ(架空の1か月分)を決まった乱数の種から生成する
#[derive(Debug, Parser)]
#[command(
    name = TOOL,
    version,
    after_help = "\
例:
  # デモ用の小さな1か月分 (fixtures/ と同じもの)
  kk-gen --persons 300 --seed 1 --month 202604 --out fixtures/demo

  # ベンチマーク用に100万人分 (約150MB、Shift_JIS)
  kk-gen --persons 1000000 --out /tmp/bench

出力: insurers.csv insured.csv diff.csv household-tax.csv contracts.csv claims.csv results.csv
      guidance.csv decided.csv exclusions.csv info-status.csv subsidy-items.csv receipt.csv anomalies.csv
仕込んだ異常は anomalies.csv (ファイル, 行番号, 列名, 期待コード, 説明) に一覧されます。
終了コード: 0 完了 / 2 書き出せない"
)]
pub struct Cli {
    /// 被保険者数 (insured.csv の正常行の数)
    #[arg(long, default_value_t = 300)]
    pub persons: usize,

    /// 乱数の種 (同じ種・同じ人数なら同じバイト列)
    #[arg(long, default_value_t = 1)]
    pub seed: u64,

    /// 対象月 (YYYYMM)
    #[arg(long, default_value = "202604", value_parser = parse_month)]
    pub month: Date,

    /// 出力フォルダ
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,

    /// 出力の文字コード (sjis, utf8, utf8-bom)
    #[arg(long, default_value = "sjis")]
    pub encoding: Encoding,

    /// 異常を仕込まない
    #[arg(long)]
    pub clean: bool,

    /// 請求の件数 (省略時は対象者の約1/12。指定すると対象者から重複ありで選ぶ)
    #[arg(long, value_name = "N")]
    pub claims: Option<usize>,

    /// 健診機関×保険者の個別契約の数 (省略時は1件。ベンチマーク用に 10000 など)
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub contracts: usize,

    /// results.csv を見出しだけにする (大量の請求のベンチマーク用)
    #[arg(long)]
    pub no_results: bool,

    /// 同姓同名で生年月日も同じ人が多い母集団にする (80通りの氏名 × 40年の生年、同一人物の重複を許す。ベンチマーク用)
    #[arg(long)]
    pub few_names: bool,

    /// その月の健診結果と請求を V08 XML のアーカイブとしても書く (xml/<提出元>_<提出先>_<日付>0_1.zip。
    /// XML に必須の項目 (既往歴・医師の診断など) を加え、kk-xml write と同じ処理で作ります)
    #[arg(long)]
    pub xml: bool,

    /// 終わりの集計行を出さない
    #[arg(short = 'q', long)]
    pub quiet: bool,
}

fn parse_month(s: &str) -> std::result::Result<Date, String> {
    let bad = || format!("{s}: YYYYMM で指定してください");
    if s.len() != 6 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let y: i16 = s[..4].parse().map_err(|_| bad())?;
    let m: i8 = s[4..].parse().map_err(|_| bad())?;
    Date::new(y, m, 1).map_err(|_| bad())
}

/// What every file of the month is written with: where, in which encoding, the insurers, and
/// the anomalies planted so far.
pub struct Month<'a> {
    pub dir: &'a Path,
    pub enc: Encoding,
    /// `--clean`: no anomalies
    pub clean: bool,
    pub month: Date,
    pub fy: FiscalYear,
    pub insurers: Vec<Insurer>,
    /// the 健保組合 (the last insurer)
    pub kenpo: usize,
    /// the 国保 insurers come first
    pub n_kokuho: usize,
    pub anomalies: Vec<Anomaly>,
}

impl Month<'_> {
    /// Lists a planted anomaly.
    pub fn note(
        &mut self,
        file: &'static str,
        line: u64,
        column: &'static str,
        code: &'static str,
        what: &'static str,
    ) {
        self.anomalies.push(Anomaly { file, line, column, code, what });
    }
}

pub fn run(cli: &Cli) -> Result<u8> {
    let console = Console { tool: TOOL, quiet: cli.quiet };
    let dir = &cli.out;
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let insurers = insured::insurers(cli.persons);
    let month = cli.month;
    let mut m = Month {
        dir,
        enc: cli.encoding,
        clean: cli.clean,
        month,
        fy: FiscalYear::of(month),
        kenpo: insurers.len() - 1,
        n_kokuho: insurers.len() - 1,
        insurers: insurers.clone(),
        anomalies: Vec::new(),
    };
    let mut g = Gen {
        rng: fastrand::Rng::with_seed(cli.seed),
        month,
        fy: FiscalYear::of(month),
        next_bango: vec![1000; insurers.len()],
        next_household: vec![0; insurers.len()],
        insurers,
        identities: HashSet::new(),
        few_names: cli.few_names,
    };
    insured::write_insurers(&m)?;
    let persons = insured::persons(&mut g, &m, cli.persons);
    let mut master = insured::write_insured(&mut g, &mut m, &persons)?;
    insured::write_diff(&mut g, &mut m, &mut master)?;
    let exempt = households::write_household_tax(&mut g, &mut m, &master)?;
    let terms = contracts::terms(&m, master.len(), cli.contracts);
    contracts::write_contracts(&m, &terms)?;
    let examinees = checkups::examinees(&mut g, &master, cli.claims);
    let mut side = if cli.xml { Some(xml::XmlSide::create(dir)?) } else { None };
    let decided =
        checkups::write_claims_and_results(&mut g, &mut m, &examinees, &terms, &exempt, cli.no_results, side.as_mut())?;
    if let Some(side) = side {
        side.finish(&m, dir, &terms.institutions[0])?;
    }
    checkups::write_decided(&m, &decided)?;
    others::write_exclusions(&m, &master)?;
    others::write_info_status(&m, &master, &examinees)?;
    others::write_subsidy_items(&m)?;
    others::write_receipt(&m, examinees.len())?;
    others::write_anomalies(&m)?;
    console.info(format!(
        "{} に {} 人分 ({} 年 {} 月) を書きました: 被保険者 {} 行、受診 {} 件、仕込んだ異常 {} 件",
        dir.display(),
        thousands(cli.persons as u64),
        month.year(),
        month.month(),
        thousands(persons.len() as u64),
        thousands(examinees.len() as u64),
        m.anomalies.len()
    ));
    Ok(0)
}
