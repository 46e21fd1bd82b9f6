//! kk-gen: deterministic synthetic data.

use crate::{files_in, generated, run, tempdir};

#[test]
fn the_same_seed_gives_the_same_bytes_and_another_seed_does_not() {
    let a = generated(200);
    let b = generated(200);
    let names = files_in(a.path());
    assert_eq!(
        names,
        [
            "anomalies.csv",
            "claims.csv",
            "contracts.csv",
            "decided.csv",
            "diff.csv",
            "exclusions.csv",
            "guidance.csv",
            "household-tax.csv",
            "info-status.csv",
            "insured.csv",
            "insurers.csv",
            "receipt.csv",
            "results.csv",
            "subsidy-items.csv",
        ]
    );
    for n in &names {
        assert_eq!(std::fs::read(a.path().join(n)).unwrap(), std::fs::read(b.path().join(n)).unwrap(), "{n}");
    }
    let c = tempdir();
    let r = run(c.path(), "kk-gen", &["--persons", "200", "--seed", "2", "--out", "."]);
    assert_eq!(r.code, 0);
    assert_ne!(
        std::fs::read(a.path().join("insured.csv")).unwrap(),
        std::fs::read(c.path().join("insured.csv")).unwrap()
    );
}

#[test]
fn the_bundled_demo_month_is_what_the_generator_makes() {
    let dir = tempdir();
    let r = run(dir.path(), "kk-gen", &["--persons", "300", "--seed", "1", "--month", "202604", "--out", ".", "--xml"]);
    assert_eq!(r.code, 0);
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo");
    let archives: Vec<String> = files_in(&dir.path().join("xml")).into_iter().map(|n| format!("xml/{n}")).collect();
    assert_eq!(archives.len(), 1, "{archives:?}");
    assert_eq!(files_in(&fixtures.join("xml")).len(), 1, "fixtures/demo/xml holds the archive only");
    for n in files_in(dir.path()).into_iter().filter(|n| n != "xml").chain(archives) {
        assert_eq!(
            std::fs::read(dir.path().join(&n)).unwrap(),
            std::fs::read(fixtures.join(&n)).unwrap(),
            "fixtures/demo/{n} is stale: run `make fixtures`"
        );
    }
}

#[test]
fn clean_data_has_no_anomalies_and_imports_without_errors() {
    let dir = tempdir();
    let r = run(dir.path(), "kk-gen", &["--persons", "500", "--clean", "--encoding", "utf8", "--out", "."]);
    assert_eq!(r.code, 0);
    assert_eq!(std::fs::read_to_string(dir.path().join("anomalies.csv")).unwrap().lines().count(), 1);
    let r = run(dir.path(), "kk-import", &["master", "-i", "insured.csv", "--strict", "-o", "m.csv"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = run(dir.path(), "kk-import", &["master", "--base", "m.csv", "-i", "diff.csv", "--strict", "-o", "m2.csv"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
}
