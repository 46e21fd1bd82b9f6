//! The golden cases: `tests/cases/<tool>/<NNNN-name>/`, each a folder of data —
//! - `cmd`: one line, the tool and its arguments (`"…"` groups, `< FILE` is stdin, leading
//!   `NAME=VALUE` words set the environment);
//! - the input files (CSV written in UTF-8 with LF; any other file is copied as it is);
//! - `expout`, `experr`, `exit`: the exact stdout, stderr and exit code;
//! - `out/`: every file the run leaves besides the inputs, and every input it rewrote (a ledger
//!   it updates), byte for byte (a run that fails must leave none and change none, so an empty
//!   or missing `out/` checks that too);
//! - `matrix` (optional): `none` to run the case only as stored (for inputs that are not UTF-8
//!   text, or values that differ by encoding), else the variants to run (default all six);
//! - `modes` (optional): `FILE MODE` lines, the permissions of an input (key files `*.key` and
//!   `*.pass` are 0600 unless this says otherwise);
//! - `fixed` (optional): outputs (`stdout` or a name under `out/`) whose encoding does not follow
//!   the input (a Shift_JIS ledger, a workbook, a PDF), compared as stored in every variant.
//!
//! Every case runs over {CP932, UTF-8, UTF-8 with BOM} × {CRLF, LF}: the CSV inputs are converted,
//! and the expected outputs are converted the way the tool writes them (in the input's encoding,
//! CRLF for Shift_JIS and LF for UTF-8, unless the command says `--output-encoding`, `--crlf` or
//! `--lf`). `KK_BLESS=1 make test` rewrites `expout`, `experr`, `exit` and `out/` from the run as
//! stored; review the diff before committing it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::{bin_path, run_cmd, to_sjis};

const RESERVED: [&str; 8] = ["cmd", "expout", "experr", "exit", "matrix", "fixed", "modes", "out"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Enc {
    Sjis,
    Utf8,
    Utf8Bom,
}

impl Enc {
    /// As `--summary-json` names it.
    fn id(self) -> &'static str {
        match self {
            Enc::Sjis => "sjis",
            Enc::Utf8 => "utf8",
            Enc::Utf8Bom => "utf8-bom",
        }
    }
}

/// One way of writing the inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Variant {
    enc: Enc,
    crlf: bool,
}

impl Variant {
    const STORED: Variant = Variant { enc: Enc::Utf8, crlf: false };
    const ALL: [Variant; 6] = [
        Variant { enc: Enc::Utf8, crlf: false },
        Variant { enc: Enc::Utf8, crlf: true },
        Variant { enc: Enc::Utf8Bom, crlf: false },
        Variant { enc: Enc::Utf8Bom, crlf: true },
        Variant { enc: Enc::Sjis, crlf: false },
        Variant { enc: Enc::Sjis, crlf: true },
    ];

    fn name(self) -> String {
        format!("{}-{}", self.enc.id(), if self.crlf { "crlf" } else { "lf" })
    }

    fn parse(s: &str) -> Option<Variant> {
        Variant::ALL.into_iter().find(|v| v.name() == s)
    }
}

/// CSV text with its record ends (line ends outside quotes) in CRLF or LF; line breaks inside
/// quoted fields stay as they are, as in a spreadsheet's export.
fn set_line_ends(text: &str, crlf: bool) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 16);
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                quoted = !quoted;
                out.push(c);
            }
            '\r' if !quoted && chars.peek() == Some(&'\n') => {}
            '\n' if !quoted => out.push_str(if crlf { "\r\n" } else { "\n" }),
            c => out.push(c),
        }
    }
    out
}

