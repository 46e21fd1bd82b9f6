//! The 定期点検's checks, each giving findings: tools, scripts, commands and the font, keys, the
//! work folder's disk, backups, the months' last runs and stray temporary files.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::Serialize;

use super::conf::Settings;
use crate::cmd::shared::runlog::{self, Outcome};
use crate::console::thousands;

crate::codes! {
    /// What the 定期点検 finds (a warning, exit 1, or a problem, exit 2).
    pub enum DCheck {
        /// A tool is missing or does not run.
        Tool = "D101", "ツールがない・動かない";
        /// The workflow scripts are not where the tools are.
        Script = "D102", "ワークフローのスクリプトがない";
        /// A command the scripts or a tool need is not installed.
        Command = "D103", "必要なコマンドがない";
        /// No font for the PDFs.
        Font = "D104", "PDF 用のフォントがない";
        /// A key file others may read or write.
        KeyMode = "D105", "鍵ファイルの権限が広い";
        /// A key that is missing or not a key.
        Key = "D106", "鍵がない・鍵として読めない";
        /// Less free space than the threshold.
        Disk = "D107", "空き容量が少ない";
        /// No backup, or the newest is old.
        BackupAge = "D108", "バックアップがない・古い";
        /// The newest backup does not verify.
        BackupVerify = "D109", "バックアップを検証できない";
        /// More generations than KK_BACKUP_KEEP.
        Prune = "D110", "保持数より多い世代";
        /// A month's last run stopped at a step.
        RunFailed = "D111", "前回の実行が途中の手順で止まった";
        /// A run that never ended (killed), its lock left behind.
        StaleLock = "D112", "終わっていない実行 (ロックが残っている)";
        /// A temporary file left in the work folder.
        TempFile = "D113", "一時ファイルが残っている";
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Warning,
    Problem,
}

/// One line of the checklist.
#[derive(Debug, Serialize)]
pub struct Finding {
    pub status: Status,
    pub code: Option<&'static str>,
    pub area: &'static str,
    pub item: String,
    pub detail: String,
}

/// The findings of a run, added to by each check.
#[derive(Default)]
pub struct Findings(pub Vec<Finding>);

impl Findings {
    fn ok(&mut self, area: &'static str, item: impl Into<String>, detail: impl Into<String>) {
        self.0.push(Finding { status: Status::Ok, code: None, area, item: item.into(), detail: detail.into() });
    }
    fn bad(&mut self, status: Status, check: DCheck, area: &'static str, item: impl Into<String>, detail: String) {
        self.0.push(Finding { status, code: Some(check.code()), area, item: item.into(), detail });
    }
}

/// What the checks look at.
pub struct Scope<'a> {
    pub settings: &'a Settings,
    pub bin: PathBuf,
    /// the quick check of the monthly run: no tool is run, no folder sized, no backup verified
    pub quick: bool,
    pub verify_backup: bool,
    pub now: SystemTime,
}

/// Every tool is in the tools' folder and answers `--version`.
pub fn tools(s: &Scope<'_>, f: &mut Findings) {
    for tool in crate::cmd::installed() {
        let path = s.bin.join(tool.name);
        let runnable = path.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0);
        if !runnable {
            let detail = format!("{} がありません (make install、または KK_BIN を設定してください)", path.display());
            f.bad(Status::Problem, DCheck::Tool, "ツール", tool.name, detail);
            continue;
        }
        if s.quick {
            f.ok("ツール", tool.name, path.display().to_string());
            continue;
        }
        match std::process::Command::new(&path).arg("--version").output() {
            Ok(o) if o.status.success() => {
                f.ok("ツール", tool.name, String::from_utf8_lossy(&o.stdout).trim().to_string());
            }
            _ => f.bad(Status::Problem, DCheck::Tool, "ツール", tool.name, format!("{} が動きません", path.display())),
        }
    }
}

/// The workflow scripts beside the tools: installed (PREFIX/share/kenshin-kit/scripts) or in
/// the source tree (target/release → scripts/).
pub fn scripts(s: &Scope<'_>, f: &mut Findings) {
    let candidates = [s.bin.join("../share/kenshin-kit/scripts"), s.bin.join("../../scripts")];
    for name in ["monthly.sh", "annual.sh", "lib.sh"] {
        match candidates.iter().map(|d| d.join(name)).find(|p| p.is_file()) {
            Some(p) => f.ok("スクリプト", name, p.display().to_string()),
            None => {
                let detail = format!("{} の隣に見つかりません (make install)", s.bin.display());
                f.bad(Status::Warning, DCheck::Script, "スクリプト", name, detail);
            }
        }
    }
}

