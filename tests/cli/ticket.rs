//! kk-ticket on generated masters: the targets are kk-unexamined's, numbers are stable through
//! a month in which persons join, leave and come back, the printed tickets carry every number
//! and name, and a ticket's co-payment is what kk-limitcheck expects of the claim.

use std::collections::BTreeMap;
use std::path::Path;

use crate::{generated, pdffonts, pdftotext, records, run, tempdir};

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The person key columns of a record whose first four are 保険者番号, 記号, 番号, 枝番.
fn key(r: &[String], from: usize) -> String {
    r[from..from + 4].join("|")
}

fn issue(dir: &Path, as_of: &str, extra: &[&str]) -> crate::Run {
    let mut args = vec![
        "issue",
        "--fy",
        "2026",
        "--as-of",
        as_of,
        "--master",
        "master.csv",
        "--ledger",
        "numbers.csv",
        "--issue-date",
        as_of,
    ];
    args.extend_from_slice(extra);
    let r = run(dir, "kk-ticket", &args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    r
}

/// The ledger's lines after the header: (key, 年度, 種別, 整理番号).
fn ledger(dir: &Path) -> Vec<(String, String, String, String)> {
    records(&read(&dir.join("numbers.csv")))[1..]
        .iter()
        .map(|r| (key(r, 0), r[4].clone(), r[5].clone(), r[6].clone()))
        .collect()
}

/// key → 受診券整理番号 of a ticket list in the default layout.
fn tickets(text: &str) -> BTreeMap<String, String> {
    records(text)[1..].iter().map(|r| (key(r, 4), r[0].clone())).collect()
}

/// The keys kk-unexamined lists when nobody was examined: the year's targets by its rule.
fn targets(dir: &Path, as_of: &str) -> Vec<String> {
    std::fs::write(
        dir.join("none.csv"),
        "受診券整理番号,保険者番号,被保険者証記号,被保険者証番号,枝番,性別,生年月日,健診機関番号,受診日,項目コード,項目名,結果値,単位\n",
    )
    .unwrap();
    let r = run(
        dir,
        "kk-unexamined",
        &["list", "--fy", "2026", "--as-of", as_of, "--master", "master.csv", "--results", "none.csv", "-q"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    records(&String::from_utf8(r.stdout.clone()).unwrap())[1..].iter().map(|r| key(r, 0)).collect()
}

/// The master's text with `edit` applied to each data record (as CSV fields), and `added`
/// records appended.
fn edit_master(dir: &Path, edit: impl Fn(usize, &mut Vec<String>), added: &[Vec<String>]) {
    let text = read(&dir.join("master.csv"));
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    for (i, mut r) in records(&text).into_iter().enumerate() {
        if i > 0 {
            edit(i, &mut r);
        }
        w.write_record(&r).unwrap();
    }
    for r in added {
        w.write_record(r).unwrap();
    }
    std::fs::write(dir.join("master.csv"), w.into_inner().unwrap()).unwrap();
}

#[test]
fn numbers_stay_with_persons_through_a_month_of_joins_and_losses() {
    let data = generated(1500);
    let d = data.path();
    let r =
        run(d, "kk-import", &["master", "-i", "insured.csv", "--output-encoding", "utf8", "-o", "master.csv", "-q"]);
    assert_eq!(r.code, 0, "{}", r.stderr);

    // April: every target gets a number, 26 1 + serials from 1
    let r = issue(d, "2026-04-01", &["-o", "april.csv"]);
    let april = tickets(&read(&d.join("april.csv")));
    assert_eq!(april.keys().cloned().collect::<Vec<_>>(), targets(d, "2026-04-01"));
    assert!(april.len() > 400, "{}", r.stderr);
    let first = ledger(d);
    assert_eq!(first.len(), april.len());
    let mut serials: Vec<u32> = first.iter().map(|l| l.3[3..].parse().unwrap()).collect();
    serials.sort_unstable();
    assert_eq!(serials, (1..=april.len() as u32).collect::<Vec<_>>(), "serials 1…n, each once");
    assert!(first.iter().all(|l| l.3.len() == 11 && l.3.starts_with("261") && l.1 == "2026" && l.2 == "1"));

    // October: every 7th record lost its qualification in June, 30 persons joined (copies of
    // targets under new numbers), and those lost before April are back
    let text = read(&d.join("master.csv"));
    let rows = records(&text);
    let joined: Vec<Vec<String>> = rows[1..]
        .iter()
        .filter(|r| april.contains_key(&key(r, 0)))
        .take(30)
        .map(|r| {
            let mut r = r.clone();
            r[2] = format!("9{}", r[2]);
            r[8] = "20260901".into();
            r
        })
        .collect();
    let came_back: Vec<String> =
        rows[1..].iter().filter(|r| !r[9].is_empty() && r[9].as_str() <= "20260401").map(|r| key(r, 0)).collect();
    edit_master(
        d,
        |i, r| {
            if !r[9].is_empty() && r[9].as_str() <= "20260401" {
                r[9].clear();
            } else if i % 7 == 0 {
                r[9] = "20260601".into();
            }
        },
        &joined,
    );
    issue(d, "2026-10-01", &["-o", "october.csv"]);
    let october = tickets(&read(&d.join("october.csv")));
    assert_eq!(october.keys().cloned().collect::<Vec<_>>(), targets(d, "2026-10-01"));
    let second = ledger(d);
    assert_eq!(second[..first.len()], first[..], "the ledger keeps every line it had, in order");
    for (k, n) in &october {
        if let Some(old) = april.get(k) {
            assert_eq!(n, old, "{k} keeps its number");
        }
    }
    let new: Vec<&(String, String, String, String)> = second[first.len()..].iter().collect();
    assert!(new.len() >= 30, "the persons who joined or came back are numbered");
    let next: Vec<u32> = new.iter().map(|l| l.3[3..].parse().unwrap()).collect();
    assert_eq!(next, (april.len() as u32 + 1..=(april.len() + new.len()) as u32).collect::<Vec<_>>());
    let numbers: std::collections::BTreeSet<&String> = second.iter().map(|l| &l.3).collect();
    assert_eq!(numbers.len(), second.len(), "no number twice");
    assert!(came_back.iter().any(|k| october.contains_key(k)), "someone came back as a target");
    let lost: Vec<&String> = april.keys().filter(|k| !october.contains_key(*k)).collect();
    assert!(!lost.is_empty());

    // --only-new gives exactly the persons this run numbers; none when all are known
    let r = issue(d, "2026-10-01", &["--only-new"]);
    assert_eq!(records(&String::from_utf8(r.stdout.clone()).unwrap()).len(), 1, "all are in the ledger now");
    assert_eq!(ledger(d), second, "a re-run changes nothing");

    // December: the June losses are back, and keep their April numbers
    edit_master(
        d,
        |i, r| {
            if i % 7 == 0 && r[9] == "20260601" {
                r[9].clear()
            }
        },
        &[],
    );
    issue(d, "2026-12-01", &["-o", "december.csv"]);
    let december = tickets(&read(&d.join("december.csv")));
    for k in &lost {
        if let Some(n) = december.get(*k) {
            assert_eq!(n, &april[*k], "{k} regained qualification and kept its number");
        }
    }
    assert!(lost.iter().filter(|k| december.contains_key(**k)).count() > 10);
    assert_eq!(ledger(d), second, "nobody new");
}

#[test]
fn printed_tickets_carry_every_number_and_name_and_reprint_the_same() {
    let data = generated(60);
    let d = data.path();
    let r =
        run(d, "kk-import", &["master", "-i", "insured.csv", "--output-encoding", "utf8", "-o", "master.csv", "-q"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    std::fs::write(
        d.join("ticket.toml"),
        "[print]\npaper = \"postcard\"\nnotes = [\"この券と被保険者証を窓口に出してください。\"]\n\
         [insurer.\"130013\"]\nname = \"千代田区\"\nbasic = { kind = 3, value = 10 }\n\
         [insurer.\"130021\"]\nname = \"中央区\"\nbasic = { kind = 2, value = 1000 }\n\
         [insurer.\"130039\"]\nname = \"港区\"\nbasic = { kind = 1 }\n[insurer.\"06132013\"]\n",
    )
    .unwrap();
    issue(d, "2026-04-01", &["--config", "ticket.toml", "-o", "t.csv", "--pdf", "t.pdf"]);
    let rows = records(&read(&d.join("t.csv")));
    assert!(rows.len() > 20);
    let pdf = d.join("t.pdf");
    for (page, r) in rows[1..].iter().enumerate() {
        let page = page as u32 + 1;
        let text = pdftotext(&pdf, page, page);
        let squeezed: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        assert!(text.contains("特定健康診査受診券"), "page {page}: {text}");
        for want in [&r[0], &r[9].replace('　', ""), &r[8].replace('　', ""), &r[4]] {
            assert!(squeezed.contains(want.as_str()), "page {page}: «{want}» not in {text}");
        }
        let birth = kk::domain::format_wareki(kk::domain::parse_date(&r[11]).unwrap());
        assert!(squeezed.contains(&birth), "page {page}: {birth}");
        let copay = match r[4].as_str() {
            "130013" => "1割",
            "130021" => "1,000円",
            "130039" => "負担なし",
            _ => "—",
        };
        assert!(text.contains(copay), "page {page}: {copay} in {text}");
    }
    assert!(pdftotext(&pdf, 1, 1).contains("令和9年3月31日"), "有効期限 is the year's end");
    let fonts = pdffonts(&pdf);
    assert!(fonts.lines().any(|l| l.contains("CID TrueType") && l.contains("yes yes yes")), "{fonts}");
    let before = std::fs::read(&pdf).unwrap();
    issue(d, "2026-04-01", &["--config", "ticket.toml", "-o", "t.csv", "--pdf", "t.pdf"]);
    assert_eq!(std::fs::read(&pdf).unwrap(), before, "a reprint is the same bytes");
    // the example config of fixtures/ serves the demo's insurers
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/ticket.toml");
    let r = run(
        d,
        "kk-ticket",
        &[
            "issue",
            "--fy",
            "2026",
            "--as-of",
            "2026-04-01",
            "--master",
            "master.csv",
            "--config",
            example.to_str().unwrap(),
            "--ledger",
            "example.csv",
            "--issue-date",
            "2026-04-01",
            "-o",
            "example-tickets.csv",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
}

/// The co-payment a ticket carries is written as the contracts layout writes it, so a claim
/// that charges what the ticket says passes kk-limitcheck, and one that does not is flagged.
#[test]
fn a_tickets_copayment_is_what_limitcheck_expects_of_the_claim() {
    let dir = tempdir();
    let d = dir.path();
    std::fs::write(
        d.join("master.csv"),
        "保険者番号,被保険者証記号,被保険者証番号,枝番,氏名カナ,氏名,性別,生年月日,資格取得日,資格喪失日,世帯番号,郵便番号,住所\n\
         130013,101,1,01,ア　イ,阿　伊,1,19700101,20000401,,H1,,\n\
         130021,102,2,01,ウ　エ,宇　江,2,19700101,20000401,,H2,,\n\
         130039,103,3,01,オ　カ,尾　加,2,19700101,20000401,,H3,,\n",
    )
    .unwrap();
    std::fs::write(
        d.join("ticket.toml"),
        "[insurer.\"130013\"]\nbasic = { kind = 3, value = \"12.5\" }\n\
         [insurer.\"130021\"]\nbasic = { kind = 2, value = 1000 }\n\
         [insurer.\"130039\"]\nbasic = { kind = 4, value = 6000 }\n",
    )
    .unwrap();
    issue(d, "2026-04-01", &["--config", "ticket.toml", "-o", "t.csv"]);
    let rows = records(&std::fs::read_to_string(d.join("t.csv")).unwrap());
    let col = |name: &str| rows[0].iter().position(|h| h == name).unwrap();
    let (kind, value) = (col("窓口負担基本種別"), col("窓口負担基本値"));
    // one contract per insurer with the ticket's co-payment, and claims of price 8,000
    let mut contracts = String::from(
        "健診機関番号,保険者番号,契約区分,開始日,終了日,基本単価,詳細単価,追加単価,追加項目上限数,追加項目コード,窓口負担種別,窓口負担値,端数単位,非課税世帯免除\n",
    );
    let mut claims = String::from(
        "処理年月,健診機関番号,保険者番号,受診券整理番号,被保険者証記号,被保険者証番号,枝番,受診日,契約区分,基本単価,詳細項目数,詳細単価合計,追加項目数,追加項目コード,追加単価合計,窓口負担額,請求金額\n",
    );
    // what each insurer's examinee pays of 8,000: 12.5 % → 1,000; 定額 1,000; 8,000 − 6,000
    let pays = BTreeMap::from([("130013", 1000), ("130021", 1000), ("130039", 2000)]);
    for r in &rows[1..] {
        contracts += &format!("*,{},1,20260401,20270331,8000,0,0,0,,{},{},1,0\n", r[4], r[kind], r[value]);
        let pay = pays[r[4].as_str()];
        claims += &format!(
            "202605,1310001001,{},{},{},{},{},20260510,1,8000,0,0,0,,0,{pay},{}\n",
            r[4],
            r[0],
            r[5],
            r[6],
            r[7],
            8000 - pay
        );
    }
    std::fs::write(d.join("household.csv"), "保険者番号,世帯番号,年度,課税区分,更新日\n").unwrap();
    std::fs::write(d.join("contracts.csv"), &contracts).unwrap();
    std::fs::write(d.join("claims.csv"), &claims).unwrap();
    let check = |claims: &str| {
        run(
            d,
            "kk-limitcheck",
            &[
                "--contracts",
                "contracts.csv",
                "--master",
                "master.csv",
                "--household",
                "household.csv",
                "-i",
                claims,
                "-o",
                "check.csv",
            ],
        )
    };
    let r = check("claims.csv");
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(records(&std::fs::read_to_string(d.join("check.csv")).unwrap()).len(), 1, "no finding: {}", r.stderr);
    // a claim that charges the examinee 100 yen too little is found
    std::fs::write(d.join("wrong.csv"), claims.replace(",1000,7000\n", ",900,7100\n")).unwrap();
    let r = check("wrong.csv");
    assert_eq!(r.code, 0, "{}", r.stderr);
    let found = records(&std::fs::read_to_string(d.join("check.csv")).unwrap());
    assert!(found.len() > 1, "{found:?}");
}
