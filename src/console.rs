//! What a tool tells its operator: progress on stderr, messages without personal data, the
//! closing summary line and `--summary-json`.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::io::{Encoding, Sink};

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

/// The running binary's name (`kk-import`), for messages from code that serves every tool.
pub fn program() -> String {
    let arg0 = std::env::args_os().next().unwrap_or_default();
    Path::new(&arg0).file_name().map_or_else(|| "kk".to_string(), |n| n.to_string_lossy().into_owned())
}

/// A notice on stderr, once per run however often it is asked for.
pub fn warn_once(msg: &str) {
    static SAID: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    let mut said = SAID.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if !said.iter().any(|m| m == msg) {
        eprintln!("{}: {msg}", program());
        said.push(msg.to_string());
    }
}

/// A row counter with rows/s, shown only on a terminal (or with `--progress`), never with `-q`;
/// following a file of known size ([`Progress::follow`]) it shows the percentage, the bytes read
/// and the time left.
pub struct Progress(Option<Bar>);

/// The bar and its label ("kk-import: 読込中"). Following a file it has a length: its position
/// is then bytes, and the rows go in the message.
struct Bar {
    bar: ProgressBar,
    label: String,
}

/// The rate as a whole number with thousands separators (`104,663/s`).
fn rounded_rate(state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write) {
    let _ = write!(w, "{}/s", thousands(state.per_sec() as u64));
}

impl Progress {
    const EVERY: u64 = 8192;

    pub fn new(console: &Console, forced: bool, label: &str) -> Progress {
        if console.quiet || !(forced || std::io::stderr().is_terminal()) {
            return Progress(None);
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(4));
        if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} {human_pos} 行 ({rate}) {elapsed}") {
            bar.set_style(style.with_key("rate", rounded_rate));
        }
        let label = format!("{}: {label}", console.tool);
        bar.set_message(label.clone());
        // drawn at once and then 4 times a second, whether rows come or not
        bar.enable_steady_tick(Duration::from_millis(250));
        bar.tick();
        Progress(Some(Bar { bar, label }))
    }

    /// Follows `input` (`path`: its file; stdin has no size): the bar shows the percentage read,
    /// bytes and time left; the rows go on in the message.
    pub fn follow(&self, input: &mut crate::io::CsvInput, path: Option<&Path>) {
        let Some(b) = &self.0 else { return };
        let size = crate::io::CsvInput::file_size(path) as u64;
        if size == 0 {
            return;
        }
        let template = "{spinner} {msg} {percent:>3}% {bytes}/{total_bytes} ({bytes_per_sec}) 残り {eta}";
        if let Ok(style) = ProgressStyle::with_template(template) {
            b.bar.set_style(style);
        }
        b.bar.set_length(size);
        input.report_bytes(b.bar.clone());
    }

    /// Call once per row with the running count.
    #[inline]
    pub fn tick(&self, rows: u64) {
        if rows.is_multiple_of(Self::EVERY) {
            self.tick_to(rows);
        }
    }

    /// Sets the count directly (for rows delivered a batch at a time).
    pub fn tick_to(&self, rows: u64) {
        if let Some(b) = &self.0 {
            if b.bar.length().is_some() {
                b.bar.set_message(format!("{} {} 行", b.label, thousands(rows)));
            } else {
                b.bar.set_position(rows);
            }
        }
    }

    pub fn finish(&self) {
        if let Some(b) = &self.0 {
            b.bar.finish_and_clear();
        }
    }
}

/// The closing figures of one run: rows in, out and rejected, findings, characters replaced by
/// 〓, and per-tool counts. It checks that no row vanished ([`Tally::balance`]), prints the
/// closing line on stderr and writes `--summary-json` ([`Tally::finish`]).
#[derive(Debug, Clone)]
pub struct Tally {
    pub tool: &'static str,
    pub command: &'static str,
    pub input_encoding: Encoding,
    pub output_encoding: Encoding,
    pub rows_in: u64,
    pub rows_out: u64,
    pub rows_rejected: u64,
    pub findings: u64,
    pub replaced: u64,
    pub extra: BTreeMap<&'static str, u64>,
}

/// `--summary-json` as written (keys sorted, so re-runs give identical files).
#[derive(Serialize)]
struct SummaryJson<'a> {
    tool: &'static str,
    command: &'static str,
    exit_code: u8,
    input_encoding: &'static str,
    output_encoding: &'static str,
    rows_in: u64,
    rows_out: u64,
    rows_rejected: u64,
    findings: u64,
    replaced_characters: u64,
    #[serde(flatten)]
    extra: &'a BTreeMap<&'static str, u64>,
}

