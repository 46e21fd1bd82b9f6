//! kk-limitcheck: every finding, clean claims that must not be flagged, contract-file errors.

use std::collections::BTreeSet;

use crate::{data, files_in, generated, read_sjis, records, run, run_in, sjis_to_string, tempdir, to_sjis};

fn golden_args(dir: &str) -> Vec<String> {
    [
        "--contracts",
        "contracts.csv",
        "--master",
        "master.csv",
        "--household",
        "household.csv",
        "--results",
        "results.csv",
        "-i",
        "claims.csv",
    ]
    .iter()
    .map(|a| if a.ends_with(".csv") { format!("{dir}/{a}") } else { a.to_string() })
    .collect()
}

/// The golden claims give one exact checklist, read as UTF-8 or as Shift_JIS.
#[test]
fn every_finding_once_and_no_clean_claim_listed() {
    let src = data("limitcheck");
    let dir = tempdir();
    let r = run(
        dir.path(),
        "kk-limitcheck",
        &golden_args(src.to_str().unwrap()).iter().map(String::as_str).collect::<Vec<_>>(),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let utf8 = String::from_utf8(r.stdout).unwrap();
    // the exact list is the golden case limitcheck/0001-every-finding
    assert_eq!(utf8, std::fs::read_to_string(src.join("out/checklist.csv")).unwrap());
    assert!(
        r.stderr.contains("請求 21 件 = 指摘なし 5 件 + 指摘あり 13 件 + 値の誤り 3 件; 指摘 18 行, エラー 3 行"),
        "{}",
        r.stderr
    );
    // the clean claims (lines 2–6: collective, exact, 10-yen rate rounding, insurer limit, exempt
    // household) are not listed
    let lines: BTreeSet<String> = records(&utf8).into_iter().skip(1).map(|f| f[0].clone()).collect();
    for clean in ["2", "3", "4", "5", "6"] {
        assert!(!lines.contains(clean), "line {clean} listed");
    }
    // the same files in Shift_JIS give the same list, in Shift_JIS with CRLF
    let sjis = tempdir();
    for f in files_in(&src).into_iter().filter(|f| f.ends_with(".csv")) {
        let text = std::fs::read_to_string(src.join(&f)).unwrap().replace('\n', "\r\n");
        std::fs::write(sjis.path().join(&f), to_sjis(&text)).unwrap();
    }
    let args = golden_args(sjis.path().to_str().unwrap());
    let r = run(dir.path(), "kk-limitcheck", &args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(sjis_to_string(&r.stdout), utf8.replace('\n', "\r\n"));
}

#[test]
fn without_household_data_the_exemption_is_not_assumed() {
    let src = data("limitcheck");
    let dir = tempdir();
    let s = |f: &str| src.join(f).to_str().unwrap().to_string();
    let r = run(dir.path(), "kk-limitcheck", &["--contracts", &s("contracts.csv"), "-i", &s("claims.csv"), "--strict"]);
    assert_eq!(r.code, 1, "--strict with findings");
    assert!(r.stderr.contains("--master と --household がないため、非課税世帯の窓口負担免除は判定しません"));
    let out = String::from_utf8(r.stdout).unwrap();
    assert!(
        out.contains(
            "\n6,26100000005,6631111116,130013,20260414,L108,窓口負担額が契約の窓口負担と違います,1000,0,-1000\n"
        ),
        "{out}"
    );
    assert!(!out.contains(",L112,"), "no results file: no result checks");
}

#[test]
fn contract_file_errors_stop_before_any_claim() {
    let src = data("limitcheck");
    let dir = tempdir();
    let contracts = std::fs::read_to_string(src.join("contracts.csv")).unwrap();
    let claims = src.join("claims.csv");
    let claims = claims.to_str().unwrap();
    let check = |text: &str, message: &str| {
        std::fs::write(dir.path().join("c.csv"), text).unwrap();
        let r = run(dir.path(), "kk-limitcheck", &["--contracts", "c.csv", "-i", claims, "-o", "out.csv"]);
        assert_eq!(r.code, 2, "{}", r.stderr);
        assert!(r.stderr.contains(message), "expected «{message}» in {}", r.stderr);
        assert!(!dir.path().join("out.csv").exists());
    };
    // the same institution, insurer and 契約区分 twice with overlapping periods
    check(
        &format!("{contracts}*,*,1,20270301,20280331,7700,1980,440,3,,2,1000,1,1\n"),
        "kk-limitcheck: E013 c.csv: 2行目と8行目の契約が同じ健診機関・保険者・契約区分で期間が重なっています",
    );
    // adjoining periods are fine
    std::fs::write(
        dir.path().join("ok.csv"),
        format!("{contracts}*,*,1,20270401,20280331,7700,1980,440,3,,2,1000,1,1\n"),
    )
    .unwrap();
    assert_eq!(run(dir.path(), "kk-limitcheck", &["--contracts", "ok.csv", "-i", claims, "-q"]).code, 0);
    // (2610307411,*) on line 3 and (*,06132013) on line 5 are equally specific: without the
    // exact contract of line 7, or with one covering only part of their common year, no single
    // contract applies to 2610307411 × 06132013
    let without_exact: String =
        contracts.lines().filter(|l| !l.starts_with("2610307411,06132013")).map(|l| format!("{l}\n")).collect();
    check(
        &without_exact,
        "kk-limitcheck: E014 c.csv: 3行目と5行目の契約(健診機関ごとと保険者ごと)がどちらも使える期間があります",
    );
    check(
        &contracts.replace("2610307411,06132013,1,20260401,20270331", "2610307411,06132013,1,20260401,20260930"),
        "E014 c.csv: 3行目と5行目",
    );
    check(
        &contracts.replace("2610307411,130013", "2610307412,130013"),
        "E012 c.csv:4行目 列「健診機関番号」: 契約ファイルに不正な値があります (E103: 検証番号(チェックディジット)が一致しません)",
    );
    check(&contracts.replace(",3,10,10,1", ",3,10.5.1,10,1"), "E012 c.csv:3行目 列「窓口負担値」");
    check(&contracts.replace(",3,10,10,1", ",7,10,10,1"), "E012 c.csv:3行目 列「窓口負担種別」");
    check(
        &contracts.replace("R9.3.31", "R8.3.31"),
        "E012 c.csv:5行目 列「終了日」: 契約ファイルに不正な値があります (E108",
    );
    check(&contracts.replace(",基本単価", ",基本"), "E003 c.csv: 必須の列「基本単価」がありません");
}

#[test]
fn bad_claim_files_are_fatal_and_leave_nothing() {
    let src = data("limitcheck");
    let dir = tempdir();
    let contracts = src.join("contracts.csv");
    let mut claims = std::fs::read_to_string(src.join("claims.csv")).unwrap();
    claims.push_str("202604,6631111116\n");
    std::fs::write(dir.path().join("claims.csv"), &claims).unwrap();
    let r = run(
        dir.path(),
        "kk-limitcheck",
        &["--contracts", contracts.to_str().unwrap(), "-i", "claims.csv", "-o", "out.csv"],
    );
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("kk-limitcheck: E004 claims.csv:23行目: 列数が 2 個です (見出しは 17 個)"),
        "{}",
        r.stderr
    );
    assert_eq!(files_in(dir.path()), ["claims.csv"]);
    let r = run_in(dir.path(), "kk-limitcheck", &["--contracts", contracts.to_str().unwrap()], Some(b""), &[]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("E005"), "{}", r.stderr);
}

/// The demo month's planted claim problems, found exactly.
#[test]
fn generated_claims_findings_match_the_planted_ones() {
    let dir = generated(2000);
    let p = dir.path();
    for args in [
        &["master", "-i", "insured.csv", "-o", "m.csv", "-q"][..],
        &["tax", "--master", "m.csv", "-i", "household-tax.csv", "-o", "hh.csv", "-q"],
    ] {
        assert_eq!(run(p, "kk-import", args).code, 0);
    }
    let r = run(
        p,
        "kk-limitcheck",
        &[
            "--contracts",
            "contracts.csv",
            "--master",
            "m.csv",
            "--household",
            "hh.csv",
            "-i",
            "claims.csv",
            "-o",
            "list.csv",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let planted: BTreeSet<String> = records(&read_sjis(&p.join("anomalies.csv")))
        .into_iter()
        .filter(|f| f[0] == "claims.csv")
        .map(|f| format!("{},{}", f[1], f[3]))
        .collect();
    let found: BTreeSet<String> =
        records(&read_sjis(&p.join("list.csv"))).into_iter().skip(1).map(|f| format!("{},{}", f[0], f[5])).collect();
    assert!(planted.len() >= 3, "{planted:?}");
    assert_eq!(found, planted);
}

#[test]
fn the_checklist_as_an_excel_workbook() {
    use calamine::{Data, Reader, Xlsx, open_workbook};
    let src = data("limitcheck");
    let dir = tempdir();
    let mut args = golden_args(src.to_str().unwrap());
    args.extend(["--format", "xlsx", "-o", "list.xlsx"].map(String::from));
    let r = run(dir.path(), "kk-limitcheck", &args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(r.code, 0, "{}", r.stderr);
    let path = dir.path().join("list.xlsx");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    let mut book: Xlsx<_> = open_workbook(&path).unwrap();
    assert_eq!(book.sheet_names(), ["チェックリスト"]);
    let sheet = book.worksheet_range("チェックリスト").unwrap();
    assert_eq!(sheet.height(), 22, "header + 21 findings");
    assert_eq!(sheet.get((0, 6)), Some(&Data::String("チェック内容".into())));
    // line 9: L103 at 2610307411 / 280081, expected 8805, actual 7700, difference -1105
    let row = (1..sheet.height()).find(|&r| sheet.get((r, 5)) == Some(&Data::String("L103".into()))).unwrap();
    assert_eq!(sheet.get((row, 0)), Some(&Data::Float(9.0)));
    assert_eq!(sheet.get((row, 1)), Some(&Data::String("26100000008".into())), "a key stays text");
    assert_eq!(sheet.get((row, 3)), Some(&Data::String("280081".into())));
    assert_eq!(sheet.get((row, 7)), Some(&Data::Float(8805.0)));
    assert_eq!(sheet.get((row, 9)), Some(&Data::Float(-1105.0)));
    // a code in 実際値 stays text; empty cells stay empty
    let row = (1..sheet.height()).find(|&r| sheet.get((r, 5)) == Some(&Data::String("L107".into()))).unwrap();
    assert_eq!(sheet.get((row, 8)), Some(&Data::String("9A110160700000011".into())));
    assert!(matches!(sheet.get((row, 7)), None | Some(Data::Empty)));
    // frozen header, autofilter over the list, widths that fit the full-width 内容 column
    let xml =
        crate::external("unzip").args(["-p", path.to_str().unwrap(), "xl/worksheets/sheet1.xml"]).output().unwrap();
    let xml = String::from_utf8(xml.stdout).unwrap();
    assert!(xml.contains(r#"<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>"#), "{xml}");
    assert!(xml.contains(r#"<autoFilter ref="A1:J22"/>"#), "{xml}");
    assert!(xml.contains(r#"<col min="7" max="7" width="5"#), "内容 column sized for ~50 full-width characters: {xml}");
    // xlsx needs a file
    let r = run(
        dir.path(),
        "kk-limitcheck",
        &[&args[..args.len() - 2].iter().map(String::as_str).collect::<Vec<_>>()[..]].concat(),
    );
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("E011 オプション --format xlsx の値が正しくありません: 出力ファイルを -o で指定してください"),
        "{}",
        r.stderr
    );
}

#[test]
fn help_has_examples_and_names_every_check() {
    let dir = tempdir();
    let r = run(dir.path(), "kk-limitcheck", &["--help"]);
    assert_eq!(r.code, 0);
    let help = String::from_utf8(r.stdout).unwrap();
    assert!(help.contains("例:") && help.contains("--format"), "{help}");
    for code in ["L101", "L102", "L104", "L105", "L106", "L107", "L108", "L109", "L110", "L111", "L112", "L114"] {
        assert!(help.contains(code), "{code} missing from --help");
    }
}
