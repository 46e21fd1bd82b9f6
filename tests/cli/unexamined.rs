//! kk-unexamined list: exactly the targets of the fiscal year with no checkup in it.

use crate::{records, run, tempdir, to_sjis};

const HEADER: &str = "保険者番号,被保険者証記号,被保険者証番号,枝番,氏名カナ,氏名,性別,生年月日,資格取得日,資格喪失日,世帯番号,郵便番号,住所";

fn person(bango: &str, birth: &str, acquired: &str, lost: &str) -> String {
    format!("130013,101,{bango},01,テスト　タロウ,試験　太郎,1,{birth},{acquired},{lost},H{bango},,")
}

fn write(dir: &std::path::Path, name: &str, rows: &[String]) {
    std::fs::write(dir.join(name), rows.iter().map(|r| format!("{r}\n")).collect::<String>()).unwrap();
}

/// The listed 被保険者証番号 (and 年度末年齢) for one as-of date.
fn listed(dir: &std::path::Path, fy: &str, as_of: &str) -> Vec<(String, String)> {
    let r = run(
        dir,
        "kk-unexamined",
        &["list", "--fy", fy, "--as-of", as_of, "--master", "m.csv", "--results", "r.csv", "--exclusions", "x.csv"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    records(&String::from_utf8(r.stdout).unwrap()).into_iter().skip(1).map(|f| (f[2].clone(), f[13].clone())).collect()
}

#[test]
fn every_age_qualification_result_and_exclusion_edge() {
    let dir = tempdir();
    let p = dir.path();
    write(
        p,
        "m.csv",
        &[
            HEADER.to_string(),
            person("1", "19860401", "20080401", ""), // 40 at FY2025 end: target
            person("2", "19860402", "20080401", ""), // 39: not a target
            person("3", "19510401", "20080401", ""), // 75 on 2026-04-01: target until 03-31
            person("4", "19510331", "20080401", ""), // 75th birthday 2026-03-31
            person("5", "19501001", "20080401", ""), // 75th birthday 2025-10-01
            person("6", "19520229", "20080401", ""), // 29 Feb: 74 at FY end, 75 on 2027-03-01
            person("7", "19700101", "20260401", ""), // qualified only from the next year
            person("8", "19700101", "20080401", "20260331"), // loses qualification on the as-of day
            person("9", "19700101", "20080401", "20260401"), // still qualified on 03-31
            person("10", "19700101", "20080401", ""), // examined on 2026-03-31 (FY2025)
            person("11", "19700101", "20080401", ""), // examined only on 2026-04-01 (FY2026)
            person("12", "19700101", "20080401", ""), // examined only on 2025-03-31 (FY2024)
            person("13", "19700101", "20080401", ""), // excluded until 2025-03-31: not in FY2025
            person("14", "19700101", "20080401", ""), // excluded until 2025-04-01: excluded
            person("15", "19700101", "20080401", ""), // examined, results under 00130013
        ],
    );
    let result = |bango: &str, insurer: &str, day: &str| {
        format!("24100000001,{insurer},101,{bango},01,1,19700101,2610307411,{day},9N001000000000001,身長,170.0,cm")
    };
    write(
        p,
        "r.csv",
        &[
            "受診券整理番号,保険者番号,被保険者証記号,被保険者証番号,枝番,性別,生年月日,健診機関番号,受診日,項目コード,項目名,結果値,単位".to_string(),
            result("10", "130013", "20260331"),
            result("11", "130013", "20260401"),
            result("12", "130013", "20250331"),
            result("15", "00130013", "R7.6.1"),
        ],
    );
    write(
        p,
        "x.csv",
        &[
            "保険者番号,被保険者証記号,被保険者証番号,枝番,除外事由,開始日,終了日".to_string(),
            "130013,101,13,01,4,20240401,20250331".to_string(),
            "130013,101,14,01,1,20240401,20250401".to_string(),
        ],
    );
    let numbers = |v: Vec<(String, String)>| v.into_iter().map(|(n, a)| format!("{n}:{a}")).collect::<Vec<_>>();
    // on the last day of FY2025; sorted by person key (番号 as text)
    assert_eq!(numbers(listed(p, "2025", "2026-03-31")), ["1:40", "11:56", "12:56", "13:56", "3:75", "6:74", "9:56"]);
    // half a year earlier: the 1950-10-01 birth is still under 75, 8 and 9 qualified, 7 not yet
    assert_eq!(
        numbers(listed(p, "2025", "R7.9.30")),
        ["1:40", "11:56", "12:56", "13:56", "3:75", "4:75", "5:75", "6:74", "8:56", "9:56"]
    );
    // the 75th birthday itself ends it
    assert!(!numbers(listed(p, "2025", "2025-10-01")).contains(&"5:75".to_string()));
    // FY2026 on its first day: 11 examined in it, 10 and 12 not; 7 qualified from today; 1 is 41,
    // 2 reaches 40, the 29 Feb birth reaches 75 (on 2027-03-01); 3, 4, 5 are past 75; 8 and 9 lost
    assert_eq!(
        numbers(listed(p, "2026", "2026-04-01")),
        ["1:41", "10:57", "12:57", "13:57", "14:57", "15:57", "2:40", "6:75", "7:57"]
    );
}

#[test]
fn bad_reference_files_stop_with_line_and_column() {
    let dir = tempdir();
    let p = dir.path();
    write(
        p,
        "m.csv",
        &[HEADER.to_string(), person("1", "19860401", "20080401", ""), person("2", "19861301", "20080401", "")],
    );
    write(p, "r.csv", &["受診券整理番号,保険者番号,被保険者証記号,被保険者証番号,枝番,受診日,項目コード".to_string()]);
    write(p, "x.csv", &["保険者番号,被保険者証記号,被保険者証番号,枝番,除外事由,開始日,終了日".to_string()]);
    let args = [
        "list",
        "--fy",
        "2025",
        "--as-of",
        "2026-03-31",
        "--master",
        "m.csv",
        "--results",
        "r.csv",
        "--exclusions",
        "x.csv",
        "-o",
        "out.csv",
    ];
    let r = run(p, "kk-unexamined", &args);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("E012 m.csv:3行目 列「生年月日」: 被保険者マスタに不正な値があります (E104"),
        "{}",
        r.stderr
    );
    assert!(!p.join("out.csv").exists());
    write(p, "m.csv", &[HEADER.to_string(), person("1", "19860401", "20080401", "")]);
    write(
        p,
        "x.csv",
        &[
            "保険者番号,被保険者証記号,被保険者証番号,枝番,除外事由,開始日,終了日".to_string(),
            "130013,101,1,01,7,20250401,".to_string(),
        ],
    );
    let r = run(p, "kk-unexamined", &args);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("E012 x.csv:2行目 列「除外事由」: 除外事由に不正な値があります (E106"), "{}", r.stderr);
    let r = run(
        p,
        "kk-unexamined",
        &["list", "--fy", "25", "--as-of", "2026-03-31", "--master", "m.csv", "--results", "r.csv"],
    );
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("E011 オプション --fy の値が正しくありません"), "{}", r.stderr);

    // broken Shift_JIS in a results row, a master without 生年月日, a ragged master row: each stops
    // with file, line (and column where there is one), no output file and no name in the message
    write(p, "x.csv", &["保険者番号,被保険者証記号,被保険者証番号,枝番,除外事由,開始日,終了日".to_string()]);
    let mut results = to_sjis("受診券整理番号,保険者番号,被保険者証記号,被保険者証番号,枝番,受診日\r\n");
    results.extend_from_slice(b"25100000001,130013,101,1,01,20250601\r\n25100000002,130013,101,2,01,2025\x81\r\n");
    std::fs::write(p.join("r.csv"), results).unwrap();
    let r = run(p, "kk-unexamined", &[&args[..], &["--encoding", "sjis"]].concat());
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("E002 r.csv:3行目 列「受診日」: Shift_JISとして読めないバイト列があります"),
        "{}",
        r.stderr
    );
    assert!(!p.join("out.csv").exists());
    write(p, "r.csv", &["受診券整理番号,保険者番号,被保険者証記号,被保険者証番号,枝番,受診日".to_string()]);
    write(
        p,
        "m.csv",
        &[HEADER.replace(",生年月日", ""), "130013,101,1,01,テスト　タロウ,試験　太郎,1,20080401,,H1,,".to_string()],
    );
    let r = run(p, "kk-unexamined", &args);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("E003 m.csv: 必須の列「生年月日」がありません"), "{}", r.stderr);
    assert!(!p.join("out.csv").exists());
    write(p, "m.csv", &[HEADER.to_string(), "130013,101,1,01,テスト　タロウ,試験　太郎,1,19860401".to_string()]);
    let r = run(p, "kk-unexamined", &args);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("E004 m.csv:2行目: 列数が 8 個です (見出しは 13 個)"), "{}", r.stderr);
    assert!(!r.stderr.contains("タロウ") && !r.stderr.contains("太郎"), "{}", r.stderr);
    assert!(!p.join("out.csv").exists());
}

