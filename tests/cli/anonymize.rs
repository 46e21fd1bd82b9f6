//! kk-anonymize: keyed IDs checked against an independent HMAC, refusals, zip + age archives
//! opened by the real `age` and `unzip`.

use std::path::Path;
use std::process::Command;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::{files_in, read_sjis, records, run, run_in, tempdir, to_sjis};

const KEY: &str = "0123456789abcdef0123456789abcdef";

/// The IDs as SPEC defines them, computed here from the already-normalized message text.
fn hmac_hex(message: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(KEY.as_bytes()).unwrap();
    mac.update(message.as_bytes());
    mac.finalize().into_bytes().iter().map(|b| format!("{b:02X}")).collect()
}

fn write_key(dir: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    let p = dir.join("anon.key");
    std::fs::write(&p, format!("{KEY}\n")).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
}

const MASTER_HEADER: &str = "保険者番号,被保険者証記号,被保険者証番号,枝番,氏名カナ,氏名,性別,生年月日,資格取得日,資格喪失日,世帯番号,郵便番号,住所";

/// The same person three times: half-width, full-width and with extra spaces and an era date.
fn master_rows() -> String {
    [
        MASTER_HEADER,
        "130013,ｷﾞﾌ1,1234,01,ﾔﾏﾀﾞ ﾀﾛｳ,山田太郎,1,19700401,20200401,,H001,100-0001,東京都千代田区1-1",
        "００１３００１３,ギフ１,１２３４,０１,ヤマダ　タロウ,山田 太郎,１,S45.4.1,20200401,,H001,100-0001,東京都千代田区1-1",
        " 130013 , ｷﾞﾌ1 ,1234 , 01,  やまだ　たろう ,山田太郎, 1 ,昭和45年4月1日,20200401,,H001,100-0001,東京都千代田区1-1",
        "06132013,,98765,,スズキ　ハナコ,鈴木花子,2,19851231,20200401,20260930,H002,200-0002,大阪府大阪市2-2",
    ]
    .join("\n")
        + "\n"
}

