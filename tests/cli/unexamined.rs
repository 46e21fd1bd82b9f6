//! kk-unexamined list: exactly the targets of the fiscal year with no checkup in it.

use crate::{records, run, tempdir};

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
}