/// Every U-code once, on a small master, results and info-status; clean rows not listed.
#[test]
fn the_check_list_names_every_disagreement() {
    let dir = tempdir();
    let p = dir.path();
    write(
        p,
        "m.csv",
        &[
            HEADER.to_string(),
            person("1", "19700101", "20080401", ""), // agrees everywhere: not listed
            person("2", "19700101", "20080401", "20260101"), // lost, shown 有資格 → U101
            person("3", "19700101", "20080401", ""), // shown 喪失 → U102
            person("4", "19700101", "20080401", ""), // results, shown 未登録 → U103
            person("5", "19700101", "20080401", ""), // no results, shown 登録済 → U104
            person("7", "19700101", "20080401", ""), // kana differs → U106
            person("8", "19700101", "20080401", ""), // birth differs → U107
            person("9", "19600101", "20080401", ""), // a target the other system lacks → U108
            person("10", "19900101", "20080401", ""), // 36: not a target, absent: fine
        ],
    );
    let result = |bango: &str| {
        format!("26100000001,130013,101,{bango},01,1,19700101,2610307411,20260601,9N001000000000001,身長,170.0,cm")
    };
    write(
        p,
        "r.csv",
        &[
            "受診券整理番号,保険者番号,被保険者証記号,被保険者証番号,枝番,性別,生年月日,健診機関番号,受診日,項目コード,項目名,結果値,単位".to_string(),
            result("1"),
            result("4"),
        ],
    );
    let info = |bango: &str, kana: &str, birth: &str, status: &str, registered: &str| {
        format!("130013,101,{bango},01,{kana},{birth},{status},{registered},20261101")
    };
    write(
        p,
        "i.csv",
        &[
            "保険者番号,被保険者証記号,被保険者証番号,枝番,氏名カナ,生年月日,資格状態,結果登録状態,基準日".to_string(),
            info("1", "ﾃｽﾄ ﾀﾛｳ", "S45.1.1", "1", "1"),
            info("2", "テスト　タロウ", "19700101", "1", "0"),
            info("3", "テスト　タロウ", "19700101", "2", "0"),
            info("4", "テスト　タロウ", "19700101", "1", "0"),
            info("5", "テスト　タロウ", "19700101", "1", "1"),
            info("6", "テスト　タロウ", "19700101", "1", "0"),
            info("7", "テスト　ジロウ", "19700101", "1", "0"),
            info("8", "テスト　タロウ", "19700102", "1", "0"),
            info("x", "テスト　タロウ", "19700101", "3", "0"),
            "130014,101,11,01,テスト　タロウ,19700101,1,0,20261101".to_string(),
        ],
    );
    let r = run(p, "kk-unexamined", &["check", "--master", "m.csv", "--results", "r.csv", "-i", "i.csv", "--strict"]);
    assert_eq!(r.code, 1, "--strict with findings: {}", r.stderr);
    let rows: Vec<String> = records(&String::from_utf8(r.stdout).unwrap())
        .into_iter()
        .skip(1)
        .map(|f| [&f[0], &f[3], &f[5], &f[7], &f[8], &f[9]].map(|s| s.as_str()).join("|"))
        .collect();
    assert_eq!(
        rows,
        [
            "3|2|U101|資格喪失日 20260101|1 有資格|i.csv",
            "4|3|U102|資格あり|2 喪失|i.csv",
            "5|4|U103|結果あり|0 未登録|i.csv",
            "6|5|U104|結果なし|1 登録済|i.csv",
            "7|6|U105|||i.csv",
            "8|7|U106|テストタロウ|テストジロウ|i.csv",
            "9|8|U107|19700101|19700102|i.csv",
            "10|x|E106||3|i.csv",
            "11|11|E103||130014|i.csv",
            "9|9|U108|対象者||m.csv",
        ]
    );
    assert!(
        r.stderr.contains("2026年度 基準日 20261101: 連携先 10 行, マスタ 9 人; 指摘 8 行, エラー 2 行"),
        "{}",
        r.stderr
    );
    // the same list as an Excel workbook: 行番号 a number, keys text
    use calamine::{Data, Reader, Xlsx, open_workbook};
    let r = run(
        p,
        "kk-unexamined",
        &["check", "--master", "m.csv", "--results", "r.csv", "-i", "i.csv", "--format", "xlsx", "-o", "c.xlsx"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let mut book: Xlsx<_> = open_workbook(p.join("c.xlsx")).unwrap();
    let sheet = book.worksheet_range("チェックリスト").unwrap();
    assert_eq!(sheet.height(), 11, "header + 10 rows");
    assert_eq!(sheet.get((1, 0)), Some(&Data::Float(3.0)));
    assert_eq!(sheet.get((1, 1)), Some(&Data::String("130013".into())));
    assert_eq!(sheet.get((1, 5)), Some(&Data::String("U101".into())));
    assert_eq!(sheet.get((6, 8)), Some(&Data::String("テストジロウ".into())));
    // U108: the master's line, and the master named as the file it is a line of
    assert_eq!(sheet.get((10, 0)), Some(&Data::Float(9.0)));
    assert_eq!(sheet.get((10, 5)), Some(&Data::String("U108".into())));
    assert_eq!(sheet.get((10, 9)), Some(&Data::String("m.csv".into())));
    let r = run(
        p,
        "kk-unexamined",
        &["check", "--master", "m.csv", "--results", "r.csv", "-i", "i.csv", "--format", "xlsx"],
    );
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("E011 オプション --format xlsx の値が正しくありません"), "{}", r.stderr);
}
