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

/// The files of a zip, by name (unzip -Z1), and one entry's bytes (unzip -p).
fn entries(zip: &std::path::Path) -> Vec<String> {
    let o = crate::external("unzip").arg("-Z1").arg(zip).output().expect("unzip runs");
    String::from_utf8(o.stdout).unwrap().lines().map(str::to_string).collect()
}

/// One entry of a zip as text (unzip -p).
fn entry_text(zip: &std::path::Path, name: &str) -> String {
    let o = crate::external("unzip").arg("-p").arg(zip).arg(name).output().expect("unzip runs");
    String::from_utf8(o.stdout).unwrap()
}

/// kk-gen's month as a V08 archive in `p/g/xml/`: its path.
fn generated_archive(p: &std::path::Path, persons: &str, seed: &str, month: &str) -> std::path::PathBuf {
    let r = run(p, "kk-gen", &["--persons", persons, "--seed", seed, "--month", month, "--out", "g", "--xml", "-q"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    only_zip(&p.join("g/xml"))
}

fn only_zip(dir: &std::path::Path) -> std::path::PathBuf {
    let zips: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "zip"))
        .collect();
    assert_eq!(zips.len(), 1, "{zips:?}");
    zips[0].clone()
}

/// kk-gen's month as an archive (made by write's own code): read → write → read gives the same
/// results, headers and claims byte for byte, and the same zip; two writes are identical; the
/// archive holds what the standard says, and check finds nothing wrong with it.
#[test]
fn an_archive_read_and_written_again_is_the_same_byte_for_byte() {
    let dir = tempdir();
    let p = dir.path();
    let original = generated_archive(p, "1500", "3", "202605");
    let read = |zip: &std::path::Path, tag: &str| {
        let (h, c, o) = (format!("h{tag}.csv"), format!("c{tag}.csv"), format!("r{tag}.csv"));
        let r = run(p, "kk-xml", &["read", zip.to_str().unwrap(), "--headers", &h, "--claims", &c, "-o", &o]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        [h, c, o].map(|f| std::fs::read(p.join(f)).unwrap())
    };
    let first = read(&original, "1");
    let name = original.file_name().unwrap().to_str().unwrap().to_string();
    // 提出元10_提出先8_YYYYMMDDN_実施区分 from the settings kk-gen used
    let parts: Vec<&str> = name.trim_end_matches(".zip").split('_').collect();
    let (sender, receiver, date) = (parts[0], parts[1], &parts[2][..8]);
    for out in ["w1", "w2"] {
        let args = [
            "write",
            "--results",
            "r1.csv",
            "--headers",
            "h1.csv",
            "--claims",
            "c1.csv",
            "--sender",
            sender,
            "--receiver",
            receiver,
            "--kind",
            "1",
            "--date",
            date,
            "--out-dir",
            out,
            "--errors",
            "e.csv",
        ];
        let r = run(p, "kk-xml", &args);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert_eq!(std::fs::read_to_string(p.join("e.csv")).unwrap().lines().count(), 1, "no finding");
    }
    let again = p.join("w1").join(&name);
    assert_eq!(std::fs::read(&again).unwrap(), std::fs::read(p.join("w2").join(&name)).unwrap(), "deterministic");
    assert_eq!(std::fs::read(&again).unwrap(), std::fs::read(&original).unwrap(), "the same archive");
    let second = read(&again, "2");
    for (a, b) in first.iter().zip(&second) {
        assert!(a == b, "read → write → read changed a file");
    }
    let files = entries(&again);
    let root = name.trim_end_matches(".zip");
    let data = files.iter().filter(|f| f.starts_with(&format!("{root}/DATA/h"))).count();
    let claims = files.iter().filter(|f| f.starts_with(&format!("{root}/CLAIMS/c"))).count();
    assert!(data > 50 && claims > 50, "{data} {claims}");
    for f in ["ix08_V08.xml", "su08_V08.xml", "XSD/hc08_V08.xsd", "XSD/coreschemas/datatypes_hcgv08.xsd"] {
        assert!(files.contains(&format!("{root}/{f}")), "{f} in {files:?}");
    }
    let ix = entry_text(&again, &format!("{root}/ix08_V08.xml"));
    assert!(ix.contains(&format!("<totalRecordCount value=\"{}\"/>", data + claims)), "{ix}");
    let r = run(p, "kk-xml", &["check", again.to_str().unwrap(), "-o", "check.csv"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // kk-gen's planted double claims have no checkup of their own: DATA without CLAIMS, nothing else
    let check = records(&std::fs::read_to_string(p.join("check.csv")).unwrap());
    assert!(check[1..].iter().all(|f| f[3] == "X207"), "{check:?}");
}

/// Every file write makes validates against the official schemas (xmllint --schema; CI installs
/// libxml2-utils).
#[test]
fn every_written_file_validates_against_the_official_schemas() {
    let dir = tempdir();
    let p = dir.path();
    let zip = generated_archive(p, "600", "4", "202604");
    let x = p.join("x");
    std::fs::create_dir(&x).unwrap();
    let unzip = crate::external("unzip").arg("-q").arg(&zip).arg("-d").arg(&x).status().unwrap();
    assert!(unzip.success());
    let root = x.join(zip.file_stem().unwrap());
    let mut checked = 0;
    for (folder, schema) in
        [("DATA", "hc08_V08.xsd"), ("CLAIMS", "cc08_V08.xsd"), ("", "ix08_V08.xsd"), ("", "su08_V08.xsd")]
    {
        let files: Vec<std::path::PathBuf> = if folder.is_empty() {
            vec![root.join(schema.replace(".xsd", ".xml"))]
        } else {
            std::fs::read_dir(root.join(folder)).unwrap().map(|e| e.unwrap().path()).collect()
        };
        let o = crate::external("xmllint")
            .arg("--noout")
            .arg("--schema")
            .arg(root.join("XSD").join(schema))
            .args(&files)
            .output()
            .expect("xmllint (libxml2-utils) is installed");
        assert!(o.status.success(), "{schema}: {}", String::from_utf8_lossy(&o.stderr));
        checked += files.len();
    }
    assert!(checked > 40, "{checked}");
}

/// The public sample round-trips through write, but for its dummy 保険者番号 99999999 (its check
/// digit fails): write refuses that checkup, and takes it once the number is a real one.
#[test]
fn the_sample_round_trips_once_its_dummy_insurer_is_replaced() {
    let dir = tempdir();
    let p = dir.path();
    let sample = std::fs::read_to_string(SAMPLE).unwrap();
    std::fs::write(p.join("dummy.xml"), &sample).unwrap();
    // a vendor's non-UCUM unit is kept as it is, like every value
    let real = sample.replace("\"99999999\"", "\"00280081\"").replace("6.209.199999999", "6.209.100280081").replacen(
        "unit=\"mm[Hg]\"",
        "unit=\"mmHg\"",
        1,
    );
    std::fs::write(p.join("real.xml"), real).unwrap();
    let write = |tag: &str| {
        let r = run(p, "kk-xml", &["read", &format!("{tag}.xml"), "--headers", "h.csv", "-o", "r.csv"]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let args = [
            "write",
            "--results",
            "r.csv",
            "--headers",
            "h.csv",
            "--sender",
            "1310000019",
            "--receiver",
            "00280081",
            "--date",
            "20240420",
            "--out-dir",
            tag,
            "--errors",
            "e.csv",
        ];
        let r = run(p, "kk-xml", &args);
        (r, records(&std::fs::read_to_string(p.join("e.csv")).unwrap()))
    };
    let (r, errors) = write("dummy");
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!((errors[1][3].as_str(), errors[1][4].as_str(), errors[1][6].as_str()), ("X101", "エラー", "99999999"));
    assert!(!r.stderr.contains("キキンタロウ") && !r.stderr.contains("123123123"));
    let (r, errors) = write("real");
    assert_eq!(r.code, 0, "{}", r.stderr);
    // the sample's institution 9999999999 passes its check digit: a warning only
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert_eq!((errors[1][3].as_str(), errors[1][4].as_str()), ("X102", "警告"));
    let before = std::fs::read(p.join("r.csv")).unwrap();
    let zip = only_zip(&p.join("real"));
    let r = run(p, "kk-xml", &["read", zip.to_str().unwrap(), "-o", "again.csv"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(before == std::fs::read(p.join("again.csv")).unwrap(), "the sample's rows changed");
    assert!(String::from_utf8(before).unwrap().contains(",149,mmHg\n"));
}

/// write refuses a checkup without its mandatory items (and lists them), computes a missing
/// メタボ判定/保健指導レベル, refuses a claim the schema would not take, and stops on bad settings
/// before writing anything.
#[test]
fn write_refuses_what_the_standard_forbids_and_says_why() {
    let dir = tempdir();
    let p = dir.path();
    let r = run(p, "kk-xml", &["read", SAMPLE, "--headers", "h.csv", "-o", "r.csv"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let text = std::fs::read_to_string(p.join("r.csv")).unwrap().replace(",99999999,", ",00280081,");
    let h = std::fs::read_to_string(p.join("h.csv")).unwrap().replace(",99999999,", ",00280081,");
    std::fs::write(p.join("h.csv"), &h).unwrap();
    // two checkups: one without 身長 and 9N501/9N506, one that only lacks 9N501/9N506
    let mut lines: Vec<&str> = text.lines().collect();
    let header = lines.remove(0);
    let first: Vec<String> = lines
        .iter()
        .filter(|l| !l.contains("9N001000000000001") && !l.contains("9N50"))
        .map(|l| l.to_string())
        .collect();
    let second: Vec<String> =
        lines.iter().filter(|l| !l.contains("9N50")).map(|l| l.replace("24500000001", "24500000002")).collect();
    let h2 = h.lines().nth(1).unwrap().replace("24500000001", "24500000002");
    std::fs::write(p.join("h.csv"), format!("{h}{h2}\n")).unwrap();
    std::fs::write(p.join("r.csv"), format!("{header}\n{}\n{}\n", first.join("\n"), second.join("\n"))).unwrap();
    let base = ["write", "--results", "r.csv", "--headers", "h.csv", "--receiver", "00280081", "--out-dir", "out"];
    let args: Vec<&str> =
        base.iter().copied().chain(["--sender", "1310000019", "--date", "20240420", "--errors", "e.csv"]).collect();
    let r = run(p, "kk-xml", &args);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let errors = records(&std::fs::read_to_string(p.join("e.csv")).unwrap());
    let codes: Vec<&str> = errors[1..].iter().map(|e| e[3].as_str()).filter(|c| *c != "X102").collect();
    assert_eq!(codes, ["X302", "X302", "X301", "X302", "X302"], "{errors:?}");
    let missing = errors.iter().find(|e| e[3] == "X301").unwrap();
    assert!(missing[6].contains("9N001000000000001 身長") && !missing[6].contains("9N501"), "{missing:?}");
    let computed: Vec<&str> = errors.iter().filter(|e| e[3] == "X302").map(|e| e[6].as_str()).collect();
    assert_eq!(computed, ["3", "3", "3", "3"], "the sample is 非該当 / なし by the rule");
    let zip = only_zip(&p.join("out"));
    let data: Vec<String> = entries(&zip).into_iter().filter(|f| f.contains("/DATA/")).collect();
    assert_eq!(data.len(), 1, "only the complete checkup is written");
    assert!(r.stderr.contains("書き出さなかった健診 1 件"), "{}", r.stderr);
    // bad settings: exit 2, nothing written
    for (option, value) in [("--sender", "131000001"), ("--date", "20240231"), ("--kind", "2")] {
        let mut args: Vec<&str> = base.to_vec();
        args.extend(["--sender", "1310000019", "--date", "20240420", "--errors", "e2.csv"]);
        let at = args.iter().position(|a| *a == option).unwrap_or(args.len());
        if at < args.len() {
            args[at + 1] = value;
        } else {
            args.extend([option, value]);
        }
        let out = format!("bad{}", option.trim_start_matches('-'));
        let at = args.iter().position(|a| *a == "out").unwrap();
        args[at] = &out;
        let r = run(p, "kk-xml", &args);
        assert_eq!(r.code, 2, "{option} {value}: {}", r.stderr);
        assert!(r.stderr.contains("E011"), "{}", r.stderr);
        assert!(!p.join("e2.csv").exists() && !p.join(&out).exists());
    }
}

/// A claim the cc08 schema would refuse keeps its checkup out of the archive (X305), a claim with
/// no checkup is listed (X304), and the su08 totals are the sums of the claims written.
#[test]
fn write_refuses_claims_the_schema_would_not_take() {
    let dir = tempdir();
    let p = dir.path();
    let zip = generated_archive(p, "600", "7", "202604");
    let r =
        run(p, "kk-xml", &["read", zip.to_str().unwrap(), "--headers", "h.csv", "--claims", "c.csv", "-o", "r.csv"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let claims = records(&std::fs::read_to_string(p.join("c.csv")).unwrap());
    let headers = records(&std::fs::read_to_string(p.join("h.csv")).unwrap());
    let csv = |rows: &[Vec<String>]| rows.iter().map(|r| r.join(",")).collect::<Vec<_>>().join("\n") + "\n";
    let mut c = claims.clone();
    // claim 1: two 詳細 items counted, one code given
    c[1][10] = "2".into();
    c[1][11] = "3000".into();
    c[1][30] = "4".into();
    c[1][31] = "3000".into();
    // a claim for a checkup that is not there
    let mut lone = claims[3].clone();
    lone[3] = "26199999999".into();
    c.push(lone);
    std::fs::write(p.join("c.csv"), csv(&c)).unwrap();
    // the checkup of claim 2: a postal code the schema refuses
    let mut h = headers.clone();
    let at = h.iter().position(|r| r[0] == claims[2][3]).unwrap();
    h[at][7] = "1000001".into();
    std::fs::write(p.join("h.csv"), csv(&h)).unwrap();
    let name = zip.file_stem().unwrap().to_str().unwrap().to_string();
    let parts: Vec<&str> = name.split('_').collect();
    let args = [
        "write",
        "--results",
        "r.csv",
        "--headers",
        "h.csv",
        "--claims",
        "c.csv",
        "--sender",
        parts[0],
        "--receiver",
        parts[1],
        "--date",
        &parts[2][..8],
        "--out-dir",
        "w",
        "--errors",
        "e.csv",
        "--summary-json",
        "s.json",
    ];
    let r = run(p, "kk-xml", &args);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let errors = records(&std::fs::read_to_string(p.join("e.csv")).unwrap());
    let codes: Vec<(&str, &str)> = errors[1..].iter().map(|e| (e[3].as_str(), e[6].as_str())).collect();
    assert_eq!(
        codes,
        [
            ("X305", "詳細項目数 2 と詳細項目コード・詳細単価の数が合いません"),
            ("X305", "郵便番号 (NNN-NNNN)"),
            ("X304", "26199999999")
        ],
        "{errors:?}"
    );
    let json = std::fs::read_to_string(p.join("s.json")).unwrap();
    assert!(json.contains("\"refused\": 2"), "{json}");
    let out = only_zip(&p.join("w"));
    let su = entry_text(&out, &format!("{name}/su08_V08.xml"));
    let written: Vec<&Vec<String>> =
        claims[1..].iter().filter(|r| r[3] != claims[1][3] && r[3] != claims[2][3]).collect();
    let total: i64 = written.iter().map(|r| r[16].parse::<i64>().unwrap()).sum();
    assert!(su.contains(&format!("<totalSubjectCount value=\"{}\"/>", written.len())), "{su}");
    assert!(su.contains(&format!("<totalClaimAmount value=\"{total}\"/>")), "{su}");
}

/// Files are read and decompressed on a thread of their own while the previous batch is parsed:
/// a broken file far into a large archive still stops the run at that file (exit 2, nothing
/// written), and of two broken files the first in the archive's order is the one named, as one
/// thread would meet them; a damaged entry of the zip itself is named the same way.
#[test]
fn a_broken_file_late_in_a_large_archive_is_the_one_named_and_nothing_is_written() {
    let dir = tempdir();
    let p = dir.path();
    let r = run(p, "kk-gen", &["--persons", "300", "--claims", "300", "--seed", "1", "--out", "g", "--xml", "-q"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let original = only_zip(&p.join("g/xml"));
    let r = run(p, "kk-xml", &["read", original.to_str().unwrap(), "-o", "ok.csv"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let x = p.join("x");
    std::fs::create_dir(&x).unwrap();
    let o = crate::external("unzip").arg("-q").arg(&original).arg("-d").arg(&x).output().unwrap();
    assert!(o.status.success());
    let root = std::fs::read_dir(&x).unwrap().next().unwrap().unwrap().path();
    let mut data: Vec<std::path::PathBuf> =
        std::fs::read_dir(root.join("DATA")).unwrap().map(|e| e.unwrap().path()).collect();
    data.sort();
    assert!(data.len() >= 300, "more files than two batches: {}", data.len());
    let cut = |f: &std::path::Path| {
        let bytes = std::fs::read(f).unwrap();
        std::fs::write(f, &bytes[..bytes.len() / 2]).unwrap();
    };
    let late = &data[data.len() - 3];
    cut(late);
    let out = p.join("out");
    std::fs::create_dir(&out).unwrap();
    let read_folder =
        || run(p, "kk-xml", &["read", "x", "-o", "out/r.csv", "--headers", "out/h.csv", "--claims", "out/c.csv"]);
    let r = read_folder();
    assert_eq!(r.code, 2, "{}", r.stderr);
    let late_name = late.file_name().unwrap().to_string_lossy().into_owned();
    assert!(r.stderr.contains(&late_name) && r.stderr.contains("E026"), "{}", r.stderr);
    assert_eq!(crate::files_in(&out), Vec::<String>::new());
    let early = &data[4];
    cut(early);
    let r = read_folder();
    assert_eq!(r.code, 2, "{}", r.stderr);
    let early_name = early.file_name().unwrap().to_string_lossy().into_owned();
    assert!(r.stderr.contains(&early_name) && !r.stderr.contains(&late_name), "{}", r.stderr);
    assert_eq!(crate::files_in(&out), Vec::<String>::new());

    // the archive with the compressed bytes of a late entry overwritten
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&original).unwrap()).unwrap();
    let late_entry =
        (0..zip.len()).rev().find(|&i| zip.by_index(i).unwrap().name().unwrap().contains("/DATA/h")).unwrap();
    let (start, size) = {
        let e = zip.by_index(late_entry).unwrap();
        (e.data_start().unwrap() as usize, e.compressed_size() as usize)
    };
    let mut bytes = std::fs::read(&original).unwrap();
    bytes[start + size / 4..start + size * 3 / 4].fill(0xA5);
    std::fs::write(p.join("damaged.zip"), &bytes).unwrap();
    let r = run(p, "kk-xml", &["read", "damaged.zip", "-o", "out/r.csv", "--claims", "out/c.csv"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("damaged.zip"), "{}", r.stderr);
    assert_eq!(crate::files_in(&out), Vec::<String>::new());
}
