//! Integration tests: the real binaries on real files, exact outputs, exit codes and messages.
// the limit on function length is for src/: a test that walks through one case reads best whole
#![allow(clippy::too_many_lines)]

mod anonymize;
mod backup;
mod finance;
mod generate;
mod import;
mod limitcheck;
mod statutory;
mod subsidy;
mod unexamined;
mod workflows;

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

pub fn bin(name: &str) -> PathBuf {
    match name {
        "kk-import" => PathBuf::from(env!("CARGO_BIN_EXE_kk-import")),
        "kk-gen" => PathBuf::from(env!("CARGO_BIN_EXE_kk-gen")),
        "kk-limitcheck" => PathBuf::from(env!("CARGO_BIN_EXE_kk-limitcheck")),
        "kk-finance" => PathBuf::from(env!("CARGO_BIN_EXE_kk-finance")),
        "kk-unexamined" => PathBuf::from(env!("CARGO_BIN_EXE_kk-unexamined")),
        "kk-subsidy" => PathBuf::from(env!("CARGO_BIN_EXE_kk-subsidy")),
        "kk-anonymize" => PathBuf::from(env!("CARGO_BIN_EXE_kk-anonymize")),
        "kk-statutory" => PathBuf::from(env!("CARGO_BIN_EXE_kk-statutory")),
        "kk-backup" => PathBuf::from(env!("CARGO_BIN_EXE_kk-backup")),
        other => panic!("unknown binary {other}"),
    }
}

/// Runs `name args` in `dir` with `stdin`, without inheriting KK_* settings.
pub fn run_in(dir: &Path, name: &str, args: &[&str], stdin: Option<&[u8]>, env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(bin(name));
    cmd.args(args).current_dir(dir).env_remove("KK_ENCODING").env_remove("KK_THREADS");
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
    Run { code: status.code().unwrap_or(-1), stdout, stderr: String::from_utf8_lossy(&stderr).into_owned() }
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

pub fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(rel)
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
