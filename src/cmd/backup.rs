//! kk-backup — バックアップ (SPEC §3 kk-backup): one age-sealed zip per run with a manifest,
//! verified without writing anything, restored without escaping the destination.
//!
//! The archive is a stream: files are read in 1 MiB pieces into the zip, the zip into age, age
//! into an atomic 0600 file. Reading it back uses age's seekable decryption, so verify and
//! restore never write a plain copy of the archive either.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use clap::{Parser, Subcommand};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::io::archive::{Seal, SealedZip, Unseal, ZipOut, hex, open_sealed};
use crate::io::{RowStore, Sink};
use crate::report::{Console, thousands};

pub const TOOL: &str = "kk-backup";

/// The manifest's name inside the archive.
pub const MANIFEST: &str = "MANIFEST.csv";
/// MANIFEST.csv's header: path (with `/`), size in bytes, SHA-256, data rows of a CSV file.
pub const MANIFEST_HEADER: [&str; 4] = ["パス", "サイズ", "SHA-256", "件数"];

/// バックアップ: フォルダを age で暗号化した zip にまとめ、検証・復元する
#[derive(Debug, Parser)]
#[command(name = "kk-backup", version)]
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
出力は一時ファイルに書いてから置き換えます (権限 0600)。平文の zip はどこにも書きません。")]
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
ファイルは権限 0600 で、一時ファイルから置き換えて書きます。")]
    Restore(RestoreArgs),

    /// MANIFEST.csv を表示する
    #[command(after_help = "例:\n  kk-backup list backup/kk-20260430.zip.age --identity backup.key")]
    List(OpenArgs),

    /// age の鍵の組を作る: 秘密鍵を FILE (権限 600) に書き、公開鍵 (age1…) を標準出力に出す
    #[command(after_help = "\
例:
  kk-backup keygen -o backup.key > backup.pub

公開鍵は create の --recipient に渡します。秘密鍵は復元に必要です。バックアップとは別の場所に保管してください。
既にあるファイルには書きません。age-keygen で作った鍵も使えます。")]
    Keygen(KeygenArgs),

    /// 古い世代を削除する: 名前の日付 (YYYYMMDD, YYYY-MM-DD, YYYYMM) で新しい N 世代を残す
    #[command(after_help = "\
例:
  kk-backup prune backup --keep 12 --dry-run
  kk-backup prune backup --keep 12

対象は DIR 直下の名前に日付がある *.zip.age だけです。それ以外のファイルには触れません。
同じ日付のアーカイブは1つの世代です。")]
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
        Command::Create(a) => create(a, &console),
        Command::Verify(a) => verify_command(a, &console),
        Command::Restore(a) => restore(a, &console),
        Command::List(a) => list(a),
        Command::Prune(a) => prune(a, &console),
        Command::Keygen(a) => keygen(a),
    }
}

/// A file to back up.
struct Source {
    /// Path inside the archive, `/`-separated.
    name: String,
    path: PathBuf,
    modified: Option<SystemTime>,
}