/// CSV text as a variant writes it: its record ends, then the encoding (nothing stays nothing:
/// a tool that writes no row writes no BOM either).
fn encode(text: &str, enc: Enc, crlf: bool) -> Vec<u8> {
    if text.is_empty() {
        return Vec::new();
    }
    let text = set_line_ends(text, crlf);
    match enc {
        Enc::Sjis => to_sjis(&text),
        Enc::Utf8 => text.into_bytes(),
        Enc::Utf8Bom => [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat(),
    }
}

/// A parsed `cmd` line.
struct Command {
    env: Vec<(String, String)>,
    tool: String,
    args: Vec<String>,
    stdin: Option<String>,
}

fn words(line: &str) -> Vec<String> {
    let (mut out, mut cur, mut quoted, mut any) = (Vec::new(), String::new(), false, false);
    for c in line.trim().chars() {
        match c {
            '"' => {
                quoted = !quoted;
                any = true;
            }
            c if c.is_whitespace() && !quoted => {
                if any {
                    out.push(std::mem::take(&mut cur));
                    any = false;
                }
            }
            c => {
                cur.push(c);
                any = true;
            }
        }
    }
    if any {
        out.push(cur);
    }
    out
}

fn parse_cmd(line: &str) -> Command {
    let mut w = words(line).into_iter().peekable();
    let mut env = Vec::new();
    while let Some((k, v)) =
        w.peek().and_then(|t| t.split_once('=')).filter(|(k, _)| k.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
    {
        env.push((k.to_string(), v.to_string()));
        w.next();
    }
    let tool = w.next().expect("cmd names a tool");
    let (mut args, mut stdin) = (Vec::new(), None);
    while let Some(a) = w.next() {
        if a == "<" {
            stdin = w.next();
        } else {
            args.push(a);
        }
    }
    Command { env, tool, args, stdin }
}

impl Command {
    fn flag(&self, name: &str) -> Option<&str> {
        self.args.iter().position(|a| a == name).and_then(|i| self.args.get(i + 1)).map(String::as_str)
    }
    fn has(&self, name: &str) -> bool {
        self.args.iter().any(|a| a == name)
    }
    /// How outputs are written for inputs in `enc`: their encoding (None when fixed by the
    /// command) and line ending.
    fn output_form(&self, enc: Enc) -> Option<(Enc, bool)> {
        let out = match self.flag("--output-encoding") {
            Some(_) => return None,
            None => enc,
        };
        if self.has("--crlf") || self.has("--lf") {
            return None;
        }
        Some((out, out == Enc::Sjis))
    }
}

/// Every file under `dir`, relative, sorted.
fn files(dir: &Path) -> BTreeSet<PathBuf> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeSet<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                out.insert(p.strip_prefix(base).unwrap().to_path_buf());
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(dir, dir, &mut out);
    out
}

struct Case {
    dir: PathBuf,
    name: String,
    cmd: Command,
    variants: Vec<Variant>,
    fixed: BTreeSet<String>,
    modes: Vec<(String, u32)>,
}

fn read_case(dir: &Path, root: &Path) -> Case {
    let name = dir.strip_prefix(root).unwrap().display().to_string();
    let cmd = parse_cmd(&std::fs::read_to_string(dir.join("cmd")).unwrap_or_else(|e| panic!("{name}/cmd: {e}")));
    let variants = match std::fs::read_to_string(dir.join("matrix")) {
        Ok(m) if m.trim() == "none" => vec![Variant::STORED],
        Ok(m) => {
            m.split_whitespace().map(|v| Variant::parse(v).unwrap_or_else(|| panic!("{name}/matrix: {v}"))).collect()
        }
        Err(_) => Variant::ALL.to_vec(),
    };
    let fixed =
        std::fs::read_to_string(dir.join("fixed")).unwrap_or_default().split_whitespace().map(String::from).collect();
    let modes = std::fs::read_to_string(dir.join("modes"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            l.split_once(' ').map(|(f, m)| (f.to_string(), u32::from_str_radix(m.trim(), 8).unwrap_or(0o644)))
        })
        .collect();
    Case { dir: dir.to_path_buf(), name, cmd, variants, fixed, modes }
}

/// What a run produced.
struct Outcome {
    code: i32,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    files: Vec<(PathBuf, Vec<u8>)>,
}

fn run_case(case: &Case, v: Variant, as_stored: bool) -> Outcome {
    let work = tempfile::tempdir().unwrap();
    let inputs: BTreeSet<PathBuf> = files(&case.dir)
        .into_iter()
        .filter(|p| !RESERVED.contains(&p.components().next().unwrap().as_os_str().to_str().unwrap()))
        .collect();
    let mut written: Vec<(PathBuf, Vec<u8>)> = Vec::new();
    for rel in &inputs {
        let bytes = std::fs::read(case.dir.join(rel)).unwrap();
        let is_csv = rel.extension().is_some_and(|e| e == "csv");
        let bytes = if is_csv && !as_stored {
            let text = String::from_utf8(bytes)
                .unwrap_or_else(|_| panic!("{}: {} is not UTF-8 (add a matrix file)", case.name, rel.display()));
            encode(&text, v.enc, v.crlf)
        } else {
            bytes
        };
        let target = work.path().join(rel);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::write(&target, &bytes).unwrap();
        written.push((rel.clone(), bytes));
        let secret = rel.extension().is_some_and(|e| e == "key" || e == "pass");
        let mode = case.modes.iter().find(|(f, _)| Path::new(f) == rel).map(|(_, m)| *m);
        if let Some(mode) = mode.or(secret.then_some(0o600)) {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&target, std::fs::Permissions::from_mode(mode)).unwrap();
        }
    }
    let stdin = case
        .cmd
        .stdin
        .as_ref()
        .map(|f| std::fs::read(work.path().join(f)).unwrap_or_else(|e| panic!("{}: stdin {f}: {e}", case.name)));
    let env: Vec<(&str, &str)> = case.cmd.env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let args: Vec<&str> = case.cmd.args.iter().map(String::as_str).collect();
    let (code, stdout, stderr) = run_cmd(work.path(), &bin_path(&case.cmd.tool), &args, stdin.as_deref(), &env);
    // what the run left: new files, and inputs it rewrote (a ledger it updates)
    let left: Vec<(PathBuf, Vec<u8>)> = files(work.path())
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(work.path().join(&p)).unwrap();
            (p, bytes)
        })
        .filter(|(p, bytes)| !inputs.contains(p) || written.iter().any(|(w, b)| w == p && b != bytes))
        .collect();
    Outcome { code, stdout, stderr, files: left }
}

