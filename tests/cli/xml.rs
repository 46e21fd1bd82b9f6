//! kk-xml read on the public 支払基金 sample, into the tools that read its CSV.

use crate::{records, run, tempdir};

const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/mhlw/samples/kensin_kihon_tokutei.xml");

/// The sample's own 保健指導レベル (9N506 = 3) and メタボ判定 (9N501 = 3) are what kk-stratify
/// computes from the rows kk-xml read gives: the reader keeps every value the rule needs.
#[test]
fn the_sample_read_into_csv_stratifies_as_the_document_says() {
    let dir = tempdir();
    let p = dir.path();
    let r = run(p, "kk-xml", &["read", SAMPLE, "-o", "results.csv"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let rows = records(&std::fs::read_to_string(p.join("results.csv")).unwrap());
    let value = |code: &str| rows.iter().find(|r| r[9] == code).map(|r| r[11].clone()).unwrap();
    assert_eq!((value("9N506000000000011"), value("9N501000000000011")), ("3".to_string(), "3".to_string()));
    // the doctor's name follows the diagnosis, as its own item
    let at = rows.iter().position(|r| r[9] == "9N511000000000049").unwrap();
    assert_eq!(rows[at + 1][9], "9N516000000000049");
    let r = run(p, "kk-stratify", &["-i", "results.csv", "-o", "levels.csv"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let levels = records(&std::fs::read_to_string(p.join("levels.csv")).unwrap());
    assert_eq!(levels.len(), 2);
    assert_eq!((levels[1][17].as_str(), levels[1][18].as_str()), ("3", "3"), "{:?}", levels[1]);
    // no personal value of the sample reaches stderr
    for secret in ["キキンタロウ", "123123123", "19700516", "基金次郎"] {
        assert!(!r.stderr.contains(secret));
    }
}
