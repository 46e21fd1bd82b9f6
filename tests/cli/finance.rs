//! kk-finance: ledger and invoice list to the yen, control totals, bad input.

use std::collections::BTreeMap;

use crate::{data, files_in, pdffonts, pdftotext, read_sjis, records, run, tempdir};

fn args<'a>(dir: &'a str, extra: &[&'a str]) -> Vec<String> {
    let mut v: Vec<String> = ["--insurers", "insurers.csv", "--config", "finance.toml", "-i", "decided.csv"]
        .iter()
        .map(|a| if a.ends_with(".csv") || a.ends_with(".toml") { format!("{dir}/{a}") } else { a.to_string() })
        .collect();
    v.extend(extra.iter().map(|s| s.to_string()));
    v
}

fn kk(dir: &std::path::Path, args: &[String]) -> crate::Run {
    run(dir, "kk-finance", &args.iter().map(String::as_str).collect::<Vec<_>>())
}

#[test]
fn ledger_and_invoices_agree_with_an_independent_sum() {
    let src = data("finance");
    let dir = tempdir();
    let r = kk(
        dir.path(),
        &args(src.to_str().unwrap(), &["--ledger", "ledger.csv", "--invoices", "inv", "--issue-date", "R8.5.10"]),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    // the sums, made here from the decided rows (8-digit insurer, negative corrections included)
    let mut expected: BTreeMap<String, (i64, i64, i64)> = BTreeMap::new();
    for f in records(&std::fs::read_to_string(src.join("decided.csv")).unwrap()).into_iter().skip(1) {
        let e = expected.entry(format!("{:0>8}", f[1])).or_default();
        e.0 += f[4].parse::<i64>().unwrap();
        e.1 += f[7].parse::<i64>().unwrap();
        e.2 += f[8].parse::<i64>().unwrap();
    }
    assert_eq!(expected["00130013"], (6, 65_900, 1_050));
    let ledger = read_sjis(&dir.path().join("ledger.csv"));
    assert_eq!(
        ledger,
        "伝票日付,勘定科目,補助科目(保険者番号),金額,摘要\r\n\
         2026/05/10,4110,130013,65900,202604 特定健診等 保険者負担額 千代田区国民健康保険\r\n\
         2026/05/10,4120,130013,1050,202604 特定健診等 事務手数料 千代田区国民健康保険\r\n\
         2026/05/10,4110,06132013,28000,202604 特定健診等 保険者負担額 東京都架空健康保険組合\r\n\
         2026/05/10,4120,06132013,440,202604 特定健診等 事務手数料 東京都架空健康保険組合\r\n"
    );
    let mut from_ledger: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for f in records(&ledger).into_iter().skip(1) {
        let e = from_ledger.entry(format!("{:0>8}", f[2])).or_default();
        match f[1].as_str() {
            "4110" => e.0 += f[3].parse::<i64>().unwrap(),
            _ => e.1 += f[3].parse::<i64>().unwrap(),
        }
    }
    let invoices = records(&read_sjis(&dir.path().join("inv/invoices.csv")));
    assert_eq!(invoices.len(), 1 + expected.len(), "one invoice per insurer");
    for f in invoices.iter().skip(1) {
        let key = format!("{:0>8}", f[1]);
        let (count, share, fee) = expected[&key];
        assert_eq!(
            (f[6].parse::<i64>().unwrap(), f[7].parse::<i64>().unwrap(), f[8].parse::<i64>().unwrap()),
            (count, share, fee)
        );
        assert_eq!(f[10].parse::<i64>().unwrap(), share + fee, "total = 保険者負担額 + 事務手数料");
        assert_eq!(from_ledger[&key], (share, fee));
        // issue date from the flag, due at the end of the next month (2026-06-30, a Tuesday)
        assert_eq!((f[4].as_str(), f[5].as_str()), ("20260510", "20260630"));
    }
    assert_eq!(invoices[1][0], "2026-130013-202604");
    assert!(
        r.stderr.contains(
            "保険者 2 件, 保険者負担額 93,900 円 + 事務手数料 1,490 円 (消費税 0 円) = 請求額 95,390 円; 財務連動 4 行"
        ),
        "{}",
        r.stderr
    );
    // a re-run gives the same bytes
    let first = (
        std::fs::read(dir.path().join("ledger.csv")).unwrap(),
        std::fs::read(dir.path().join("inv/invoices.csv")).unwrap(),
    );
    assert_eq!(
        kk(
            dir.path(),
            &args(
                src.to_str().unwrap(),
                &["--ledger", "ledger.csv", "--invoices", "inv", "--issue-date", "2026-05-10"]
            )
        )
        .code,
        0
    );
    assert_eq!(
        first,
        (
            std::fs::read(dir.path().join("ledger.csv")).unwrap(),
            std::fs::read(dir.path().join("inv/invoices.csv")).unwrap()
        )
    );
}

#[test]
fn fixed_width_ledger_with_tax_on_the_fee() {
    let src = data("finance");
    let dir = tempdir();
    for f in ["decided.csv", "insurers.csv"] {
        std::fs::copy(src.join(f), dir.path().join(f)).unwrap();
    }
    let config = std::fs::read_to_string(src.join("finance.toml"))
        .unwrap()
        .replace("format = \"csv\"", "format = \"fixed\"")
        .replace("date_format = \"%Y/%m/%d\"", "date_format = \"%Y%m%d\"")
        .replace(
            "  { field = \"伝票日付\" },\n  { field = \"勘定科目\" },\n  { field = \"補助科目\", header = \"補助科目(保険者番号)\" },\n  { field = \"金額\" },\n  { field = \"摘要\" },",
            "  { field = \"伝票日付\", width = 8 },\n  { field = \"勘定科目\", width = 4 },\n  { field = \"補助科目\", width = 8, align = \"right\", pad = \"0\" },\n  { field = \"金額\", width = 10, align = \"right\", pad = \"0\" },\n  { field = \"摘要\", width = 20 },",
        )
        .replace("description = \"{yyyymm} 特定健診等 {account_name} {insurer_name}\"", "description = \"{account_name}\"")
        .replace("# fee_tax = \"2190\"", "fee_tax = \"2190\"")
        .replace("fee_tax_percent = 0", "fee_tax_percent = 10");
    std::fs::write(dir.path().join("finance.toml"), config).unwrap();
    // a negative fee for one insurer: its tax is negative too, rounded toward zero
    let decided = std::fs::read_to_string(dir.path().join("decided.csv"))
        .unwrap()
        .replace("6631111116,1,4,32000,4000,28000,440", "6631111116,1,4,32000,4000,28000,-445");
    std::fs::write(dir.path().join("decided.csv"), decided).unwrap();
    let d = dir.path().to_str().unwrap();
    let r = kk(dir.path(), &args(d, &["--ledger", "ledger.txt", "--invoices", "inv", "--issue-date", "2026-05-10"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let ledger = read_sjis(&dir.path().join("ledger.txt"));
    // 伝票日付 8 | 勘定科目 4 | 補助科目 8 (zero-padded) | 金額 10 (sign before the zeros) | 摘要 20 bytes
    assert_eq!(
        ledger,
        "20260510|4110|00130013|0000065900|保険者負担額        \r\n\
         20260510|4120|00130013|0000001050|事務手数料          \r\n\
         20260510|2190|00130013|0000000105|消費税              \r\n\
         20260510|4110|06132013|0000028000|保険者負担額        \r\n\
         20260510|4120|06132013|-000000445|事務手数料          \r\n\
         20260510|2190|06132013|-000000044|消費税              \r\n"
            .replace('|', "")
    );
    let invoices = records(&read_sjis(&dir.path().join("inv/invoices.csv")));
    assert_eq!(invoices[1][9..], ["105", "67055"]);
    assert_eq!(invoices[2][9..], ["-44", "27511"]);
}

#[test]
fn bad_input_stops_with_a_clear_error_and_writes_nothing() {
    let src = data("finance");
    let check = |edit: &dyn Fn(&str) -> String, file: &str, code: i32, message: &str| {
        let dir = tempdir();
        for f in ["decided.csv", "insurers.csv", "finance.toml"] {
            let text = std::fs::read_to_string(src.join(f)).unwrap();
            std::fs::write(dir.path().join(f), if f == file { edit(&text) } else { text }).unwrap();
        }
        let d = dir.path().to_str().unwrap();
        let r = kk(dir.path(), &args(d, &["--ledger", "ledger.csv", "--invoices", "inv"]));
        assert_eq!(r.code, code, "{}", r.stderr);
        assert!(r.stderr.contains(message), "expected «{message}» in {}", r.stderr);
        assert_eq!(files_in(dir.path()), ["decided.csv", "finance.toml", "insurers.csv"], "nothing written");
    };
    check(&|t| t.replace("130013,千代田区", "130021,千代田区"), "insurers.csv", 2, "kk-finance: E017");
    check(&|t| t.replace("06132013,6631111116,1,4,32000", "06132013,6631111116,1,4,32,000"), "decided.csv", 2, "E004");
    check(&|t| t.replace("28000,500", "28000円,500"), "decided.csv", 2, "kk-finance: E016");
    check(&|t| t.replace(",事務手数料\n", ",手数料\n"), "decided.csv", 2, "E003");
    check(&|t| t.replacen("202604,00130013", "202605,00130013", 1), "decided.csv", 2, "E018");
    check(&|t| t.replace("130013,2610307411,2", "130013,2610307411,3"), "decided.csv", 2, "E016");
    check(&|t| t.replace("fee_tax_percent = 0", "fee_tax_percent = 8"), "finance.toml", 2, "E015");
    check(&|t| t.replace("due = \"end_of_next_month\"", "due = \"now\""), "finance.toml", 2, "E015");
}

/// One A4 PDF per insurer: the text holds the insurer, the total, the dates and every
/// breakdown line; the font is embedded as a subset; a re-run gives the same bytes.
#[test]
fn one_pdf_invoice_per_insurer_with_every_line() {
    let src = data("finance");
    let dir = tempdir();
    let r = kk(dir.path(), &args(src.to_str().unwrap(), &["--invoices", "inv", "--issue-date", "2026-05-10"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let inv = dir.path().join("inv");
    assert_eq!(files_in(&inv), ["invoices.csv", "請求書_2026-06132013-202604.pdf", "請求書_2026-130013-202604.pdf"]);
    let pdf = inv.join("請求書_2026-130013-202604.pdf");
    let text = pdftotext(&pdf, 1, 99);
    for expected in [
        "千代田区国民健康保険",
        "御中",
        "請求書番号 2026-130013-202604",
        "令和8年5月10日 (2026年5月10日)",
        "令和8年6月30日 (2026年6月30日)",
        "￥66,950",
        "架空県国民健康保険団体連合会",
        "登録番号 T0000000000000",
        "架空銀行",
    ] {
        assert!(text.contains(expected), "«{expected}» not in:\n{text}");
    }
    // every breakdown line: category, institution, count and amounts (the correction is netted)
    let squeeze = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let lines: Vec<String> = text.lines().map(squeeze).collect();
    for row in [
        "特定健診 2610307411 2 19,800 2,000 17,800 220",
        "特定健診 5521111111 2 15,400 2,000 13,400 220",
        "特定健診 6631111116 1 7,700 1,000 6,700 110",
        "特定保健指導 2610307411 1 28,000 0 28,000 500",
        "合計 6 70,900 5,000 65,900 1,050",
    ] {
        assert!(lines.iter().any(|l| l == row), "«{row}» not in:\n{text}");
    }
    let fonts = pdffonts(&pdf);
    assert!(
        fonts.lines().any(|l| l.contains("CID TrueType") && l.contains("yes yes yes")),
        "embedded subset with ToUnicode: {fonts}"
    );
    let first = std::fs::read(&pdf).unwrap();
    assert_eq!(
        kk(dir.path(), &args(src.to_str().unwrap(), &["--invoices", "inv", "--issue-date", "2026-05-10"])).code,
        0
    );
    assert_eq!(std::fs::read(&pdf).unwrap(), first, "same inputs, same bytes");
    // a --font that does not exist stops before anything is written
    let r = kk(dir.path(), &args(src.to_str().unwrap(), &["--invoices", "inv2", "--font", "nofont.ttf"]));
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("E001 nofont.ttf"), "{}", r.stderr);
    assert!(!dir.path().join("inv2").exists());
}

/// A long breakdown continues on further pages with the running totals carried.
#[test]
fn long_breakdowns_break_pages_and_carry_the_totals() {
    let src = data("finance");
    let dir = tempdir();
    for f in ["insurers.csv", "finance.toml"] {
        std::fs::copy(src.join(f), dir.path().join(f)).unwrap();
    }
    // 40 institutions (valid check digits) for one insurer
    let mut decided =
        String::from("処理年月,保険者番号,健診機関番号,区分,件数,請求金額,窓口負担額,保険者負担額,事務手数料\n");
    let mut total = 0;
    for i in 0..40u32 {
        let body = format!("131{:06}", 100 + i);
        let digits: Vec<u32> = body.bytes().map(|b| u32::from(b - b'0')).collect();
        let sum: u32 = digits
            .iter()
            .rev()
            .enumerate()
            .map(|(k, d)| {
                let v = d * if k % 2 == 0 { 2 } else { 1 };
                v / 10 + v % 10
            })
            .sum();
        let institution = format!("{body}{}", (10 - sum % 10) % 10);
        let share = 7000 + i64::from(i);
        total += share;
        decided.push_str(&format!("202604,130013,{institution},1,1,{share},0,{share},100\n"));
    }
    std::fs::write(dir.path().join("decided.csv"), decided).unwrap();
    let r = kk(dir.path(), &args(dir.path().to_str().unwrap(), &["--invoices", "inv"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let pdf = dir.path().join("inv/請求書_2026-130013-202604.pdf");
    let page1 = pdftotext(&pdf, 1, 1);
    let page2 = pdftotext(&pdf, 2, 2);
    let nospace = |s: &str| s.replace([' ', '\u{3000}'], "");
    assert!(nospace(&page1).contains("1/2") && nospace(&page2).contains("2/2"), "{page1}\n{page2}");
    let carried = page1.lines().find(|l| l.contains("次頁へ繰越")).expect("carried at the foot of page 1");
    let brought = page2.lines().find(|l| l.contains("前頁より繰越")).expect("brought forward on page 2");
    let squeeze = |s: &str| s.split_whitespace().skip(1).collect::<Vec<_>>().join(" ");
    assert_eq!(squeeze(carried), squeeze(brought));
    let last = page2.lines().find(|l| l.trim_start().starts_with("合計")).unwrap();
    assert!(last.contains(&kk::console::thousands_signed(total)), "{last} / {total}");
    // issue date defaults to the month's last day
    assert!(page1.contains("令和8年4月30日 (2026年4月30日)"), "{page1}");
}

/// `--institutions`: each breakdown line shows the institution's name under its number; a
/// number not in the list shows alone; an invoice with a 登録番号 states the fee's tax even when
/// it is not taxed; a malformed 健診機関番号 in the list stops the run at its line.
#[test]
fn institution_names_and_the_tax_line_of_a_qualified_invoice() {
    let src = data("finance");
    let dir = tempdir();
    std::fs::write(dir.path().join("inst.csv"), "健診機関番号,健診機関名\n2610307411,架空健診センター\n").unwrap();
    let r = kk(dir.path(), &args(src.to_str().unwrap(), &["--invoices", "inv", "--institutions", "inst.csv"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let text = pdftotext(&dir.path().join("inv/請求書_2026-130013-202604.pdf"), 1, 99);
    assert!(text.contains("架空健診センター"), "{text}");
    assert!(text.contains("5521111111"), "a number without a name: {text}");
    assert!(text.contains("消費税 (事務手数料は対象外)"), "{text}");
    std::fs::write(dir.path().join("bad.csv"), "健診機関番号,健診機関名\n2610307411,A\n261030741,B\n").unwrap();
    let r = kk(dir.path(), &args(src.to_str().unwrap(), &["--invoices", "inv2", "--institutions", "bad.csv"]));
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("bad.csv:3行目 列「健診機関番号」") && r.stderr.contains("10桁"), "{}", r.stderr);
    assert!(!dir.path().join("inv2").exists(), "nothing written");
    // the same rule as the decided rows' numbers: a wrong check digit is refused too
    std::fs::write(dir.path().join("cd.csv"), "健診機関番号,健診機関名\n2610307412,A\n").unwrap();
    let r = kk(dir.path(), &args(src.to_str().unwrap(), &["--invoices", "inv3", "--institutions", "cd.csv"]));
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("cd.csv:2行目 列「健診機関番号」") && r.stderr.contains("E103"), "{}", r.stderr);
    assert!(!dir.path().join("inv3").exists(), "nothing written");
}