/// Every regular file under `root` in name order. Links to files inside `root` are followed;
/// links leading outside, links to folders, special files and the archive being written (or a
/// temporary file beside it) are skipped and named in `skipped`. `archive` is canonical.
fn collect(root: &Path, archive: &Path, skipped: &mut Vec<String>) -> Result<Vec<Source>> {
    let root_real = root.canonicalize().map_err(|e| Error::io(root, e))?;
    let mut found = Vec::new();
    let mut stack = vec![(root.to_path_buf(), String::new())];
    while let Some((dir, prefix)) = stack.pop() {
        // resolved once a folder, not once a file
        let holds_archive =
            dir.canonicalize().map_err(|e| Error::io(&dir, e))?.as_path() == archive.parent().unwrap_or(archive);
        let mut entries: Vec<_> = std::fs::read_dir(&dir)
            .map_err(|e| Error::io(&dir, e))?
            .collect::<std::io::Result<Vec<_>>>()
            .map_err(|e| Error::io(&dir, e))?;
        entries.sort_by_key(|e| e.file_name());
        let mut subdirs = Vec::new();
        for entry in entries {
            let path = entry.path();
            let file_name = entry.file_name().to_string_lossy().into_owned();
            let name = format!("{prefix}{file_name}");
            if holds_archive && (archive.file_name() == Some(entry.file_name().as_os_str()) || is_temp_name(&file_name))
            {
                skipped.push(format!("{name} (作成中のアーカイブ)"));
                continue;
            }
            let meta = std::fs::symlink_metadata(&path).map_err(|e| Error::io(&path, e))?;
            if meta.is_symlink() {
                match path.canonicalize().ok() {
                    Some(t) if t == archive => skipped.push(format!("{name} (作成中のアーカイブ)")),
                    Some(t) if !t.starts_with(&root_real) => skipped.push(format!("{name} (フォルダの外を指すリンク)")),
                    Some(t) if t.is_file() => {
                        let modified = std::fs::metadata(&t).ok().and_then(|m| m.modified().ok());
                        found.push(Source { name, path, modified });
                    }
                    Some(_) => skipped.push(format!("{name} (ディレクトリへのリンク)")),
                    None => skipped.push(format!("{name} (リンク先がない)")),
                }
            } else if meta.is_dir() {
                subdirs.push((path, format!("{name}/")));
            } else if meta.is_file() {
                found.push(Source { name, path, modified: meta.modified().ok() });
            } else {
                skipped.push(format!("{name} (特殊ファイル)"));
            }
        }
        // depth first, in name order
        stack.extend(subdirs.into_iter().rev());
    }
    found.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(found)
}

/// The temporary files [`Sink`] writes before renaming.
fn is_temp_name(name: &str) -> bool {
    name.starts_with(".kk-") && name.ends_with(".tmp")
}

/// Counts the records of a CSV file as it streams past: line ends outside quotes that end a
/// line with content.
#[derive(Default)]
struct RecordCounter {
    in_quotes: bool,
    content: bool,
    records: u64,
}

impl RecordCounter {
    fn feed(&mut self, bytes: &[u8]) {
        for &b in bytes {
            match b {
                b'"' => {
                    self.in_quotes = !self.in_quotes;
                    self.content = true;
                }
                b'\n' if !self.in_quotes => {
                    self.records += u64::from(self.content);
                    self.content = false;
                }
                b'\r' => {}
                _ => self.content = true,
            }
        }
    }

    /// Records after the header.
    fn data_rows(&self) -> u64 {
        (self.records + u64::from(self.content)).saturating_sub(1)
    }
}

fn is_csv(name: &str) -> bool {
    name.rsplit('.').next().is_some_and(|e| e.eq_ignore_ascii_case("csv"))
}

/// One line of MANIFEST.csv.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Listed {
    size: u64,
    sha256: String,
    rows: Option<u64>,
}

