//! kk-backup — バックアップ (SPEC §3 kk-backup): one age-sealed zip per run with a manifest,
//! verified without writing anything, restored without escaping the destination.
//!
//! The archive is a stream: files are read in 1 MiB pieces into the zip, the zip into age, age
//! into an atomic 0600 file. Reading it back uses age's seekable decryption, so verify and
//! restore never write a plain copy of the archive either.

mod create;
mod manifest;
mod prune;
mod restore;
mod verify;

use std::io::Write;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::console::Console;
use crate::error::{Error, Result};
use crate::io::Sink;

pub use manifest::{MANIFEST, MANIFEST_HEADER};
pub use prune::{generations, name_date};
pub use verify::Finding;

pub const TOOL: &str = "kk-backup";

/// バックアップ: フォルダを age で暗号化した zip にまとめ、検証・復元する
#[derive(Debug, Parser)]
#[command(name = TOOL, version)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// エラー以外のメッセージを出さない
    #[arg(short = 'q', long, global = true)]
    pub quiet: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// フォルダ全体を MANIFEST.csv つきの zip にして age で暗号化する
    #[command(after_help = "\
例:
  kk-backup create --recipient age1... work/202604 -o backup/kk-20260430.zip.age
  kk-backup create --passphrase-file pass.txt work/202604 -o backup/kk-20260430.zip.age

MANIFEST.csv: パス, サイズ, SHA-256, 件数 (CSV ファイルの見出しを除くレコード数)。日時は日本時間。
アーカイブ自身、フォルダの外を指すシンボリックリンク、ディレクトリへのリンク、特殊ファイルは含めず、標準エラーに示します。
出力は一時ファイルに書いてから置き換えます (権限 0600)。平文の zip はどこにも書きません。
終了コード: 0 完了 / 2 鍵・フォルダ・出力先の誤り")]
    Create(CreateArgs),

    /// 復号して、全ファイルを MANIFEST.csv と zip の CRC に照らす (何も書き出さない)
    #[command(after_help = "\
例:
  kk-backup verify backup/kk-20260430.zip.age --identity backup.key

終了コード: 0 すべて一致 / 3 変更・欠落・余分・破損・危険なパスあり (名前を標準エラーに一覧) / 2 鍵が合わないなど")]
    Verify(OpenArgs),

    /// 検証してから DEST に展開する (DEST の外へは書かない。既存のファイルは --force がなければ上書きしない)
    #[command(after_help = "\
例:
  kk-backup restore backup/kk-20260430.zip.age restore/202604 --identity backup.key
  kk-backup restore backup/kk-20260430.zip.age work/202604 --identity backup.key --force

`..`、絶対パス、ドライブ名、シンボリックリンクの項目が1つでもあれば何も書きません (終了コード 3)。
ファイルは権限 0600 で、一時ファイルから置き換えて書きます。
終了コード: 0 完了 / 2 鍵が合わない・既存ファイルあり (--force なし) / 3 検証に失敗 (何も書かない)")]
    Restore(RestoreArgs),

    /// MANIFEST.csv を表示する
    #[command(
        after_help = "例:\n  kk-backup list backup/kk-20260430.zip.age --identity backup.key\n\n終了コード: 0 完了 / 2 鍵が合わない / 3 アーカイブが壊れている"
    )]
    List(OpenArgs),

    /// age の鍵の組を作る: 秘密鍵を FILE (権限 600) に書き、公開鍵 (age1…) を標準出力に出す
    #[command(after_help = "\
例:
  kk-backup keygen -o backup.key > backup.pub

公開鍵は create の --recipient に渡します。秘密鍵は復元に必要です。バックアップとは別の場所に保管してください。
既にあるファイルには書きません。age-keygen で作った鍵も使えます。
終了コード: 0 完了 / 2 既にファイルがある・書き出せない")]
    Keygen(KeygenArgs),

    /// 古い世代を削除する: 名前の日付 (YYYYMMDD, YYYY-MM-DD, YYYYMM) で新しい N 世代を残す
    #[command(after_help = "\
