//! kk-xml — the national V08 XML standard (特定健診・特定保健指導): archives in and out
//! (SPEC §3 kk-xml, notes/MHLW-XML.md). `read` turns 特定健診情報ファイル (hc08) into the canonical
//! results CSV every kk tool reads, with the checks the schemas do not make.

mod check;
pub mod claims;
mod findings;
mod hc08;
mod hg08;
mod master;
mod read;
mod sources;
mod write;
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
  kk-xml read archive.zip --headers headers.csv --claims claims.csv -o results.csv
  kk-xml read archive.zip --guidance shidou.csv -o results.csv
  kk-xml read DATA/h0000000001.xml > results.csv

アーカイブは1エントリずつ読みます (全体をメモリに載せません)。ファイルの種類は名前でなく中身 (ルート要素と
報告区分) で見分け、特定健診情報ファイル (hc08) の結果を書き出します。値は XML のまま (PQ は value と単位、
CD/CO はコード、ST は文字列)、実施なし (negationInd) と値なし (nullFlavor) は結果値が空、グループの親は出さず
子を出し、医師の氏名 (9N511 の author) は 9N516 の行になります。項目名は2024年度の項目マスタから。
--errors には、スキーマが検査しない点 (検証番号、受診券整理番号の桁、日付、値の型、マスタにない項目、
以上/以下の修飾、マスタの桁に合わない値) をファイル・行・項目つきで載せます。
--claims には健診決済情報ファイル (cc08) を請求データの形 (kk-limitcheck がそのまま読む17列と cc08 の列) で
書きます (受診日は対になる DATA ファイルから)。整形式でない XML、違うルート要素、必須要素の欠落、UTF-8 として
読めないバイト、壊れた zip は、ファイル名と行を示して終了コード 2 (何も書きません)。
終了コード: 0 完了 / 1 --strict で指摘あり / 2 入力を処理できない")]
    Read(ReadArgs),
    /// V08 アーカイブを送る前・受け取ったときに検査する (構成・件数・合計・対応・重複・危険な項目名と、read --errors の検査)
    #[command(after_help = "\
