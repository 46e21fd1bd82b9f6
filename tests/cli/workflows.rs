//! scripts/monthly.sh and scripts/annual.sh end to end on the demo month: every output, the
//! report against the planted anomalies, a byte-identical re-run, a failing step, a missing
//! input, a concurrent run.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::{read_sjis, records};

fn bin_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_kk-import")).parent().unwrap().to_path_buf()
}

fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts").join(name)
}

/// A work folder set up like scripts/demo.sh does, with its kk.conf. Its path has spaces and
/// kanji, as a Windows-shared folder's might: every path in the scripts must be quoted.
fn work() -> tempfile::TempDir {
    let dir = tempfile::Builder::new().prefix("kk 作業 ").tempdir().unwrap();
    let w = dir.path();
    let month = w.join("202604/in");
    std::fs::create_dir_all(&month).unwrap();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    // the CSVs (the month's V08 archive in xml/ is the demo's way in: see the xml test)
    for e in std::fs::read_dir(fixtures.join("demo")).unwrap() {
        let p = e.unwrap().path();
        if p.is_file() {
            std::fs::copy(&p, month.join(p.file_name().unwrap())).unwrap();
        }
    }
    std::fs::copy(fixtures.join("finance.toml"), w.join("finance.toml")).unwrap();
    let keygen = Command::new(bin_dir().join("kk-backup")).args(["keygen", "-o"]).arg(w.join("backup.key")).output();
    let public = String::from_utf8(keygen.unwrap().stdout).unwrap();
    assert!(public.starts_with("age1"), "{public}");
    let anon = Command::new(bin_dir().join("kk-anonymize")).arg("keygen").output().unwrap();
    std::fs::write(w.join("anon.key"), anon.stdout).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(w.join("anon.key"), std::fs::Permissions::from_mode(0o600)).unwrap();
    std::fs::write(
        w.join("kk.conf"),
        format!(
            "# test\nKK_WORK={w}\nKK_BIN={bin}\nKK_BACKUP_RECIPIENT={public}\nKK_BACKUP_IDENTITY={w}/backup.key\n\
             KK_ANON_KEY = \"{w}/anon.key\"\nKK_INVOICES=no\n",
            w = w.display(),
            bin = bin_dir().display(),
            public = public.trim()
        ),
    )
    .unwrap();
    dir
}