/// Copies `from` into `to`, returning the size, SHA-256 and (for a CSV) data rows.
fn copy_measured(from: &mut dyn Read, to: &mut dyn Write, csv: bool, buf: &mut [u8]) -> std::io::Result<Listed> {
    let (mut sha, mut size, mut counter) = (Sha256::new(), 0u64, RecordCounter::default());
    loop {
        let n = match from.read(buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let piece = &buf[..n];
        to.write_all(piece)?;
        sha.update(piece);
        if csv {
            counter.feed(piece);
        }
        size += n as u64;
    }
    Ok(Listed { size, sha256: hex(&sha.finalize()), rows: csv.then(|| counter.data_rows()) })
}

fn create(a: &CreateArgs, console: &Console) -> Result<u8> {
    let seal = Seal::from_options(&a.recipient, a.passphrase_file.as_deref())?;
    if !a.source.is_dir() {
        return Err(Error::Usage {
            option: "SRC_DIR",
            detail: format!("{} はフォルダではありません", a.source.display()),
        });
    }
    let out_dir = match a.output.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let out_dir = out_dir.canonicalize().map_err(|e| Error::io(&out_dir, e))?;
    let archive = out_dir.join(a.output.file_name().unwrap_or_default());
    let mut skipped = Vec::new();
    let files = collect(&a.source, &archive, &mut skipped)?;
    for s in &skipped {
        console.info(format!("含めません: {s}"));
    }
    if files.iter().any(|f| f.name == MANIFEST) {
        return Err(Error::Usage {
            option: "SRC_DIR",
            detail: format!(
                "フォルダの直下に {MANIFEST} があります (アーカイブの目録と同じ名前です)。別の場所に移してください"
            ),
        });
    }
    let mut zip = ZipOut::create(&a.output, &seal)?;
    let mut manifest: Vec<(String, Listed)> = Vec::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0u64;
    for f in &files {
        zip.start_entry_at(&f.name, f.modified)?;
        let mut file = File::open(&f.path).map_err(|e| Error::io(&f.path, e))?;
        let listed =
            copy_measured(&mut file, &mut zip, is_csv(&f.name), &mut buf).map_err(|e| Error::io(&f.path, e))?;
        total += listed.size;
        manifest.push((f.name.clone(), listed));
    }
    let mut store = RowStore::new(false, 4096);
    for h in MANIFEST_HEADER {
        store.field(h.as_bytes());
    }
    store.end_row();
    for (name, l) in &manifest {
        store.field(name.as_bytes());
        store.field(l.size.to_string().as_bytes());
        store.field(l.sha256.as_bytes());
        store.field(l.rows.map(|r| r.to_string()).unwrap_or_default().as_bytes());
        store.end_row();
    }
    zip.start_entry(MANIFEST)?;
    for s in store.slices() {
        zip.write_all(s).map_err(|e| Error::io(&a.output, e))?;
    }
    zip.finish()?;
    console.info(format!(
        "{} ファイル ({} バイト) を {} にバックアップしました{}",
        thousands(files.len() as u64),
        thousands(total),
        a.output.display(),
        if skipped.is_empty() { String::new() } else { format!("、{} 件を除外", skipped.len()) }
    ));
    Ok(0)
}

/// What verify found.
#[derive(Default)]
struct Check {
    ok: u64,
    /// (code, message, name)
    problems: Vec<(&'static str, &'static str, String)>,
    /// The files that agree with the manifest, in archive order: (index in the zip, name).
    files: Vec<(usize, String)>,
    /// MANIFEST.csv as read, by name.
    manifest: BTreeMap<String, Listed>,
}

/// Why a name cannot be restored: absolute, `..`, `.` or empty parts, a backslash or a drive
/// letter (`C:`), a NUL.
fn unsafe_name(name: &str) -> bool {
    name.is_empty()
        || name.starts_with('/')
        || name.contains(['\\', ':', '\0'])
        || name.trim_end_matches('/').split('/').any(|part| matches!(part, "" | "." | ".."))
}

/// Reads MANIFEST.csv out of an open archive.
fn read_manifest(zip: &mut SealedZip, path: &Path) -> Result<BTreeMap<String, Listed>> {
    let damaged = |detail: String| Error::Damaged { path: path.to_path_buf(), detail };
    let mut bytes = Vec::new();
    zip.by_name(MANIFEST)
        .map_err(|_| damaged(format!("{MANIFEST} がありません")))?
        .read_to_end(&mut bytes)
        .map_err(|e| damaged(format!("{MANIFEST}: {e}")))?;
    let mut rdr = csv::ReaderBuilder::new().has_headers(true).from_reader(bytes.as_slice());
    let mut listed = BTreeMap::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| damaged(format!("{MANIFEST}: {e}")))?;
        let (Some(name), Some(size), Some(sha)) = (rec.get(0), rec.get(1).and_then(|s| s.parse().ok()), rec.get(2))
        else {
            return Err(damaged(format!("{MANIFEST} の行が読めません")));
        };
        let rows = rec.get(3).and_then(|r| r.parse().ok());
        listed.insert(name.to_string(), Listed { size, sha256: sha.to_string(), rows });
    }
    Ok(listed)
}

