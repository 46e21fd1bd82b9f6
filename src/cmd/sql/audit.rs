//! The audit line every run appends: when, which statement (its SHA-256, and the saved query's
//! name), which files (name, path and SHA-256 of each; the `--db` database), how many rows went
//! out, the options that govern disclosure, and how the run ended. No value of any table is
//! written.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;

use sha2::{Digest, Sha256};

use crate::io::archive::{hex, sha256_of};

use super::load::TableSpec;
use crate::error::{Error, Result};

/// The SHA-256 of each file, computed on another thread while the tables load.
pub type Hashes = JoinHandle<Vec<Option<String>>>;

pub fn hash_files(paths: Vec<PathBuf>) -> Hashes {
    std::thread::spawn(move || paths.iter().map(|p| sha256_of(p).ok().map(|(_, hash)| hash)).collect())
}

/// What one run did.
pub struct Entry<'a> {
    pub sql: &'a str,
    pub query: Option<&'static str>,
    pub tables: &'a [TableSpec],
    /// the database of `--db`, whose tables earlier runs loaded
    pub db: Option<&'a Path>,
    pub hashes: Hashes,
    pub rows: u64,
    pub flags: String,
    /// `ok`, or the code the run ended with
    pub status: String,
}

/// `--audit`, else `KK_SQL_AUDIT`, else `log/kk-sql-audit.log` when there is a `log` folder
/// here (a work folder), else `kk-sql-audit.log` here.
fn audit_path(given: Option<&Path>) -> PathBuf {
    if let Some(p) = given {
        return p.to_path_buf();
    }
    if let Some(p) = std::env::var_os("KK_SQL_AUDIT").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    if Path::new("log").is_dir() { PathBuf::from("log/kk-sql-audit.log") } else { PathBuf::from("kk-sql-audit.log") }
}

/// Appends the entry as one tab-separated line (the file made 0600).
pub fn append(given: Option<&Path>, e: Entry<'_>) -> Result<()> {
    let Entry { sql, query, tables, db, hashes, rows, flags, status } = e;
    let hashes = hashes.join().unwrap_or_default();
    let path = audit_path(given);
    let files: Vec<String> = (tables.iter().enumerate())
        .map(|(i, t)| {
            let hash = hashes.get(i).cloned().flatten().unwrap_or_else(|| "-".into());
            format!("{}={}:sha256:{hash}", t.name, t.path.display())
        })
        .collect();
    let line = format!(
        "{}\tsql=sha256:{}\tquery={}\ttables={}\tdb={}\trows={rows}\tflags={flags}\tstatus={status}\n",
        jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ"),
        hex(&Sha256::digest(sql.as_bytes())),
        query.unwrap_or("-"),
        files.join(";"),
        db.map_or("-".into(), |p| p.display().to_string()),
    );
    let mut open = std::fs::OpenOptions::new();
    open.create(true).append(true);
    std::os::unix::fs::OpenOptionsExt::mode(&mut open, 0o600);
    let mut f = open.open(&path).map_err(|err| Error::io(&path, err))?;
    f.write_all(line.as_bytes()).map_err(|err| Error::io(&path, err))
}