impl Tally {
    pub fn new(tool: &'static str, command: &'static str, input: Encoding, output: Encoding) -> Tally {
        Tally {
            tool,
            command,
            input_encoding: input,
            output_encoding: output,
            rows_in: 0,
            rows_out: 0,
            rows_rejected: 0,
            findings: 0,
            replaced: 0,
            extra: BTreeMap::new(),
        }
    }

    /// A per-tool count for `--summary-json`.
    pub fn set(&mut self, key: &'static str, value: u64) -> &mut Tally {
        self.extra.insert(key, value);
        self
    }

    /// Rows in = the sum of where they went (SPEC §1: no row vanishes silently), else E900
    /// (exit 3) before anything is committed. `parts` name each destination for the message.
    pub fn balance(&self, parts: &[(&str, u64)]) -> Result<()> {
        let sum: u64 = parts.iter().map(|(_, n)| n).sum();
        if sum == self.rows_in {
            return Ok(());
        }
        let shown: Vec<String> = parts.iter().map(|(what, n)| format!("{what} {n} 行")).collect();
        Err(Error::Integrity { detail: format!("入力 {} 行 ≠ {}", self.rows_in, shown.join(" + ")) })
    }

    /// The end of a run: the 〓 count and the closing `line` on stderr, `--summary-json` to
    /// `json`; returns `exit_code`.
    pub fn finish(
        &self,
        console: &Console,
        line: impl std::fmt::Display,
        json: Option<&Path>,
        exit_code: u8,
    ) -> Result<u8> {
        self.finish_lines(console, [line.to_string()], json, exit_code)
    }

    /// [`Tally::finish`] with several closing lines.
    pub fn finish_lines(
        &self,
        console: &Console,
        lines: impl IntoIterator<Item = String>,
        json: Option<&Path>,
        exit_code: u8,
    ) -> Result<u8> {
        console.replaced(self.replaced);
        for line in lines {
            console.info(line);
        }
        if let Some(path) = json {
            self.write_json(path, exit_code)?;
        }
        Ok(exit_code)
    }

    /// Writes `--summary-json` alone (for a tool that prints its own lines).
    pub fn write_json(&self, path: &Path, exit_code: u8) -> Result<()> {
        let summary = SummaryJson {
            tool: self.tool,
            command: self.command,
            exit_code,
            input_encoding: self.input_encoding.id(),
            output_encoding: self.output_encoding.id(),
            rows_in: self.rows_in,
            rows_out: self.rows_out,
            rows_rejected: self.rows_rejected,
            findings: self.findings,
            replaced_characters: self.replaced,
            extra: &self.extra,
        };
        let mut sink = Sink::create(Some(path))?;
        let json = serde_json::to_string_pretty(&summary).map_err(|e| Error::io(path, e.into()))?;
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

/// [`thousands`] of a signed amount: `-1100` → `-1,100` (yen on invoices, corrections).
pub fn thousands_signed(n: i64) -> String {
    if n < 0 { format!("-{}", thousands(n.unsigned_abs())) } else { thousands(n.unsigned_abs()) }
}

/// With `KK_TRACE` set, a line on stderr: seconds since the first call, the process's user and
/// system CPU seconds and minor page faults so far, and `label` — where a run spends its time,
/// for measuring (`KK_TRACE=1 kk-import …`). Names a step of the work, never a value.
pub fn trace(label: &str) {
    use std::sync::OnceLock;
    static START: OnceLock<Option<std::time::Instant>> = OnceLock::new();
    let Some(start) = START.get_or_init(|| std::env::var_os("KK_TRACE").map(|_| std::time::Instant::now())) else {
        return;
    };
    // SAFETY: getrusage only writes the struct it is given
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    eprintln!(
        "[{:7.3}] u {:.3} s {:.3} flt {} {label}",
        start.elapsed().as_secs_f64(),
        secs(usage.ru_utime),
        secs(usage.ru_stime),
        usage.ru_minflt
    );
}

#[cfg(test)]
mod tests {
    #[test]
    fn thousands_separators() {
        assert_eq!(super::thousands(0), "0");
        assert_eq!(super::thousands(999), "999");
        assert_eq!(super::thousands(1000), "1,000");
        assert_eq!(super::thousands(1234567), "1,234,567");
        assert_eq!(super::thousands_signed(0), "0");
        assert_eq!(super::thousands_signed(66950), "66,950");
        assert_eq!(super::thousands_signed(-1100), "-1,100");
    }
}
