//! contracts.csv: a collective contract for everyone, an institution-wide one, and exact ones
//! (one per institution × insurer, as many as asked for), and the institutions they name.

use std::collections::HashMap;

use super::Month;
use super::people::with_check_digit;
use super::writer::Writer;
use crate::domain::{Copay, expected_copayment, format_date};
use crate::error::Result;
use crate::layout::CONTRACTS;

/// The additional items (code, name, 補助区分, 補助単価) contracts cover and claims hold.
pub const ADDITIONAL_ITEMS: &[(&str, &str, &str, i64)] = &[
    ("3C020000002327101", "尿酸", "1", 400),
    ("2A030000001930101", "血色素量(ヘモグロビン値)", "1", 300),
    ("9A110160700000011", "心電図(所見の有無)", "2", 1300),
];

/// A contract row of contracts.csv, as the generator uses it.
pub struct Contract {
    pub institution: String,
    pub insurer: String,
    pub base: i64,
    pub detail: i64,
    pub additional: i64,
    pub max_additional: usize,
    pub copay_type: u8,
    pub copay_value: &'static str,
    pub exempt_low_income: bool,
}

/// 窓口負担 for a 基本 price, by the one rule kk-limitcheck checks against.
pub fn copayment(c: &Contract, price: i64) -> i64 {
    let copay = Copay::parse(&c.copay_type.to_string(), c.copay_value).unwrap_or(Copay::None);
    expected_copayment(copay, price, 0, 1)
}

/// The institutions and contracts of the month.
pub struct Terms {
    pub institutions: Vec<String>,
    pub contracts: Vec<Contract>,
    /// (institution, insurer or `*`) → contract
    index: HashMap<(String, String), usize>,
}

impl Terms {
    /// The contract a claim at `institution` for `insurer` falls under: exact, else the
    /// institution's, else the collective one.
    pub fn contract_for(&self, institution: &str, insurer: &str) -> &Contract {
        let at = |i: &str, s: &str| self.index.get(&(i.to_string(), s.to_string())).map(|&k| &self.contracts[k]);
        at(institution, insurer).or_else(|| at(institution, "*")).unwrap_or(&self.contracts[0])
    }
}

/// The institutions (enough for `exact` exact contracts) and the contracts, for a master of
/// `persons` persons.
pub fn terms(m: &Month, persons: usize, exact: usize) -> Terms {
    let master_len = persons;
    // enough institutions for the exact contracts asked for (one per institution × insurer)
    let n_inst = (3 + master_len / 20_000).min(200).max(exact.div_ceil(m.insurers.len()) + 2);
    let institutions: Vec<String> = (0..n_inst).map(|i| with_check_digit(&format!("131{:06}", 100 + i * 37))).collect();

    // contracts.csv: a collective contract for everyone, institution-wide ones, and exact ones.
    let mut contracts = vec![Contract {
        institution: "*".into(),
        insurer: "*".into(),
        base: 7700,
        detail: 1980,
        additional: 440,
        max_additional: 3,
        copay_type: 2,
        copay_value: "1000",
        exempt_low_income: true,
    }];
    contracts.push(Contract {
        institution: institutions[0].clone(),
        insurer: "*".into(),
        base: 8800,
        detail: 2200,
        additional: 550,
        max_additional: 2,
        copay_type: 3,
        copay_value: "10",
        exempt_low_income: true,
    });
    // exact contracts, one per institution × insurer, from the second institution on
    let pairs = institutions.iter().skip(1).flat_map(|i| m.insurers.iter().map(move |s| (i, s)));
    for (n, (inst, ins)) in pairs.take(exact).enumerate() {
        let (copay_type, copay_value) = [(1, "0"), (2, "500"), (3, "30"), (4, "6000")][n % 4];
        contracts.push(Contract {
            institution: inst.clone(),
            insurer: ins.number.clone(),
            base: 9900 - 110 * (n % 9) as i64,
            detail: 2200,
            additional: 660,
            max_additional: 3,
            copay_type,
            copay_value,
            exempt_low_income: false,
        });
    }
    let index = contracts.iter().enumerate().map(|(i, c)| ((c.institution.clone(), c.insurer.clone()), i)).collect();
    Terms { institutions, contracts, index }
}

pub fn write_contracts(m: &Month, terms: &Terms) -> Result<()> {
    let fy = m.fy;
    let mut w = Writer::create(m.dir, "contracts.csv", m.enc, &CONTRACTS.names().collect::<Vec<_>>())?;
    let codes = ADDITIONAL_ITEMS.iter().map(|a| a.0).collect::<Vec<_>>().join(";");
    for c in &terms.contracts {
        w.row(&[
            c.institution.clone(),
            c.insurer.clone(),
            "1".into(),
            format_date(fy.first_day()),
            format_date(fy.last_day()),
            c.base.to_string(),
            c.detail.to_string(),
            c.additional.to_string(),
            c.max_additional.to_string(),
            if c.institution == "*" { String::new() } else { codes.clone() },
            c.copay_type.to_string(),
            c.copay_value.into(),
            "1".into(),
            u8::from(c.exempt_low_income).to_string(),
        ])?;
    }
    w.finish()
}
