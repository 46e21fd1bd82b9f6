//! kk-statutory: one hand-made fiscal year (FY2025) where every reason of the rule set occurs
//! once, and the lists and the table checked cell by cell.

use crate::{files_in, read_sjis, records, run, tempdir, to_sjis};

const MASTER_HEADER: &str = "保険者番号,被保険者証記号,被保険者証番号,枝番,氏名カナ,氏名,性別,生年月日,資格取得日,資格喪失日,世帯番号,郵便番号,住所";

/// (番号, 性別, 生年月日, 資格取得日, 資格喪失日) under 130013, then two under 06132013.
fn master() -> String {
    let p = |insurer: &str, kigo: &str, bango: &str, sex: &str, birth: &str, acq: &str, lost: &str| {
        format!(
            "{insurer},{kigo},{bango},01,ヤマダ タロウ,山田太郎,{sex},{birth},{acq},{lost},H{bango},100-0001,東京都"
        )
    };
    [
        MASTER_HEADER.to_string(),
        p("130013", "", "1", "1", "19700601", "20000101", ""), // 2 in, 55-59, examined
        p("130013", "", "2", "2", "19860401", "20000101", ""), // 3 in, 40 at the year's end
        p("130013", "", "3", "1", "19860402", "20000101", ""), // 4 S104 39
        p("130013", "", "4", "1", "19510401", "20000101", ""), // 5 in, 75 only at the end: 70-74
        p("130013", "", "5", "1", "19510331", "20000101", ""), // 6 S104 turned 75 on 31 March
        p("130013", "", "6", "1", "19600101", "20250402", ""), // 7 S105 joined on 2 April
        p("130013", "", "7", "2", "19600101", "20000101", "20260331"), // 8 S106 lost on 31 March
        p("130013", "", "8", "2", "19600101", "20000101", "20260401"), // 9 in: lost the day after
        p("130013", "", "9", "2", "19600101", "20000101", ""), // 10 S107 excluded (妊産婦)
        p("06132013", "K", "10", "1", "19800515", "20000101", "20250401"), // 11 S103 lost on 1 April
        p("06132013", "K", "11", "1", "19800515", "20000101", ""), // 12 in, 45-49, examined
    ]
    .join("\r\n")
        + "\r\n"
}

const EXCLUSIONS: &str = "保険者番号,被保険者証記号,被保険者証番号,枝番,除外事由,開始日,終了日\n\
    130013,,9,01,1,20250901,20251231\n\
    130013,,1,01,2,20240101,20250331\n";

const RESULTS_HEADER: &str = "受診券整理番号,保険者番号,被保険者証記号,被保険者証番号,枝番,性別,生年月日,健診機関番号,受診日,項目コード,項目名,結果値,単位";

fn results() -> String {
    let r = |ticket: &str, insurer: &str, kigo: &str, bango: &str, day: &str, item: &str| {
        format!("{ticket},{insurer},{kigo},{bango},01,1,19700601,1310001001,{day},{item},項目,1.0,")
    };
    [
        RESULTS_HEADER.to_string(),
        r("25100000001", "130013", "", "1", "20250601", "9N001000000000001"), // 2 kept
        r("25100000001", "130013", "", "1", "20250601", "9N006000000000001"), // 3 kept
        r("25100000003", "130013", "", "3", "20250601", "9N001000000000001"), // 4 S104
        r("25100000004", "130013", "", "4", "R7.6.2", "9N001000000000001"),   // 5 kept
        r("25100000006", "130013", "", "6", "20250701", "9N001000000000001"), // 6 S105
        r("25100000006", "130013", "", "6", "20250701", "9N006000000000001"), // 7 S105, same record
        r("26100000008", "130013", "", "8", "20260401", "9N001000000000001"), // 8 S102 next year
        r("25100000009", "130013", "", "9", "20250801", "9N001000000000001"), // 9 S107
        r("25100000010", "06132013", "K", "10", "20250801", "9N001000000000001"), // 10 S103
        r("25100000099", "130013", "", "99", "20250801", "9N001000000000001"), // 11 S101
        r("25100000006", "130013", "", "6", "20250701", "9N016000000000001"), // 12 S105, same record
        r("25100000011", "０６１３２０１３", "Ｋ", "１１", "20250901", "9N001000000000001"), // 13 kept
    ]
    .join("\n")
        + "\n"
}