/// Decrypts and reads every entry, comparing it with the manifest (the zip reader checks each
/// entry's CRC as it reads). Nothing is written.
fn verify(zip: &mut SealedZip, path: &Path) -> Result<Check> {
    let mut check = Check { manifest: read_manifest(zip, path)?, ..Check::default() };
    let mut seen = std::collections::BTreeSet::new();
    let mut buf = vec![0u8; 1 << 20];
    for i in 0..zip.len() {
        let mut entry = match zip.by_index(i) {
            Ok(e) => e,
            Err(e) => {
                check.problems.push(("B104", "破損", format!("{i}番目の項目 ({e})")));
                continue;
            }
        };
        let name = entry.name().map(|n| n.into_owned()).unwrap_or_else(|_| format!("{i}番目の項目"));
        if name == MANIFEST {
            continue;
        }
        if entry.is_symlink() || unsafe_name(&name) {
            check.problems.push(("B105", "危険なパス", name));
            continue;
        }
        if entry.is_dir() {
            continue;
        }
        let measured = copy_measured(&mut entry, &mut std::io::sink(), is_csv(&name), &mut buf);
        seen.insert(name.clone());
        match (measured, check.manifest.get(&name)) {
            (Err(_), _) => check.problems.push(("B104", "破損", name)),
            (Ok(_), None) => check.problems.push(("B103", "余分", name)),
            (Ok(m), Some(l)) if m.size != l.size || m.sha256 != l.sha256 || m.rows != l.rows => {
                check.problems.push(("B101", "変更", name))
            }
            (Ok(_), Some(_)) => {
                check.ok += 1;
                check.files.push((i, name));
            }
        }
    }
    for name in check.manifest.keys().filter(|n| !seen.contains(*n)) {
        check.problems.push(("B102", "欠落", name.clone()));
    }
    Ok(check)
}

fn report(check: &Check, console: &Console) {
    for (code, what, name) in &check.problems {
        console.error(format!("{code} {what}: {name}"));
    }
}

fn verify_command(a: &OpenArgs, console: &Console) -> Result<u8> {
    let unseal = Unseal::from_options(a.identity.as_deref(), a.passphrase_file.as_deref())?;
    let mut zip = open_sealed(&a.archive, &unseal)?;
    let check = verify(&mut zip, &a.archive)?;
    report(&check, console);
    if check.problems.is_empty() {
        console.info(format!("{} ファイルすべて目録と一致しました", thousands(check.ok)));
        Ok(0)
    } else {
        console.error(format!(
            "一致 {} ファイル、問題 {} 件 (B101 変更 / B102 欠落 / B103 余分 / B104 破損 / B105 危険なパス)",
            thousands(check.ok),
            check.problems.len()
        ));
        Ok(3)
    }
}