例:
  kk-xml check 5521111111_00280081_202405271_1.zip
  kk-xml check in/xml/*.zip -o xml_check.csv --strict
  kk-xml check --schema 5521111111_00280081_202405271_1.zip -o xml_check.csv
  kk-xml check in/xml/*.zip --tickets numbers.csv -o xml_check.csv

指摘は ファイル, 行番号, 項目コード, エラーコード, 区分, エラー内容, 値 の CSV (既定は標準出力、docs/errors.md の X1xx・X2xx)。
区分が 整合性 の指摘 (ix08 の totalRecordCount とファイル数の不一致、su08 の合計と請求の合計の不一致、
アーカイブの外を指す項目名) があれば終了コード 3。項目名が .. や絶対パスの項目は読まずに指摘します。
--schema を付けると各ファイルを同梱の公式スキーマで検証し、合わない点を X210 として載せます (xmllint を使います。
古い名前空間 tokuteikenshin.jp の請求ファイルは厚生労働省の URL に読み替えて検証します)。
--tickets (kk-ticket の整理番号台帳) を付けると、健診の受診券整理番号が台帳にない (X211)・別の人 (X212)・別の年度 (X213)
を指摘します。
終了コード: 0 完了 / 1 --strict で指摘あり / 2 アーカイブを読めない / 3 整合性の指摘あり")]
    Check(CheckArgs),
    /// 健診結果 CSV (と見出し情報・請求データ) から、提出用の V08 アーカイブ (zip) を作る
    #[command(after_help = "\
例:
  kk-xml write --results results.csv --headers headers.csv --claims claims.csv \\
      --sender 1310000019 --receiver 00280081 --kind 1 --date 20260415 --out-dir out/
  kk-xml read in.zip --headers h.csv --claims c.csv -o r.csv && \\
      kk-xml write --results r.csv --headers h.csv --claims c.csv --sender 1310000019 \\
      --receiver 00280081 --kind 1 --date 20260415 --out-dir out/ --errors write_errors.csv

作るもの: DIR/<提出元10桁>_<提出先8桁>_<作成日><連番>_<実施区分>.zip。中身は ix08_V08.xml、su08_V08.xml (請求が
あるとき)、DATA/h….xml (健診1件に1ファイル)、CLAIMS/c….xml (その請求)、XSD/ (公式のスキーマ一式)。
要素の順はスキーマのとおり、特定健診の項目はセクション 01010、ほかは 01990、詳細な健診はグループの中
(COMP・RSON)、値の型・単位・コード体系・検査方法は項目マスタから。医師の氏名 (9N516) は 9N511 の author。
メタボ判定 (9N501)・保健指導レベル (9N506) がない健診は階層化の規則で求めて書き、警告 X302 を残します。
必須項目 (項目マスタの CASE01) が欠けた健診、保険者番号・機関番号の検証番号や日付・受診券整理番号が正しくない
健診、様式に合わない請求は書き出さず、--errors に理由を載せます (X1xx・X3xx)。同じ入力と --date からは
同じバイトの zip ができます。健診結果は同じ健診の行が続いている必要があります (read の出力はそうなっています)。
終了コード: 0 完了 / 1 書き出さなかった健診がある (--strict では警告でも) / 2 入力を処理できない")]
    Write(WriteArgs),
}

#[derive(Debug, clap::Args)]
pub struct WriteArgs {
    /// 健診結果 CSV (1行 = 1検査項目、同じ健診の行は続けて)
    #[arg(long, value_name = "FILE")]
    pub results: PathBuf,

    /// 見出し情報 CSV (read --headers の形: 氏名カナ・住所・受診券有効期限・機関・報告区分など)
    #[arg(long, value_name = "FILE")]
    pub headers: PathBuf,

    /// 請求データ CSV (read --claims の形。請求データの17列だけでもよい)
    #[arg(long, value_name = "FILE")]
    pub claims: Option<PathBuf>,

    /// 提出元の機関番号 (10桁)
    #[arg(long, value_name = "NO")]
    pub sender: String,

    /// 提出先の番号 (8桁: 代行機関番号または保険者番号)
    #[arg(long, value_name = "NO")]
    pub receiver: String,

    /// 実施区分 (1 特定健診。2 特定保健指導の書き出しはまだありません)
    #[arg(long, value_name = "1", default_value = "1")]
    pub kind: String,

    /// 作成日 (YYYYMMDD)。アーカイブの名前、ix08 の作成日、zip の各項目の日付になります
    #[arg(long, value_name = "YYYYMMDD")]
    pub date: String,

    /// 同じ日の送付の回数 (0〜9、最初は 0)
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub seq: u8,

    /// 種別コード (ix08 の interactionType: 1 代行機関へ, 6 機関から保険者へ)
    #[arg(long, value_name = "CODE", default_value_t = 1)]
    pub interaction: u8,

    /// アーカイブを置くフォルダ
    #[arg(long, value_name = "DIR")]
    pub out_dir: PathBuf,

    /// 指摘の一覧 (ファイル, 行番号, 項目コード, エラーコード, 区分, エラー内容, 値)
    #[arg(long, value_name = "FILE")]
    pub errors: Option<PathBuf>,

    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// V08 アーカイブ (zip) または展開したフォルダ (ルートフォルダそのもの)
    #[arg(required = true, value_name = "ARCHIVE|FOLDER")]
    pub archives: Vec<PathBuf>,

    /// 各ファイルを公式のスキーマ (XSD、kk に同梱) で検証する (xmllint が必要: apt-get install libxml2-utils)
    #[arg(long)]
    pub schema: bool,

    /// 整理番号台帳 (kk-ticket の --ledger): 健診の受診券整理番号が台帳にない・別の人・別の年度なら指摘する
    #[arg(long, value_name = "FILE")]
    pub tickets: Option<PathBuf>,

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

    /// 健診決済情報ファイル (cc08) の出力先: 請求データの17列 (kk-limitcheck が読む形) に、cc08 にあってその形にない
    /// 列 (実施区分, 請求区分, 窓口負担の種別と値, 詳細・追加の単価 …、docs/layouts.md) を続けたもの
    #[arg(long, value_name = "FILE")]
    pub claims: Option<PathBuf>,

    /// スキーマが検査しない点の一覧 (ファイル, 行番号, 項目コード, コード, 区分, 内容, 値)
    #[arg(long, value_name = "FILE")]
    pub errors: Option<PathBuf>,

    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub run: RunArgs,
}

/// The UCUM unit the 2024 item master gives a PQ item (`mm[Hg]`, `mg/dL` …), if any.
pub fn master_unit(code: &str) -> Option<&'static str> {
    master::master().get(code).map(|i| i.unit.as_str()).filter(|u| !u.is_empty())
}

/// `write` as a library call (kk-gen --xml): the archive and its findings, committed with the
/// caller's other outputs; the exit code `write` would give.
pub fn write_archive(a: &WriteArgs) -> Result<u8> {
    write::write(a)
}

pub fn run(cli: &Cli) -> Result<u8> {
    match &cli.command {
        Command::Read(a) => read::read(a),
        Command::Check(a) => check::check(a),
        Command::Write(a) => write::write(a),
    }
}
