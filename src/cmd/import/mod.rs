//! kk-import — 被保険者マスタ管理 (SPEC §3 kk-import).
//!
//! `master` validates and normalizes an insured file, or applies an insured-diff to `--base`,
//! and writes the master (input order; sorted by person key with `--base`), the 連携エラーリスト
//! and the 重複リスト.
//! `tax` keeps the latest 世帯課税状況 per household and fiscal year.
//!
//! Every row read is either written or rejected (listed with its reason); the counts are
//! checked before anything is committed (E900, exit 3, if they ever disagree).

mod check;
mod diff;
mod lists;
mod master;
mod read;
mod tax;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use super::shared::{InputArgs, OutputArgs, RunArgs};
use crate::error::Result;

pub const TOOL: &str = "kk-import";

const EXAMPLES: &str = "\
例:
  # 全件ファイルを検証・正規化し、エラーリストと重複リストも出す
  kk-import master -i hihokensha.csv -o master.csv --errors errors.csv --duplicates dups.csv

  # 現在のマスタに今月の異動データを反映する (同じファイルへの上書きも安全)
  kk-import master --base master.csv < idou_202604.csv > master_new.csv

  # 世帯課税状況を登録更新する
  kk-import tax --master master.csv < kazei.csv > household.csv

終了コード: 0 完了 / 1 --strict で却下行・重複あり / 2 入力を処理できない / 3 整合性チェック失敗";

/// 被保険者マスタの取込・検証と世帯課税状況の登録更新
#[derive(Debug, Parser)]
#[command(name = TOOL, version, after_help = EXAMPLES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// 被保険者ファイルを検証・正規化してマスタを書く (--base で異動データを反映)
    #[command(after_help = "\
例:
  kk-import master < hihokensha.csv > master.csv
  kk-import master --base master.csv --errors errors.csv --duplicates dups.csv < idou.csv > new.csv
  kk-import master --as-of 2026-04-01 --strict --summary-json s.json -i full.csv -o master.csv

同じキー(保険者番号+記号+番号+枝番)が入力に2回以上ある行は、全行を出力せずエラー(E201)と
重複種別1に載せます。重複種別2(同一保険者内の同一人物)・3(保険者間の資格重複)は警告で、行は出力します。
終了コード: 0 完了 / 1 --strict で却下行・重複あり / 2 入力を処理できない / 3 整合性チェック失敗")]
    Master(MasterArgs),

    /// 世帯課税状況を登録更新する (保険者番号・世帯番号・年度ごとに更新日が最新の行を残す)
    #[command(after_help = "\
例:
  kk-import tax --master master.csv < kazei.csv > household.csv
  kk-import tax --master master.csv --errors tax_errors.csv -i kazei.csv -o household.csv

終了コード: 0 完了 / 1 --strict で却下行あり / 2 入力を処理できない / 3 整合性チェック失敗")]
    Tax(TaxArgs),
}

#[derive(Debug, clap::Args)]
pub struct MasterArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub output: OutputArgs,

    /// 現在のマスタ。指定すると入力を異動データ(異動区分 1 新規/2 変更/3 喪失、異動日)として反映する
    #[arg(long, value_name = "CURRENT.csv")]
    pub base: Option<PathBuf>,

    /// 連携エラーリストの出力先
    #[arg(long, value_name = "FILE")]
    pub errors: Option<PathBuf>,

    /// 重複リストの出力先
    #[arg(long, value_name = "FILE")]
    pub duplicates: Option<PathBuf>,

    /// 基準日。生年月日がこれより後ならエラー、重複種別2・3はこの日に資格のある者どうしで判定
    /// (省略時は資格期間が重なる者どうし)
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,

    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, clap::Args)]
pub struct TaxArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub output: OutputArgs,

    /// 被保険者マスタ (世帯番号の存在確認に使う)
    #[arg(long, value_name = "MASTER.csv")]
    pub master: PathBuf,

    /// 連携エラーリストの出力先
    #[arg(long, value_name = "FILE")]
    pub errors: Option<PathBuf>,

    #[command(flatten)]
    pub run: RunArgs,
}

pub fn run(cli: &Cli) -> Result<u8> {
    match &cli.command {
        Command::Master(a) => master::master(a),
        Command::Tax(a) => tax::tax(a),
    }
}
