//! kk-subsidy — 補助金対象者リスト (SPEC §3 kk-subsidy).
//!
//! The persons who received additional checkup items the prefecture subsidises: one row per item
//! received (`-o`) and a summary per insurer × item with counts and amounts (`--summary`). Items are
//! matched on the 17-character code. A person with the same item twice in one fiscal year is
//! counted once: the later row is listed with 集計 = `0 同一年度の重複` and left out of the summary.

mod items;
mod list;
mod results;

use std::path::PathBuf;

use clap::Parser;

use super::shared::{InputArgs, ListFormat, OutputArgs, RunArgs, check_outputs, parse_fy};
use crate::console::{Console, Tally, thousands};
use crate::error::Result;
use crate::io::CsvInput;
use crate::layout::RESULT_ITEMS_FULL;

pub const TOOL: &str = "kk-subsidy";

/// 補助金対象者リスト: 補助対象の追加健診項目を受けた人と、保険者 × 項目の集計
#[derive(Debug, Parser)]
#[command(
    name = TOOL,
    version,
    after_help = "\
例:
  kk-subsidy --items subsidy-items.csv < results.csv > subsidy.csv
  kk-subsidy --items subsidy-items.csv --fy 2026 -i results.csv -o subsidy.csv --summary subsidy_summary.csv
  kk-subsidy --items subsidy-items.csv -i results.csv -o subsidy.csv --summary summary.xlsx --summary-format xlsx

同じ人が同じ年度に同じ項目を2回受けたときは1回として数えます。数えるのは年度内でいちばん早い受診日の行で
(ファイルの順によりません。同じ日ならファイルで先の行)、ほかは 集計 = 0 で一覧に載ります。
項目コードは17桁で照合します。17桁でない項目コードがあれば、その行番号を示して何も書きません。
終了コード: 0 完了 / 2 入力を処理できない"
)]
pub struct Cli {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub output: OutputArgs,

    /// 補助対象項目 (項目コード, 項目名, 補助区分, 補助単価)
    #[arg(long, value_name = "FILE")]
    pub items: PathBuf,

    /// 年度 (省略時はすべての受診日。年度ごとに重複を判定)
    #[arg(long, value_name = "YEAR")]
    pub fy: Option<String>,

    /// 保険者 × 項目の集計の出力先
    #[arg(long, value_name = "FILE")]
    pub summary: Option<PathBuf>,

    /// 集計の出力形式: csv、または xlsx (Excel。件数・単価・金額は数値)
    #[arg(long, value_enum, default_value = "csv", requires = "summary")]
    pub summary_format: ListFormat,

    #[command(flatten)]
    pub run: RunArgs,
}

pub fn run(cli: &Cli) -> Result<u8> {
    let console = Console { tool: TOOL, quiet: cli.run.quiet };
    check_outputs(&[cli.output.output.as_deref(), cli.summary.as_deref(), cli.run.summary_json.as_deref()])?;
    let summary_xlsx = cli.summary_format.xlsx_path(cli.summary.as_deref(), "--summary-format xlsx", "--summary")?;
    let requested = cli.input.input_encoding()?;
    let fy_only = cli.fy.as_ref().map(|s| parse_fy(s)).transpose()?;

    let items = items::read(&cli.items, requested)?;
    let mut input =
        CsvInput::open(cli.input.input.as_deref(), requested, &RESULT_ITEMS_FULL, cli.input.layout_file()?.as_ref())?;
    let found = results::read(&mut input, &items)?;
    let input_name = input.name().to_string();
    let in_enc = input.encoding();
    drop(input);

    let lists = list::build(found.rows, &items, fy_only);
    let spec = cli.output.spec(in_enc)?;
    let mut tally = Tally::new(TOOL, "list", in_enc, spec.encoding);
    tally.rows_in = found.rows_in;
    tally.rows_out = lists.list.len() as u64;
    tally.findings = lists.repeats;
    tally.replaced = list::write(&lists, &spec, summary_xlsx.as_deref(), cli.summary.as_deref(), &input_name)?;
    tally.set("counted", lists.counted).set("amount_yen", lists.total.max(0) as u64);
    let line = format!(
        "補助対象 {} 行 = 集計 {} 件 + 同一年度の重複 {} 件; 保険者 × 項目 {} 組, 補助額 {} 円",
        thousands(lists.list.len() as u64),
        thousands(lists.counted),
        thousands(lists.repeats),
        lists.summary.len(),
        thousands(lists.total.max(0) as u64)
    );
    tally.finish(&console, line, cli.run.summary_json.as_deref(), 0)
}
