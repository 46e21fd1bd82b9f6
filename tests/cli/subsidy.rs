//! kk-subsidy: subsidised items per person and per insurer × item.

use crate::{files_in, records, run, run_in, tempdir, to_sjis};

const RESULTS: &str = "受診券整理番号,保険者番号,被保険者証記号,被保険者証番号,枝番,性別,生年月日,健診機関番号,受診日,項目コード,項目名,結果値,単位";
const URIC: &str = "3C020000002327101";
const HB: &str = "2A030000001930101";

fn result(insurer: &str, bango: &str, day: &str, code: &str) -> String {
    format!("25100000001,{insurer},101,{bango},01,1,19700101,2610307411,{day},{code},項目,1.0,")
}

fn setup(dir: &std::path::Path, rows: &[String]) {
    std::fs::write(
        dir.join("items.csv"),
        format!("項目コード,項目名,補助区分,補助単価\n{URIC},尿酸,1,400\n{HB},血色素量,2,300\n"),
    )
    .unwrap();
    std::fs::write(
        dir.join("r.csv"),
        format!("{RESULTS}\n{}", rows.iter().map(|r| format!("{r}\n")).collect::<String>()),
    )
    .unwrap();
}

#[test]
fn the_same_item_twice_in_a_year_counts_once_at_the_earliest_checkup() {
    let dir = tempdir();
    let p = dir.path();
    setup(
        p,
        &[
            result("130013", "1", "20260331", URIC),                // FY2025
            result("00130013", "1", "20260301", URIC),              // same person, same FY, earlier: counted
            result("130013", "1", "20260401", URIC),                // FY2026: counted again
            result("130013", "1", "20260401", "9N001000000000001"), // not subsidised
            result("130013", "2", "20260501", HB),
            result("06132013", "3", "20260501", URIC),
        ],
    );
    let r = run(p, "kk-subsidy", &["--items", "items.csv", "-i", "r.csv", "--summary", "s.csv"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let list: Vec<String> = records(&String::from_utf8(r.stdout).unwrap())
        .into_iter()
        .skip(1)
        .map(|f| format!("{}|{}|{}|{}|{}", f[0], f[3], f[5], f[7], f[11]))
        .collect();
    assert_eq!(
        list,
        [
            format!("2|1|20260331|{URIC}|0 同一年度の重複"),
            format!("3|1|20260301|{URIC}|1"),
            format!("4|1|20260401|{URIC}|1"),
            format!("6|2|20260501|{HB}|1"),
            format!("7|3|20260501|{URIC}|1"),
        ]
    );
    assert_eq!(
        std::fs::read_to_string(p.join("s.csv")).unwrap(),
        format!(
            "保険者番号,項目コード,項目名,補助区分,件数,補助単価,金額\n130013,{HB},血色素量,2,1,300,300\n130013,{URIC},尿酸,1,2,400,800\n06132013,{URIC},尿酸,1,1,400,400\n"
        )
    );
    assert!(
        r.stderr.contains("補助対象 5 行 = 集計 4 件 + 同一年度の重複 1 件; 保険者 × 項目 3 組, 補助額 1,500 円"),
        "{}",
        r.stderr
    );
    // --fy keeps one fiscal year; from stdin
    let input = std::fs::read(p.join("r.csv")).unwrap();
    let r = run_in(p, "kk-subsidy", &["--items", "items.csv", "--fy", "2026"], Some(&input), &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let rows = records(&String::from_utf8(r.stdout).unwrap());
    assert_eq!(rows.iter().skip(1).map(|f| f[0].as_str()).collect::<Vec<_>>(), ["4", "6", "7"]);
    // the summary as an Excel workbook: insurer numbers and codes text, counts and amounts numbers
    use calamine::{Data, Reader, Xlsx, open_workbook};
    let r = run(
        p,
        "kk-subsidy",
        &["--items", "items.csv", "-i", "r.csv", "-o", "l.csv", "--summary", "s.xlsx", "--summary-format", "xlsx"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let mut book: Xlsx<_> = open_workbook(p.join("s.xlsx")).unwrap();
    let sheet = book.worksheet_range("補助金集計").unwrap();
    assert_eq!(sheet.height(), 4);
    assert_eq!(sheet.get((3, 0)), Some(&Data::String("06132013".into())));
    assert_eq!(sheet.get((2, 1)), Some(&Data::String(URIC.into())));
    assert_eq!(sheet.get((2, 4)), Some(&Data::Float(2.0)));
    assert_eq!(sheet.get((2, 6)), Some(&Data::Float(800.0)));
    assert!(r.stderr.contains("補助額 1,500 円"), "{}", r.stderr);
    // the workbook needs a file, not standard output
    let r =
        run(p, "kk-subsidy", &["--items", "items.csv", "-i", "r.csv", "--summary", "-", "--summary-format", "xlsx"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains(
            "E011 オプション --summary-format xlsx の値が正しくありません: 出力ファイルを --summary で指定してください"
        ),
        "{}",
        r.stderr
    );
    // --summary-format without --summary is a usage error
    let r = run(p, "kk-subsidy", &["--items", "items.csv", "-i", "r.csv", "--summary-format", "xlsx"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
}

#[test]
fn malformed_item_codes_are_reported_by_line_and_nothing_is_written() {
    let dir = tempdir();
    let p = dir.path();
    setup(
        p,
        &[
            result("130013", "1", "20260331", URIC),
            result("130013", "1", "20260331", "3C0200"),
            result("130013", "2", "20260331", "３Ｃ０２"),
        ],
    );
    let r = run(p, "kk-subsidy", &["--items", "items.csv", "-i", "r.csv", "-o", "out.csv", "--summary", "s.csv"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("kk-subsidy: E016 r.csv:3行目 列「項目コード (3、4行目)」: 値が正しくありません (E102"),
        "{}",
        r.stderr
    );
    assert_eq!(files_in(p), ["items.csv", "r.csv"]);

    // broken Shift_JIS in 項目コード, a results file without 項目コード, a ragged row
    let args = ["--items", "items.csv", "-i", "r.csv", "-o", "out.csv", "--summary", "s.csv"];
    let mut bytes = to_sjis(&format!("{RESULTS}\r\n{}\r\n", result("130013", "1", "20260331", URIC)));
    bytes.extend_from_slice(b"25100000001,130013,101,2,01,1,19700101,2610307411,20260331,3C02\x81,x,1.0,\r\n");
    std::fs::write(p.join("r.csv"), bytes).unwrap();
    let r = run(p, "kk-subsidy", &args);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("kk-subsidy: E002 r.csv:3行目 列「項目コード」: Shift_JISとして読めないバイト列があります"),
        "{}",
        r.stderr
    );
    assert_eq!(files_in(p), ["items.csv", "r.csv"]);
    std::fs::write(p.join("r.csv"), RESULTS.replace(",項目コード", "") + "\n").unwrap();
    let r = run(p, "kk-subsidy", &args);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("kk-subsidy: E003 r.csv: 必須の列「項目コード」がありません"), "{}", r.stderr);
    std::fs::write(p.join("r.csv"), format!("{RESULTS}\n25100000001,130013,101,1\n")).unwrap();
    let r = run(p, "kk-subsidy", &args);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("kk-subsidy: E004 r.csv:2行目: 列数が 4 個です (見出しは 13 個)"), "{}", r.stderr);
    assert_eq!(files_in(p), ["items.csv", "r.csv"]);
}