/// Whether `program` is on PATH.
fn on_path(program: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(program).is_file()))
}

/// The commands the scripts and tools call, and the PDFs' font (KK_FONT when set).
pub fn commands(s: &Scope<'_>, f: &mut Findings) {
    // (command, Debian package, needed by, a problem when missing)
    let needed = [
        ("flock", "util-linux", "月次・年次スクリプトの排他", true),
        ("xmllint", "libxml2-utils", "kk-xml check --schema", false),
    ];
    for (program, package, by, required) in needed {
        if on_path(program) {
            f.ok("パッケージ", program, format!("{package} ({by})"));
        } else {
            let status = if required { Status::Problem } else { Status::Warning };
            let detail = format!("ありません: sudo apt-get install {package} ({by}に使います)");
            f.bad(status, DCheck::Command, "パッケージ", program, detail);
        }
    }
    match crate::io::pdf::find_font(s.settings.path("KK_FONT").as_deref()) {
        Ok(p) => f.ok("フォント", "請求書・受診券の PDF", p.display().to_string()),
        Err(e) => {
            // a problem when PDFs are asked for (a font named, or invoices on); else the
            // monthly run leaves the invoices out, and this is a warning
            let asked = s.settings.get("KK_FONT").is_some() || s.settings.get("KK_INVOICES") == Some("yes");
            let status = if asked { Status::Problem } else { Status::Warning };
            let detail = format!("{e} (sudo apt-get install fonts-ipaexfont-gothic、または KK_FONT を直す)");
            f.bad(status, DCheck::Font, "フォント", "請求書・受診券の PDF", detail);
        }
    }
}

/// Reads a key file as the tool that uses it does.
type KeyReader = fn(&Path) -> crate::error::Result<()>;

/// The key files (owner only, and readable as the key they are) and the public keys.
pub fn keys(s: &Scope<'_>, f: &mut Findings) {
    use crate::io::archive::{Seal, Unseal, loose_mode};
    let files: [(&str, KeyReader); 4] = [
        ("KK_BACKUP_IDENTITY", |p| Unseal::from_options(Some(p), None).map(drop)),
        ("KK_BACKUP_PASSPHRASE_FILE", |p| Seal::from_options(&[], Some(p)).map(drop)),
        ("KK_REPORT_PASSPHRASE_FILE", |p| Seal::from_options(&[], Some(p)).map(drop)),
        ("KK_ANON_KEY", |p| crate::cmd::anonymize::read_key(p).map(drop)),
    ];
    for (key, parse) in files {
        let Some(path) = s.settings.path(key) else { continue };
        match path.metadata() {
            Err(_) => {
                let detail = format!("{} がありません", path.display());
                f.bad(Status::Problem, DCheck::Key, "鍵", key, detail);
            }
            Ok(m) if let Some(mode) = loose_mode(&m) => {
                let detail = format!(
                    "{} は所有者以外も読み書きできる権限 ({mode:03o}) です: chmod 600 {}",
                    path.display(),
                    path.display()
                );
                f.bad(Status::Problem, DCheck::KeyMode, "鍵", key, detail);
            }
            Ok(_) => match parse(&path) {
                Ok(()) => f.ok("鍵", key, format!("{} (600、読めます)", path.display())),
                Err(e) => f.bad(Status::Problem, DCheck::Key, "鍵", key, e.to_string()),
            },
        }
    }
    for key in ["KK_BACKUP_RECIPIENT", "KK_REPORT_RECIPIENT"] {
        let Some(r) = s.settings.get(key) else { continue };
        match Seal::from_options(&[r.to_string()], None) {
            Ok(_) => f.ok("鍵", key, "age の公開鍵"),
            Err(e) => f.bad(Status::Problem, DCheck::Key, "鍵", key, e.to_string()),
        }
    }
}

