//! kk-sql on generated months: the saved queries give the numbers an independent count gives
//! (written here again, in plain Rust, from the CSVs) and the numbers kk-statutory and
//! kk-unexamined give, in CP932 and in UTF-8; `--aggregate-only` refuses every spelling of an
//! identifying column; `--min-cell` leaves no small count visible, directly or by subtraction;
//! the audit line names the files by their SHA-256 and holds no value.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::{external, files_in, read_sjis, records, run, run_in, tempdir};

/// A generated month (clean, so plain parsing below reads it) with its master imported.
fn month(dir: &Path, encoding: &str) {
    let r = run(dir, "kk-gen", &["--persons", "1500", "--seed", "7", "--clean", "--encoding", encoding, "--out", "."]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = run(dir, "kk-import", &["master", "-i", "insured.csv", "-o", "master.csv", "-q"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
}

fn text(path: &Path, sjis: bool) -> String {
    if sjis { read_sjis(path) } else { std::fs::read_to_string(path).unwrap() }
}

/// The rows of a CSV as maps from header to value.
fn rows(text: &str) -> Vec<BTreeMap<String, String>> {
    let r = records(text);
    r[1..].iter().map(|row| r[0].iter().cloned().zip(row.iter().cloned()).collect()).collect()
}

/// Completed years from `birth` to `to` (both YYYYMMDD).
fn years(birth: &str, to: &str) -> i64 {
    let (b, t): (i64, i64) = (birth.parse().unwrap(), to.parse().unwrap());
    t / 10000 - b / 10000 - i64::from(t % 10000 < b % 10000)
}

fn key(r: &BTreeMap<String, String>) -> String {
    format!("{:0>8}/{}/{}/{}", r["保険者番号"], r["被保険者証記号"], r["被保険者証番号"], r["枝番"])
}

/// 受診率 for FY2026 counted directly: (insurer as shown, sex, band) → (targets, examined).
fn rate_by_hand(dir: &Path, sjis: bool) -> BTreeMap<(String, String, String), (u64, u64)> {
    let (first, last) = ("20260401", "20270331");
    let examined: BTreeSet<String> = rows(&text(&dir.join("results.csv"), sjis))
        .iter()
        .filter(|r| (first..=last).contains(&r["受診日"].as_str()))
        .map(key)
        .collect();
    let excluded: BTreeSet<String> = rows(&text(&dir.join("exclusions.csv"), sjis))
        .iter()
        .filter(|r| r["開始日"].as_str() <= last && (r["終了日"].is_empty() || r["終了日"].as_str() >= first))
        .map(key)
        .collect();
    let mut cells = BTreeMap::new();
    for m in rows(&text(&dir.join("master.csv"), sjis)) {
        // legal age at the year's end: completed years to the day after it
        let mut age = years(&m["生年月日"], "20270401");
        let seventy_fifth = m["生年月日"].parse::<i64>().unwrap() + 75 * 10000;
        if age == 75 && seventy_fifth > 20270331 {
            age = 74;
        }
        let insured =
            m["資格取得日"].as_str() <= first && (m["資格喪失日"].is_empty() || m["資格喪失日"].as_str() > last);
        if !(40..=74).contains(&age) || !insured || excluded.contains(&key(&m)) {
            continue;
        }
        let padded = format!("{:0>8}", m["保険者番号"]);
        let shown = padded.strip_prefix("00").unwrap_or(&padded).to_string();
        let band = format!("{}-{}", age / 5 * 5, age / 5 * 5 + 4);
        let cell: &mut (u64, u64) = cells.entry((shown, m["性別"].clone(), band)).or_default();
        cell.0 += 1;
        cell.1 += u64::from(examined.contains(&key(&m)));
    }
    cells
}

fn sql_rate(dir: &Path, extra: &[&str]) -> crate::Run {
    let mut args =
        vec!["--query", "受診率", "--param", "fy=2026", "-t", "被保険者=master.csv", "-t", "健診結果=results.csv"];
    args.extend_from_slice(&["-t", "除外=exclusions.csv", "--audit", "audit.log"]);
    args.extend_from_slice(extra);
    run(dir, "kk-sql", &args)
}

#[test]
fn the_rate_query_counts_what_a_count_by_hand_and_kk_statutory_count() {
    for (encoding, sjis) in [("sjis", true), ("utf8", false)] {
        let d = tempdir();
        month(d.path(), encoding);
        let r = sql_rate(d.path(), &["-o", "rate.csv"]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let by_hand = rate_by_hand(d.path(), sjis);
        assert!(by_hand.values().map(|c| c.0).sum::<u64>() > 500, "a month with targets");
        assert!(by_hand.values().map(|c| c.1).sum::<u64>() > 10, "and examined persons");
        let mut from_sql = BTreeMap::new();
        let mut totals: BTreeMap<String, (u64, u64)> = BTreeMap::new();
        for row in rows(&text(&d.path().join("rate.csv"), sjis)) {
            let counts: (u64, u64) = (row["対象者数"].parse().unwrap(), row["受診者数"].parse().unwrap());
            if row["性別"] == "計" {
                totals.insert(row["保険者番号"].clone(), counts);
            } else {
                from_sql.insert((row["保険者番号"].clone(), row["性別"].clone(), row["年齢階級"].clone()), counts);
            }
        }
        assert_eq!(from_sql, by_hand, "{encoding}");
        for (insurer, total) in &totals {
            let sum = by_hand.iter().filter(|(k, _)| &k.0 == insurer).fold((0, 0), |s, (_, c)| (s.0 + c.0, s.1 + c.1));
            assert_eq!(*total, sum, "{insurer}");
        }
        // kk-statutory summary's cells: the same numbers (its zero cells aside)
        let args = ["summary", "--fy", "2026", "--master", "master.csv", "--results", "results.csv"];
        let r = run(
            d.path(),
            "kk-statutory",
            &[&args[..], &["--exclusions", "exclusions.csv", "-o", "s.csv", "-q"]].concat(),
        );
        assert_eq!(r.code, 0, "{}", r.stderr);
        let statutory: BTreeMap<_, _> = rows(&text(&d.path().join("s.csv"), sjis))
            .into_iter()
            .filter(|r| r["保険者番号"] != "全体" && r["性別"] != "計" && r["年齢階級"] != "計" && r["対象者数"] != "0")
            .map(|r| {
                let counts: (u64, u64) = (r["対象者数"].parse().unwrap(), r["受診者数"].parse().unwrap());
                ((r["保険者番号"].clone(), r["性別"].clone(), r["年齢階級"].clone()), counts)
            })
            .collect();
        assert_eq!(from_sql, statutory, "{encoding}");
    }
}

#[test]
fn the_unexamined_by_postcode_query_counts_kk_unexamined_list() {
    let d = tempdir();
    month(d.path(), "utf8");
    let args = ["--query", "未受診者数_郵便番号", "--param", "fy=2026", "--param", "as_of=2026-04-01"];
    let tables = ["-t", "被保険者=master.csv", "-t", "健診結果=results.csv", "-t", "除外=exclusions.csv"];
    let r = run(d.path(), "kk-sql", &[&args[..], &tables, &["--audit", "a.log", "-o", "by_postcode.csv"]].concat());
    assert_eq!(r.code, 0, "{}", r.stderr);
    let from_sql: BTreeMap<String, u64> = rows(&std::fs::read_to_string(d.path().join("by_postcode.csv")).unwrap())
        .into_iter()
        .map(|r| (r["郵便番号上3桁"].clone(), r["未受診者数"].parse().unwrap()))
        .collect();
    let list = ["list", "--fy", "2026", "--as-of", "2026-04-01", "--master", "master.csv", "--results", "results.csv"];
    let r =
        run(d.path(), "kk-unexamined", &[&list[..], &["--exclusions", "exclusions.csv", "-o", "u.csv", "-q"]].concat());
    assert_eq!(r.code, 0, "{}", r.stderr);
    let listed = rows(&std::fs::read_to_string(d.path().join("u.csv")).unwrap());
    let mut by_hand: BTreeMap<String, u64> = BTreeMap::new();
    for r in &listed {
        *by_hand.entry(r["郵便番号"].chars().take(3).collect()).or_default() += 1;
    }
    assert!(listed.len() > 100);
    assert_eq!(from_sql, by_hand);
}

#[test]
fn aggregate_only_refuses_every_spelling_of_an_identifying_column() {
    let d = tempdir();
    month(d.path(), "utf8");
    let spellings = [
        "氏名",
        "氏　名",
        " 氏名 ",
        "ｼﾒｲ",
        "しめい",
        "フリガナ",
        "ﾌﾘｶﾞﾅ",
        "氏名カナ",
        "氏名ｶﾅ",
        "カナ氏名",
        "漢字氏名",
        "住所",
        "住所1",
        "現住所",
        "電話番号",
        "ＴＥＬ",
        "tel",
        "被保険者証記号",
        "被保険者証番号",
        "記号番号",
        "枝番",
        "生年月日",
        "被保険者キー",
    ];
    for name in spellings {
        // as the name of a result column, whatever it is made of
        let sql = format!("SELECT 性別 AS \"{name}\", count(*) AS 人数 FROM m GROUP BY 1");
        let r = run(
            d.path(),
            "kk-sql",
            &["-t", "m=master.csv", "--aggregate-only", &sql, "-o", "out.csv", "--audit", "a.log"],
        );
        assert_eq!(r.code, 2, "{name}: {}", r.stderr);
        assert!(r.stderr.contains("E033"), "{name}: {}", r.stderr);
        assert!(!d.path().join("out.csv").exists());
    }
    // and as the column it comes from, under another name
    for column in ["氏名", "氏名カナ", "住所", "被保険者証記号", "被保険者証番号", "生年月日", "被保険者キー"]
    {
        let sql = format!("SELECT {column} AS 区分, count(*) AS 人数 FROM m GROUP BY 1");
        let r = run(
            d.path(),
            "kk-sql",
            &["-t", "m=master.csv", "--aggregate-only", &sql, "-o", "out.csv", "--audit", "a.log"],
        );
        assert_eq!(r.code, 2, "{column}: {}", r.stderr);
        assert!(r.stderr.contains("E033") && !r.stderr.contains("ヤマダ"), "{column}: {}", r.stderr);
    }
    let ok = "SELECT 性別, count(*) AS 人数 FROM m GROUP BY 1";
    let r =
        run(d.path(), "kk-sql", &["-t", "m=master.csv", "--aggregate-only", ok, "-o", "out.csv", "--audit", "a.log"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
}

/// A shown count: a number, not `*`.
fn shown(v: &str) -> Option<u64> {
    v.parse().ok()
}

#[test]
fn min_cell_leaves_no_small_count_visible_nor_one_that_a_total_gives_back() {
    let d = tempdir();
    month(d.path(), "utf8");
    for n in ["5", "10", "30"] {
        let r =
            sql_rate(d.path(), &["--aggregate-only", "--min-cell", n, "-o", "rate.csv", "--output-encoding", "utf8"]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let n: u64 = n.parse().unwrap();
        let table = rows(&std::fs::read_to_string(d.path().join("rate.csv")).unwrap());
        let mut hidden = 0;
        for row in &table {
            for c in ["対象者数", "受診者数"] {
                match shown(&row[c]) {
                    Some(v) => assert!(v >= n, "{c} {v} < {n}"),
                    None => {
                        assert_eq!(row[c], "*");
                        hidden += 1;
                        // the rate would give the count back
                        assert_eq!(row["受診率"], "*");
                    }
                }
            }
        }
        assert!(hidden > 0, "some cells are small");
        // each insurer's 計 row and its parts: never exactly one hidden cell in a column
        let insurers: BTreeSet<&String> = table.iter().map(|r| &r["保険者番号"]).collect();
        for insurer in insurers {
            let group: Vec<_> = table.iter().filter(|r| &r["保険者番号"] == insurer).collect();
            for c in ["対象者数", "受診者数"] {
                let stars = group.iter().filter(|r| r[c] == "*").count();
                assert_ne!(stars, 1, "{insurer} {c}: one hidden cell is given back by the total");
            }
        }
    }
}

#[test]
fn every_run_appends_an_audit_line_of_hashes_without_data() {
    let d = tempdir();
    month(d.path(), "sjis");
    std::fs::create_dir(d.path().join("log")).unwrap();
    let q = ["-t", "m=master.csv", "SELECT 性別, count(*) AS 人数 FROM m GROUP BY 1", "-o", "out.csv"];
    let r = run(d.path(), "kk-sql", &q);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = run(d.path(), "kk-sql", &["-t", "m=master.csv", "--aggregate-only", "SELECT 氏名 FROM m", "-o", "x.csv"]);
    assert_eq!(r.code, 2);
    let log = d.path().join("log/kk-sql-audit.log");
    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    let sum = external("sha256sum").arg("master.csv").current_dir(d.path()).output().unwrap();
    let sum = String::from_utf8_lossy(&sum.stdout).split_whitespace().next().unwrap().to_string();
    assert!(lines[0].contains(&format!("tables=m=master.csv:sha256:{sum}")), "{}", lines[0]);
    assert!(lines[0].contains("rows=2") && lines[0].ends_with("status=ok"), "{}", lines[0]);
    assert!(
        lines[1].contains("flags=--aggregate-only --min-cell 10") && lines[1].ends_with("status=E033"),
        "{}",
        lines[1]
    );
    // no value of the table: no name, no birth date of anyone in it
    let master = read_sjis(&d.path().join("master.csv"));
    for row in rows(&master).iter().take(50) {
        assert!(!text.contains(&row["氏名"]) && !text.contains(&row["生年月日"]));
    }
    let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&log).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn a_kept_database_answers_later_queries_without_reloading() {
    let d = tempdir();
    month(d.path(), "utf8");
    let load = ["--db", "m.db", "-t", "被保険者=master.csv", "-t", "健診結果=results.csv", "--audit", "a.log"];
    let r = run(d.path(), "kk-sql", &[&load[..], &["SELECT count(*) AS 件数 FROM 健診結果"]].concat());
    assert_eq!(r.code, 0, "{}", r.stderr);
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(d.path().join("m.db")).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600);
    let first = sql_rate(d.path(), &["-o", "a.csv"]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    // the same saved query on the kept database (除外 not given: created empty, so compare without it)
    let q = ["--db", "m.db", "--query", "受診率", "--param", "fy=2026", "--audit", "a.log", "-o", "b.csv"];
    let r = run_in(d.path(), "kk-sql", &q, None, &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let plain = run(
        d.path(),
        "kk-sql",
        &[
            "--query",
            "受診率",
            "--param",
            "fy=2026",
            "-t",
            "被保険者=master.csv",
            "-t",
            "健診結果=results.csv",
            "--audit",
            "a.log",
            "-o",
            "c.csv",
        ],
    );
    assert_eq!(plain.code, 0);
    assert_eq!(std::fs::read(d.path().join("b.csv")).unwrap(), std::fs::read(d.path().join("c.csv")).unwrap());
    assert!(files_in(d.path()).contains(&"m.db".to_string()));
}

#[test]
fn a_workbook_keeps_codes_as_text_and_counts_as_numbers() {
    use calamine::{Data, Reader, Xlsx, open_workbook};
    let d = tempdir();
    month(d.path(), "sjis");
    let r = sql_rate(d.path(), &["--format", "xlsx", "-o", "rate.xlsx"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let mut book: Xlsx<_> = open_workbook(d.path().join("rate.xlsx")).unwrap();
    let sheet = book.worksheet_range("結果").unwrap();
    let first = sheet.rows().nth(1).unwrap();
    assert!(matches!(&first[0], Data::String(s) if s.len() >= 6), "{:?}", first[0]);
    assert!(matches!(first[3], Data::Float(_)), "{:?}", first[3]);
}

#[test]
fn the_stratify_query_counts_kk_stratify_levels() {
    let d = tempdir();
    month(d.path(), "sjis");
    let r = run(d.path(), "kk-stratify", &["-i", "results.csv", "-o", "levels.csv", "-q"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let q =
        ["--query", "階層化", "--param", "fy=2026", "-t", "階層化結果=levels.csv", "--audit", "a.log", "-o", "c.csv"];
    let r = run(d.path(), "kk-sql", &q);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let mut by_hand: BTreeMap<(String, String), u64> = BTreeMap::new();
    for row in rows(&read_sjis(&d.path().join("levels.csv"))) {
        if ("20260401"..="20270331").contains(&row["受診日"].as_str()) {
            *by_hand.entry((row["保険者番号"].clone(), row["保健指導レベル"].clone())).or_default() += 1;
            *by_hand.entry((row["保険者番号"].clone(), "計".into())).or_default() += 1;
        }
    }
    assert!(by_hand.len() > 4);
    let from_sql: BTreeMap<(String, String), u64> = rows(&read_sjis(&d.path().join("c.csv")))
        .into_iter()
        .map(|r| ((r["保険者番号"].clone(), r["保健指導レベル"].clone()), r["件数"].parse().unwrap()))
        .collect();
    assert_eq!(from_sql, by_hand);
}
