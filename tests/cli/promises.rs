//! SPEC §1's promises, tried as a hostile user would: killed runs leave nothing, and a bounded,
//! seeded fuzz of every tool's reader — no panic, an exit code in 0–3, no file left behind on
//! failure, no value of the input on stderr.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::{bin, files_in, run, tempdir};

/// Runs that are killed — by SIGKILL, SIGTERM, SIGINT or SIGHUP, early or late — leave either
/// every output (the run had finished) or nothing at all: no partial file, no temporary file.
#[test]
fn killed_runs_leave_nothing() {
    let dir = tempdir();
    let d = dir.path();
    let r = run(d, "kk-gen", &["--persons", "60000", "--seed", "5", "--out", "in", "-q"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let input = d.join("in/insured.csv");
    // in name order, as files_in lists them
    let outputs = ["d.csv", "e.csv", "m.csv", "s.json"];
    let mut finished = 0;
    let mut killed = 0;
    for (n, (signal, delay_ms)) in [libc::SIGKILL, libc::SIGTERM, libc::SIGINT, libc::SIGHUP]
        .into_iter()
        .flat_map(|s| [5u64, 40, 120, 300].map(|ms| (s, ms)))
        .enumerate()
    {
        let out = d.join(format!("out{n}"));
        std::fs::create_dir(&out).unwrap();
        let mut child = Command::new(bin("kk-import"))
            .args(["master", "-q", "-i"])
            .arg(&input)
            .args(["-o", "m.csv", "--errors", "e.csv", "--duplicates", "d.csv", "--summary-json", "s.json"])
            .current_dir(&out)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("kk-import runs");
        std::thread::sleep(Duration::from_millis(delay_ms));
        // SAFETY: the pid is our child's, not yet waited for.
        unsafe { libc::kill(child.id() as libc::pid_t, signal) };
        let status = child.wait().unwrap();
        let left = files_in(&out);
        if status.success() {
            finished += 1;
            assert_eq!(left, outputs.map(String::from).to_vec(), "a finished run has all its outputs");
        } else if left.is_empty() {
            killed += 1;
        } else {
            // killed after the last output got its name, on the way out: all of them, never some
            assert_eq!(left, outputs.map(String::from).to_vec(), "signal {signal} after {delay_ms} ms left files");
            finished += 1;
        }
    }
    assert!(killed >= 8, "most runs must be killed mid-way to test anything ({killed} killed, {finished} finished)");
}

/// One way in to a tool: its arguments, where `IN` is the mutated file, `@name` a file of the
/// prepared inputs and `OUT/name` an output in the run's folder.
struct Entry {
    name: &'static str,
    mutated: &'static str,
    args: &'static [&'static str],
}

const ENTRIES: &[Entry] = &[
    Entry {
        name: "kk-import master",
        mutated: "insured.csv",
        args: &["master", "-i", "IN", "-o", "OUT/m.csv", "--errors", "OUT/e.csv", "--duplicates", "OUT/d.csv"],
    },
    Entry {
        name: "kk-import master --base",
        mutated: "diff.csv",
        args: &["master", "--base", "@master.csv", "-i", "IN", "-o", "OUT/m.csv", "--errors", "OUT/e.csv"],
    },
    Entry {
        name: "kk-import tax",
        mutated: "household-tax.csv",
        args: &["tax", "--master", "@master.csv", "-i", "IN", "-o", "OUT/h.csv", "--errors", "OUT/e.csv"],
    },
    Entry {
        name: "kk-limitcheck",
        mutated: "claims.csv",
        args: &[
            "--contracts",
            "@contracts.csv",
            "--master",
            "@master.csv",
            "--household",
            "@household.csv",
            "--results",
            "@results.csv",
            "-i",
            "IN",
            "-o",
            "OUT/c.csv",
        ],
    },
    Entry {
        name: "kk-limitcheck contracts",
        mutated: "contracts.csv",
        args: &["--contracts", "IN", "-i", "@claims.csv", "-o", "OUT/c.csv"],
    },
    Entry {
        name: "kk-finance",
        mutated: "decided.csv",
        args: &["--insurers", "@insurers.csv", "--config", "@finance.toml", "-i", "IN", "--ledger", "OUT/l.csv"],
    },
    Entry {
        name: "kk-subsidy",
        mutated: "results.csv",
        args: &["--items", "@subsidy-items.csv", "-i", "IN", "-o", "OUT/s.csv", "--summary", "OUT/t.csv"],
    },
    Entry {
        name: "kk-unexamined list",
        mutated: "master.csv",
        args: &[
            "list",
            "--fy",
            "2026",
            "--as-of",
            "2026-04-30",
            "--master",
            "IN",
            "--results",
            "@results.csv",
            "-o",
            "OUT/u.csv",
        ],
    },
    Entry {
        name: "kk-unexamined check",
        mutated: "info-status.csv",
        args: &[
            "check",
            "--fy",
            "2026",
            "--as-of",
            "2026-04-30",
            "--master",
            "@master.csv",
            "--results",
            "@results.csv",
            "-i",
            "IN",
            "-o",
            "OUT/c.csv",
        ],
    },
    Entry {
        name: "kk-statutory erasures",
        mutated: "results.csv",
        args: &[
            "erasures",
            "--fy",
            "2026",
            "--master",
            "@master.csv",
            "-i",
            "IN",
            "-o",
            "OUT/m.csv",
            "--kept",
            "OUT/k.csv",
        ],
    },
    Entry {
        name: "kk-statutory summary",
        mutated: "master.csv",
        args: &[
            "summary",
            "--fy",
            "2026",
            "--master",
            "IN",
            "--exclusions",
            "@exclusions.csv",
            "--results",
            "@results.csv",
            "-o",
            "OUT/s.csv",
        ],
    },
    Entry {
        name: "kk-statutory reconcile",
        mutated: "receipt.csv",
        args: &["reconcile", "--manifest", "@MANIFEST.csv", "--receipt", "IN", "-o", "OUT/j.csv"],
    },
    Entry {
        name: "kk-anonymize",
        mutated: "results.csv",
        args: &["--key", "@anon.key", "-i", "IN", "-o", "OUT/a.csv"],
    },
    Entry {
        name: "kk-anonymize master",
        mutated: "master.csv",
        args: &["--key", "@anon.key", "--birth", "year", "--zip", "OUT/a.zip", "IN"],
    },
    Entry {
        name: "kk-ticket issue",
        mutated: "master.csv",
        args: &[
            "issue",
            "--fy",
            "2026",
            "--as-of",
            "2026-04-01",
            "--master",
            "IN",
            "--ledger",
            "OUT/n.csv",
            "--issue-date",
            "2026-04-01",
            "-o",
            "OUT/t.csv",
        ],
    },
    Entry {
        name: "kk-ticket ledger",
        mutated: "numbers.csv",
        args: &[
            "issue",
            "--fy",
            "2026",
            "--as-of",
            "2026-04-01",
            "--master",
            "@master.csv",
            "--ledger",
            "IN",
            "--issue-date",
            "2026-04-01",
            "-o",
            "OUT/t.csv",
        ],
    },
    Entry {
        name: "kk-sql",
        mutated: "master.csv",
        args: &[
            "-t",
            "m=IN",
            "SELECT 性別, count(*) AS 人数 FROM m GROUP BY 1",
            "--audit",
            "/dev/null",
            "-o",
            "OUT/q.csv",
        ],
    },
    Entry {
        name: "kk-sql --query",
        mutated: "results.csv",
        args: &[
            "--query",
            "受診率",
            "--param",
            "fy=2026",
            "-t",
            "被保険者=@master.csv",
            "-t",
            "健診結果=IN",
            "--aggregate-only",
            "--audit",
            "/dev/null",
            "-o",
            "OUT/q.csv",
        ],
    },
    Entry {
        name: "kk-backup verify",
        mutated: "kk-202604.zip.age",
        args: &["verify", "IN", "--identity", "@backup.key"],
    },
];

/// How many mutants each entry gets.
const MUTANTS: usize = 160;

/// Bytes a mutation likes to put in: CSV syntax, CP932 lead bytes, NUL, Ctrl-Z, a kana.
const SPICE: &[&[u8]] = &[
    b",",
    b"\"",
    b"\n",
    b"\r",
    b"\r\n",
    b"\x00",
    b"\x1a",
    b"\x81",
    b"\x81\x7f",
    b"\xef\xbb\xbf",
    "ア".as_bytes(),
    b" ",
];

/// A mutant of `input`: one to three random edits (bytes changed, inserted or removed, lines
/// repeated, swapped, joined or cut, the file truncated).
fn mutate(input: &[u8], rng: &mut fastrand::Rng) -> Vec<u8> {
    let mut b = input.to_vec();
    for _ in 0..rng.usize(1..=3) {
        // the header and the first record are where readers decide most: edited a third of the time
        let at = if rng.u8(0..3) == 0 { rng.usize(0..=b.len().min(400)) } else { rng.usize(0..=b.len()) };
        match rng.u8(0..11) {
            0 if !b.is_empty() => {
                let i = at.min(b.len() - 1);
                b[i] = rng.u8(..);
            }
            1 => {
                let spice = SPICE[rng.usize(0..SPICE.len())];
                b.splice(at..at, spice.iter().copied());
            }
            2 => {
                let end = (at + rng.usize(1..40)).min(b.len());
                b.drain(at..end);
            }
            3 => b.truncate(at),
            4 => {
                // a line repeated
                let lines: Vec<&[u8]> = b.split_inclusive(|&c| c == b'\n').collect();
                if !lines.is_empty() {
                    let line = lines[rng.usize(0..lines.len())].to_vec();
                    b.splice(at..at, line);
                }
            }
            5 => {
                // a line break removed: two lines joined (the header with the first record, too)
                if let Some(nl) = b.iter().skip(at).position(|&c| c == b'\n') {
                    b.remove(at + nl);
                }
            }
            6 => {
                // a field made long
                b.splice(at..at, std::iter::repeat_n(b'9', rng.usize(1..5000)));
            }
            7 => {
                // two lines swapped
                let mut lines: Vec<Vec<u8>> = b.split_inclusive(|&c| c == b'\n').map(<[u8]>::to_vec).collect();
                if lines.len() > 2 {
                    let (i, j) = (rng.usize(0..lines.len()), rng.usize(0..lines.len()));
                    lines.swap(i, j);
                    b = lines.concat();
                }
            }
            8 => {
                // the header joined with the first record (a lost line break)
                if let Some(nl) = b.iter().position(|&c| c == b'\n') {
                    b.remove(nl);
                    if nl > 0 && b[nl - 1] == b'\r' {
                        b[nl - 1] = b',';
                    }
                }
            }
            9 => {
                // CR-only line ends (old Mac, some spreadsheet exports)
                b.retain(|&c| c != b'\r');
                b.iter_mut().filter(|c| **c == b'\n').for_each(|c| *c = b'\r');
            }
            _ => {
                if !b.is_empty() {
                    let i = at.min(b.len() - 1);
                    b[i] ^= 1 << rng.u8(0..8);
                }
            }
        }
    }
    b
}

/// The personal values of the demo master (names, kana, addresses, birth dates): none may
/// appear in a message.
fn personal_values(master: &Path) -> Vec<String> {
    let text = crate::read_sjis(master);
    let rows = crate::records(&text);
    let header = &rows[0];
    let cols: Vec<usize> =
        ["氏名カナ", "氏名", "住所", "生年月日"].iter().filter_map(|c| header.iter().position(|h| h == c)).collect();
    let mut values: Vec<String> = rows[1..]
        .iter()
        .flat_map(|r| cols.iter().filter_map(|&c| r.get(c).cloned()))
        .filter(|v| v.chars().count() >= 4)
        .collect();
    values.sort();
    values.dedup();
    values
}

/// The demo inputs, with what the tools make of them (master, household, keys, an archive).
fn prepared() -> tempfile::TempDir {
    let dir = tempdir();
    let d = dir.path();
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo");
    for e in std::fs::read_dir(&demo).unwrap() {
        let e = e.unwrap();
        if e.path().is_file() {
            std::fs::copy(e.path(), d.join(e.file_name())).unwrap();
        }
    }
    std::fs::copy(Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/finance.toml"), d.join("finance.toml")).unwrap();
    let ok = |r: crate::Run| assert_eq!(r.code, 0, "{}", r.stderr);
    ok(run(d, "kk-import", &["master", "-i", "insured.csv", "-o", "master.csv", "-q"]));
    ok(run(d, "kk-import", &["tax", "--master", "master.csv", "-i", "household-tax.csv", "-o", "household.csv", "-q"]));
    let ticket_args = ["--as-of", "2026-04-01", "--master", "master.csv", "--issue-date", "2026-04-01", "-q"];
    ok(run(
        d,
        "kk-ticket",
        &[&["issue", "--fy", "2026", "--ledger", "numbers.csv", "-o", "t.csv"][..], &ticket_args].concat(),
    ));
    let key = run(d, "kk-anonymize", &["keygen"]);
    write_private(&d.join("anon.key"), &key.stdout);
    ok(run(
        d,
        "kk-anonymize",
        &["--key", "anon.key", "--zip", "h.zip", "--manifest", "MANIFEST.csv", "-q", "results.csv"],
    ));
    let pubkey = run(d, "kk-backup", &["keygen", "-o", "backup.key"]);
    let recipient = String::from_utf8(pubkey.stdout).unwrap();
    std::fs::create_dir(d.join("month")).unwrap();
    std::fs::copy(d.join("master.csv"), d.join("month/master.csv")).unwrap();
    ok(run(d, "kk-backup", &["create", "--recipient", recipient.trim(), "month", "-o", "kk-202604.zip.age", "-q"]));
    dir
}

fn write_private(path: &Path, bytes: &[u8]) {
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path).unwrap();
    std::io::Write::write_all(&mut f, bytes).unwrap();
}

/// The arguments of `entry` for one run in `run_dir`.
fn arguments(entry: &Entry, base: &Path, mutant: &Path, run_dir: &Path) -> Vec<PathBuf> {
    let one = |a: &str| match a {
        "IN" => mutant.to_path_buf(),
        a if a.starts_with('@') => base.join(&a[1..]),
        a => match a.strip_prefix("OUT/") {
            Some(name) => run_dir.join("out").join(name),
            None => PathBuf::from(a),
        },
    };
    entry
        .args
        .iter()
        .map(|a| match a.split_once('=') {
            // a table of kk-sql: NAME=IN, NAME=@file
            Some((name, file)) if file == "IN" || file.starts_with('@') => {
                PathBuf::from(format!("{name}={}", one(file).display()))
            }
            _ => one(a),
        })
        .collect()
}

/// Seeded mutants of the demo files through every tool's reader: no panic, exit 0–3, nothing
/// left in the output folder when the run failed, no personal value on stderr.
#[test]
fn fuzzed_inputs_keep_the_promises() {
    let base_dir = prepared();
    let base = base_dir.path();
    let secrets = personal_values(&base.join("master.csv"));
    assert!(secrets.len() > 100, "the demo master has names to look for");
    let work = tempdir();
    let jobs: Vec<(usize, usize)> = (0..ENTRIES.len()).flat_map(|e| (0..MUTANTS).map(move |m| (e, m))).collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get()).min(4);
    let failures: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut failures = Vec::new();
                    loop {
                        let j = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(&(e, m)) = jobs.get(j) else { break };
                        if let Err(f) = one_mutant(&ENTRIES[e], m, base, work.path(), &secrets) {
                            failures.push(f);
                        }
                    }
                    failures
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    assert!(failures.is_empty(), "{} broken promises:\n{}", failures.len(), failures.join("\n"));
}

