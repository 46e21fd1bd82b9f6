//! What every tool keeps to, checked on the definitions themselves: one table of codes that the
//! docs list, clap definitions that hold together, help with examples and exit codes.

use std::collections::BTreeSet;
use std::path::Path;

/// Every code-like word (E001, L101, …) in `text`.
fn codes_in(text: &str) -> BTreeSet<String> {
    let b = text.as_bytes();
    let mut out = BTreeSet::new();
    for i in 0..b.len().saturating_sub(3) {
        let word_start = i == 0 || !b[i - 1].is_ascii_alphanumeric();
        let word_end = i + 4 >= b.len() || !b[i + 4].is_ascii_alphanumeric();
        if word_start && word_end && b"EWLUSBXD".contains(&b[i]) && b[i + 1..i + 4].iter().all(u8::is_ascii_digit) {
            out.insert(text[i..i + 4].to_string());
        }
    }
    out
}

fn source_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            source_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn docs_errors_md_lists_every_code_and_no_other() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let doc = codes_in(&std::fs::read_to_string(root.join("docs/errors.md")).unwrap());
    let tables: BTreeSet<String> = kk::cmd::all_codes().into_iter().map(String::from).collect();
    let undocumented: Vec<&String> = tables.difference(&doc).collect();
    assert!(undocumented.is_empty(), "codes missing from docs/errors.md: {undocumented:?}");
    let unknown: Vec<&String> = doc.difference(&tables).collect();
    assert!(unknown.is_empty(), "docs/errors.md lists codes no tool emits: {unknown:?}");
    // a code written in src/ as a literal outside the tables is a code the tables miss
    let mut files = Vec::new();
    source_files(&root.join("src"), &mut files);
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let literals: BTreeSet<String> =
            codes_in(&text).into_iter().filter(|c| text.contains(&format!("\"{c}\""))).collect();
        let stray: Vec<&String> = literals.difference(&tables).collect();
        assert!(stray.is_empty(), "{}: codes not in a codes table: {stray:?}", f.display());
    }
}

/// Every command and subcommand of every tool.
fn all_commands() -> Vec<(String, clap::Command)> {
    fn walk(prefix: &str, c: &clap::Command, out: &mut Vec<(String, clap::Command)>) {
        let name = if prefix.is_empty() { c.get_name().to_string() } else { format!("{prefix} {}", c.get_name()) };
        out.push((name.clone(), c.clone()));
        for sub in c.get_subcommands().filter(|s| s.get_name() != "help") {
            walk(&name, sub, out);
        }
    }
    let mut out = Vec::new();
    for t in kk::cmd::TOOLS {
        walk("", &(t.command)(), &mut out);
    }
    out
}

#[test]
fn every_clap_definition_holds_together() {
    for t in kk::cmd::TOOLS {
        let c = (t.command)();
        assert_eq!(c.get_name(), t.name, "#[command(name = TOOL)]");
        c.clone().debug_assert();
        // as the binaries parse it: Japanese headings, help and version flags
        kk::cmd::shared::cli::localize(c).debug_assert();
    }
}

