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
        if word_start && word_end && b"EWLUSBX".contains(&b[i]) && b[i + 1..i + 4].iter().all(u8::is_ascii_digit) {
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
        c.debug_assert();
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