fn setup(dir: &std::path::Path) {
    std::fs::write(dir.join("master.csv"), to_sjis(&master())).unwrap();
    std::fs::write(dir.join("jogai.csv"), EXCLUSIONS).unwrap();
    std::fs::write(dir.join("results.csv"), results()).unwrap();
}

#[test]
fn exclusions_list_every_target_out_of_the_denominator_with_its_reason() {
    let dir = tempdir();
    let p = dir.path();
    setup(p);
    let args = ["exclusions", "--fy", "2025", "--master", "master.csv", "--exclusions", "jogai.csv", "-o", "ex.csv"];
    let r = run(p, "kk-statutory", &args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        read_sjis(&p.join("ex.csv")),
        "行番号,保険者番号,被保険者証記号,被保険者証番号,枝番,性別,生年月日,年度末年齢,資格取得日,資格喪失日,除外事由コード,除外事由名,告示区分,除外開始日,除外終了日\r\n\
         7,130013,,6,01,1,19600101,66,20250402,,S105,年度途中加入,,,\r\n\
         8,130013,,7,01,2,19600101,66,20000101,20260331,S106,年度途中喪失,,,\r\n\
         10,130013,,9,01,2,19600101,66,20000101,,S107,告示による除外(妊産婦),1,20250901,20251231\r\n"
    );
    assert!(
        r.stderr.contains(
            "2025年度: マスタ 11 行 = 分母 5 人 + 年度内に資格なし 1 人 + 年齢範囲外 2 人 + 途中加入 1 人 + 途中喪失 1 人 + 告示除外 1 人"
        ),
        "{}",
        r.stderr
    );
}

