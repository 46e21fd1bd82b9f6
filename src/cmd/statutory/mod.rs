//! kk-statutory — 法定報告支援 (SPEC §3 kk-statutory). Every decision about who is in the
//! report comes from `domain::statutory::standing`, the one rule set (DOMAIN.md, with its [I]
//! caveats); this module only reads the files and writes the lists.

mod erasures;
mod exclusions;
mod guidance;
mod reconcile;
mod summary;
mod year;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use super::shared::{EncodingArg, ListFormat, OutputArgs, RunArgs};
use crate::error::Result;

pub use reconcile::Verdict;

pub const TOOL: &str = "kk-statutory";

/// 法定報告支援: 除外者情報・抹消者リスト・集計表・受領確認
#[derive(Debug, Parser)]
#[command(name = TOOL, version)]
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
年度末年齢が40〜74歳 (年度末にちょうど75歳になる人は74歳扱い) で、年度内に1日でも資格がある人が対象です。
終了コード: 0 完了 / 2 入力を処理できない / 3 整合性チェック失敗")]
    Exclusions(ExclusionsArgs),

    /// 抹消者リスト: 健診結果のうち法定報告に含めてはいけない記録 (人 × 受診券整理番号 × 受診日ごと)
    #[command(after_help = "\
例:
  kk-statutory erasures --fy 2025 --master master.csv --exclusions jogai.csv < results.csv > massho.csv
  kk-statutory erasures --fy 2025 --master master.csv -i results.csv -o massho.csv --kept houkoku.csv

抹消事由コード (先に当てはまるもの): S101 被保険者マスタにない / S102 受診日が年度外 / S103 年度内に資格がない /
S104 年度末年齢が40〜74歳の範囲外 / S105 年度途中加入 / S106 年度途中喪失 / S107 告示による除外。
--kept: 抹消しない結果行をそのまま (入力と同じ文字コードで) 書き出します。kk-anonymize に渡すデータです。
終了コード: 0 完了 / 1 --strict で抹消する記録あり / 2 入力を処理できない / 3 整合性チェック失敗")]
    Erasures(ErasuresArgs),

    /// 集計表: 保険者ごと・全体の 性別 × 年齢階級 の対象者数・受診者数・受診率と特定保健指導の対象者数 (--guidance で終了者数・実施率)
    #[command(after_help = "\
例:
  kk-statutory summary --fy 2025 --master master.csv --results results.csv --exclusions jogai.csv -o shukei.csv
  kk-statutory summary --fy 2025 --master master.csv --results results.csv --format xlsx -o shukei.xlsx
  kk-statutory summary --fy 2025 --master master.csv --results results.csv -o shukei.csv --xlsx shukei.xlsx
  kk-statutory summary --fy 2025 --master master.csv --results results.csv --guidance shidou.csv -o shukei.csv

対象者数 = 分母 (4月1日から3月31日まで継続して資格があり、年度末年齢40〜74歳、告示の除外なし)。
受診者数 = そのうち受診日が年度内の結果がある人。受診率 = 受診者数 ÷ 対象者数 (%、小数1桁、四捨五入)。
保険者番号「全体」は全保険者の合計、性別・年齢階級「計」は小計です。
終了コード: 0 完了 / 2 入力を処理できない / 3 整合性チェック失敗")]
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

    #[command(flatten)]
    pub encoding: EncodingArg,
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

    /// 特定保健指導の実施状況 (保険者番号, 記号, 番号, 枝番, 支援区分, 初回面接日, 実績評価日)。終了者数・実施率の列が加わる
    #[arg(long, value_name = "FILE")]
    pub guidance: Option<PathBuf>,

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

    #[command(flatten)]
    pub encoding: EncodingArg,

    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub run: RunArgs,
}

pub fn run(cli: &Cli) -> Result<u8> {
    match &cli.command {
        Command::Exclusions(a) => exclusions::exclusions(a),
        Command::Erasures(a) => erasures::erasures(a),
        Command::Summary(a) => summary::summary(a),
        Command::Reconcile(a) => reconcile::reconcile(a),
    }
}
