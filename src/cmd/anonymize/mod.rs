//! kk-anonymize — データ匿名化・圧縮 (SPEC §3 kk-anonymize, DOMAIN.md "Anonymization").
//!
//! Every input column is known and has an action, or the run is refused before anything is
//! written: an identifier cannot leave by accident. The person is replaced by keyed IDs:
//! ID1 = HMAC-SHA256(key, 保険者番号 (8 digits) ␟ 記号 ␟ 番号 ␟ 枝番) and, when the file has
//! 氏名カナ, ID2 = HMAC-SHA256(key, 氏名カナ ␟ 生年月日 ␟ 性別), each field NFKC-normalized and
//! trimmed, 氏名カナ as full-width katakana without spaces, 生年月日 as YYYYMMDD, the digest as
//! 64 uppercase hex characters. Rows stream through the worker pipeline; memory stays bounded
//! whatever the file size.

mod ids;
mod pack;
mod rows;
pub mod rules;

use std::io::Write;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use super::shared::{EncodingArg, OutputArgs, RunArgs, check_outputs};
use crate::console::{Console, Progress, Tally, thousands};
use crate::error::{Error, Result};
use crate::io::archive::{Seal, hex, read_secret};
use crate::io::{CsvInput, Encoding, Sink};
use ids::Hasher;
use pack::pack;
use rows::anonymize_file;
use rules::ANY;

pub use pack::MANIFEST_HEADER;

pub const TOOL: &str = "kk-anonymize";

/// データ匿名化・圧縮: 被保険者を鍵付きハッシュの ID に置き換え、識別情報を削除する
#[derive(Debug, Parser)]
#[command(
    name = TOOL,
    version,
    args_conflicts_with_subcommands = true,
    after_help = "\
例:
  kk-anonymize keygen > anon.key && chmod 600 anon.key
  kk-anonymize --key anon.key < results.csv > anonymized.csv
  kk-anonymize --key anon.key --zip houkoku.zip --recipient age1... --manifest MANIFEST.csv results.csv jogaisha.csv
  kk-anonymize --key anon.key --zip houkoku.zip --passphrase-file pass.txt results.csv

出力の列: ID1、(氏名カナがあれば) ID2、残す列 (入力の順)。
既定の扱い: 保険者番号・性別・郵便番号・健診機関番号・受診日・項目コード・項目名・結果値・単位などは残す /
被保険者証記号・被保険者証番号・枝番・氏名カナは ID に使って削除 / 氏名・住所・世帯番号・受診券整理番号・
利用券整理番号は削除 / 生年月日は --birth (既定 ym = 生年月)。
規則にない列があると何も書かずに終了します (終了コード2)。--pass 列名 (残す) か --drop 列名 (削除) を指定してください。
列名は全角・半角、ひらがな・カタカナ、空白の違いをそろえて比べます (「氏　名」「ｼﾒｲ」も氏名の列。--pass できません)。
値は調べません: 残す列に氏名や番号が入っていても分かりません。--pass する列の中身は確かめてください。
鍵ファイルとパスフレーズファイルは権限 600 (所有者だけが読める) でなければ使えません。
--zip: 匿名化した各ファイルと MANIFEST.csv (ファイル名, 件数, SHA-256) を zip にまとめます。
--recipient か --passphrase-file を付けると age で暗号化して OUT.zip.age に書きます (平文の zip は作りません)。
終了コード: 0 完了 / 2 入力・鍵・列の誤り (出力なし)"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// 鍵ファイル (16バイト以上、権限 600)。keygen で作れます
    #[arg(long, value_name = "FILE")]
    pub key: Option<PathBuf>,

    /// 入力ファイル (省略または - で標準入力。--zip のときは FILES で指定)
    #[arg(short = 'i', long = "input", value_name = "FILE")]
    pub input: Option<PathBuf>,

    #[command(flatten)]
    pub encoding: EncodingArg,

    #[command(flatten)]
    pub output: OutputArgs,

    /// 生年月日の扱い: ym (生年月 YYYYMM)、year (生年 YYYY)、keep (そのまま)、drop (削除)
    #[arg(long, value_enum, default_value = "ym")]
    pub birth: BirthMode,

    /// 規則にない列を残す (複数回指定可)。識別情報の列には使えません
    #[arg(long = "pass", value_name = "COLUMN")]
    pub pass: Vec<String>,

    /// 列を削除する (複数回指定可)
    #[arg(long = "drop", value_name = "COLUMN")]
    pub drop: Vec<String>,

    /// 匿名化したファイルを MANIFEST.csv と一緒に zip にまとめる
    #[arg(long, value_name = "OUT.zip", requires = "files", conflicts_with_all = ["input", "output"])]
    pub zip: Option<PathBuf>,

    /// zip を age で暗号化する公開鍵 (age1…、複数可)
    #[arg(long, value_name = "AGE_PUBKEY", requires = "zip")]
    pub recipient: Vec<String>,

    /// zip を age のパスフレーズで暗号化する (パスフレーズを書いた権限 600 のファイル)
    #[arg(long, value_name = "FILE", requires = "zip", conflicts_with = "recipient")]
    pub passphrase_file: Option<PathBuf>,

    /// MANIFEST.csv の写しを zip の外にも書く (kk-statutory reconcile 用。個人情報は含みません)
    #[arg(long, value_name = "FILE", requires = "zip")]
    pub manifest: Option<PathBuf>,

    /// --zip に入れる入力ファイル
    #[arg(value_name = "FILES", requires = "zip")]
    pub files: Vec<PathBuf>,

    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// 新しい鍵 (32バイトの乱数を16進64文字) を標準出力に書く
    #[command(after_help = "例:\n  (umask 077; kk-anonymize keygen > anon.key)\n\n終了コード: 0 完了 / 2 書き出せない")]
    Keygen,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BirthMode {
    Ym,
    Year,
    Keep,
    Drop,
}

