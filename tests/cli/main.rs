//! Integration tests: the real binaries on real files, exact outputs, exit codes and messages.
// the limit on function length is for src/: a test that walks through one case reads best whole
#![allow(clippy::too_many_lines)]

mod anonymize;
mod backup;
mod cases;
mod conventions;
mod doctor;
mod finance;
mod generate;
mod import;
mod limitcheck;
mod promises;
mod sql;
mod statutory;
mod subsidy;
mod ticket;
mod unexamined;
mod workflows;
mod xml;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// A finished run of a binary.
pub struct Run {
    pub code: i32,
    pub stdout: Vec<u8>,
    pub stderr: String,
}

impl Run {
    pub fn stdout_sjis(&self) -> String {
        sjis_to_string(&self.stdout)
    }
}

/// The built binary of a tool listed in `kk::cmd::TOOLS` (all are built beside kk-import).
pub fn bin_path(name: &str) -> PathBuf {
    assert!(kk::cmd::TOOLS.iter().any(|t| t.name == name), "unknown tool {name}");
    Path::new(env!("CARGO_BIN_EXE_kk-import")).with_file_name(name)
}

pub fn bin(name: &str) -> PathBuf {
    bin_path(name)
}

/// Runs `program args` in `dir` with `stdin`, without inheriting KK_* settings: exit code,
/// stdout and stderr as bytes.
pub fn run_cmd(
    dir: &Path,
    program: &Path,
    args: &[&str],
    stdin: Option<&[u8]>,
    env: &[(&str, &str)],
) -> (i32, Vec<u8>, Vec<u8>) {
    let mut cmd = Command::new(program);
    cmd.args(args).current_dir(dir).env_remove("KK_ENCODING").env_remove("KK_THREADS").env_remove("KK_FONT");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() });
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("binary runs");
    if let Some(input) = stdin {
        use std::io::Write;
        let mut pipe = child.stdin.take().expect("stdin");
        let input = input.to_vec();
        std::thread::spawn(move || {
            let _ = pipe.write_all(&input);
        });
    }
    let Output { status, stdout, stderr } = child.wait_with_output().expect("binary finishes");
    (status.code().unwrap_or(-1), stdout, stderr)
}

/// Runs `name args` in `dir` with `stdin`, without inheriting KK_* settings.
pub fn run_in(dir: &Path, name: &str, args: &[&str], stdin: Option<&[u8]>, env: &[(&str, &str)]) -> Run {
    let (code, stdout, stderr) = run_cmd(dir, &bin(name), args, stdin, env);
    Run { code, stdout, stderr: String::from_utf8_lossy(&stderr).into_owned() }
}

pub fn run(dir: &Path, name: &str, args: &[&str]) -> Run {
    run_in(dir, name, args, None, &[])
}

pub fn sjis_to_string(b: &[u8]) -> String {
    let (text, _, had_errors) = encoding_rs::SHIFT_JIS.decode(b);
    assert!(!had_errors, "output is valid CP932");
    text.into_owned()
}

pub fn to_sjis(s: &str) -> Vec<u8> {
    let mut out = Vec::new();
    kk::io::TextEncoder::new(kk::io::Encoding::Sjis, false).encode(s, &mut out).expect("encodable");
    out
}

pub fn read_sjis(path: &Path) -> String {
    sjis_to_string(&std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
}

/// The records of CSV text, header included (quoted line breaks and commas handled).
pub fn records(text: &str) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| r.expect("valid CSV").iter().map(str::to_string).collect())
        .collect()
}

/// Test data: the inputs of the golden case that holds them (one copy, in tests/cases).
pub fn data(rel: &str) -> PathBuf {
    let (case, file) = match rel.split_once('/') {
        Some(("import", f)) => ("import/0019-golden-cp932", f),
        None if rel == "limitcheck" => ("limitcheck/0001-every-finding", ""),
        None if rel == "finance" => ("finance/0001-ledger-csv", ""),
        _ => panic!("no data {rel}"),
    };
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases").join(case);
    if file.is_empty() { dir } else { dir.join(file) }
}

/// Names of the files in `dir`, sorted (to check that nothing partial was left).
pub fn files_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    v.sort();
    v
}

pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

/// Generates the demo data (the same as fixtures/demo) into a fresh folder.
pub fn generated(persons: usize) -> tempfile::TempDir {
    let dir = tempdir();
    let r = run(dir.path(), "kk-gen", &["--persons", &persons.to_string(), "--seed", "1", "--out", "."]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    dir
}

/// An external command the tests use. A missing one fails the test with the Debian package to
/// install (`make deps` installs them all), never with a bare unwrap of "not found".
pub fn external(program: &str) -> Command {
    let path = std::env::var_os("PATH").unwrap_or_default();
    if !std::env::split_paths(&path).any(|d| d.join(program).is_file()) {
        let package = deps_package(program).unwrap_or_else(|| panic!("{program}: scripts/deps.sh の一覧にありません"));
        panic!("{program} がありません: `make deps` で入れてください (Debian パッケージ {package})");
    }
    Command::new(program)
}

/// The Debian package scripts/deps.sh (the one list of what the tests use) names for `program`.
pub fn deps_package(program: &str) -> Option<String> {
    let list = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/deps.sh")).ok()?;
    list.lines().find_map(|l| {
        let (what, package) = l.trim().strip_prefix('"')?.strip_suffix('"')?.split_once(' ')?;
        (what.rsplit('/').next() == Some(program) || what == program).then(|| package.to_string())
    })
}

/// The text of pages `first`–`last` of a PDF, laid out (poppler-utils).
pub fn pdftotext(path: &Path, first: u32, last: u32) -> String {
    let out = external("pdftotext")
        .args(["-layout", "-f", &first.to_string(), "-l", &last.to_string()])
        .arg(path)
        .arg("-")
        .output()
        .expect("pdftotext: install poppler-utils (make deps)");
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

/// pdffonts' table of a PDF (poppler-utils).
pub fn pdffonts(path: &Path) -> String {
    let out = external("pdffonts").arg(path).output().expect("pdffonts: install poppler-utils (make deps)");
    String::from_utf8(out.stdout).unwrap()
}
