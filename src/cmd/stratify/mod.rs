//! kk-stratify — 階層化結果 (SPEC §3 kk-stratify): for each checkup in the results, the 第4期
//! 階層化 (積極的支援 / 動機付け支援 / 情報提供 / 判定不能), 保健指導レベル, メタボ判定 and 受診勧奨,
//! by the rule of [`crate::domain::stratify`] (docs/stratify.md).
//!
//! A checkup is 受診券整理番号 + person key + 受診日; a person with two checkups gets two rows.
//! Values that are not numbers (or not in their code list) are rows of the error list, and the
//! checkup is 判定不能; nothing stops the run but an unreadable file.

mod list;

use std::path::PathBuf;

use clap::Parser;
use rustc_hash::FxHashSet;

use super::shared::{
    InputArgs, ListFormat, OutputArgs, RunArgs, check_outputs, checkups, leave_to_exit, parse_fy, read_rows,
};
use crate::console::{Console, Tally, thousands};
use crate::domain::{FiscalYear, PersonKey};
use crate::error::Result;
use crate::io::CsvInput;
use crate::layout::{MASTER_KEYS, RESULTS};

pub const TOOL: &str = "kk-stratify";

/// 階層化: 健診結果から特定保健指導の対象 (積極的支援・動機付け支援) とメタボ判定・受診勧奨を判定する
#[derive(Debug, Parser)]
#[command(
    name = TOOL,
    version,
    after_help = "\
例:
  kk-stratify < results.csv > levels.csv
  kk-stratify --fy 2026 --master master.csv --errors stratify_errors.csv -i results.csv -o levels.csv
  kk-stratify -i results.csv --format xlsx -o levels.xlsx

1行 = 1回の健診 (受診券整理番号 + 被保険者キー + 受診日)。被保険者キー・受診日の順に並べます。
判定は第4期 (2024年度〜) の基準 (docs/stratify.md): 服薬あり → 情報提供、腹囲 (内臓脂肪面積) または
BMI と追加リスク (血圧・脂質・血糖、喫煙は他のリスクがあるときだけ) の数で積極的支援・動機付け支援、
年度末年齢 65〜74 歳は積極的支援を動機付け支援に。値が欠けていて結果が変わりうるときだけ 判定不能。
数値でない結果値 (全角数字は可) はエラーリスト (--errors) に行番号・列名つきで載り、その健診は 判定不能。
--master を指定すると、マスタにない人の健診をエラーリストに載せます (E206。判定はします)。
入力は人ごとに並んでいなくてもかまいません (健診ごとにまとめ、1件あたり約0.4KBのメモリ)。
終了コード: 0 完了 / 1 --strict でエラー行あり / 2 入力を処理できない / 3 整合性チェック失敗"
)]
pub struct Cli {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub output: OutputArgs,

    /// 年度 (この年度の受診日の健診だけを判定し、年齢はこの年度末で数える。省略時は受診日の年度)
    #[arg(long, value_name = "YEAR")]
    pub fy: Option<String>,

    /// 被保険者マスタ (kk-import master の出力)。マスタにない人をエラーリストに載せる
    #[arg(long, value_name = "FILE")]
    pub master: Option<PathBuf>,

    /// エラーリストの出力先 (連携エラーリストと同じ列)
    #[arg(long, value_name = "FILE")]
    pub errors: Option<PathBuf>,

    /// 出力形式: csv、または xlsx (Excel。年齢・リスク数・レベルは数値)
    #[arg(long, value_enum, default_value = "csv")]
    pub format: ListFormat,

    #[command(flatten)]
    pub run: RunArgs,
}

pub fn run(cli: &Cli) -> Result<u8> {
    let console = Console { tool: TOOL, quiet: cli.run.quiet };
    check_outputs(&[cli.output.output.as_deref(), cli.errors.as_deref(), cli.run.summary_json.as_deref()])?;
    let xlsx = cli.format.xlsx_path(cli.output.output.as_deref(), "--format xlsx", "-o")?;
    let requested = cli.input.input_encoding()?;
    let fy: Option<FiscalYear> = cli.fy.as_ref().map(|s| parse_fy(s)).transpose()?;
    let master = match &cli.master {
        Some(path) => {
            let mut keys: FxHashSet<PersonKey> = FxHashSet::default();
            read_rows(
                path,
                requested,
                &MASTER_KEYS,
                |row, _| super::shared::reference::person_key(row, &MASTER_KEYS, "被保険者マスタ").map(Some),
                |k| {
                    keys.insert(k);
                },
            )?;
            Some(keys)
        }
        None => None,
    };

    let mut input = CsvInput::open(cli.input.input.as_deref(), requested, &RESULTS, cli.input.layout_file()?.as_ref())?;
    let checkups = checkups::read(&mut input)?;
    let rows_in = checkups.rows_read;
    let input_name = input.name().to_string();
    let in_enc = input.encoding();
    drop(input);

    // a checkup of another fiscal year is left out when --fy is given (its 受診日 known)
    let (kept, other_year): (Vec<&checkups::Checkup>, Vec<&checkups::Checkup>) =
        checkups.sorted().partition(|c| fy.is_none_or(|fy| c.day.is_none_or(|d| fy.contains(d))));
    let unknown = |c: &checkups::Checkup| master.as_ref().is_some_and(|m| !m.contains(&c.person_key()));
    let errors = list::error_rows(&kept, unknown);

    let spec = cli.output.spec(in_enc)?;
    let mut tally = Tally::new(TOOL, "stratify", in_enc, spec.encoding);
    tally.rows_in = rows_in;
    tally.rows_out = kept.iter().map(|c| c.rows).sum();
    tally.findings = errors.len() as u64;
    let skipped: u64 = other_year.iter().map(|c| c.rows).sum();
    tally.balance(&[("判定した健診の行", tally.rows_out), ("年度外の健診の行", skipped)])?;
    let (counts, replaced) = list::write(&kept, fy, &spec, xlsx.as_deref(), &input_name)?;
    tally.replaced = replaced;
    if let Some(path) = &cli.errors {
        tally.replaced += list::write_errors(&errors, &spec.to(path), &input_name)?;
    }
    let [active, motivational, information, undetermined] = counts;
    tally
        .set("checkups", kept.len() as u64)
        .set("active", active)
        .set("motivational", motivational)
        .set("information", information)
        .set("undetermined", undetermined)
        .set("other_year", other_year.len() as u64);
    let mut line = format!(
        "健診 {} 件: 積極的支援 {} / 動機付け支援 {} / 情報提供 {} / 判定不能 {}; 結果 {} 行, エラー {} 件",
        thousands(kept.len() as u64),
        thousands(active),
        thousands(motivational),
        thousands(information),
        thousands(undetermined),
        thousands(rows_in),
        thousands(errors.len() as u64),
    );
    if !other_year.is_empty() {
        line.push_str(&format!(", 年度外 {} 件", thousands(other_year.len() as u64)));
    }
    let code = u8::from(cli.run.strict && !errors.is_empty());
    let status = tally.finish(&console, line, cli.run.summary_json.as_deref(), code);
    leave_to_exit(checkups);
    status
}