/// Free space where the work folder is (KK_DOCTOR_MIN_FREE_MB, default 1,024), and each
/// month's size.
pub fn disk(s: &Scope<'_>, work: &Path, f: &mut Findings) {
    let min_mb: u64 = s.settings.get("KK_DOCTOR_MIN_FREE_MB").and_then(|v| v.parse().ok()).unwrap_or(1024);
    match free_bytes(work) {
        Some(free) if free / 1_000_000 < min_mb => {
            let detail = format!(
                "{} の空きは {} MB です (閾値 {} MB)",
                work.display(),
                thousands(free / 1_000_000),
                thousands(min_mb)
            );
            f.bad(Status::Warning, DCheck::Disk, "ディスク", "空き容量", detail);
        }
        Some(free) => {
            f.ok("ディスク", "空き容量", format!("{} MB (閾値 {} MB)", thousands(free / 1_000_000), thousands(min_mb)))
        }
        None => f.bad(
            Status::Warning,
            DCheck::Disk,
            "ディスク",
            "空き容量",
            format!("{} の空きを調べられません", work.display()),
        ),
    }
    if s.quick {
        return;
    }
    for (name, dir) in periods(work) {
        f.ok("ディスク", name, format!("{} MB", thousands(size_of(&dir) / 1_000_000)));
    }
}

fn free_bytes(path: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    // SAFETY: `c` is a NUL-terminated path; `st` is written by statvfs before it is read.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    (unsafe { libc::statvfs(c.as_ptr(), &raw mut st) } == 0).then(|| st.f_bavail as u64 * st.f_frsize as u64)
}

fn size_of(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    entries
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => size_of(&e.path()),
            Ok(t) if t.is_file() => e.metadata().map_or(0, |m| m.len()),
            _ => 0,
        })
        .sum()
}

/// The work folder's months (YYYYMM) and fiscal years (annual/YYYY), by name.
pub fn periods(work: &Path) -> Vec<(String, PathBuf)> {
    let named = |dir: &Path, digits: usize| -> Vec<(String, PathBuf)> {
        let mut v: Vec<(String, PathBuf)> = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.path().is_dir())
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                (name.len() == digits && name.bytes().all(|b| b.is_ascii_digit())).then(|| (name, e.path()))
            })
            .collect();
        v.sort();
        v
    };
    let mut all = named(work, 6);
    all.extend(named(&work.join("annual"), 4).into_iter().map(|(n, p)| (format!("{n}年度"), p)));
    all
}

/// The backups: the newest generation's age (and, asked for, its verification) and the
/// generations against KK_BACKUP_KEEP.
pub fn backups(s: &Scope<'_>, work: &Path, f: &mut Findings) {
    if s.settings.get("KK_BACKUP") == Some("off") {
        f.ok("バックアップ", "KK_BACKUP", "off (バックアップしない設定)");
        return;
    }
    let dir = s.settings.path("KK_BACKUP_DIR").unwrap_or_else(|| work.join("backup"));
    // generations as kk-backup prune counts them: the archives by the date in their names
    let generations = crate::cmd::backup::generations(&dir).unwrap_or_default();
    let newest = generations
        .values()
        .next_back()
        .and_then(|files| files.iter().filter_map(|p| Some((p.metadata().ok()?.modified().ok()?, p.clone()))).max());
    let Some((when, newest)) = newest else {
        let detail = format!("{} にバックアップがありません", dir.display());
        f.bad(Status::Warning, DCheck::BackupAge, "バックアップ", "最新の世代", detail);
        return;
    };
    let days = s.now.duration_since(when).map_or(0, |d| d.as_secs() / 86_400);
    let name = newest.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    if days > 35 {
        let detail = format!("{name} は {days} 日前のものです (月次処理のたびに作られます)");
        f.bad(Status::Warning, DCheck::BackupAge, "バックアップ", "最新の世代", detail);
    } else {
        f.ok("バックアップ", "最新の世代", format!("{name} ({days} 日前)"));
    }
    if s.verify_backup && !s.quick {
        verify(s, &newest, f);
    }
    match s.settings.get("KK_BACKUP_KEEP").and_then(|k| k.parse::<usize>().ok()) {
        Some(keep) if generations.len() > keep => {
            let detail = format!(
                "{} 世代あります (KK_BACKUP_KEEP={keep}): 月次処理の prune が動いていません",
                generations.len()
            );
            f.bad(Status::Warning, DCheck::Prune, "バックアップ", "世代数", detail);
        }
        Some(keep) => f.ok("バックアップ", "世代数", format!("{} 世代 (保持 {keep})", generations.len())),
        None => f.ok("バックアップ", "世代数", format!("{} 世代 (KK_BACKUP_KEEP なし: 削除しない)", generations.len())),
    }
}