例:
  kk-backup prune backup --keep 12 --dry-run
  kk-backup prune backup --keep 12

対象は DIR 直下の名前に日付がある *.zip.age だけです。それ以外のファイルには触れません。
同じ日付のアーカイブは1つの世代です。
終了コード: 0 完了 / 2 フォルダを読めない・削除できない")]
    Prune(PruneArgs),
}

#[derive(Debug, clap::Args)]
pub struct CreateArgs {
    /// バックアップするフォルダ
    #[arg(value_name = "SRC_DIR")]
    pub source: PathBuf,

    /// 出力するアーカイブ (例 kk-20260430.zip.age)
    #[arg(short = 'o', long = "output", value_name = "ARCHIVE")]
    pub output: PathBuf,

    /// age の公開鍵 (age1…、複数可)
    #[arg(long, value_name = "AGE_PUBKEY", required_unless_present = "passphrase_file")]
    pub recipient: Vec<String>,

    /// パスフレーズを書いたファイル (権限 600)
    #[arg(long, value_name = "FILE", conflicts_with = "recipient")]
    pub passphrase_file: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct OpenArgs {
    /// アーカイブ
    #[arg(value_name = "ARCHIVE")]
    pub archive: PathBuf,

    /// age の秘密鍵ファイル (AGE-SECRET-KEY-1…、権限 600)
    #[arg(long, value_name = "KEYFILE", required_unless_present = "passphrase_file")]
    pub identity: Option<PathBuf>,

    /// パスフレーズを書いたファイル (権限 600)
    #[arg(long, value_name = "FILE", conflicts_with = "identity")]
    pub passphrase_file: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct RestoreArgs {
    #[command(flatten)]
    pub open: OpenArgs,

    /// 展開先のフォルダ
    #[arg(value_name = "DEST")]
    pub dest: PathBuf,

    /// 既存のファイルを上書きする
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, clap::Args)]
pub struct KeygenArgs {
    /// 秘密鍵を書くファイル (既にあれば書かない)
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct PruneArgs {
    /// アーカイブを置いたフォルダ
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,

    /// 残す世代数 (1以上)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub keep: u32,

    /// 削除するものを表示するだけで、削除しない
    #[arg(long)]
    pub dry_run: bool,
}

pub fn run(cli: &Cli) -> Result<u8> {
    let console = Console { tool: TOOL, quiet: cli.quiet };
    match &cli.command {
        Command::Create(a) => create::create(a, &console),
        Command::Verify(a) => verify::verify_command(a, &console),
        Command::Restore(a) => restore::restore(a, &console),
        Command::List(a) => verify::list(a),
        Command::Prune(a) => prune::prune(a, &console),
        Command::Keygen(a) => keygen(a),
    }
}

/// A new X25519 identity in a 0600 file (never over an existing one); the recipient on stdout.
fn keygen(a: &KeygenArgs) -> Result<u8> {
    use age::secrecy::ExposeSecret;
    if std::fs::symlink_metadata(&a.output).is_ok() {
        return Err(Error::Usage {
            option: "-o",
            detail: format!("{} は既にあります。上書きしません", a.output.display()),
        });
    }
    let id = age::x25519::Identity::generate();
    let public = id.to_public().to_string();
    let created = jiff::tz::offset(9).to_datetime(jiff::Timestamp::now()).strftime("%Y-%m-%dT%H:%M:%S+09:00");
    let text = format!("# created: {created}\n# public key: {public}\n{}\n", id.to_string().expose_secret());
    let mut sink = Sink::create(Some(&a.output))?;
    sink.write_all(text.as_bytes()).map_err(|e| Error::io(&a.output, e))?;
    sink.commit()?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{public}").map_err(|e| Error::io(crate::io::STDOUT_NAME, e))?;
    Ok(0)
}
