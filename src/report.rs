//! What a tool tells its operator: progress on stderr, messages without personal data, the
//! closing summary line and `--summary-json`.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::io::Sink;

/// Messages to stderr, prefixed with the tool name; `-q` keeps only errors.
#[derive(Debug, Clone, Copy)]
pub struct Console {
    pub tool: &'static str,
    pub quiet: bool,
}

impl Console {
    pub fn info(&self, msg: impl std::fmt::Display) {
        if !self.quiet {
            eprintln!("{}: {msg}", self.tool);
        }
    }
    pub fn error(&self, msg: impl std::fmt::Display) {
        eprintln!("{}: {msg}", self.tool);
    }
    /// Says how many characters `--replace-unmappable` replaced by 〓 (SPEC §1), if any.
    pub fn replaced(&self, count: u64) {
        if count > 0 {
            self.info(format!("Shift_JISで表せない {} 文字を「〓」に置き換えました", thousands(count)));
        }
    }
}

/// A row counter with rows/s, shown only on a terminal (or with `--progress`), never with `-q`.
pub struct Progress(Option<ProgressBar>);

impl Progress {
    const EVERY: u64 = 8192;

    pub fn new(console: &Console, forced: bool, label: &str) -> Progress {
        if console.quiet || !(forced || std::io::stderr().is_terminal()) {
            return Progress(None);
        }
        let pb = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(4));
        if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} {human_pos} 行 ({per_sec}) {elapsed}") {
            pb.set_style(style);
        }
        pb.set_message(format!("{}: {label}", console.tool));
        pb.enable_steady_tick(Duration::from_millis(250));
        Progress(Some(pb))
    }

    /// Call once per row with the running count.
    #[inline]
    pub fn tick(&self, rows: u64) {
        if rows.is_multiple_of(Self::EVERY)
            && let Some(pb) = &self.0
        {
            pb.set_position(rows);
        }
    }

    /// Sets the count directly (for rows delivered a batch at a time).
    pub fn tick_to(&self, rows: u64) {
        if let Some(pb) = &self.0 {
            pb.set_position(rows);
        }
    }

    pub fn finish(&self) {
        if let Some(pb) = &self.0 {
            pb.finish_and_clear();
        }
    }
}

/// The closing figures of one run, as written by `--summary-json` (keys sorted, so re-runs
/// give identical files).
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub tool: &'static str,
    pub command: &'static str,
    pub exit_code: u8,
    pub input_encoding: &'static str,
    pub output_encoding: &'static str,
    pub rows_in: u64,
    pub rows_out: u64,
    pub rows_rejected: u64,
    pub findings: u64,
    pub replaced_characters: u64,
    #[serde(flatten)]
    pub extra: BTreeMap<&'static str, u64>,
}

impl Summary {
    pub fn write_json(&self, path: &Path) -> Result<()> {
        let mut sink = Sink::create(Some(path))?;
        let json = serde_json::to_string_pretty(self).map_err(|e| Error::io(path, e.into()))?;
        sink.write_all(json.as_bytes()).and_then(|_| sink.write_all(b"\n")).map_err(|e| Error::io(path, e))?;
        sink.commit()
    }
}

/// `1234567` → `1,234,567`, for counts in messages.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn thousands_separators() {
        assert_eq!(super::thousands(0), "0");
        assert_eq!(super::thousands(999), "999");
        assert_eq!(super::thousands(1000), "1,000");
        assert_eq!(super::thousands(1234567), "1,234,567");
    }
}
