//! kk-xml — the national V08 XML standard (特定健診・特定保健指導): archives in and out
//! (SPEC §3 kk-xml, notes/MHLW-XML.md). `read` turns 特定健診情報ファイル (hc08) into the canonical
//! results CSV every kk tool reads, with the checks the schemas do not make.

mod check;
mod findings;
mod hc08;
mod hg08;
mod master;
mod read;
mod sources;
mod xsd;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use super::shared::{OutputArgs, RunArgs};
use crate::error::Result;

pub use findings::XCheck;

pub const TOOL: &str = "kk-xml";

/// 特定健診・特定保健指導の電子的な標準様式 (V08 XML) を読み書きする
#[derive(Debug, Parser)]
#[command(name = TOOL, version)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// V08 アーカイブ (zip)・展開したフォルダ・XML ファイルの健診結果を、健診結果 CSV (1行 = 1検査項目) にする
    #[command(after_help = "\
例:
  kk-xml read 5521111111_00280081_202405271_1.zip -o results.csv
  kk-xml read in/xml/*.zip --errors xml_errors.csv -o results.csv
  kk-xml read archive.zip --headers headers.csv -o results.csv
  kk-xml read archive.zip --guidance shidou.csv -o results.csv
  kk-xml read DATA/h0000000001.xml > results.csv

アーカイブは1エントリずつ読みます (全体をメモリに載せません)。ファイルの種類は名前でなく中身 (ルート要素と
報告区分) で見分け、特定健診情報ファイル (hc08) の結果を書き出します。値は XML のまま (PQ は value と単位、
CD/CO はコード、ST は文字列)、実施なし (negationInd) と値なし (nullFlavor) は結果値が空、グループの親は出さず
子を出し、医師の氏名 (9N511 の author) は 9N516 の行になります。項目名は2024年度の項目マスタから。
--errors には、スキーマが検査しない点 (検証番号、受診券整理番号の桁、日付、値の型、マスタにない項目、
以上/以下の修飾) をファイル・行・項目つきで載せます。整形式でない XML、違うルート要素、必須要素の欠落、
UTF-8 として読めないバイト、壊れた zip は、ファイル名と行を示して終了コード 2 (何も書きません)。
終了コード: 0 完了 / 1 --strict で指摘あり / 2 入力を処理できない")]
    Read(ReadArgs),
    /// V08 アーカイブを送る前・受け取ったときに検査する (構成・件数・合計・対応・重複・危険な項目名と、read --errors の検査)
    #[command(after_help = "\
例:
  kk-xml check 5521111111_00280081_202405271_1.zip
  kk-xml check in/xml/*.zip -o xml_check.csv --strict
  kk-xml check --schema 5521111111_00280081_202405271_1.zip -o xml_check.csv

指摘は ファイル, 行番号, 項目コード, エラーコード, 区分, エラー内容, 値 の CSV (既定は標準出力、docs/errors.md の X1xx・X2xx)。
区分が 整合性 の指摘 (ix08 の totalRecordCount とファイル数の不一致、su08 の合計と請求の合計の不一致、
アーカイブの外を指す項目名) があれば終了コード 3。項目名が .. や絶対パスの項目は読まずに指摘します。
--schema を付けると各ファイルを同梱の公式スキーマで検証し、合わない点を X210 として載せます (xmllint を使います。
古い名前空間 tokuteikenshin.jp の請求ファイルは厚生労働省の URL に読み替えて検証します)。
終了コード: 0 完了 / 1 --strict で指摘あり / 2 アーカイブを読めない / 3 整合性の指摘あり")]
    Check(CheckArgs),
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// V08 アーカイブ (zip) または展開したフォルダ (ルートフォルダそのもの)
    #[arg(required = true, value_name = "ARCHIVE|FOLDER")]
    pub archives: Vec<PathBuf>,

    /// 各ファイルを公式のスキーマ (XSD、kk に同梱) で検証する (xmllint が必要: apt-get install libxml2-utils)
    #[arg(long)]
    pub schema: bool,

    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, clap::Args)]
pub struct ReadArgs {
    /// V08 アーカイブ (zip)、展開したフォルダ、または XML ファイル (いくつでも)
    #[arg(required = true, value_name = "ARCHIVE|FOLDER|FILE")]
    pub inputs: Vec<PathBuf>,

    /// 健診ごとの見出し情報 (氏名カナ・住所・受診券有効期限・機関・報告区分など、結果 CSV に入らないもの) の出力先
    #[arg(long, value_name = "FILE")]
    pub headers: Option<PathBuf>,

    /// 特定保健指導情報ファイル (hg08) の出力先 (1行 = 1項目: 利用券整理番号, 受診券整理番号, 被保険者キー, 性別,
    /// 生年月日, 保健指導機関番号, 実施日, 報告区分, 項目コード, 項目名, 結果値, 単位)
    #[arg(long, value_name = "FILE")]
    pub guidance: Option<PathBuf>,

    /// スキーマが検査しない点の一覧 (ファイル, 行番号, 項目コード, コード, 区分, 内容, 値)
    #[arg(long, value_name = "FILE")]
    pub errors: Option<PathBuf>,

    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub run: RunArgs,
}

pub fn run(cli: &Cli) -> Result<u8> {
    match &cli.command {
        Command::Read(a) => read::read(a),
        Command::Check(a) => check::check(a),
    }
}