#[test]
fn every_help_has_examples_and_exit_codes() {
    let mut missing = Vec::new();
    for (name, mut c) in all_commands() {
        // a command with subcommands shows its examples and codes at each subcommand
        if c.get_subcommands().any(|s| s.get_name() != "help") && !c.is_args_conflicts_with_subcommands_set() {
            continue;
        }
        let help = c.render_long_help().to_string();
        if std::env::var("KK_SHOW_HELP").is_ok() {
            eprintln!("==== {name}\n{help}");
        }
        if !help.contains("例:") {
            missing.push(format!("{name}: no 例: section"));
        }
        if !help.contains("終了コード:") {
            missing.push(format!("{name}: no exit codes (終了コード)"));
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

#[test]
fn the_tools_list_is_the_binaries_built() {
    for t in kk::cmd::TOOLS {
        assert!(crate::bin(t.name).is_file(), "{} is not built", t.name);
    }
}

/// `--help` of every tool and subcommand, as the binary prints it, at a narrow terminal width:
/// Japanese headings and flags, and every example line exactly as written (never wrapped).
#[test]
fn help_is_japanese_and_its_examples_paste_whole() {
    let dir = crate::tempdir();
    let (mut problems, mut examples) = (Vec::new(), 0);
    for (name, c) in all_commands() {
        let mut words = name.split(' ');
        let tool = words.next().unwrap_or_default().to_string();
        let mut args: Vec<&str> = words.collect();
        args.push("--help");
        let r = crate::run_in(dir.path(), &tool, &args, None, &[("COLUMNS", "60")]);
        let help = String::from_utf8(r.stdout).unwrap();
        if r.code != 0 {
            problems.push(format!("{name} --help: exit {}", r.code));
        }
        for english in ["Usage:", "Options:", "Commands:", "Arguments:", "Print help", "Print version", "[default:"] {
            if help.contains(english) {
                problems.push(format!("{name} --help: «{english}»"));
            }
        }
        let after = c.get_after_help().map(ToString::to_string).unwrap_or_default();
        for line in after.lines().filter(|l| l.starts_with("  kk-")) {
            examples += 1;
            if !help.lines().any(|h| h == line) {
                problems.push(format!("{name} --help: example not printed whole: {line}"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(examples > 50, "only {examples} example lines checked");
}

/// A usage error is one Japanese line with the tool, E011 and clap's suggestion, the command's
/// whole usage and where the help is; exit 2, and no English from clap.
#[test]
fn usage_errors_are_japanese_with_e011() {
    let dir = crate::tempdir();
    let r = crate::run(dir.path(), "kk-import", &["master", "--inptu", "x.csv"]);
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        "kk-import: E011 知らないオプションです: --inptu。--input のことですか\n\
         使い方: kk-import master [オプション]\n\
         詳しくは kk-import master --help\n"
    );
    let r = crate::run(dir.path(), "kk-import", &["mastr"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.starts_with("kk-import: E011 知らないコマンドです: mastr。master のことですか\n"), "{}", r.stderr);
    let r = crate::run(dir.path(), "kk-gen", &["--persons", "many", "--out", "x"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.starts_with(
            "kk-gen: E011 --persons <PERSONS> の値「many」が正しくありません: 0 以上の整数で指定してください\n"
        ),
        "{}",
        r.stderr
    );
    let r = crate::run(dir.path(), "kk-finance", &[]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.starts_with("kk-finance: E011 必要なオプションがありません: --insurers <FILE>、--config <FILE>\n")
    );
    let r = crate::run(dir.path(), "kk-anonymize", &["--bogus"]);
    assert_eq!(r.code, 2);
    assert!(!r.stderr.contains("error:") && !r.stderr.contains("tip:"), "{}", r.stderr);
    assert!(crate::files_in(dir.path()).is_empty(), "a usage error writes nothing");
}

/// kk-docgen writes a man page for every tool and every subcommand (the pages the tools' own
/// pages refer to, such as kk-import-master(1)), and the completions.
#[test]
fn man_pages_exist_for_every_subcommand() {
    let dir = crate::tempdir();
    let out = dir.path().join("share");
    let r = crate::run(dir.path(), "kk-docgen", &["--out", out.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let man = out.join("man/man1");
    for (name, _) in all_commands().into_iter().filter(|(n, _)| !n.starts_with("kk-docgen")) {
        let page = man.join(format!("{}.1", name.replace(' ', "-")));
        let text = std::fs::read_to_string(&page).unwrap_or_else(|_| panic!("no man page {}", page.display()));
        assert!(text.contains(".TH"), "{}", page.display());
    }
    let import = std::fs::read_to_string(man.join("kk-import.1")).unwrap();
    assert!(import.contains("kk\\-import\\-master(1)"), "kk-import(1) refers to kk-import-master(1)");
    assert!(out.join("bash-completion/completions/kk-import").is_file());
}

/// Every xlsx list writes its dates (columns whose header ends in 日) as Excel dates shown
/// yyyy/mm/dd, and keys stay text.
#[test]
fn xlsx_dates_are_excel_dates() {
    use calamine::{Data, Reader, Xlsx, open_workbook};
    let dir = crate::tempdir();
    let p = dir.path();
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo/results.csv");
    let r = crate::run(p, "kk-stratify", &["-i", demo.to_str().unwrap(), "--format", "xlsx", "-o", "levels.xlsx"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let mut book: Xlsx<_> = open_workbook(p.join("levels.xlsx")).unwrap();
    let name = book.sheet_names()[0].clone();
    let sheet = book.worksheet_range(&name).unwrap();
    let header: Vec<String> =
        (0..sheet.width()).map(|c| sheet.get((0, c)).map(ToString::to_string).unwrap_or_default()).collect();
    let date_col = header.iter().position(|h| h == "受診日").expect("a 受診日 column");
    let key_col = header.iter().position(|h| h == "保険者番号").expect("a 保険者番号 column");
    let cell = sheet.get((1, date_col)).unwrap();
    let Data::DateTime(d) = cell else { panic!("受診日 is a date: {cell:?}") };
    let (y, m, day, ..) = d.to_ymd_hms_milli();
    assert!((2025..=2027).contains(&y) && (1..=12).contains(&m) && (1..=31).contains(&day), "{y}-{m}-{day}");
    assert!(matches!(sheet.get((1, key_col)), Some(Data::String(_))), "a key stays text");
    let styles = crate::external("unzip")
        .args(["-p", p.join("levels.xlsx").to_str().unwrap(), "xl/styles.xml"])
        .output()
        .unwrap();
    assert!(String::from_utf8(styles.stdout).unwrap().contains("yyyy/mm/dd"));
}