/// The first line where `got` and `want` differ, for the failure message.
fn first_difference(got: &[u8], want: &[u8]) -> String {
    let (g, w) = (String::from_utf8_lossy(got), String::from_utf8_lossy(want));
    for (i, (a, b)) in g.split('\n').zip(w.split('\n')).enumerate() {
        if a != b {
            return format!("line {}: got «{a}» want «{b}»", i + 1);
        }
    }
    format!("lengths differ: got {} bytes, want {} bytes", got.len(), want.len())
}

fn bless(case: &Case) {
    let o = run_case(case, Variant::STORED, case.variants == [Variant::STORED]);
    std::fs::write(case.dir.join("expout"), &o.stdout).unwrap();
    std::fs::write(case.dir.join("experr"), &o.stderr).unwrap();
    std::fs::write(case.dir.join("exit"), format!("{}\n", o.code)).unwrap();
    let out = case.dir.join("out");
    let _ = std::fs::remove_dir_all(&out);
    for (p, bytes) in &o.files {
        let target = out.join(p);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::write(target, bytes).unwrap();
    }
}

/// Checks one variant against the stored expectations; returns what differs.
fn check(case: &Case, v: Variant) -> Vec<String> {
    let as_stored = case.variants == [Variant::STORED];
    let o = run_case(case, v, as_stored);
    let mut problems = Vec::new();
    let read = |p: &str| std::fs::read(case.dir.join(p)).unwrap_or_default();
    let form = if as_stored { None } else { case.cmd.output_form(v.enc) };
    // an expected output converted the way the tool writes it for this variant
    let expect = |name: &str, stored: Vec<u8>| -> Vec<u8> {
        let csv = name == "stdout" || name.ends_with(".csv");
        if name.ends_with(".json") && !as_stored && !case.fixed.contains(name) {
            // --summary-json names the encodings read and written
            let text = String::from_utf8_lossy(&stored)
                .replace("\"input_encoding\": \"utf8\"", &format!("\"input_encoding\": \"{}\"", v.enc.id()));
            let out = form.map_or("utf8", |(enc, _)| enc.id());
            return text
                .replace("\"output_encoding\": \"utf8\"", &format!("\"output_encoding\": \"{out}\""))
                .into_bytes();
        }
        match form {
            Some((enc, crlf)) if csv && !case.fixed.contains(name) => match String::from_utf8(stored.clone()) {
                Ok(text) => encode(&text, enc, crlf),
                Err(_) => stored,
            },
            _ => stored,
        }
    };
    let want_code: i32 = String::from_utf8(read("exit")).unwrap_or_default().trim().parse().unwrap_or(-1);
    if o.code != want_code {
        problems.push(format!("exit {} (want {want_code})", o.code));
    }
    let want_out = expect("stdout", read("expout"));
    if o.stdout != want_out {
        problems.push(format!("stdout: {}", first_difference(&o.stdout, &want_out)));
    }
    let want_err = read("experr");
    if o.stderr != want_err {
        problems.push(format!("stderr: {}", first_difference(&o.stderr, &want_err)));
    }
    let expected: BTreeSet<PathBuf> = files(&case.dir.join("out"));
    let got: BTreeSet<PathBuf> = o.files.iter().map(|(p, _)| p.clone()).collect();
    if expected != got {
        problems.push(format!("files left {got:?} (want {expected:?})"));
    }
    for (p, bytes) in &o.files {
        if expected.contains(p) {
            let want = expect(&p.display().to_string(), std::fs::read(case.dir.join("out").join(p)).unwrap());
            if *bytes != want {
                problems.push(format!("{}: {}", p.display(), first_difference(bytes, &want)));
            }
        }
    }
    problems
}

