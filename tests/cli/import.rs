//! kk-import: master (full and --base diff), tax, on real files.

use std::collections::BTreeSet;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::{data, files_in, generated, read_sjis, records, run, run_in, sjis_to_string, tempdir, to_sjis};

const HEADER: &str = "保険者番号,被保険者証記号,被保険者証番号,枝番,氏名カナ,氏名,性別,生年月日,資格取得日,資格喪失日,世帯番号,郵便番号,住所";
const DIFF_HEADER: &str = "保険者番号,被保険者証記号,被保険者証番号,枝番,氏名カナ,氏名,性別,生年月日,資格取得日,資格喪失日,世帯番号,郵便番号,住所,異動区分,異動日";

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn golden_cp932_file_gives_exact_master_error_and_duplicate_lists() {
    let dir = tempdir();
    let input = data("import/golden.csv");
    let r = run(
        dir.path(),
        "kk-import",
        &["master", "-i", input.to_str().unwrap(), "-o", "m.csv", "--errors", "e.csv", "--duplicates", "d.csv"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.is_empty());
    let master = std::fs::read(dir.path().join("m.csv")).unwrap();
    // 外字 F040 and the NEC-selected IBM code ED40 come out byte for byte, lines end in CRLF
    assert!(master.windows(4).any(|w| w == b"\x93\x6e\xf0\x40"), "渡 + 外字 F040");
    assert!(master.windows(2).any(|w| w == b"\xed\x40"), "ED40 kept as written");
    assert!(master.ends_with(b"\r\n") && !master.windows(2).any(|w| w[1] == b'\n' && w[0] != b'\r'));
    // the exact lists and messages are the golden case import/0019-golden-cp932
    let case = input.parent().unwrap();
    assert_eq!(master, std::fs::read(case.join("out/m.csv")).unwrap());
    for f in ["e.csv", "d.csv"] {
        assert_eq!(read_sjis(&dir.path().join(f)), read_sjis(&case.join("out").join(f)), "{f}");
    }
    assert_eq!(
        r.stderr.replace(input.to_str().unwrap(), "golden.csv"),
        std::fs::read_to_string(case.join("experr")).unwrap()
    );
    for f in ["m.csv", "e.csv", "d.csv"] {
        assert_eq!(mode(&dir.path().join(f)), 0o600, "{f}");
    }
    assert_eq!(files_in(dir.path()), ["d.csv", "e.csv", "m.csv"], "no temporary file left");
}

#[test]
fn messages_carry_no_personal_data() {
    let dir = tempdir();
    let input = data("import/golden.csv");
    let r = run(dir.path(), "kk-import", &["master", "-i", input.to_str().unwrap(), "-o", "m.csv"]);
    let text = read_sjis(&input);
    let mut values = BTreeSet::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        if f.len() == 14 {
            // 氏名カナ, 氏名, 生年月日, 住所 and 番号 of every row
            for i in [1, 5, 6, 8, 13] {
                let v = f[i].trim_matches(|c: char| c == ' ' || c == '\u{3000}' || c == '"');
                if v.chars().count() >= 4 {
                    values.insert(v.to_string());
                }
            }
        }
    }
    assert!(values.len() > 20, "{values:?}");
    for v in &values {
        assert!(!r.stderr.contains(v.as_str()), "stderr shows {v}:\n{}", r.stderr);
    }
}