fn restore(a: &RestoreArgs, console: &Console) -> Result<u8> {
    let unseal = Unseal::from_options(a.open.identity.as_deref(), a.open.passphrase_file.as_deref())?;
    let mut zip = open_sealed(&a.open.archive, &unseal)?;
    let check = verify(&mut zip, &a.open.archive)?;
    if !check.problems.is_empty() {
        report(&check, console);
        console.error("検証に失敗したため、何も復元しません");
        return Ok(3);
    }
    // where each file goes; no part of the way may be an existing link
    let mut targets = Vec::new();
    for (i, name) in &check.files {
        let target = a.dest.join(name);
        let mut at = a.dest.clone();
        for part in name.split('/') {
            at.push(part);
            if std::fs::symlink_metadata(&at).is_ok_and(|m| m.is_symlink()) {
                return Err(Error::Usage {
                    option: "DEST",
                    detail: format!("{} はシンボリックリンクです。リンクを通して書くことはしません", at.display()),
                });
            }
        }
        targets.push((*i, name.clone(), target));
    }
    let existing: Vec<&String> = targets.iter().filter(|(_, _, t)| t.exists()).map(|(_, n, _)| n).collect();
    if !a.force && !existing.is_empty() {
        return Err(Error::WouldOverwrite { count: existing.len(), first: existing[0].clone() });
    }
    let mut buf = vec![0u8; 1 << 20];
    for (i, name, target) in &targets {
        if let Some(dir) = target.parent() {
            create_private_dirs(dir)?;
        }
        let mut entry =
            zip.by_index(*i).map_err(|e| Error::Damaged { path: a.open.archive.clone(), detail: e.to_string() })?;
        let mut sink = Sink::create(Some(target))?;
        let measured = copy_measured(&mut entry, &mut sink, is_csv(name), &mut buf)
            .map_err(|e| Error::Damaged { path: a.open.archive.clone(), detail: format!("{name}: {e}") })?;
        // the archive was verified a moment ago; read again, it must still agree
        if check.manifest.get(name) != Some(&measured) {
            return Err(Error::Damaged {
                path: a.open.archive.clone(), detail: format!("{name} が目録と合いません")
            });
        }
        sink.commit()?;
    }
    console.info(format!("{} ファイルを {} に復元しました", thousands(targets.len() as u64), a.dest.display()));
    Ok(0)
}

/// Creates missing folders with mode 0700.
fn create_private_dirs(dir: &Path) -> Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|e| Error::io(dir, e))
}