/// Every case folder under tests/cases, sorted.
fn all_cases(root: &Path) -> Vec<Case> {
    let mut dirs = Vec::new();
    for tool in std::fs::read_dir(root).unwrap().flatten() {
        for case in std::fs::read_dir(tool.path()).unwrap().flatten() {
            if case.path().join("cmd").is_file() {
                dirs.push(case.path());
            }
        }
    }
    dirs.sort();
    dirs.iter().map(|d| read_case(d, root)).collect()
}

#[test]
fn golden_cases() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    let cases = all_cases(&root);
    let blessing = std::env::var("KK_BLESS").is_ok_and(|v| v == "1");
    let mut failures = Vec::new();
    for case in &cases {
        if blessing {
            bless(case);
        }
        for v in &case.variants {
            for p in check(case, *v) {
                failures.push(format!("{} [{}]: {p}", case.name, v.name()));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} golden case problems (KK_BLESS=1 make test rewrites them):\n{}",
        failures.len(),
        failures.join("\n")
    );
    // every tool has its normal path, findings and fatal inputs as cases
    assert!(cases.len() >= 100, "only {} cases", cases.len());
}

#[test]
fn the_command_line_is_split_like_a_shell_would() {
    let c = parse_cmd("KK_ENCODING=sjis kk-import master --errors \"e 1.csv\" -i in.csv < x.csv");
    assert_eq!(c.env, [("KK_ENCODING".to_string(), "sjis".to_string())]);
    assert_eq!(c.tool, "kk-import");
    assert_eq!(c.args, ["master", "--errors", "e 1.csv", "-i", "in.csv"]);
    assert_eq!(c.stdin.as_deref(), Some("x.csv"));
    assert_eq!(words("a \"\" b"), ["a", "", "b"]);
    assert_eq!(set_line_ends("a,\"x\ny\"\r\nb\n", true), "a,\"x\ny\"\r\nb\r\n");
    assert_eq!(set_line_ends("a,\"x\r\ny\"\r\nb\r\n", false), "a,\"x\r\ny\"\nb\n");
}