/// Runs mutant `m` of `entry`; Err says which promise it broke.
fn one_mutant(entry: &Entry, m: usize, base: &Path, work: &Path, secrets: &[String]) -> Result<(), String> {
    let seed = 0x6b6b_0000 + (m as u64) * 131 + entry.name.len() as u64 * 7919;
    let mut rng = fastrand::Rng::with_seed(seed);
    let original = std::fs::read(base.join(entry.mutated)).unwrap();
    let mutant = mutate(&original, &mut rng);
    let run_dir = work.join(format!("{}-{m}", entry.name.replace(' ', "_")));
    std::fs::create_dir_all(run_dir.join("out")).unwrap();
    let mutant_path = run_dir.join(entry.mutated);
    std::fs::write(&mutant_path, &mutant).unwrap();
    let tool = entry.name.split(' ').next().unwrap();
    let output = Command::new(bin(tool))
        .args(arguments(entry, base, &mutant_path, &run_dir))
        .current_dir(&run_dir)
        .env_remove("KK_ENCODING")
        .env_remove("KK_THREADS")
        .stdin(Stdio::null())
        .output()
        .expect("tool runs");
    let code = output.status.code().unwrap_or(-1);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let what = format!("{} mutant {m} (seed {seed:#x})", entry.name);
    if !(0..=3).contains(&code) || stderr.contains("panicked") {
        return Err(format!("{what}: exit {code}: {stderr}"));
    }
    let left = files_in(&run_dir.join("out"));
    if code >= 2 && !left.is_empty() {
        return Err(format!("{what}: exit {code} left {left:?}"));
    }
    let stray: Vec<String> = files_in(&run_dir).into_iter().filter(|f| f != "out" && f != entry.mutated).collect();
    if !stray.is_empty() {
        return Err(format!("{what}: stray files {stray:?}"));
    }
    if let Some(v) = secrets.iter().find(|v| stderr.contains(v.as_str())) {
        return Err(format!("{what}: a personal value on stderr ({} characters)", v.chars().count()));
    }
    std::fs::remove_dir_all(&run_dir).unwrap();
    Ok(())
}