#[test]
fn ids_equal_an_independent_hmac_and_ignore_width_and_spaces() {
    let dir = tempdir();
    let p = dir.path();
    write_key(p, 0o600);
    std::fs::write(p.join("m.csv"), to_sjis(&master_rows())).unwrap();
    let r = run(p, "kk-anonymize", &["--key", "anon.key", "-i", "m.csv", "-o", "a.csv"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let rows = records(&read_sjis(&p.join("a.csv")));
    assert_eq!(rows[0], ["ID1", "ID2", "保険者番号", "性別", "生年月", "資格取得日", "資格喪失日", "郵便番号"]);
    let id1 = hmac_hex("00130013\u{1F}ギフ1\u{1F}1234\u{1F}01");
    let id2 = hmac_hex("ヤマダタロウ\u{1F}19700401\u{1F}1");
    for row in &rows[1..4] {
        assert_eq!((row[0].as_str(), row[1].as_str(), row[4].as_str()), (id1.as_str(), id2.as_str(), "197004"));
    }
    // kept columns are copied as they were
    assert_eq!(rows[2][2], "００１３００１３");
    assert_eq!(rows[4][0], hmac_hex("06132013\u{1F}\u{1F}98765\u{1F}"));
    assert_eq!(rows[4][1], hmac_hex("スズキハナコ\u{1F}19851231\u{1F}2"));
    assert_eq!(rows[4][2..], ["06132013", "2", "198512", "20200401", "20260930", "200-0002"]);
    assert_eq!(rows.len(), 5);
    // nothing identifying is left anywhere in the output
    let text = read_sjis(&p.join("a.csv"));
    for secret in ["山田", "ﾔﾏﾀﾞ", "ヤマダ", "1234", "98765", "H001", "東京都", "鈴木", "19700401", "19851231"]
    {
        assert!(!text.contains(secret), "{secret} leaked");
    }
    assert!(r.stderr.contains("4 行を匿名化しました"), "{}", r.stderr);
}

#[test]
fn a_results_file_without_kana_gets_id1_only_and_utf8_stays_utf8() {
    let dir = tempdir();
    let p = dir.path();
    write_key(p, 0o600);
    let input = "受診券整理番号,保険者番号,被保険者証記号,被保険者証番号,枝番,性別,生年月日,健診機関番号,受診日,項目コード,項目名,結果値,単位\n\
        25100000001,130013,記号,7,,1,19600229,1310001001,20260501,9N001000000000001,身長,170.0,cm\n\
        25100000001,130013,記号,7,,1,19600229,1310001001,20260501,9N006000000000001,\"体重, 測定\",60.5,kg\n";
    let r = run_in(p, "kk-anonymize", &["--key", "anon.key", "--birth", "year"], Some(input.as_bytes()), &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let id1 = hmac_hex("00130013\u{1F}記号\u{1F}7\u{1F}");
    assert_eq!(
        String::from_utf8(r.stdout).unwrap(),
        format!(
            "ID1,保険者番号,性別,生年,健診機関番号,受診日,項目コード,項目名,結果値,単位\n\
             {id1},130013,1,1960,1310001001,20260501,9N001000000000001,身長,170.0,cm\n\
             {id1},130013,1,1960,1310001001,20260501,9N006000000000001,\"体重, 測定\",60.5,kg\n"
        )
    );
    for (mode, header, value) in [("keep", "生年月日", "19600229"), ("ym", "生年月", "196002")] {
        let r = run_in(p, "kk-anonymize", &["--key", "anon.key", "--birth", mode], Some(input.as_bytes()), &[]);
        let rows = records(&String::from_utf8(r.stdout).unwrap());
        assert_eq!((rows[0][3].as_str(), rows[1][3].as_str()), (header, value));
    }
    let r = run_in(p, "kk-anonymize", &["--key", "anon.key", "--birth", "drop"], Some(input.as_bytes()), &[]);
    let rows = records(&String::from_utf8(r.stdout).unwrap());
    assert!(!rows[0].iter().any(|h| h.starts_with("生年")), "{:?}", rows[0]);
}

#[test]
fn unknown_columns_are_refused_unless_passed_or_dropped() {
    let dir = tempdir();
    let p = dir.path();
    write_key(p, 0o600);
    std::fs::write(p.join("in.csv"), "保険者番号,被保険者証番号,個人番号,備考\n130013,1,123456789012,メモ\n").unwrap();
    let r = run(p, "kk-anonymize", &["--key", "anon.key", "-i", "in.csv", "-o", "out.csv"]);
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr.trim(),
        "kk-anonymize: E020 in.csv: 列「個人番号」は匿名化の規則にない列です。残すなら --pass \"個人番号\"、削除するなら --drop \"個人番号\" を指定してください"
    );
    assert_eq!(files_in(p), ["anon.key", "in.csv"]);
    let r = run(
        p,
        "kk-anonymize",
        &["--key", "anon.key", "-i", "in.csv", "-o", "out.csv", "--drop", "個人番号", "--pass", "備考"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let id1 = hmac_hex("00130013\u{1F}\u{1F}1\u{1F}");
    assert_eq!(
        std::fs::read_to_string(p.join("out.csv")).unwrap(),
        format!("ID1,保険者番号,備考\n{id1},130013,メモ\n")
    );
    // an identifying column cannot be kept with --pass
    let r = run(
        p,
        "kk-anonymize",
        &["--key", "anon.key", "-i", "in.csv", "--pass", "被保険者証番号", "--drop", "個人番号"],
    );
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("E011") && r.stderr.contains("「被保険者証番号」は識別情報の列なので残せません"),
        "{}",
        r.stderr
    );
    // a column without a name is refused by its position
    std::fs::write(p.join("blank.csv"), "保険者番号,被保険者証番号,\n130013,1,x\n").unwrap();
    let r = run(p, "kk-anonymize", &["--key", "anon.key", "-i", "blank.csv"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("列「3列目 (見出しなし)」"), "{}", r.stderr);
}

#[test]
fn key_files_readable_by_others_short_or_missing_are_refused() {
    let dir = tempdir();
    let p = dir.path();
    std::fs::write(p.join("in.csv"), "保険者番号,被保険者証番号\n130013,1\n").unwrap();
    write_key(p, 0o640);
    let r = run(p, "kk-anonymize", &["--key", "anon.key", "-i", "in.csv", "-o", "out.csv"]);
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr.trim(),
        "kk-anonymize: E021 鍵ファイル anon.key を使えません: 所有者以外も読み書きできる権限 (640) です。chmod 600 anon.key を実行してください"
    );
    std::fs::write(p.join("anon.key"), "short-key\r\n").unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(p.join("anon.key"), std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let r = run(p, "kk-anonymize", &["--key", "anon.key", "-i", "in.csv", "-o", "out.csv"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("E021") && r.stderr.contains("9 バイトしかありません (16 バイト以上必要です)"),
        "{}",
        r.stderr
    );
    let r = run(p, "kk-anonymize", &["-i", "in.csv"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("E011 オプション --key"), "{}", r.stderr);
    let r = run(p, "kk-anonymize", &["--key", "nothing.key", "-i", "in.csv"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("E001 nothing.key"), "{}", r.stderr);
    assert_eq!(files_in(p), ["anon.key", "in.csv"]);
}

#[test]
fn a_bad_value_stops_the_run_with_its_line_and_column_and_no_output() {
    let dir = tempdir();
    let p = dir.path();
    write_key(p, 0o600);
    let bad = master_rows().replace("06132013,,98765", "06132014,,98765");
    std::fs::write(p.join("m.csv"), bad).unwrap();
    let r = run(p, "kk-anonymize", &["--key", "anon.key", "-i", "m.csv", "-o", "a.csv"]);
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr.trim(),
        "kk-anonymize: E016 m.csv:5行目 列「保険者番号」: 値が正しくありません (E103: 検証番号(チェックディジット)が一致しません)"
    );
    let bad = master_rows().replace("19851231", "19851332");
    std::fs::write(p.join("m.csv"), bad).unwrap();
    let r = run(p, "kk-anonymize", &["--key", "anon.key", "-i", "m.csv", "-o", "a.csv"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("m.csv:5行目 列「生年月日」"), "{}", r.stderr);
    assert!(!r.stderr.contains("19851332"), "no value in the message: {}", r.stderr);
    // Shift_JIS rows under a UTF-8 header, read as UTF-8: named by line and column, the bytes
    // not shown
    let rows = master_rows();
    let (header, body) = rows.split_once('\n').unwrap();
    std::fs::write(p.join("m.csv"), [format!("{header}\n").into_bytes(), to_sjis(body)].concat()).unwrap();
    let r = run(p, "kk-anonymize", &["--key", "anon.key", "-i", "m.csv", "-o", "a.csv", "--encoding", "utf8"]);
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr.trim(),
        "kk-anonymize: E002 m.csv:2行目 列「被保険者証記号」: UTF-8として読めないバイト列があります (--encoding を確認してください)"
    );
    assert_eq!(files_in(p), ["anon.key", "m.csv"]);
}

#[test]
fn keygen_prints_a_new_64_hex_key_each_time() {
    let dir = tempdir();
    let a = run(dir.path(), "kk-anonymize", &["keygen"]);
    let b = run(dir.path(), "kk-anonymize", &["keygen"]);
    assert_eq!(a.code, 0, "{}", a.stderr);
    let (a, b) = (String::from_utf8(a.stdout).unwrap(), String::from_utf8(b.stdout).unwrap());
    assert_eq!(a.len(), 65);
    assert!(a.trim_end().bytes().all(|c| c.is_ascii_hexdigit()), "{a}");
    assert_ne!(a, b);
}

fn tool(name: &str) -> bool {
    Command::new(name).arg("--version").output().is_ok()
}

#[test]
fn the_zip_opens_with_age_and_unzip_and_its_manifest_matches() {
    assert!(tool("age") && tool("unzip"), "age and unzip are installed by .ci/run");
    let dir = tempdir();
    let p = dir.path();
    write_key(p, 0o600);
    std::fs::write(p.join("名簿.csv"), to_sjis(&master_rows())).unwrap();
    std::fs::write(p.join("r.csv"), "保険者番号,被保険者証番号,受診日\n130013,1,20260501\n130013,2,20260502\n")
        .unwrap();
    let keygen = crate::external("age-keygen").arg("-o").arg(p.join("id.txt")).output().unwrap();
    assert!(keygen.status.success());
    let id = std::fs::read_to_string(p.join("id.txt")).unwrap();
    let recipient = id.lines().find_map(|l| l.strip_prefix("# public key: ")).unwrap().to_string();
    let r = run(
        p,
        "kk-anonymize",
        &[
            "--key",
            "anon.key",
            "--zip",
            "out.zip",
            "--recipient",
            &recipient,
            "--manifest",
            "m.csv",
            "名簿.csv",
            "r.csv",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    // no plaintext zip beside the encrypted one
    assert_eq!(files_in(p), ["anon.key", "id.txt", "m.csv", "out.zip.age", "r.csv", "名簿.csv"]);
    let out =
        crate::external("age").args(["-d", "-i", "id.txt", "-o", "out.zip", "out.zip.age"]).current_dir(p).output();
    assert!(out.unwrap().status.success());
    let list = crate::external("unzip").args(["-Z1", "out.zip"]).current_dir(p).output().unwrap();
    assert_eq!(String::from_utf8(list.stdout).unwrap(), "名簿.csv\nr.csv\nMANIFEST.csv\n");
    let test = crate::external("unzip").args(["-tq", "out.zip"]).current_dir(p).output().unwrap();
    assert!(test.status.success(), "{}", String::from_utf8_lossy(&test.stdout));
    let entry =
        |name: &str| crate::external("unzip").args(["-p", "out.zip", name]).current_dir(p).output().unwrap().stdout;
    let manifest = records(&crate::sjis_to_string(&entry("MANIFEST.csv")));
    let sha = |b: &[u8]| -> String {
        use sha2::Digest;
        sha2::Sha256::digest(b).iter().map(|x| format!("{x:02x}")).collect()
    };
    assert_eq!(
        manifest,
        [
            vec!["ファイル名".to_string(), "件数".into(), "SHA-256".into()],
            vec!["名簿.csv".into(), "4".into(), sha(&entry("名簿.csv"))],
            vec!["r.csv".into(), "2".into(), sha(&entry("r.csv"))],
        ]
    );
    assert_eq!(std::fs::read(p.join("m.csv")).unwrap(), entry("MANIFEST.csv"), "the copy outside the archive");
    // the same anonymization as the filter gives
    let filtered = run(p, "kk-anonymize", &["--key", "anon.key", "-i", "名簿.csv"]);
    assert_eq!(entry("名簿.csv"), filtered.stdout);
    // zip timestamps are Japan time: within a few minutes of now + 9 h
    let info = crate::external("zipinfo").args(["-T", "out.zip", "r.csv"]).current_dir(p).output().unwrap();
    let line = String::from_utf8(info.stdout).unwrap();
    let jst = jiff::tz::offset(9).to_datetime(jiff::Timestamp::now());
    assert!(line.contains(&jst.strftime("%Y%m%d").to_string()), "{line}");
}

#[test]
fn a_passphrase_zip_decrypts_with_the_passphrase_and_refusals_leave_nothing() {
    let dir = tempdir();
    let p = dir.path();
    write_key(p, 0o600);
    std::fs::write(p.join("r.csv"), "保険者番号,被保険者証番号,受診日\n130013,1,20260501\n").unwrap();
    std::fs::write(p.join("pass.txt"), "correct horse battery\n").unwrap();
    let r = run(p, "kk-anonymize", &["--key", "anon.key", "--zip", "o.zip", "--passphrase-file", "pass.txt", "r.csv"]);
    assert_eq!(r.code, 2, "a passphrase file readable by others is refused");
    assert!(r.stderr.contains("E021 パスフレーズファイル pass.txt"), "{}", r.stderr);
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(p.join("pass.txt"), std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let r = run(p, "kk-anonymize", &["--key", "anon.key", "--zip", "o.zip", "--passphrase-file", "pass.txt", "r.csv"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let sealed = std::fs::read(p.join("o.zip.age")).unwrap();
    let decryptor = age::Decryptor::new(&sealed[..]).unwrap();
    let identity = age::scrypt::Identity::new(age::secrecy::SecretString::from("correct horse battery".to_string()));
    let mut reader = decryptor.decrypt(std::iter::once(&identity as &dyn age::Identity)).unwrap();
    let mut zip = Vec::new();
    std::io::Read::read_to_end(&mut reader, &mut zip).unwrap();
    assert!(zip.starts_with(b"PK\x03\x04"));
    // a refused column in the second file: no archive at all
    std::fs::write(p.join("x.csv"), "保険者番号,被保険者証番号,謎\n130013,1,?\n").unwrap();
    let r = run(p, "kk-anonymize", &["--key", "anon.key", "--zip", "n.zip", "--recipient", "age1bad", "r.csv"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("E011 オプション --recipient"), "{}", r.stderr);
    let r = run(p, "kk-anonymize", &["--key", "anon.key", "--zip", "n.zip", "r.csv", "x.csv"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("列「謎」"), "{}", r.stderr);
    let r = run(p, "kk-anonymize", &["--key", "anon.key", "--zip", "n.zip", "r.csv", "sub/r.csv"]);
    assert_eq!(r.code, 2);
    assert_eq!(files_in(p), ["anon.key", "o.zip.age", "pass.txt", "r.csv", "x.csv"]);
}