#[test]
fn erasures_list_each_record_once_with_the_first_reason_and_kept_rows_stay_as_read() {
    let dir = tempdir();
    let p = dir.path();
    setup(p);
    let r = run(
        p,
        "kk-statutory",
        &[
            "erasures",
            "--fy",
            "2025",
            "--master",
            "master.csv",
            "--exclusions",
            "jogai.csv",
            "-i",
            "results.csv",
            "-o",
            "er.csv",
            "--kept",
            "kept.csv",
            "--summary-json",
            "s.json",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        std::fs::read_to_string(p.join("er.csv")).unwrap(),
        "行番号,受診券整理番号,保険者番号,被保険者証記号,被保険者証番号,枝番,受診日,結果行数,抹消事由コード,抹消事由名\n\
         4,25100000003,130013,,3,01,20250601,1,S104,年度末年齢が40〜74歳の範囲外\n\
         6,25100000006,130013,,6,01,20250701,3,S105,年度途中加入\n\
         8,26100000008,130013,,8,01,20260401,1,S102,受診日が対象年度外\n\
         9,25100000009,130013,,9,01,20250801,1,S107,告示による除外\n\
         10,25100000010,06132013,K,10,01,20250801,1,S103,年度内に資格がない\n\
         11,25100000099,130013,,99,01,20250801,1,S101,被保険者マスタにない\n"
    );
    let all: Vec<String> = results().lines().map(str::to_string).collect();
    let kept: String = [0, 1, 2, 4, 12].iter().map(|&i| format!("{}\n", all[i])).collect();
    assert_eq!(std::fs::read_to_string(p.join("kept.csv")).unwrap(), kept);
    assert!(r.stderr.contains("結果 12 行 = 報告 4 行 + 抹消 8 行 (記録 6 件)"), "{}", r.stderr);
    let json = std::fs::read_to_string(p.join("s.json")).unwrap();
    assert!(json.contains("\"rows_kept\": 4") && json.contains("\"S105\": 1"), "{json}");
    // --strict: any erasure is worth a look
    let r = run(
        p,
        "kk-statutory",
        &["erasures", "--fy", "2025", "--master", "master.csv", "-i", "results.csv", "-o", "er2.csv", "--strict"],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    // without the exclusions file, the excluded person's record is reported
    let er2 = std::fs::read_to_string(p.join("er2.csv")).unwrap();
    assert!(!er2.contains("S107"), "{er2}");
}

#[test]
fn the_summary_counts_targets_and_examinees_by_insurer_sex_and_age_band() {
    let dir = tempdir();
    let p = dir.path();
    setup(p);
    let args = [
        "summary",
        "--fy",
        "2025",
        "--master",
        "master.csv",
        "--exclusions",
        "jogai.csv",
        "--results",
        "results.csv",
        "-o",
        "su.csv",
    ];
    let r = run(p, "kk-statutory", &args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let rows = records(&read_sjis(&p.join("su.csv")));
    assert_eq!(
        rows[0],
        [
            "保険者番号",
            "性別",
            "年齢階級",
            "対象者数",
            "受診者数",
            "受診率",
            "積極的支援対象者数",
            "動機付け支援対象者数",
            "特定保健指導対象者数"
        ]
    );
    assert_eq!(rows.len(), 1 + 3 * 3 * 8, "every insurer × sex × band, zeros included");
    let non_zero: Vec<String> = rows[1..].iter().filter(|r| r[3] != "0").map(|r| r.join("|")).collect();
    assert_eq!(
        non_zero,
        [
            "130013|1|55-59|1|1|100.0|0|0|0",
            "130013|1|70-74|1|1|100.0|0|0|0",
            "130013|1|計|2|2|100.0|0|0|0",
            "130013|2|40-44|1|0|0.0|0|0|0",
            "130013|2|65-69|1|0|0.0|0|0|0",
            "130013|2|計|2|0|0.0|0|0|0",
            "130013|計|40-44|1|0|0.0|0|0|0",
            "130013|計|55-59|1|1|100.0|0|0|0",
            "130013|計|65-69|1|0|0.0|0|0|0",
            "130013|計|70-74|1|1|100.0|0|0|0",
            "130013|計|計|4|2|50.0|0|0|0",
            "06132013|1|45-49|1|1|100.0|0|0|0",
            "06132013|1|計|1|1|100.0|0|0|0",
            "06132013|計|45-49|1|1|100.0|0|0|0",
            "06132013|計|計|1|1|100.0|0|0|0",
            "全体|1|45-49|1|1|100.0|0|0|0",
            "全体|1|55-59|1|1|100.0|0|0|0",
            "全体|1|70-74|1|1|100.0|0|0|0",
            "全体|1|計|3|3|100.0|0|0|0",
            "全体|2|40-44|1|0|0.0|0|0|0",
            "全体|2|65-69|1|0|0.0|0|0|0",
            "全体|2|計|2|0|0.0|0|0|0",
            "全体|計|40-44|1|0|0.0|0|0|0",
            "全体|計|45-49|1|1|100.0|0|0|0",
            "全体|計|55-59|1|1|100.0|0|0|0",
            "全体|計|65-69|1|0|0.0|0|0|0",
            "全体|計|70-74|1|1|100.0|0|0|0",
            "全体|計|計|5|3|60.0|0|0|0",
        ]
    );
    // an empty cell has no rate
    assert_eq!(rows[1].join("|"), "130013|1|40-44|0|0||0|0|0");
    // the same table as a workbook, rates as numbers
    let args = [
        "summary",
        "--fy",
        "2025",
        "--master",
        "master.csv",
        "--exclusions",
        "jogai.csv",
        "--results",
        "results.csv",
        "--format",
        "xlsx",
        "-o",
        "su.xlsx",
    ];
    let r = run(p, "kk-statutory", &args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    use calamine::{Reader, Xlsx, open_workbook};
    let mut book: Xlsx<_> = open_workbook(p.join("su.xlsx")).unwrap();
    let range = book.worksheet_range("集計表").unwrap();
    let last = range.rows().next_back().unwrap();
    assert_eq!(last[0].to_string(), "全体");
    assert_eq!(last[5], calamine::Data::Float(60.0));
    // a second sheet of native charts over 全体's rows: 受診率 and 特定保健指導対象者数 by age
    // band, men and women
    assert_eq!(book.sheet_names(), ["集計表", "グラフ"]);
    let rows = range.height() as u32;
    let unzip = |name: &str| {
        let o = crate::external("unzip").args(["-p", p.join("su.xlsx").to_str().unwrap(), name]).output().unwrap();
        String::from_utf8(o.stdout).unwrap()
    };
    let chart = unzip("xl/charts/chart1.xml");
    let (men, women) = (rows - 24 + 1, rows - 16 + 1);
    for r in [format!("集計表!$F${men}:$F${}", men + 6), format!("集計表!$F${women}:$F${}", women + 6)] {
        assert!(chart.contains(&r), "{r} in {chart}");
    }
    assert!(chart.contains("受診率 (全体、年齢階級・性別)") && chart.contains("男性") && chart.contains("女性"));
    let men_bands: Vec<String> = range.rows().skip(men as usize - 1).take(7).map(|r| r[2].to_string()).collect();
    assert_eq!(men_bands, ["40-44", "45-49", "50-54", "55-59", "60-64", "65-69", "70-74"]);
    assert!(range.rows().nth(men as usize - 1).is_some_and(|r| r[0] == "全体" && r[1] == "1"));
    assert!(unzip("xl/charts/chart2.xml").contains("特定保健指導対象者数"));
    // both at once: the same CSV, the same workbook contents
    let args = [
        "summary",
        "--fy",
        "2025",
        "--master",
        "master.csv",
        "--exclusions",
        "jogai.csv",
        "--results",
        "results.csv",
        "-o",
        "both.csv",
        "--xlsx",
        "both.xlsx",
    ];
    let r = run(p, "kk-statutory", &args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(std::fs::read(p.join("both.csv")).unwrap(), std::fs::read(p.join("su.csv")).unwrap());
    let mut both: Xlsx<_> = open_workbook(p.join("both.xlsx")).unwrap();
    assert_eq!(both.worksheet_range("集計表").unwrap(), range);
}

#[test]
fn reconcile_says_for_each_file_sent_whether_it_was_received() {
    let dir = tempdir();
    let p = dir.path();
    std::fs::write(
        p.join("MANIFEST.csv"),
        to_sjis("ファイル名,件数,SHA-256\r\n結果.csv,100,aa\r\n除外.csv,3,bb\r\n集計.csv,72,cc\r\n抹消.csv,6,dd\r\n"),
    )
    .unwrap();
    std::fs::write(
        p.join("receipt.csv"),
        to_sjis(
            "ファイル名,件数,受領日,受領結果,返戻理由\r\n結果.csv,100,R8.7.1,1,\r\n除外.csv,3,20260701,2,様式誤り\r\n\
             集計.csv,70,20260701,1,\r\n他.csv,1,20260701,1,\r\n",
        ),
    )
    .unwrap();
    let r =
        run(p, "kk-statutory", &["reconcile", "--manifest", "MANIFEST.csv", "--receipt", "receipt.csv", "-o", "c.csv"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        read_sjis(&p.join("c.csv")),
        "ファイル名,送付件数,受領件数,受領日,判定コード,判定,返戻理由\r\n\
         結果.csv,100,100,20260701,,受領,\r\n\
         除外.csv,3,3,20260701,S201,返戻,様式誤り\r\n\
         集計.csv,72,70,20260701,S203,件数相違,\r\n\
         抹消.csv,6,,,S202,未着,\r\n\
         他.csv,,1,20260701,S204,送付記録にないファイルの受領,\r\n"
    );
    assert!(
        r.stderr.contains("送付 4 ファイル: 受領 1 / 返戻 1 / 未着 1 / 件数相違 1 / 送付記録なし 1"),
        "{}",
        r.stderr
    );
    let r = run(
        p,
        "kk-statutory",
        &["reconcile", "--manifest", "MANIFEST.csv", "--receipt", "receipt.csv", "-o", "c.csv", "--strict"],
    );
    assert_eq!(r.code, 1);
    // a later line about the same file wins: returned, then received after resending
    std::fs::write(
        p.join("receipt.csv"),
        "ファイル名,件数,受領日,受領結果,返戻理由\n結果.csv,100,20260701,2,文字化け\n除外.csv,3,20260701,1,\n\
         集計.csv,72,20260701,1,\n抹消.csv,6,20260701,1,\n結果.csv,100,20260710,1,\n",
    )
    .unwrap();
    let r = run(
        p,
        "kk-statutory",
        &["reconcile", "--manifest", "MANIFEST.csv", "--receipt", "receipt.csv", "-o", "c.csv", "--strict"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
}

#[test]
fn bad_input_stops_before_any_output() {
    let dir = tempdir();
    let p = dir.path();
    setup(p);
    let base = ["--master", "master.csv", "--results", "results.csv", "-o", "out.csv"];
    let r = run(p, "kk-statutory", &[&["summary", "--fy", "R7"][..], &base].concat());
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("E011 オプション --fy"), "{}", r.stderr);
    std::fs::write(
        p.join("jogai.csv"),
        "保険者番号,被保険者証記号,被保険者証番号,枝番,除外事由,開始日,終了日\n130013,,9,01,7,20250901,\n",
    )
    .unwrap();
    let r = run(p, "kk-statutory", &[&["summary", "--fy", "2025", "--exclusions", "jogai.csv"][..], &base].concat());
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr.trim(),
        "kk-statutory: E012 jogai.csv:2行目 列「除外事由」: 除外事由に不正な値があります (E106: コード値が正しくありません)"
    );
    // Shift_JIS rows under a UTF-8 header, read as UTF-8
    let header = "保険者番号,被保険者証記号,被保険者証番号,枝番,除外事由,開始日,終了日\n";
    std::fs::write(p.join("jogai.csv"), [header.as_bytes(), &to_sjis("130013,記号,9,01,1,20250901,\n")].concat())
        .unwrap();
    let r = run(
        p,
        "kk-statutory",
        &[&["summary", "--fy", "2025", "--exclusions", "jogai.csv", "--encoding", "utf8"][..], &base].concat(),
    );
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr.trim(),
        "kk-statutory: E002 jogai.csv:2行目 列「被保険者証記号」: UTF-8として読めないバイト列があります (--encoding を確認してください)"
    );
    std::fs::write(p.join("master.csv"), to_sjis(&master().replace(",19860402,", ",19860230,"))).unwrap();
    let r = run(p, "kk-statutory", &["exclusions", "--fy", "2025", "--master", "master.csv", "-o", "out.csv"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("master.csv:4行目 列「生年月日」"), "{}", r.stderr);
    std::fs::write(p.join("r2.csv"), "保険者番号,被保険者証番号\n130013,1\n").unwrap();
    let r = run(p, "kk-statutory", &["erasures", "--fy", "2025", "--master", "master.csv", "-i", "r2.csv"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("E003 r2.csv: 必須の列「受診日」がありません"), "{}", r.stderr);
    assert_eq!(files_in(p), ["jogai.csv", "master.csv", "r2.csv", "results.csv"]);
}

/// A date written YYYYMMDD by kk-import, as (year, month, day).
fn ymd(s: &str) -> Option<(i32, i32, i32)> {
    (s.len() == 8).then(|| (s[..4].parse().unwrap(), s[4..6].parse().unwrap(), s[6..].parse().unwrap()))
}

#[test]
fn generated_data_agrees_with_a_count_made_here() {
    let dir = crate::generated(2000);
    let p = dir.path();
    let import = run(p, "kk-import", &["master", "-i", "insured.csv", "-o", "m0.csv", "-q"]);
    assert!(import.code <= 1, "{}", import.stderr);
    let diff = run(p, "kk-import", &["master", "--base", "m0.csv", "-i", "diff.csv", "-o", "master.csv", "-q"]);
    assert!(diff.code <= 1, "{}", diff.stderr);
    let year = ["--fy", "2026", "--master", "master.csv", "--exclusions", "exclusions.csv"];
    let r = run(p, "kk-statutory", &[&["exclusions"][..], &year, &["-o", "ex.csv"]].concat());
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = run(p, "kk-statutory", &[&["summary"][..], &year, &["--results", "results.csv", "-o", "su.csv"]].concat());
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = run(p, "kk-statutory", &[&["erasures"][..], &year, &["-i", "results.csv", "-o", "er.csv"]].concat());
    assert_eq!(r.code, 0, "{}", r.stderr);

    // the count, written out plainly: FY2026 = 2026-04-01 .. 2027-03-31
    let key = |r: &[String], at: usize| {
        let insurer = format!("{:0>8}", r[at]);
        format!("{insurer}|{}|{}|{}", r[at + 1], r[at + 2], r[at + 3])
    };
    let excluded: std::collections::HashSet<String> = records(&read_sjis(&p.join("exclusions.csv")))[1..]
        .iter()
        .filter(|r| {
            let start = ymd(&r[5]).unwrap_or((2026, 4, 1));
            let end = ymd(&r[6]);
            start <= (2027, 3, 31) && end.is_none_or(|e| e >= (2026, 4, 1))
        })
        .map(|r| key(r, 0))
        .collect();
    let examined: std::collections::HashSet<String> = records(&read_sjis(&p.join("results.csv")))[1..]
        .iter()
        .filter(|r| ymd(&r[8]).is_some_and(|d| ((2026, 4, 1)..=(2027, 3, 31)).contains(&d)))
        .map(|r| key(r, 1))
        .collect();
    let (mut targets, mut seen, mut listed) = (0, 0, 0);
    let mut in_denominator = std::collections::HashSet::new();
    for r in &records(&read_sjis(&p.join("master.csv")))[1..] {
        let (by, bm, bd) = ymd(&r[7]).unwrap();
        // completed years on 2027-04-01; born 1 April 1952 reaches 75 only at the year's end
        let age = 2027 - by - i32::from((bm, bd) > (4, 1));
        let age_ok = (40..=74).contains(&age) || (age == 75 && (bm, bd) == (4, 1));
        let acquired = ymd(&r[8]).unwrap();
        let lost = ymd(&r[9]);
        let insured_some_day = acquired <= (2027, 3, 31) && lost.is_none_or(|l| l > (2026, 4, 1));
        if !(age_ok && insured_some_day) {
            continue;
        }
        let whole_year = acquired <= (2026, 4, 1) && lost.is_none_or(|l| l >= (2027, 4, 1));
        if whole_year && !excluded.contains(&key(r, 0)) {
            targets += 1;
            seen += u64::from(examined.contains(&key(r, 0)));
            in_denominator.insert(key(r, 0));
        } else {
            listed += 1;
        }
    }
    assert!(targets > 100 && listed > 0 && seen > 0, "the generated year has all kinds: {targets} {listed} {seen}");
    let ex = records(&read_sjis(&p.join("ex.csv")));
    assert_eq!(ex.len() - 1, listed);
    let su = records(&read_sjis(&p.join("su.csv")));
    let total = su.iter().find(|r| r[0] == "全体" && r[1] == "計" && r[2] == "計").unwrap();
    assert_eq!((total[3].parse::<u64>().unwrap(), total[4].parse::<u64>().unwrap()), (targets, seen));
    // every result of someone outside the denominator is erased, and only those
    let er = records(&read_sjis(&p.join("er.csv")));
    let erased_people: std::collections::HashSet<String> = er[1..].iter().map(|r| key(r, 2)).collect();
    for person in &erased_people {
        assert!(!in_denominator.contains(person) || er[1..].iter().any(|r| key(r, 2) == *person && r[8] == "S102"));
    }
    for person in examined.iter().filter(|k| !in_denominator.contains(*k)) {
        assert!(erased_people.contains(person), "{person} should be erased");
    }
}

/// The guidance columns on a year where three targets were examined with the items 階層化 needs:
/// 130013 番号1 (male, 55): 腹囲 90 + 血圧 + 脂質 → 積極的支援; 130013 番号4 (male, 75 at the
/// year's end, so capped): the same values → 動機付け支援; 06132013 K 11 (male, 45): BMI 26 + 血圧
/// → 動機付け支援. Guidance completed (実績評価日) by 番号1 and K 11; 番号4 started only; 番号2
/// (not examined) has a row that counts for nothing.
#[test]
fn the_summary_counts_guidance_targets_and_completions() {
    let dir = tempdir();
    let p = dir.path();
    std::fs::write(p.join("master.csv"), to_sjis(&master())).unwrap();
    std::fs::write(p.join("jogai.csv"), EXCLUSIONS).unwrap();
    let person = |ticket: &str, insurer: &str, kigo: &str, bango: &str, birth: &str, items: &[(&str, &str)]| {
        items
            .iter()
            .map(|(code, value)| {
                format!("{ticket},{insurer},{kigo},{bango},01,1,{birth},1310001001,20250601,{code},項目,{value},")
            })
            .collect::<Vec<_>>()
    };
    let healthy = [
        ("9A761000000000001", "70"),
        ("3F070000002327101", "60"),
        ("3D010000001926101", "90"),
        ("9N701000000000011", "2"),
        ("9N706000000000011", "2"),
        ("9N711000000000011", "2"),
        ("9N736000000000011", "3"),
    ];
    let with = |extra: &[(&'static str, &'static str)]| extra.iter().chain(healthy.iter()).copied().collect::<Vec<_>>();
    let target = with(&[("9N016160100000001", "90"), ("9A751000000000001", "140"), ("3F015000002327101", "200")]);
    let bmi = with(&[
        ("9N016160100000001", "80"),
        ("9N011000000000001", "26.0"),
        ("9A751000000000001", "130"),
        ("3F015000002327101", "100"),
    ]);
    let mut lines = vec![RESULTS_HEADER.to_string()];
    lines.extend(person("25100000001", "130013", "", "1", "19700601", &target));
    lines.extend(person("25100000004", "130013", "", "4", "19510401", &target));
    lines.extend(person("25100000011", "06132013", "K", "11", "19800515", &bmi));
    std::fs::write(p.join("results.csv"), lines.join("\n") + "\n").unwrap();
    std::fs::write(
        p.join("guidance.csv"),
        "保険者番号,被保険者証記号,被保険者証番号,枝番,支援区分,初回面接日,実績評価日\n\
         130013,,1,01,1,20250701,20251101\n\
         130013,,4,01,2,20250701,\n\
         06132013,K,11,01,2,20250715,20251020\n\
         130013,,2,01,2,20250715,20251020\n",
    )
    .unwrap();
    let args =
        ["summary", "--fy", "2025", "--master", "master.csv", "--exclusions", "jogai.csv", "--results", "results.csv"];
    let r = run(p, "kk-statutory", &[&args[..], &["--guidance", "guidance.csv", "-o", "su.csv"]].concat());
    assert_eq!(r.code, 0, "{}", r.stderr);
    let rows = records(&read_sjis(&p.join("su.csv")));
    assert_eq!(rows[0][9..], ["終了者数", "実施率"]);
    let row = |insurer: &str, sex: &str, band: &str| {
        rows.iter().find(|r| r[0] == insurer && r[1] == sex && r[2] == band).unwrap().join("|")
    };
    // 対象者 | 受診者 | 受診率 | 積極的 | 動機付け | 計 | 終了者 | 実施率
    assert_eq!(row("130013", "1", "55-59"), "130013|1|55-59|1|1|100.0|1|0|1|1|100.0");
    assert_eq!(row("130013", "1", "70-74"), "130013|1|70-74|1|1|100.0|0|1|1|0|0.0");
    assert_eq!(row("06132013", "1", "45-49"), "06132013|1|45-49|1|1|100.0|0|1|1|1|100.0");
    assert_eq!(row("全体", "計", "計"), "全体|計|計|5|3|60.0|1|2|3|2|66.7");
    assert!(
        r.stderr.contains(
            "特定保健指導 対象者 3 人 (積極的支援 1 人、動機付け支援 2 人、判定不能 0 人)、終了者 2 人、実施率 66.7%"
        ),
        "{}",
        r.stderr
    );

    // without --guidance the last two columns are not there
    let r = run(p, "kk-statutory", &[&args[..], &["-o", "su2.csv"]].concat());
    assert_eq!(r.code, 0, "{}", r.stderr);
    let rows = records(&read_sjis(&p.join("su2.csv")));
    assert_eq!(rows[0].len(), 9);

    // a bad 支援区分 in the guidance file is fatal, nothing written
    std::fs::write(p.join("guidance.csv"), "保険者番号,被保険者証記号,被保険者証番号,枝番,支援区分,初回面接日,実績評価日\n130013,,1,01,3,20250701,20251101\n").unwrap();
    let r = run(p, "kk-statutory", &[&args[..], &["--guidance", "guidance.csv", "-o", "su3.csv"]].concat());
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("E012 guidance.csv:2行目 列「支援区分」"), "{}", r.stderr);
    assert!(!p.join("su3.csv").exists());
}