/// The key file: owner-only, at least 16 bytes (kk-doctor checks it the same way).
pub fn read_key(path: &std::path::Path) -> Result<Vec<u8>> {
    read_secret(path, "鍵ファイル", 16)
}

pub fn run(cli: &Cli) -> Result<u8> {
    let console = Console { tool: TOOL, quiet: cli.run.quiet };
    if let Some(Command::Keygen) = cli.command {
        return keygen();
    }
    let Some(key_path) = &cli.key else {
        return Err(Error::Usage {
            option: "--key",
            detail: "鍵ファイルを指定してください (作成は kk-anonymize keygen)".into(),
        });
    };
    let key = read_key(key_path)?;
    let hasher = Hasher::new(&key);
    let requested = cli.encoding.resolve()?;
    let progress = Progress::new(&console, cli.run.progress, "匿名化中");
    let Some(zip) = &cli.zip else {
        check_outputs(&[cli.output.output.as_deref(), cli.run.summary_json.as_deref()])?;
        let mut input = CsvInput::open(cli.input.as_deref(), requested, &ANY, None)?;
        progress.follow(&mut input, cli.input.as_deref());
        let mut sink = Sink::create(cli.output.output.as_deref())?;
        let name = sink.name();
        let w = anonymize_file(&mut input, cli, &hasher, &mut sink, &name, &progress, false)?;
        sink.commit()?;
        progress.finish();
        let line = format!("{} 行を匿名化しました ({})", thousands(w.rows), input.name());
        return tally("anonymize", w.in_enc, w.out_enc, w.rows, w.replaced).finish(
            &console,
            line,
            cli.run.summary_json.as_deref(),
            0,
        );
    };
    let seal = Seal::from_options(&cli.recipient, cli.passphrase_file.as_deref())?;
    let path = seal.file_name(zip);
    check_outputs(&[Some(&path), cli.manifest.as_deref(), cli.run.summary_json.as_deref()])?;
    let (rows, in_enc, out_enc, replaced) = pack(cli, &hasher, requested, &seal, &path, &progress, &console)?;
    progress.finish();
    let line = format!(
        "{} ファイル {} 行を匿名化して {} に書きました{}",
        cli.files.len(),
        thousands(rows),
        path.display(),
        if seal.is_sealed() { " (age で暗号化)" } else { "" }
    );
    tally("zip", in_enc, out_enc, rows, replaced).finish(&console, line, cli.run.summary_json.as_deref(), 0)
}

/// Rows in = rows out: a value that cannot be anonymized stops the run instead.
fn tally(command: &'static str, in_enc: Encoding, out_enc: Encoding, rows: u64, replaced: u64) -> Tally {
    let mut t = Tally::new(TOOL, command, in_enc, out_enc);
    (t.rows_in, t.rows_out, t.replaced) = (rows, rows, replaced);
    t
}

/// A new key: 32 random bytes as 64 hex characters on stdout.
fn keygen() -> Result<u8> {
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).map_err(|e| Error::io("<乱数>", std::io::Error::other(e.to_string())))?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", hex(&key)).map_err(|e| Error::io(crate::io::STDOUT_NAME, e))?;
    Ok(0)
}