/// `kk-backup verify` of the newest generation, with the configured key.
fn verify(s: &Scope<'_>, archive: &Path, f: &mut Findings) {
    let mut cmd = std::process::Command::new(s.bin.join("kk-backup"));
    cmd.arg("verify").arg(archive).arg("-q");
    if let Some(id) = s.settings.path("KK_BACKUP_IDENTITY") {
        cmd.arg("--identity").arg(id);
    } else if let Some(pass) = s.settings.path("KK_BACKUP_PASSPHRASE_FILE") {
        cmd.arg("--passphrase-file").arg(pass);
    }
    match cmd.output() {
        Ok(o) if o.status.success() => {
            f.ok("バックアップ", "検証", format!("{} は MANIFEST どおりです", archive.display()))
        }
        Ok(o) => {
            let said = String::from_utf8_lossy(&o.stderr);
            let last = said.lines().rfind(|l| !l.trim().is_empty()).unwrap_or("").to_string();
            let detail = format!(
                "{}: kk-backup verify が終了コード {}: {last}",
                archive.display(),
                o.status.code().unwrap_or(-1)
            );
            f.bad(Status::Problem, DCheck::BackupVerify, "バックアップ", "検証", detail);
        }
        Err(e) => f.bad(
            Status::Problem,
            DCheck::BackupVerify,
            "バックアップ",
            "検証",
            format!("kk-backup を実行できません ({e})"),
        ),
    }
}

/// Each month's (and year's) last run, from its log: ended, stopped at a step, or never ended
/// with its lock free (killed: the lock of a running run is held).
pub fn runs(work: &Path, f: &mut Findings) {
    for (name, dir) in periods(work) {
        let log_dir = dir.join("log");
        let script = if name.ends_with("年度") { "annual" } else { "monthly" };
        let Ok(log) = std::fs::read_to_string(log_dir.join(format!("{script}.log"))) else { continue };
        let Some(last) = runlog::runs(&log).pop() else { continue };
        let item = format!("{name} の前回の実行");
        match last.outcome {
            Outcome::Ended => f.ok("実行記録", item, "正常終了"),
            Outcome::Stopped(what) => {
                let detail = format!("{what}。原因を直して実行し直してください (記録 {})", log_dir.display());
                f.bad(Status::Warning, DCheck::RunFailed, "実行記録", item, detail);
            }
            Outcome::Open if lock_is_held(&log_dir.join(".lock")) => f.ok("実行記録", item, "実行中"),
            Outcome::Open => {
                let detail = format!(
                    "始まったまま終わっていません (pid {}、強制終了?)。ロック {} が残っています: 出力を確かめて実行し直してください",
                    last.pid,
                    log_dir.join(".lock").display()
                );
                f.bad(Status::Warning, DCheck::StaleLock, "実行記録", item, detail);
            }
        }
    }
}

/// Whether another process holds the flock the scripts take on `path`.
fn lock_is_held(path: &Path) -> bool {
    use std::os::fd::AsRawFd;
    let Ok(file) = std::fs::File::open(path) else { return false };
    // SAFETY: a valid descriptor; a lock taken here is released when `file` is closed.
    unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) != 0 }
}

/// `.kk-*.tmp` files under the work folder: a run killed where unnamed temporary files are not
/// available (they hold personal data, mode 0600).
pub fn temp_files(work: &Path, f: &mut Findings) {
    let mut found = Vec::new();
    find_temps(work, &mut found);
    found.sort();
    if found.is_empty() {
        f.ok("一時ファイル", "作業フォルダ", "残っていません");
    }
    for p in found {
        let detail = format!("{} (実行中の処理がなければ削除してください)", p.display());
        f.bad(Status::Warning, DCheck::TempFile, "一時ファイル", "作業フォルダ", detail);
    }
}

fn find_temps(dir: &Path, found: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        match e.file_type() {
            Ok(t) if t.is_dir() => find_temps(&e.path(), found),
            Ok(_) if name.starts_with(".kk-") && name.ends_with(".tmp") => found.push(e.path()),
            _ => {}
        }
    }
}
