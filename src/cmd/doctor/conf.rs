//! kk.conf as the workflow scripts read it (scripts/lib.sh `load_config`): `KEY=VALUE` lines,
//! `#` comments, values trimmed and unquoted, no shell run; the environment wins over the file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The settings a kk.conf may hold: scripts/lib.sh's KK_SETTINGS (a test keeps the two lists
/// the same).
pub const SETTINGS: &[&str] = &[
    "KK_WORK",
    "KK_BIN",
    "KK_FINANCE_CONFIG",
    "KK_INVOICES",
    "KK_AS_OF",
    "KK_FY",
    "KK_BACKUP",
    "KK_BACKUP_DIR",
    "KK_BACKUP_RECIPIENT",
    "KK_BACKUP_PASSPHRASE_FILE",
    "KK_BACKUP_IDENTITY",
    "KK_BACKUP_KEEP",
    "KK_ANON_KEY",
    "KK_REPORT_RECIPIENT",
    "KK_REPORT_PASSPHRASE_FILE",
    "KK_FONT",
    "KK_ENCODING",
    "KK_DOCTOR_MIN_FREE_MB",
];

/// The settings in force: the file's, overridden by the environment.
#[derive(Debug, Default)]
pub struct Settings {
    values: BTreeMap<&'static str, String>,
    /// the file read, if any
    pub file: Option<PathBuf>,
}

impl Settings {
    /// Reads `file` (if given), then lets the environment override it.
    pub fn load(file: Option<&Path>) -> Result<Settings> {
        let mut values = BTreeMap::new();
        if let Some(path) = file {
            let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
            for (n, line) in text.lines().enumerate() {
                let line = line.trim_end_matches('\r');
                if line.is_empty() || line.starts_with('#') {
                    continue;
                }
                let bad = |detail: String| Error::Usage { option: "--config", detail };
                let Some((key, value)) = line.split_once('=') else {
                    return Err(bad(format!("{}:{}行目: KEY=VALUE の形ではありません", path.display(), n + 1)));
                };
                let key: String = key.chars().filter(|c| !c.is_whitespace()).collect();
                let Some(&known) = SETTINGS.iter().find(|s| **s == key) else {
                    return Err(bad(format!("{}:{}行目: 知らない設定 {key} です", path.display(), n + 1)));
                };
                let value = value.trim();
                let value = value.strip_prefix('"').unwrap_or(value);
                let value = value.strip_suffix('"').unwrap_or(value);
                values.insert(known, value.to_string());
            }
        }
        for key in SETTINGS {
            if let Ok(v) = std::env::var(key) {
                values.insert(key, v);
            }
        }
        Ok(Settings { values, file: file.map(Path::to_path_buf) })
    }

    /// A setting that is set and not empty.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(String::as_str).filter(|v| !v.is_empty())
    }

    pub fn path(&self, key: &str) -> Option<PathBuf> {
        self.get(key).map(PathBuf::from)
    }
}