/// Converts the golden file to other encodings, line endings and sources: the results are the
/// same text, in the encoding that was read, with the same line numbers.
#[test]
fn input_matrix_encodings_line_endings_stdin_and_file() {
    let golden = sjis_to_string(&std::fs::read(data("import/golden.csv")).unwrap());
    let dir = tempdir();
    let mut baseline: Option<(String, String, String)> = None;
    for (enc, eol, via_stdin) in [
        ("sjis", "\r\n", false),
        ("sjis", "\r\n", true),
        ("sjis", "\n", false),
        ("utf8", "\n", false),
        ("utf8", "\r\n", true),
        ("utf8-bom", "\r\n", false),
        ("utf8-bom", "\n", true),
    ] {
        let text = golden.replace("\r\n", eol);
        let bytes = match enc {
            "sjis" => std::fs::read(data("import/golden.csv"))
                .unwrap()
                .split(|b| *b == b'\n')
                .map(|l| l.strip_suffix(b"\r").unwrap_or(l).to_vec())
                .collect::<Vec<_>>()
                .join(eol.as_bytes()),
            "utf8" => text.into_bytes(),
            _ => [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat(),
        };
        std::fs::write(dir.path().join("in.csv"), &bytes).unwrap();
        let args = ["master", "--errors", "e.csv", "--duplicates", "d.csv", "-q"];
        let r = if via_stdin {
            run_in(dir.path(), "kk-import", &args, Some(&bytes), &[])
        } else {
            run(dir.path(), "kk-import", &[&args[..], &["-i", "in.csv"]].concat())
        };
        assert_eq!(r.code, 0, "{enc} {eol:?} {}", r.stderr);
        let decode = |b: &[u8]| -> String {
            let s = if enc == "sjis" {
                sjis_to_string(b)
            } else {
                let b = if enc == "utf8-bom" {
                    b.strip_prefix(b"\xEF\xBB\xBF".as_slice()).expect("BOM written back")
                } else {
                    b
                };
                String::from_utf8(b.to_vec()).unwrap()
            };
            // the duplicate list's 元ファイル names the input: the stdin name or the file's
            s.replace("\r\n", "\n").replace(",<標準入力>\n", ",in.csv\n")
        };
        // Shift_JIS is written with CRLF, UTF-8 with LF (SPEC §1)
        assert_eq!(r.stdout.ends_with(b"\r\n"), enc == "sjis", "{enc} {eol:?}");
        let got = (
            decode(&r.stdout),
            decode(&std::fs::read(dir.path().join("e.csv")).unwrap()),
            decode(&std::fs::read(dir.path().join("d.csv")).unwrap()),
        );
        match &baseline {
            None => baseline = Some(got),
            Some(b) => assert_eq!(&got, b, "{enc} {eol:?} stdin={via_stdin}"),
        }
    }
}

/// One bad input: the exit code, the exact first message line, and no output file left.
fn assert_fails(input: &[u8], extra: &[&str], code: i32, message: &str) {
    let dir = tempdir();
    std::fs::write(dir.path().join("in.csv"), input).unwrap();
    let r = run(
        dir.path(),
        "kk-import",
        &[&["master", "-i", "in.csv", "-o", "out.csv", "--errors", "e.csv", "--duplicates", "d.csv"], extra].concat(),
    );
    assert_eq!(r.code, code, "{}", r.stderr);
    assert!(r.stderr.contains(message), "expected «{message}» in:\n{}", r.stderr);
    assert!(files_in(dir.path()).iter().all(|f| f == "in.csv" || f.ends_with(".toml")), "{:?}", files_in(dir.path()));
}

fn csv(rows: &[&str]) -> String {
    rows.iter().map(|r| format!("{r}\r\n")).collect()
}

/// UTF-8 output ends lines in LF (SPEC §1).
fn lf(rows: &[&str]) -> String {
    rows.iter().map(|r| format!("{r}\n")).collect()
}

const OK_ROW: &str = "130013,101,1001,01,ヤマダ　タロウ,山田　太郎,1,19700101,20080401,,H1,100-0001,東京都";

/// A row whose fields all come out as they went in is copied as its line; any other row is
/// written field by field: both give exactly the master the rules say, in CP932 and in UTF-8 —
/// a CR inside a field (quoted on output), a quoted field that needs no quotes, half-width kana,
/// names with runs of blanks or a blank at an end (never copied through undecoded).
#[test]
fn rows_copied_whole_and_rows_written_field_by_field_are_the_master_the_rules_give() {
    let row = |n: &str, kana: &str, name: &str, address: &str| {
        format!("130013,101,{n},01,{kana},{name},1,19700101,20080401,,H1,100-0001,{address}")
    };
    let input = csv(&[
        HEADER,
        &row("1001", "ヤマダ　タロウ", "山田　太郎", "東京都"),
        &row("1002", "ヤマダ　ジロウ", "山田　次郎", "東京\r都"),
        &row("1003", "ヤマダ　サブロウ", "\"山田　三郎\"", "東京都"),
        &row("1004", "ﾔﾏﾀﾞ ｼﾛｳ", "山田　四郎", "東京都ｱｲ"),
        &row("1005", "ヤマダ　ゴロウ", "山田  五郎", "東京都"),
        &row("1006", "ヤマダ　ロクロウ", "山田　六郎　", " 東京都"),
    ]);
    let want = [
        row("1001", "ヤマダ　タロウ", "山田　太郎", "東京都"),
        row("1002", "ヤマダ　ジロウ", "山田　次郎", "\"東京\r都\""),
        row("1003", "ヤマダ　サブロウ", "山田　三郎", "東京都"),
        row("1004", "ヤマダ　シロウ", "山田　四郎", "東京都アイ"),
        row("1005", "ヤマダ　ゴロウ", "山田　五郎", "東京都"),
        row("1006", "ヤマダ　ロクロウ", "山田　六郎", "東京都"),
    ];
    for (bytes, sjis) in [(to_sjis(&input), true), (input.clone().into_bytes(), false)] {
        let dir = tempdir();
        std::fs::write(dir.path().join("in.csv"), &bytes).unwrap();
        let r = run(dir.path(), "kk-import", &["master", "-i", "in.csv", "-o", "out.csv", "-q"]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let out = std::fs::read(dir.path().join("out.csv")).unwrap();
        let (text, eol) = if sjis { (sjis_to_string(&out), "\r\n") } else { (String::from_utf8(out).unwrap(), "\n") };
        let want: String = [HEADER.to_string()].iter().chain(&want).map(|l| format!("{l}{eol}")).collect();
        assert_eq!(text, want, "CP932: {sjis}");
    }
}

#[test]
fn undecodable_bytes_are_fatal_with_line_and_column() {
    let mut bytes = to_sjis(&csv(&[HEADER, OK_ROW, OK_ROW.replace("1001", "1002").as_str()]));
    // an unassigned CP932 code (85 40) in 氏名 of line 3
    let pos = bytes.windows(4).rposition(|w| w == to_sjis("山田").as_slice()).unwrap();
    bytes.splice(pos..pos + 2, [0x85, 0x40]);
    assert_fails(&bytes, &[], 2, "kk-import: E002 in.csv:3行目 列「氏名」: Shift_JISとして読めないバイト列があります");
    // valid CP932 read as UTF-8 on request
    let bytes = to_sjis(&csv(&[HEADER, OK_ROW]));
    assert_fails(
        &bytes,
        &["--encoding", "utf8"],
        2,
        "E002 in.csv:1行目 列「1列目」: UTF-8として読めないバイト列があります",
    );
}

#[test]
fn structural_problems_are_fatal() {
    let no_birth = HEADER.replace(",生年月日", "");
    let row = OK_ROW.replace(",19700101", "");
    assert_fails(
        &to_sjis(&csv(&[&no_birth, &row])),
        &[],
        2,
        "kk-import: E003 in.csv: 必須の列「生年月日」がありません",
    );
    let short = OK_ROW.rsplit_once(',').unwrap().0;
    assert_fails(
        &to_sjis(&csv(&[HEADER, OK_ROW, "\"a\r\nb\"", short])),
        &[],
        2,
        "kk-import: E006 in.csv:3行目 列「保険者番号」: CSVとして読めません (引用符で始まる値が次の行以降に続いたため、列数が 1 個になり見出しの 13 個と合いません。",
    );
    assert_fails(&to_sjis(&csv(&[HEADER, OK_ROW, OK_ROW, short])), &[], 2, "E004 in.csv:4行目: 列数が 12 個です");
    assert_fails(b"", &[], 2, "kk-import: E005 in.csv: 空のファイルです (見出し行がありません)");
    assert_fails(b"\r\n\r\n", &[], 2, "E005");
    let dup = format!("{HEADER},氏名");
    assert_fails(&to_sjis(&csv(&[&dup])), &[], 2, "kk-import: E010 in.csv: 列「氏名」が見出しに2回以上あります");
    assert_fails(
        &to_sjis(&csv(&[HEADER])),
        &["--as-of", "2026-02-30"],
        2,
        "kk-import: E011 オプション --as-of の値が正しくありません",
    );
}

#[test]
fn unencodable_characters_are_fatal_or_replaced() {
    let row = OK_ROW.replace("東京都", "東京都😀").replace("1001", "1002");
    let utf8 = csv(&[HEADER, OK_ROW, &row]).into_bytes();
    assert_fails(
        &utf8,
        &["--output-encoding", "sjis"],
        2,
        "kk-import: E008 in.csv:3行目 列「住所」: 出力の文字コード (Shift_JIS) で表せない文字 U+1F600 があります",
    );
    let dir = tempdir();
    std::fs::write(dir.path().join("in.csv"), &utf8).unwrap();
    let r =
        run(dir.path(), "kk-import", &["master", "-i", "in.csv", "--output-encoding", "sjis", "--replace-unmappable"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout_sjis().contains("東京都〓\r\n"));
    assert!(r.stderr.contains("Shift_JISで表せない 1 文字を「〓」に置き換えました"), "{}", r.stderr);
    // JIS-mapped twins from a UTF-8 file encode to the CP932 bytes of their Windows forms
    let twins = OK_ROW.replace("東京都", "東京都〜−‖");
    std::fs::write(dir.path().join("in.csv"), csv(&[HEADER, &twins])).unwrap();
    let r = run(dir.path(), "kk-import", &["master", "-i", "in.csv", "--output-encoding", "sjis"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.windows(6).any(|w| w == b"\x81\x60\x81\x7c\x81\x61"), "～－∥ in CP932");
}

#[test]
fn a_header_only_file_is_an_empty_master() {
    let dir = tempdir();
    std::fs::write(dir.path().join("in.csv"), to_sjis(&csv(&[HEADER]))).unwrap();
    let r = run(dir.path(), "kk-import", &["master", "-i", "in.csv"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout_sjis(), csv(&[HEADER]));
    assert!(r.stderr.contains("入力 0 行 = 反映 0 行 + 却下 0 行"), "{}", r.stderr);
}

#[test]
fn strict_exit_code_and_summary_json() {
    let dir = tempdir();
    let input = data("import/golden.csv");
    let r = run(
        dir.path(),
        "kk-import",
        &["master", "-i", input.to_str().unwrap(), "--strict", "--summary-json", "s.json", "-q"],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(r.stderr, "", "-q prints nothing but errors");
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.path().join("s.json")).unwrap()).unwrap();
    assert_eq!(json["rows_in"], 17);
    assert_eq!(json["rows_out"], 9);
    assert_eq!(json["rows_rejected"], 8);
    assert_eq!(json["errors"], 10);
    assert_eq!(json["findings"], 2);
    assert_eq!(json["duplicate_groups_same_key"], 1);
    assert_eq!(json["exit_code"], 1);
    assert_eq!(json["input_encoding"], "sjis");
    // without --strict the same run is a success
    let r = run(dir.path(), "kk-import", &["master", "-i", input.to_str().unwrap(), "-q"]);
    assert_eq!(r.code, 0);
}

#[test]
fn as_of_judges_duplicates_on_that_day_and_refuses_future_births() {
    let dir = tempdir();
    let rows = [
        HEADER,
        "130013,101,1,01,アオキ　ケン,青木　健,1,19700101,20080401,20200401,H1,,",
        "130013,101,2,01,アオキ　ケン,青木　健,1,19700101,20190401,,H2,,",
        "130013,101,3,01,ミライ　タロウ,未来　太郎,1,20300101,20300101,,H3,,",
    ];
    std::fs::write(dir.path().join("in.csv"), csv(&rows)).unwrap();
    // periods overlap from 2019-04-01 to 2020-03-31: kind 2 without --as-of
    let r = run(dir.path(), "kk-import", &["master", "-i", "in.csv", "--duplicates", "d.csv", "-q"]);
    assert_eq!(r.code, 0);
    let d = std::fs::read_to_string(dir.path().join("d.csv")).unwrap();
    assert_eq!(d.lines().skip(1).map(|l| &l[..8]).collect::<Vec<_>>(), ["1,2,2,13", "1,2,3,13"]);
    // on 2026-04-01 only one of the two is qualified: no duplicate; the 2030 birth is refused
    let r = run(
        dir.path(),
        "kk-import",
        &["master", "-i", "in.csv", "--as-of", "R8.4.1", "--duplicates", "d.csv", "--errors", "e.csv", "-q"],
    );
    assert_eq!(r.code, 0);
    assert_eq!(std::fs::read_to_string(dir.path().join("d.csv")).unwrap().lines().count(), 1);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("e.csv")).unwrap().lines().nth(1).unwrap(),
        "4,130013,101,3,01,生年月日,E109,基準日より後の日付です,20300101"
    );
}

/// Every 異動区分 and every way a diff row can fail, applied to a small base.
#[test]
fn diff_applies_new_change_and_loss_and_rejects_what_cannot_apply() {
    let dir = tempdir();
    let base = [
        HEADER,
        "130013,101,1,01,アオキ　ケン,青木　健,1,19700101,20080401,,H1,,旧住所",
        "130013,101,2,01,イシイ　ユミ,石井　由美,2,19720202,20080401,,H2,,",
        "130013,101,3,01,ウエダ　ジュン,上田　純,1,19740303,20080401,20250101,H3,,",
        "130013,101,4,01,エンドウ　サキ,遠藤　咲,2,19760404,20100401,,H4,,",
        "130013,101,5,01,オオタ　マコト,太田　誠,1,19780505,20080401,,H5,,",
        "130013,101,6,01,カワイ　アイ,河合　愛,2,19800606,20080401,,H6,,",
    ];
    std::fs::write(dir.path().join("base.csv"), csv(&base)).unwrap();
    let diff = [
        DIFF_HEADER,
        "130013,101,9,01,ワダ　ハル,和田　春,2,19900909,20260410,,H9,,新住所,1,20260410",
        "130013,101,1,01,アオキ　ケン,青木　健,1,19700101,20080401,,H1,,新住所,2,20260411",
        "130013,101,2,01,,,,,,20260415,,,,3,20260420",
        "130013,101,4,01,,,,,,,,,,3,20260412",
        "130013,101,5,01,オオタ　マコト,太田　誠,1,19780505,20080401,,H5,,,1,20260401",
        "130013,101,7,01,キムラ　ケイ,木村　圭,1,19820707,20080401,,H7,,,2,20260401",
        "130013,101,3,01,,,,,,,,,,3,20260401",
        "130013,101,6,01,,,,,,,,,,3,20070101",
        "130013,101,8,01,クドウ　リン,工藤　凛,2,19840808,20260401,,H8,,,1,20260401",
        "130013,101,8,01,クドウ　リン,工藤　凛,2,19840808,20260401,,H8,,,2,20260402",
        "130013,101,10,01,ケンモチ　ユウ,剣持　優,1,19860101,20260401,,H10,,,4,20260401",
        "130013,101,11,01,コガ　ミオ,古賀　澪,2,19860202,20260401,,H11,,,1,",
    ];
    std::fs::write(dir.path().join("diff.csv"), csv(&diff)).unwrap();
    let r = run(
        dir.path(),
        "kk-import",
        &[
            "master",
            "--base",
            "base.csv",
            "-i",
            "diff.csv",
            "-o",
            "new.csv",
            "--errors",
            "e.csv",
            "--duplicates",
            "d.csv",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("new.csv")).unwrap(),
        lf(&[
            HEADER,
            "130013,101,1,01,アオキ　ケン,青木　健,1,19700101,20080401,,H1,,新住所",
            "130013,101,2,01,イシイ　ユミ,石井　由美,2,19720202,20080401,20260415,H2,,",
            "130013,101,3,01,ウエダ　ジュン,上田　純,1,19740303,20080401,20250101,H3,,",
            "130013,101,4,01,エンドウ　サキ,遠藤　咲,2,19760404,20100401,20260412,H4,,",
            "130013,101,5,01,オオタ　マコト,太田　誠,1,19780505,20080401,,H5,,",
            "130013,101,6,01,カワイ　アイ,河合　愛,2,19800606,20080401,,H6,,",
            "130013,101,9,01,ワダ　ハル,和田　春,2,19900909,20260410,,H9,,新住所",
        ])
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("e.csv")).unwrap(),
        lf(&[
            "行番号,保険者番号,被保険者証記号,被保険者証番号,枝番,列名,エラーコード,エラー内容,値",
            "6,130013,101,5,01,被保険者キー,E202,新規ですが、既にマスタにあるキーです,",
            "7,130013,101,7,01,被保険者キー,E203,変更・喪失ですが、マスタにないキーです,",
            "8,130013,101,3,01,資格喪失日,E204,既に資格を喪失しているキーへの喪失です,",
            "9,130013,101,6,01,異動日,E108,日付の前後関係が正しくありません,20070101",
            "10,130013,101,8,01,被保険者キー,E201,同じ被保険者キーが入力に複数回あります(全行を保留),",
            "11,130013,101,8,01,被保険者キー,E201,同じ被保険者キーが入力に複数回あります(全行を保留),",
            "12,130013,101,10,01,異動区分,E106,コード値が正しくありません,4",
            "13,130013,101,11,01,異動日,E101,必須項目が空です,",
        ])
    );
    assert!(
        r.stderr.contains(
            "入力 12 行 = 反映 4 行 + 却下 8 行 (エラー 8 件); 出力 7 行 (ベース 6 行, 新規 1・変更 1・喪失 2)"
        ),
        "{}",
        r.stderr
    );
    // the master can be updated in place: outputs are renamed over it only at the end
    let r = run(dir.path(), "kk-import", &["master", "--base", "base.csv", "-i", "diff.csv", "-o", "base.csv", "-q"]);
    assert_eq!(r.code, 0);
    assert_eq!(std::fs::read(dir.path().join("base.csv")).unwrap(), std::fs::read(dir.path().join("new.csv")).unwrap());
    // a base that is not a clean master is refused before anything is written
    std::fs::write(dir.path().join("bad.csv"), csv(&[HEADER, &base[1].replace("19700101", "19701301")])).unwrap();
    let r = run(dir.path(), "kk-import", &["master", "--base", "bad.csv", "-i", "diff.csv", "-o", "x.csv"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains(
            "E012 bad.csv:2行目 列「生年月日」: ベースマスタに不正な値があります (E104: 日付として解釈できません)"
        ),
        "{}",
        r.stderr
    );
    assert!(!dir.path().join("x.csv").exists());
}

/// The planted anomalies of the demo month, found exactly: no more, no fewer.
#[test]
fn generated_month_errors_and_duplicates_match_the_planted_anomalies() {
    let dir = generated(300);
    let p = dir.path();
    let table = |f: &str| records(&read_sjis(&p.join(f))).into_iter().skip(1).collect::<Vec<_>>();
    let expected = |file: &str, code_prefix: &str| -> BTreeSet<String> {
        table("anomalies.csv")
            .into_iter()
            .filter(|f| f[0] == file && f[3].starts_with(code_prefix))
            .map(|f| format!("{},{},{}", f[1], f[2], f[3]))
            .collect()
    };
    let found = |list: &str| -> BTreeSet<String> {
        table(list).into_iter().map(|f| format!("{},{},{}", f[0], f[5], f[6])).collect()
    };
    let r = run(
        p,
        "kk-import",
        &["master", "-i", "insured.csv", "-o", "master.csv", "--errors", "e1.csv", "--duplicates", "d1.csv"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(found("e1.csv"), expected("insured.csv", "E"));
    let dups = |kind: &str| -> BTreeSet<String> {
        table("d1.csv").into_iter().filter(|f| f[1] == kind).map(|f| f[2].clone()).collect()
    };
    let planted = |code: &str| -> BTreeSet<String> {
        expected("insured.csv", code).iter().map(|s| s.split(',').next().unwrap().to_string()).collect()
    };
    assert_eq!(dups("1"), planted("E201"));
    assert_eq!(dups("2"), planted("DUP2"));
    assert_eq!(dups("3"), planted("DUP3"));

    let r = run(
        p,
        "kk-import",
        &["master", "--base", "master.csv", "-i", "diff.csv", "-o", "master2.csv", "--errors", "e2.csv"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(found("e2.csv"), expected("diff.csv", "E"));
    // the new master is sorted by person key (insurer compared as 8 digits)
    let keys: Vec<(String, String, String, String)> = table("master2.csv")
        .into_iter()
        .map(|f| (format!("{:0>8}", f[0]), f[1].clone(), f[2].clone(), f[3].clone()))
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);

    let r = run(
        p,
        "kk-import",
        &["tax", "--master", "master2.csv", "-i", "household-tax.csv", "-o", "hh.csv", "--errors", "e3.csv"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(found("e3.csv"), expected("household-tax.csv", "E"));
    // every (insurer, household, year) once, the latest 更新日 kept
    let keys: Vec<Vec<String>> = table("hh.csv").into_iter().map(|f| f[..3].to_vec()).collect();
    assert!(keys.len() > 100);
    assert_eq!(keys.len(), keys.iter().collect::<BTreeSet<_>>().len());
    assert!(r.stderr.contains("+ 新しい更新日の行で置換 4 行"), "{}", r.stderr);
}

#[test]
fn tax_keeps_the_latest_status_and_lists_what_it_rejects() {
    let dir = tempdir();
    std::fs::write(
        dir.path().join("m.csv"),
        csv(&[HEADER, OK_ROW, &OK_ROW.replace(",H1,", ",H2,").replace("1001", "1002")]),
    )
    .unwrap();
    let tax = [
        "世帯番号,保険者番号,年度,課税区分,更新日",
        "H1,130013,2026,1,20260401",
        "H1,130013,2026,2,20260501",
        "H1,130013,2026,1,20260415",
        "H2,00130013,2026,2,R8.4.1",
        "H1,130013,2025,1,20250401",
        "H9,130013,2026,1,20260401",
        "H2,130013,２０２６,3,20260401",
        "H2,130013,26,1,20260230",
    ];
    std::fs::write(dir.path().join("t.csv"), csv(&tax)).unwrap();
    let r = run(dir.path(), "kk-import", &["tax", "--master", "m.csv", "-i", "t.csv", "--errors", "e.csv"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        String::from_utf8(r.stdout).unwrap(),
        lf(&[
            "保険者番号,世帯番号,年度,課税区分,更新日",
            "130013,H1,2025,1,20250401",
            "130013,H1,2026,2,20260501",
            "00130013,H2,2026,2,20260401",
        ])
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("e.csv")).unwrap(),
        lf(&[
            "行番号,保険者番号,被保険者証記号,被保険者証番号,枝番,列名,エラーコード,エラー内容,値",
            "7,130013,,,,世帯番号,E205,マスタにない世帯です,H9",
            "8,130013,,,,課税区分,E106,コード値が正しくありません,3",
            "9,130013,,,,年度,E102,桁数または文字の種類が正しくありません,26",
            "9,130013,,,,更新日,E104,日付として解釈できません,20260230",
        ])
    );
    assert!(
        r.stderr.contains("入力 8 行 = 出力 3 行 + 却下 3 行 (エラー 4 件) + 新しい更新日の行で置換 2 行"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_layout_file_maps_other_headers_and_header_less_files() {
    let dir = tempdir();
    let canonical = csv(&[HEADER, OK_ROW]);
    std::fs::write(dir.path().join("c.csv"), &canonical).unwrap();
    let expected = run(dir.path(), "kk-import", &["master", "-i", "c.csv"]).stdout;
    // header-less, columns by position
    std::fs::write(dir.path().join("n.csv"), csv(&[OK_ROW])).unwrap();
    let positions: String = HEADER.split(',').enumerate().map(|(i, n)| format!("\"{n}\" = {}\n", i + 1)).collect();
    std::fs::write(dir.path().join("pos.toml"), format!("header = false\n[columns]\n{positions}")).unwrap();
    let r = run(dir.path(), "kk-import", &["master", "-i", "n.csv", "--layout", "pos.toml"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, expected);
    // a site's own header names
    std::fs::write(dir.path().join("s.csv"), csv(&[&HEADER.replace("氏名カナ", "カナ氏名"), OK_ROW])).unwrap();
    std::fs::write(dir.path().join("names.toml"), "[columns]\n\"氏名カナ\" = \"カナ氏名\"\n").unwrap();
    let r = run(dir.path(), "kk-import", &["master", "-i", "s.csv", "--layout", "names.toml"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, expected);
    // an unquoted Japanese key gets a hint
    std::fs::write(dir.path().join("bad.toml"), "[columns]\n氏名カナ = \"カナ氏名\"\n").unwrap();
    let r = run(dir.path(), "kk-import", &["master", "-i", "s.csv", "--layout", "bad.toml"]);
    assert!(r.stderr.contains("E007 bad.toml: レイアウト定義が正しくありません: 日本語の列名は \"保険者番号\" のように引用符で囲んでください"), "{}", r.stderr);
}

/// Batches checked on worker threads come out in input order: the bytes do not depend on the
/// number of threads.
#[test]
fn output_does_not_depend_on_the_number_of_threads() {
    let dir = generated(12_000);
    let p = dir.path();
    let mut outputs = Vec::new();
    for threads in ["1", "3"] {
        let r = run_in(
            p,
            "kk-import",
            &["master", "-i", "insured.csv", "--errors", "e.csv", "--duplicates", "d.csv", "-q"],
            None,
            &[("KK_THREADS", threads)],
        );
        assert_eq!(r.code, 0, "{}", r.stderr);
        outputs.push((r.stdout, std::fs::read(p.join("e.csv")).unwrap(), std::fs::read(p.join("d.csv")).unwrap()));
    }
    assert!(outputs[0].0.len() > 1_000_000, "spans several 1 MB chunks");
    assert!(outputs[0] == outputs[1]);
    // line numbers stay right across chunk boundaries: the error list is exactly what was planted
    let planted: BTreeSet<String> = records(&read_sjis(&p.join("anomalies.csv")))
        .into_iter()
        .filter(|f| f[0] == "insured.csv" && f[3].starts_with('E'))
        .map(|f| format!("{},{},{}", f[1], f[2], f[3]))
        .collect();
    let found: BTreeSet<String> = records(&sjis_to_string(&outputs[0].1))
        .into_iter()
        .skip(1)
        .map(|f| format!("{},{},{}", f[0], f[5], f[6]))
        .collect();
    assert!(planted.len() > 100, "{}", planted.len());
    assert_eq!(found, planted);
}

#[test]
fn a_closed_stdout_is_not_an_error() {
    let dir = generated(3_000);
    let mut child = std::process::Command::new(crate::bin("kk-import"))
        .args(["master", "-i", "insured.csv"])
        .current_dir(dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 64];
    std::io::Read::read_exact(&mut stdout, &mut first).unwrap();
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("E001"));
}

#[test]
fn help_has_examples() {
    let dir = tempdir();
    for sub in ["master", "tax"] {
        let r = run(dir.path(), "kk-import", &[sub, "--help"]);
        assert_eq!(r.code, 0);
        assert!(String::from_utf8(r.stdout).unwrap().contains("例:"), "{sub}");
    }
}

#[test]
fn tax_counts_characters_replaced_in_its_rows() {
    let dir = tempdir();
    std::fs::write(dir.path().join("m.csv"), csv(&[HEADER, &OK_ROW.replace(",H1,", ",H😀,")])).unwrap();
    std::fs::write(
        dir.path().join("t.csv"),
        csv(&["保険者番号,世帯番号,年度,課税区分,更新日", "130013,H😀,2026,2,20260401"]),
    )
    .unwrap();
    let args = ["tax", "--master", "m.csv", "-i", "t.csv", "--output-encoding", "sjis"];
    let r = run(dir.path(), "kk-import", &args);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("E008 t.csv:2行目 列「世帯番号」"), "{}", r.stderr);
    let r = run(dir.path(), "kk-import", &[&args[..], &["--replace-unmappable"]].concat());
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout_sjis(), "保険者番号,世帯番号,年度,課税区分,更新日\r\n130013,H〓,2026,2,20260401\r\n");
    assert!(r.stderr.contains("Shift_JISで表せない 1 文字を「〓」に置き換えました"), "{}", r.stderr);
}

/// `-o` on a named pipe (like /dev/null or /dev/stdout) writes into it: renaming a temporary file
/// over it, as for a regular file, would replace the pipe or device.
#[test]
fn output_to_a_fifo_or_device_is_written_in_place() {
    use std::os::unix::fs::FileTypeExt;
    let dir = tempdir();
    let fifo = dir.path().join("pipe");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read(fifo).unwrap())
    };
    std::fs::write(dir.path().join("in.csv"), csv(&[HEADER, OK_ROW])).unwrap();
    let r = run(dir.path(), "kk-import", &["master", "-i", "in.csv", "-o", "pipe", "--summary-json", "pipe.json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(String::from_utf8(reader.join().unwrap()).unwrap(), lf(&[HEADER, OK_ROW]));
    assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo(), "still a pipe");
    assert_eq!(files_in(dir.path()), ["in.csv", "pipe", "pipe.json"]);
}

/// KK_ENCODING sets both defaults (SPEC §1); flags still win.
#[test]
fn kk_encoding_sets_the_defaults() {
    let dir = tempdir();
    std::fs::write(dir.path().join("in.csv"), to_sjis(&csv(&[HEADER, OK_ROW]))).unwrap();
    // read as CP932 and written as UTF-8 with a BOM
    let r = run_in(
        dir.path(),
        "kk-import",
        &["master", "-i", "in.csv", "--encoding", "sjis"],
        None,
        &[("KK_ENCODING", "utf8-bom")],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.starts_with(b"\xEF\xBB\xBF"), "BOM first");
    assert_eq!(std::str::from_utf8(&r.stdout[3..]).unwrap(), lf(&[HEADER, OK_ROW]));
    // KK_ENCODING=utf8 makes a CP932 file undecodable unless --encoding says otherwise
    let r = run_in(dir.path(), "kk-import", &["master", "-i", "in.csv"], None, &[("KK_ENCODING", "utf8")]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("E002 in.csv:1行目 列「1列目」: UTF-8として読めないバイト列があります"), "{}", r.stderr);
    let r = run_in(
        dir.path(),
        "kk-import",
        &["master", "-i", "in.csv", "--encoding", "auto", "--output-encoding", "sjis"],
        None,
        &[("KK_ENCODING", "utf8")],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout_sjis(), csv(&[HEADER, OK_ROW]));
    let r = run_in(dir.path(), "kk-import", &["master", "-i", "in.csv"], None, &[("KK_ENCODING", "latin1")]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("kk-import: E011 オプション KK_ENCODING の値が正しくありません: latin1"), "{}", r.stderr);
}

/// On a terminal (a pseudo-terminal from `script`): reading a terminal's stdin says so in one line,
/// Shift_JIS written to a terminal is warned about once, and the progress shows the percentage of
/// a file read with a whole-number rate.
#[test]
fn terminal_manners() {
    let dir = crate::tempdir();
    let p = dir.path();
    let demo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo/insured.csv");
    std::fs::copy(demo, p.join("insured.csv")).unwrap();
    let on_terminal = |command: &str| {
        let o = crate::external("script")
            .args(["-qec", command, "/dev/null"])
            .current_dir(p)
            .env("PATH", format!("{}:/usr/bin:/bin", crate::bin("kk-import").parent().unwrap().display()))
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let text = on_terminal("kk-import master -i insured.csv -q");
    assert_eq!(text.matches("端末に Shift_JIS で書きます").count(), 1, "{text}");
    let text = on_terminal("kk-import master -i insured.csv --output-encoding utf8 -q");
    assert!(!text.contains("端末に Shift_JIS"), "UTF-8 to a terminal is fine");
    let text = on_terminal("kk-import master -i insured.csv -o m.csv --progress");
    assert!(text.contains("% "), "a percentage: {text}");
    let text = on_terminal("timeout 2 kk-import master -o m2.csv; true");
    assert!(text.contains("標準入力から読みます (ファイルは -i FILE で指定。入力の終わりは Ctrl-D)"), "{text}");
    // not on a terminal: neither is said
    let r = crate::run(p, "kk-import", &["master", "-i", "insured.csv"]);
    assert!(!r.stderr.contains("端末") && !r.stderr.contains("標準入力から読みます"), "{}", r.stderr);
}
