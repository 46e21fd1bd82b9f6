//! kk-unexamined — 健診未受診者 (SPEC §3 kk-unexamined).
//!
//! `list`: the persons who are 特定健診 targets of the fiscal year and have no checkup in it, for
//! the information-provision system's reminders. A target (実施基準 第1条, DOMAIN.md): qualified
//! on the as-of date (取得日 ≤ date < 喪失日), reaching 40–75 by legal age during the fiscal
//! year and under 75 on the as-of date (`domain::is_tokutei_target`), and not excluded by a 告示
//! period overlapping the fiscal year. The results are streamed and only the examined persons
//! kept; the master is streamed and only the listed rows kept, then sorted by person key.
//!
//! `check`: the 未受診者のマスタ等チェックリスト, one row per disagreement between the
//! information-provision system's view (info-status) and the master and registered results.

mod check;
mod list;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use super::shared::{EncodingArg, InputArgs, ListFormat, OutputArgs, RunArgs};
use crate::error::Result;

pub use check::UCheck;

pub const TOOL: &str = "kk-unexamined";

/// 健診未受診者リスト
#[derive(Debug, Parser)]
#[command(name = TOOL, version)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// 年度の特定健診の対象者で、年度内に受診していない人の一覧 (情報提供票等データ管理システム取込用)
    #[command(after_help = "\
例:
  kk-unexamined list --fy 2026 --as-of 2026-11-01 --master master.csv --results results.csv > unexamined.csv
  kk-unexamined list --fy 2026 --as-of R8.11.1 --master master.csv --results results.csv --exclusions jogai.csv -o unexamined.csv

対象者: 基準日に資格があり(資格取得日 ≤ 基準日 < 資格喪失日)、年度末年齢(法定の年齢計算)が40〜75歳で、
基準日に75歳の誕生日より前の人。年度と重なる除外事由の期間がある人は除きます。
年度内(4月1日〜3月31日)の受診日の結果が1件でもあれば受診済みです。出力は被保険者マスタの列 + 年度末年齢、
被保険者キーの順。
終了コード: 0 完了 / 2 入力を処理できない / 3 整合性チェック失敗")]
    List(ListArgs),

    /// 情報提供票等データ管理システムの出力を、マスタと健診結果に照らして食い違いを一覧にする
    #[command(after_help = "\
例:
  kk-unexamined check --master master.csv --results results.csv < info-status.csv > checklist.csv
  kk-unexamined check --master master.csv --results results.csv --fy 2026 --as-of 2026-11-01 -i info.csv -o check.csv
  kk-unexamined check --master master.csv --results results.csv -i info.csv --format xlsx -o check.xlsx

チェック(コードは docs/errors.md): U101 有資格と表示だがマスタでは資格なし / U102 喪失と表示だが資格あり /
U103 未登録と表示だが年度内の結果あり / U104 登録済と表示だが結果なし / U105 マスタにない人 /
U106 カナ氏名の違い / U107 生年月日の違い / U108 対象者なのに連携先にない。値の誤りは E コードの行。
基準日は --as-of、なければ入力の基準日列。年度は --fy、なければ基準日の年度。
終了コード: 0 完了 / 1 --strict で指摘・エラーあり / 2 入力を処理できない")]
    Check(CheckArgs),
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub input: InputArgs,

    /// 被保険者マスタ
    #[arg(long, value_name = "FILE")]
    pub master: PathBuf,

    /// 健診結果
    #[arg(long, value_name = "FILE")]
    pub results: PathBuf,

    /// 年度 (省略時は基準日の年度)
    #[arg(long, value_name = "YEAR")]
    pub fy: Option<String>,

    /// 基準日 (省略時は入力の基準日列)
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,

    /// 出力形式: csv、または xlsx (Excel。見出し固定・フィルター付き。-o が必要)
    #[arg(long, value_enum, default_value = "csv")]
    pub format: ListFormat,

    #[command(flatten)]
    pub output: OutputArgs,

    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// 年度 (西暦4桁、例 2026 = 2026年4月1日〜2027年3月31日)
    #[arg(long, value_name = "YEAR")]
    pub fy: String,

    /// 基準日 (この日に資格があり、75歳の誕生日より前の人が対象)
    #[arg(long, value_name = "DATE")]
    pub as_of: String,

    /// 被保険者マスタ
    #[arg(long, value_name = "FILE")]
    pub master: PathBuf,

    /// 健診結果
    #[arg(long, value_name = "FILE")]
    pub results: PathBuf,

    /// 除外事由 (告示の除外期間)
    #[arg(long, value_name = "FILE")]
    pub exclusions: Option<PathBuf>,

    #[command(flatten)]
    pub encoding: EncodingArg,

    #[command(flatten)]
    pub output: OutputArgs,

    #[command(flatten)]
    pub run: RunArgs,
}

pub fn run(cli: &Cli) -> Result<u8> {
    match &cli.command {
        Command::List(a) => list::list(a),
        Command::Check(a) => check::check(a),
    }
}