fn run_script(w: &Path, name: &str, args: &[&str]) -> Output {
    Command::new("bash")
        .arg(script(name))
        .arg("-q")
        .arg("--config")
        .arg(w.join("kk.conf"))
        .args(args)
        .current_dir(w)
        .env_remove("KK_ENCODING")
        .env_remove("KK_WORK")
        .env_remove("KK_BIN")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Every file under `dir` with its bytes, by relative path.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((p.strip_prefix(dir).unwrap().display().to_string(), std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn the_demo_month_runs_end_to_end_reports_every_anomaly_and_reruns_identically() {
    let dir = work();
    let w = dir.path();
    let o = run_script(w, "monthly.sh", &["202604"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = w.join("202604/out");
    for f in [
        "master.csv",
        "errors_insured.csv",
        "duplicates_insured.csv",
        "errors_diff.csv",
        "household.csv",
        "errors_tax.csv",
        "checklist_limit.csv",
        "ledger.csv",
        "subsidy.csv",
        "subsidy_summary.csv",
        "unexamined.csv",
        "checklist_unexamined.csv",
        "stratify.csv",
        "errors_stratify.csv",
    ] {
        assert!(out.join(f).is_file(), "{f}");
    }
    assert!(w.join("backup/kk-202604.zip.age").is_file());

    // the report names every planted anomaly by input file, line and code
    let report = std::fs::read_to_string(w.join("202604/log/report.csv")).unwrap();
    let report = records(report.trim_start_matches('\u{feff}'));
    assert_eq!(report[1], ["結果", "", "判定", "正常終了"]);
    let listed: std::collections::HashSet<(String, String, String)> =
        report.iter().filter(|r| r[0] == "明細").map(|r| (r[1].clone(), r[2].clone(), r[3].clone())).collect();
    let anomalies = records(&read_sjis(&w.join("202604/in/anomalies.csv")));
    assert!(anomalies.len() > 40);
    for a in anomalies[1..].iter().filter(|a| a[2] != "階層化") {
        let item = (a[0].clone(), a[1].clone(), a[3].clone());
        assert!(listed.contains(&item), "{item:?} is not in the report");
    }
    // the planted 階層化 edge cases get the level written beside them: the checkup of that
    // results line (受診券整理番号, key, 受診日) in the stratify list
    let results = records(&read_sjis(&w.join("202604/in/results.csv")));
    let levels = records(&read_sjis(&out.join("stratify.csv")));
    let edges: Vec<&Vec<String>> = anomalies[1..].iter().filter(|a| a[2] == "階層化").collect();
    assert!(edges.len() >= 3, "{}", edges.len());
    for a in edges {
        let r = &results[a[1].parse::<usize>().unwrap() - 1];
        let key = [&r[0], &r[1], &r[2], &r[3], &r[4], &r[8]];
        let row =
            levels.iter().find(|l| [&l[0], &l[1], &l[2], &l[3], &l[4], &l[7]] == key).expect("the checkup is listed");
        assert_eq!(row[16], a[3], "line {}: {}", a[1], a[4]);
    }
    let steps: Vec<String> = report
        .iter()
        .filter(|r| r[0] == "手順" && r[2] == "終了コード")
        .map(|r| format!("{}={}", r[1], r[3]))
        .collect();
    assert_eq!(
        steps,
        [
            "00 doctor=0",
            "01 import_master=0",
            "02 import_diff=0",
            "03 import_tax=0",
            "04 limitcheck=0",
            "05 finance=0",
            "06 subsidy=0",
            "07 unexamined_list=0",
            "08 unexamined_check=0",
            "09 stratify=0",
            "10 backup=0",
            "11 backup_verify=0"
        ]
    );
    let md = std::fs::read_to_string(w.join("202604/log/report.md")).unwrap();
    assert!(md.contains("- 結果: **正常終了**") && md.contains("| claims.csv | L110 | 1 |"), "{md}");
    // output checksums are in the report, and they are those of the files
    let master = std::fs::read(out.join("master.csv")).unwrap();
    let sha: String = {
        use sha2::Digest;
        sha2::Sha256::digest(&master).iter().map(|b| format!("{b:02x}")).collect()
    };
    assert!(report.iter().any(|r| r[0] == "ファイル" && r[1].ends_with("out/master.csv") && r[3] == sha));

    // the same month again: the same bytes
    let before = snapshot(&out);
    let o = run_script(w, "monthly.sh", &["202604"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(before == snapshot(&out), "a re-run changed out/");
    let log = std::fs::read_to_string(w.join("202604/log/monthly.log")).unwrap();
    assert_eq!(log.matches("実行終了 月次処理 202604 正常終了").count(), 2);
    the_attached_report_holds_every_step(w);
}

/// The 業務完了報告書's attached report (log/report.pdf): every step with its counts, the runs,
/// the backup and the 定期点検, no personal data; the same logs give the same bytes.
fn the_attached_report_holds_every_step(w: &Path) {
    let log = w.join("202604/log");
    let pdf = log.join("report.pdf");
    let text = crate::pdftotext(&pdf, 1, 9);
    for step in [
        "doctor",
        "import_master",
        "import_diff",
        "import_tax",
        "limitcheck",
        "finance",
        "subsidy",
        "unexamined_list",
        "unexamined_check",
        "stratify",
        "backup",
        "backup_verify",
    ] {
        assert!(text.contains(step), "{step} in the PDF:\n{text}");
    }
    // the import_master row: 306 rows in, 283 out, 23 rejected, 4 groups
    assert!(
        text.lines().any(|l| l.contains("import_master")
            && l.split_whitespace().rev().take(4).collect::<Vec<_>>() == ["4", "23", "283", "306"]),
        "{text}"
    );
    assert!(text.contains("1. ") && text.contains("2. ") && text.contains("開始 — 正常終了"), "both runs: {text}");
    assert!(text.contains("— 検証済み") && text.contains("定期点検 (kk-doctor): 問題 0 件"), "{text}");
    assert!(text.contains("手順ごとの指摘の件数") && text.contains("claims.csv"), "{text}");
    // no personal data: no name or kana of the insured file
    let insured = records(&read_sjis(&w.join("202604/in/insured.csv")));
    for person in &insured[1..] {
        for value in [&person[4], &person[5]] {
            assert!(value.is_empty() || !text.contains(value.as_str()), "a name in the report");
        }
    }
    // kk-report again on the same logs: the same bytes
    let again = log.join("again.pdf");
    let path = |name: &str| log.join(name).display().to_string();
    let list = format!("insured.csv={}", w.join("202604/out/errors_insured.csv").display());
    let (steps, md, csv, monthly, doctor) =
        (path("steps.csv"), path("r.md"), path("r.csv"), path("monthly.log"), path("00_doctor.txt"));
    let args = [
        "--title",
        "月次処理 202604",
        "--steps",
        &steps,
        "--list",
        &list,
        "--md",
        &md,
        "--csv",
        &csv,
        "--log",
        &monthly,
        "--doctor",
        &doctor,
    ];
    let (pdf_path, again_path) = (pdf.display().to_string(), again.display().to_string());
    let first = [&args[..], &["--pdf", &pdf_path]].concat();
    let second = [&args[..], &["--pdf", &again_path]].concat();
    assert_eq!(crate::run(w, "kk-report", &first).code, 0);
    assert_eq!(crate::run(w, "kk-report", &second).code, 0);
    assert_eq!(std::fs::read(&pdf).unwrap(), std::fs::read(&again).unwrap());
}

#[test]
fn a_corrupt_input_stops_the_run_at_its_step_with_its_exit_code() {
    let dir = work();
    let w = dir.path();
    std::fs::write(w.join("202604/in/claims.csv"), "処理年月,健診機関番号\n202604\n").unwrap();
    let o = run_script(w, "monthly.sh", &["202604"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with(
            "monthly.sh: 月次処理 202604: 手順 04 limitcheck が終了コード 2 で止まりました: kk-limitcheck: E003"
        ),
        "{err}"
    );
    // the steps before ran, the ones after did not
    let out = w.join("202604/out");
    assert!(out.join("household.csv").is_file() && !out.join("ledger.csv").exists());
    let md = std::fs::read_to_string(w.join("202604/log/report.md")).unwrap();
    assert!(md.contains("- 結果: **失敗: 手順 04 limitcheck (終了コード 2)**"), "{md}");
    // fixed, the month runs through
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo/claims.csv"),
        w.join("202604/in/claims.csv"),
    )
    .unwrap();
    let o = run_script(w, "monthly.sh", &["202604"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn missing_inputs_and_bad_arguments_stop_before_any_step() {
    let dir = work();
    let w = dir.path();
    std::fs::remove_file(w.join("202604/in/contracts.csv")).unwrap();
    std::fs::remove_file(w.join("202604/in/insured.csv")).unwrap();
    let o = run_script(w, "monthly.sh", &["202604"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("202604: 入力がありません:") && err.contains("contracts.csv"), "{err}");
    assert!(err.contains("insured.csv (または前月の"), "{err}");
    assert!(!w.join("202604/log").exists() && !w.join("202604/out").exists(), "nothing ran");
    // every set-up problem at once: the missing inputs and a backup without a key
    let conf = std::fs::read_to_string(w.join("kk.conf")).unwrap();
    let keyless: String =
        conf.lines().filter(|l| !l.starts_with("KK_BACKUP_RECIPIENT")).map(|l| format!("{l}\n")).collect();
    std::fs::write(w.join("kk.conf"), keyless).unwrap();
    let o = run_script(w, "monthly.sh", &["202604"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("202604: 入力がありません:") && err.contains("202604: バックアップの鍵がありません"), "{err}");
    assert!(err.trim_end().ends_with("設定・入力の問題が 2 件あります (上の各行)"), "{err}");
    std::fs::write(w.join("kk.conf"), conf).unwrap();
    let o = run_script(w, "monthly.sh", &["2026-04"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("YYYYMM"), "{}", stderr(&o));
    std::fs::write(w.join("bad.conf"), "KK_WROK=/tmp\n").unwrap();
    let o =
        Command::new("bash").arg(script("monthly.sh")).args(["--config", "bad.conf", "202604"]).current_dir(w).output();
    let o = o.unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("bad.conf:1行目: 知らない設定 KK_WROK です"), "{}", stderr(&o));
}

#[test]
fn a_second_run_of_the_same_month_waits_for_nothing_and_exits_75() {
    let dir = work();
    let w = dir.path();
    let log = w.join("202604/log");
    std::fs::create_dir_all(&log).unwrap();
    // another run holds the month's lock
    let mut holder = crate::external("flock").arg(log.join(".lock")).args(["sleep", "30"]).spawn().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let o = run_script(w, "monthly.sh", &["202604"]);
    holder.kill().unwrap();
    holder.wait().unwrap();
    assert_eq!(o.status.code(), Some(75), "{}", stderr(&o));
    assert_eq!(stderr(&o).trim(), "monthly.sh: 202604 は別の実行が処理中です (終わってから実行し直してください)");
    assert!(!w.join("202604/out").exists());
}

#[test]
fn the_annual_steps_run_alone_and_in_order() {
    let dir = work();
    let w = dir.path();
    let o = run_script(w, "monthly.sh", &["202604"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let year_in = w.join("annual/2026/in");
    std::fs::create_dir_all(&year_in).unwrap();
    // anonymize alone needs what erasures writes
    let o = run_script(w, "annual.sh", &["2026", "anonymize"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("houkoku.csv (erasures の出力)"), "{}", stderr(&o));
    for (from, to) in [("202604/out/master.csv", "master.csv"), ("202604/in/results.csv", "results.csv")] {
        std::fs::copy(w.join(from), year_in.join(to)).unwrap();
    }
    std::fs::copy(w.join("202604/in/exclusions.csv"), year_in.join("exclusions.csv")).unwrap();
    let o = run_script(w, "annual.sh", &["2026", "erasures"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = run_script(w, "annual.sh", &["2026", "exclusions", "summary", "anonymize"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = w.join("annual/2026/out");
    for f in ["jogaisha.csv", "massho.csv", "houkoku.csv", "shukei.csv", "shukei.xlsx", "MANIFEST.csv"] {
        assert!(out.join(f).is_file(), "{f}");
    }
    // no recipient configured for the report: a plain zip, and the log says so
    assert!(out.join("houkoku_2026.zip").is_file());
    let log = std::fs::read_to_string(w.join("annual/2026/log/annual.log")).unwrap();
    assert!(log.contains("zip は暗号化しません"), "{log}");
    // the receipt: one file returned → reconcile fails the step with exit 1
    let manifest = records(&read_sjis(&out.join("MANIFEST.csv")));
    let receipt = format!(
        "ファイル名,件数,受領日,受領結果,返戻理由\n{},{},20260701,1,\n{},{},20260701,2,様式誤り\n",
        manifest[1][0], manifest[1][1], manifest[2][0], manifest[2][1]
    );
    std::fs::write(year_in.join("receipt.csv"), receipt).unwrap();
    let o = run_script(w, "annual.sh", &["2026", "reconcile"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("手順 5 reconcile が終了コード 1 で止まりました"), "{}", stderr(&o));
    let juryo = records(&read_sjis(&out.join("juryo.csv")));
    assert_eq!(juryo[2][4..6], ["S201", "返戻"]);
    let report = std::fs::read_to_string(w.join("annual/2026/log/report.csv")).unwrap();
    assert!(report.contains("明細,MANIFEST.csv,0,S201"), "{report}");
    // one report for the year: the steps of the earlier runs are still in it, in step order,
    // each once, and the lists of erasures and exclusions too
    let md = std::fs::read_to_string(w.join("annual/2026/log/report.md")).unwrap();
    let rows: Vec<&str> =
        md.lines().filter(|l| l.starts_with("| ") && l.chars().nth(2).is_some_and(|c| c.is_ascii_digit())).collect();
    let steps: Vec<&str> = rows.iter().map(|r| r.split(" | ").nth(1).unwrap_or("")).collect();
    assert_eq!(steps, ["exclusions", "erasures", "summary", "anonymize", "reconcile"], "{md}");
    assert!(md.contains("### results.csv ←") && md.contains("### master.csv ←"), "{md}");
    // a step run again replaces its own row only
    let o = run_script(w, "annual.sh", &["2026", "summary"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let md = std::fs::read_to_string(w.join("annual/2026/log/report.md")).unwrap();
    assert_eq!(md.matches("| summary |").count(), 1, "{md}");
    assert!(md.contains("| reconcile |"), "{md}");
}

/// The demo's way in: the month's V08 archive in in/xml/ (no results or claims CSV) is checked
/// and read by step 00, and every later step reads what it gave.
#[test]
fn a_month_that_arrives_as_xml_is_checked_read_and_processed() {
    let dir = work();
    let w = dir.path();
    let month = w.join("202604/in");
    std::fs::remove_file(month.join("results.csv")).unwrap();
    std::fs::remove_file(month.join("claims.csv")).unwrap();
    std::fs::create_dir(month.join("xml")).unwrap();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo/xml");
    for e in std::fs::read_dir(fixtures).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "zip") {
            std::fs::copy(&p, month.join("xml").join(p.file_name().unwrap())).unwrap();
        }
    }
    let o = run_script(w, "monthly.sh", &["202604"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = w.join("202604/out");
    for f in ["results.csv", "claims.csv", "xml_headers.csv", "xml_check.csv", "xml_errors.csv", "stratify.csv"] {
        assert!(out.join(f).exists(), "{f}");
    }
    let md = std::fs::read_to_string(w.join("202604/log/report.md")).unwrap();
    assert!(md.contains("| 00 | xml_check |") && md.contains("| 00 | xml_read |"), "{md}");
    // kk-gen's planted double claim has no checkup in the archive: its DATA file stands alone
    assert!(md.contains("| xml | X207 | 1 |"), "{md}");
    // the claims read from XML reach the limit check: kk-gen's planted price problems are found
    assert!(md.contains("| claims.csv | L103 | 1 |") && md.contains("| claims.csv | L108 | 1 |"), "{md}");
}

/// `--help` prints the script's usage text and nothing of its code, ending with the exit codes.
#[test]
fn script_help_is_the_usage_text_only() {
    for name in ["monthly.sh", "annual.sh"] {
        let o = Command::new("bash").arg(script(name)).arg("--help").stdin(Stdio::null()).output().unwrap();
        assert!(o.status.success(), "{name}");
        let text = String::from_utf8(o.stdout).unwrap();
        assert!(
            text.starts_with(&format!(
                "{}: scripts/{name} [--config kk.conf]",
                if name == "monthly.sh" { "月次バッチ" } else { "年次 (法定報告)" }
            )),
            "{name}: {text}"
        );
        let last = text.trim_end().lines().last().unwrap_or("");
        assert!(last.contains("処理中"), "{name} ends with its exit codes: «{last}»");
        for code in ["set -", "prog=", "here=", "shellcheck", "source "] {
            assert!(!text.contains(code), "{name}: «{code}» in its help");
        }
    }
}

/// `make deps`: what is missing is named with its package, and the one apt-get line is printed;
/// every external command the tests run is in its list.
#[test]
fn deps_names_what_is_missing_and_the_line_to_install_it() {
    let ok = Command::new("bash").arg(script("deps.sh")).arg("--check").output().unwrap();
    assert_eq!(ok.status.code(), Some(0), "{}", String::from_utf8_lossy(&ok.stderr));
    // a PATH with bash alone: every command is missing (the font is a file, still found)
    let bin = crate::tempdir();
    std::os::unix::fs::symlink("/bin/bash", bin.path().join("bash")).unwrap();
    let o = Command::new(bin.path().join("bash"))
        .arg(script("deps.sh"))
        .arg("--check")
        .env("PATH", bin.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8(o.stderr).unwrap();
    assert!(err.contains("deps.sh: pdftotext がありません (Debian パッケージ poppler-utils)"), "{err}");
    let last = err.lines().last().unwrap_or("");
    assert_eq!(
        last,
        "deps.sh: 入れるには: sudo apt-get install -y make libc-bin unzip poppler-utils age libxml2-utils bc zip util-linux bsdutils sqlite3"
    );
    for program in ["unzip", "zipinfo", "age", "age-keygen", "pdftotext", "pdffonts", "xmllint", "flock", "iconv"] {
        assert!(crate::deps_package(program).is_some(), "{program} is not in scripts/deps.sh");
    }
    assert_eq!(crate::deps_package("ipaexg.ttf").as_deref(), Some("fonts-ipaexfont-gothic"));
}

/// The scripts decide whether to write invoices and the report PDF by looking for the same fonts,
/// in the same order, as the tools do (io::pdf::FONT_PATHS): one list in two languages.
#[test]
fn the_scripts_look_for_the_fonts_the_tools_use() {
    let lib = std::fs::read_to_string(script("lib.sh")).unwrap();
    let start = lib.find("font_found() {").expect("font_found in lib.sh");
    let body = &lib[start..start + lib[start..].find("\n}").unwrap()];
    let paths: Vec<&str> =
        body.split_whitespace().filter(|w| w.starts_with("/usr/")).map(|w| w.trim_end_matches(';')).collect();
    assert_eq!(paths, kk::io::pdf::FONT_PATHS);
}