fn list(a: &OpenArgs) -> Result<u8> {
    let unseal = Unseal::from_options(a.identity.as_deref(), a.passphrase_file.as_deref())?;
    let mut zip = open_sealed(&a.archive, &unseal)?;
    let mut bytes = Vec::new();
    zip.by_name(MANIFEST)
        .map_err(|_| Error::Damaged { path: a.archive.clone(), detail: format!("{MANIFEST} がありません") })?
        .read_to_end(&mut bytes)
        .map_err(|e| Error::Damaged { path: a.archive.clone(), detail: e.to_string() })?;
    let mut out = Sink::create(None)?;
    out.write_all(&bytes).map_err(|e| Error::io(crate::io::STDOUT_NAME, e))?;
    out.commit()?;
    Ok(0)
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

/// The date in an archive's name: the first run of digits that is a date as YYYYMMDD,
/// YYYY-MM-DD or YYYYMM (a month's archive sorts before the days of that month).
pub fn name_date(name: &str) -> Option<(u16, u8, u8)> {
    let b = name.as_bytes();
    let run_at = |i: usize| b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
    let num = |i: usize, n: usize| -> u16 { b[i..i + n].iter().fold(0, |acc, d| acc * 10 + u16::from(d - b'0')) };
    let date = |y: u16, m: u16, d: u16| {
        let real = (1990..=2200).contains(&y)
            && (1..=12).contains(&m)
            && (d == 0 || jiff::civil::Date::new(y as i16, m as i8, d as i8).is_ok());
        real.then_some((y, m as u8, d as u8))
    };
    let mut i = 0;
    while i < b.len() {
        let run = run_at(i);
        if run == 0 {
            i += 1;
            continue;
        }
        let found = match run {
            8 => date(num(i, 4), num(i + 4, 2), num(i + 6, 2)),
            6 => date(num(i, 4), num(i + 4, 2), 0),
            4 if b.get(i + 4) == Some(&b'-')
                && run_at(i + 5) == 2
                && b.get(i + 7) == Some(&b'-')
                && i + 8 < b.len()
                && run_at(i + 8) == 2 =>
            {
                date(num(i, 4), num(i + 5, 2), num(i + 8, 2))
            }
            _ => None,
        };
        if found.is_some() {
            return found;
        }
        i += run;
    }
    None
}

fn prune(a: &PruneArgs, console: &Console) -> Result<u8> {
    let mut by_date: BTreeMap<(u16, u8, u8), Vec<PathBuf>> = BTreeMap::new();
    for entry in std::fs::read_dir(&a.dir).map_err(|e| Error::io(&a.dir, e))? {
        let entry = entry.map_err(|e| Error::io(&a.dir, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let is_file = entry.file_type().is_ok_and(|t| t.is_file());
        if !is_file || !name.ends_with(".zip.age") {
            continue;
        }
        if let Some(date) = name_date(&name) {
            by_date.entry(date).or_default().push(entry.path());
        }
    }
    let generations = by_date.len();
    let old = generations.saturating_sub(a.keep as usize);
    let mut removed = 0usize;
    for (_, mut files) in by_date.into_iter().take(old) {
        files.sort();
        for f in files {
            if a.dry_run {
                console.error(format!("削除予定: {}", f.display()));
            } else {
                std::fs::remove_file(&f).map_err(|e| Error::io(&f, e))?;
                console.info(format!("削除しました: {}", f.display()));
            }
            removed += 1;
        }
    }
    console.info(format!(
        "{generations} 世代中 {} 世代を残し、{removed} ファイルを{}",
        generations.min(a.keep as usize),
        if a.dry_run { "削除予定です (--dry-run)" } else { "削除しました" }
    ));
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_archive_names() {
        assert_eq!(name_date("kk-20260430.zip.age"), Some((2026, 4, 30)));
        assert_eq!(name_date("kk-2026-04-30.zip.age"), Some((2026, 4, 30)));
        assert_eq!(name_date("kk-202604.zip.age"), Some((2026, 4, 0)));
        assert_eq!(name_date("kk-20260431.zip.age"), None, "no 31 April");
        assert_eq!(name_date("backup-v2-20260501-1230.zip.age"), Some((2026, 5, 1)));
        assert_eq!(name_date("kk-123456789.zip.age"), None, "a longer number is not a date");
        assert_eq!(name_date("notes.zip.age"), None);
    }

    #[test]
    fn unsafe_names() {
        for bad in ["/etc/passwd", "../x", "a/../../x", "a\\b", "C:/x", "a//b", "./a", "", "a/./b"] {
            assert!(unsafe_name(bad), "{bad}");
        }
        for ok in ["a.csv", "in/202604/請求.csv", "dir/"] {
            assert!(!unsafe_name(ok), "{ok}");
        }
    }

    proptest::proptest! {
        /// Any CSV the csv crate writes, with blank lines between records and cut anywhere,
        /// counts as many data rows as were written.
        #[test]
        fn record_count_matches_the_records_written(
            rows in proptest::collection::vec(proptest::collection::vec("[a-z\",\r\n 表]{0,6}", 1..4), 1..8),
            blanks in proptest::collection::vec(proptest::bool::ANY, 8),
            crlf in proptest::bool::ANY,
            cut in 0usize..400,
        ) {
            let mut text = Vec::new();
            for (i, row) in rows.iter().enumerate() {
                let mut w = csv::WriterBuilder::new()
                    .terminator(if crlf { csv::Terminator::CRLF } else { csv::Terminator::Any(b'\n') })
                    .from_writer(Vec::new());
                // a record of one empty field would read as a blank line: quote it
                if row.len() == 1 && row[0].is_empty() {
                    w.write_record(["\"\""]).unwrap();
                } else {
                    w.write_record(row).unwrap();
                }
                text.extend(w.into_inner().unwrap());
                if blanks[i] {
                    text.extend_from_slice(if crlf { b"\r\n" } else { b"\n" });
                }
            }
            let cut = cut.min(text.len());
            let mut c = RecordCounter::default();
            c.feed(&text[..cut]);
            c.feed(&text[cut..]);
            proptest::prop_assert_eq!(c.data_rows(), rows.len() as u64 - 1);
        }
    }

    #[test]
    fn csv_records_are_counted_across_pieces_and_quotes() {
        let text = b"h1,h2\r\n1,\"a\nb\"\r\n\r\n2,x";
        for split in 0..text.len() {
            let mut c = RecordCounter::default();
            c.feed(&text[..split]);
            c.feed(&text[split..]);
            assert_eq!(c.data_rows(), 2, "split at {split}");
        }
    }
}
