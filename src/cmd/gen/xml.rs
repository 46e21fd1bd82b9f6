//! `--xml`: the month also as a V08 archive in `xml/`, as the institutions would send it, made by
//! `kk-xml write`'s own code from three CSVs written beside the usual ones (in a working folder
//! that is removed afterwards): the results with the items the XML standard requires and the CSV
//! files leave out (既往歴・自覚症状・他覚症状, メタボ判定, 保健指導レベル, 医師の診断と氏名), the
//! headers (氏名カナ・住所, the institution) and the claims with the cc08 columns.

use std::path::{Path, PathBuf};

use super::Month;
use super::items::Item;
use super::people::Person;
use super::writer::Writer;
use crate::cmd::xml::claims::{WIDTH, col};
use crate::domain::stratify::{Measures, stratify};
use crate::error::{Error, Result};
use crate::io::Encoding;
use crate::layout::{CLAIMS, RESULTS, XML_CLAIMS_EXTRA, XML_HEADERS};

/// The working CSVs of the archive.
pub struct XmlSide {
    dir: PathBuf,
    results: Writer,
    headers: Writer,
    claims: Writer,
}

/// The 提出先 of the demo archive: the 代行機関 (a made-up 8-digit number).
pub const RECEIVER: &str = "13999993";

impl XmlSide {
    pub fn create(out: &Path) -> Result<XmlSide> {
        let dir = out.join(".kk-gen-xml");
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        let claims_header: Vec<&str> = CLAIMS.names().chain(XML_CLAIMS_EXTRA).collect();
        Ok(XmlSide {
            results: Writer::create(&dir, "results.csv", Encoding::Utf8, &RESULTS.names().collect::<Vec<_>>())?,
            headers: Writer::create(&dir, "headers.csv", Encoding::Utf8, &XML_HEADERS)?,
            claims: Writer::create(&dir, "claims.csv", Encoding::Utf8, &claims_header)?,
            dir,
        })
    }

    /// One results row, with the standard's UCUM unit (mm[Hg], mg/dL) where the CSV has mmHg, mg/dl.
    pub fn result(&mut self, row: &[String; 13]) -> Result<()> {
        let mut row = row.clone();
        if let Some(unit) = crate::cmd::xml::master_unit(&row[9]) {
            row[12] = unit.to_string();
        }
        self.results.row(&row)?;
        Ok(())
    }

    /// The headers row of one checkup (`key`: 受診券整理番号, 保険者番号, 記号, 番号, 枝番, 受診日).
    pub fn header(&mut self, key: &[String; 6], p: &Person, institution: &str, created: &str) -> Result<()> {
        let org = [institution, "健診センター", "100-0001", "東京都千代田区千代田1番1号", "0312345678"];
        let mut row: Vec<String> = key.to_vec();
        row.extend([p.kana.clone(), p.postcode.clone(), p.address.clone(), String::new()]);
        row.extend(org.iter().chain(org.iter()).map(|s| s.to_string()));
        row.extend(["10".into(), "010".into(), created.to_string()]);
        self.headers.row(&row)?;
        Ok(())
    }

    /// The claim of one checkup: the canonical columns and the cc08 ones (詳細 item 4 血清クレア
    /// チニン at the contract's price, 窓口負担 as 定額 on the basic price).
    pub fn claim(&mut self, canonical: &[String], detail_price: i64, add_price: i64) -> Result<()> {
        let mut row = canonical.to_vec();
        row.resize(WIDTH, String::new());
        let n = |i: usize| canonical[i].parse::<usize>().unwrap_or(0);
        for i in [col::EVENT, col::CLAIM_TYPE, col::COMMISSION] {
            row[i] = "1".into();
        }
        // 基本 (the first charge): 定額, the co-payment
        row[col::CHARGES] = "2".into();
        row[col::CHARGES + 1] = format!("{:0>6}", canonical[col::COPAY]);
        row[col::DETAIL_CODES] = vec!["4"; n(col::DETAIL_COUNT)].join(";");
        row[col::DETAIL_PRICES] = vec![detail_price.to_string(); n(col::DETAIL_COUNT)].join(";");
        row[col::ADDITIONAL_PRICES] = vec![add_price.to_string(); n(col::ADDITIONAL_COUNT)].join(";");
        self.claims.row(&row)?;
        Ok(())
    }

    /// Closes the CSVs, writes the archive into `out/xml/` and removes the working folder.
    pub fn finish(self, m: &Month, out: &Path, sender: &str) -> Result<PathBuf> {
        self.results.finish_now()?;
        self.headers.finish_now()?;
        self.claims.finish_now()?;
        let date = crate::domain::format_date(m.month.last_of_month());
        let a = crate::cmd::xml::WriteArgs {
            results: self.dir.join("results.csv"),
            headers: self.dir.join("headers.csv"),
            claims: Some(self.dir.join("claims.csv")),
            sender: sender.to_string(),
            receiver: RECEIVER.to_string(),
            kind: "1".into(),
            date,
            seq: 0,
            interaction: 1,
            out_dir: out.join("xml"),
            // what write refuses is what kk-gen planted (the double claim has no checkup of its
            // own): kk-xml check lists it from the archive
            errors: None,
            run: crate::cmd::shared::RunArgs { strict: false, summary_json: None, progress: false, quiet: true },
        };
        crate::cmd::xml::write_archive(&a)?;
        std::fs::remove_dir_all(&self.dir).map_err(|e| Error::io(&self.dir, e))?;
        Ok(out.join("xml"))
    }
}

/// What the XML standard requires beyond the CSV items: 既往歴・自覚症状・他覚症状 (なし), メタボ判定
/// and 保健指導レベル by the rule, 医師の診断 and the doctor's name.
pub fn required_items(items: &[Item], p: &Person, age: i16) -> Vec<Item> {
    let m = Measures::of_items(items.iter().map(|(code, _, value, _)| (*code, value.as_str())));
    let o = stratify(&m, Some(p.sex), Some(age));
    // the planted edge cases of 階層化 leave out items the rule does not read but the standard
    // requires: a plain value for each
    let plain: [Item; 8] = [
        ("9N001000000000001", "身長", "160.0".into(), "cm"),
        ("9N006000000000001", "体重", "55.0".into(), "kg"),
        ("3F077000002327101", "LDLコレステロール", "110".into(), "mg/dl"),
        ("3B035000002327201", "GOT(AST)", "20".into(), "U/l"),
        ("3B045000002327201", "GPT(ALT)", "18".into(), "U/l"),
        ("3B090000002327101", "γ-GT(γ-GTP)", "25".into(), "U/l"),
        ("1A020000000191111", "尿糖", "1".into(), ""),
        ("1A010000000191111", "尿蛋白", "1".into(), ""),
    ];
    let mut out: Vec<Item> = plain.into_iter().filter(|x| !items.iter().any(|i| i.0 == x.0)).collect();
    out.extend([
        ("9N056000000000011", "既往歴", "2".into(), ""),
        ("9N061000000000011", "自覚症状", "2".into(), ""),
        ("9N066000000000011", "他覚症状", "2".into(), ""),
        ("9N501000000000011", "メタボリックシンドローム判定", o.metabo.code().to_string(), ""),
        ("9N506000000000011", "保健指導レベル", o.level.code().to_string(), ""),
        ("9N511000000000049", "医師の診断(判定)", "異常なし".into(), ""),
        ("9N516000000000049", "健康診断を実施した医師の氏名", "健診　一郎".into(), ""),
    ]);
    out
}
