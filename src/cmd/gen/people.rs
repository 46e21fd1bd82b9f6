//! The generated population: insurers, persons with unique identities, the random source, and
//! the anomalies planted on purpose.

use std::collections::HashSet;

use jiff::Span;
use jiff::civil::{Date, date};

use super::names::{BUILDINGS, FEMALE, MALE, SURNAMES, TOWNS, era_code_form, era_kanji_form, to_halfwidth_kana};
use crate::domain::{FiscalYear, format_date, luhn_check_digit};

/// `--few-names`: the surnames and given names drawn from.
const FEW_SURNAMES: usize = 40;
const FEW_GIVEN: usize = 2;

pub fn with_check_digit(body: &str) -> String {
    format!("{body}{}", luhn_check_digit(body.as_bytes()))
}

/// The last digit changed so the check digit fails.
pub fn break_check_digit(n: &str) -> String {
    let (body, last) = n.split_at(n.len() - 1);
    let d = (last.as_bytes()[0] - b'0' + 1) % 10;
    format!("{body}{d}")
}

#[derive(Debug, Clone)]
pub struct Insurer {
    pub number: String,
    pub name: String,
    pub ward: &'static str,
    pub kigo: String,
}

#[derive(Debug, Clone)]
pub struct Person {
    pub insurer: usize,
    pub kigo: String,
    pub bango: String,
    pub edaban: String,
    pub kana: String,
    pub name: String,
    pub sex: u8,
    pub birth: Date,
    pub acquired: Date,
    pub lost: Option<Date>,
    pub household: String,
    pub postcode: String,
    pub address: String,
}

impl Person {
    pub fn fields(&self, insurers: &[Insurer]) -> Vec<String> {
        vec![
            insurers[self.insurer].number.clone(),
            self.kigo.clone(),
            self.bango.clone(),
            self.edaban.clone(),
            self.kana.clone(),
            self.name.clone(),
            self.sex.to_string(),
            format_date(self.birth),
            format_date(self.acquired),
            self.lost.map(format_date).unwrap_or_default(),
            self.household.clone(),
            self.postcode.clone(),
            self.address.clone(),
        ]
    }
    pub fn identity(&self) -> String {
        format!("{}|{}|{}", self.kana.replace('\u{3000}', ""), format_date(self.birth), self.sex)
    }
}

/// One planted anomaly: where it is and what a tool must report.
pub struct Anomaly {
    pub file: &'static str,
    pub line: u64,
    pub column: &'static str,
    pub code: &'static str,
    pub what: &'static str,
}

pub struct Gen {
    pub rng: fastrand::Rng,
    pub month: Date,
    pub fy: FiscalYear,
    pub insurers: Vec<Insurer>,
    /// Identities in use, so no duplicate appears by chance.
    pub identities: HashSet<String>,
    /// `--few-names`: 80 names (40 surnames × 2 given names per sex) and births in 40 years, so
    /// one identity recurs under many keys
    pub few_names: bool,
    pub next_bango: Vec<u64>,
    pub next_household: Vec<u64>,
}

impl Gen {
    pub fn days_between(&mut self, from: Date, to: Date) -> Date {
        let days = (to - from).get_days().max(1);
        from.checked_add(Span::new().days(self.rng.i32(0..days))).unwrap_or(from)
    }

    /// A new person at `insurer` with an identity no one else has.
    pub fn person(&mut self, insurer: usize, household: Option<&Person>) -> Person {
        loop {
            let sex = if self.rng.bool() { 1 } else { 2 };
            let (sn, sk) = match household {
                Some(h) => {
                    let (n, _) = h.name.split_once('\u{3000}').unwrap_or((&h.name, ""));
                    let (k, _) = h.kana.split_once('\u{3000}').unwrap_or((&h.kana, ""));
                    (n.to_string(), k.to_string())
                }
                None => {
                    let surnames = if self.few_names { FEW_SURNAMES } else { SURNAMES.len() };
                    let (n, k) = SURNAMES[self.rng.usize(..surnames)];
                    (n.to_string(), k.to_string())
                }
            };
            let given = if sex == 1 { MALE } else { FEMALE };
            let (gn, gk) = given[self.rng.usize(..if self.few_names { FEW_GIVEN } else { given.len() })];
            let birth = if self.few_names {
                self.days_between(date(1950, 1, 1), date(1990, 1, 1))
            } else {
                self.days_between(date(1940, 4, 2), date(2004, 4, 1))
            };
            let acquired = if self.rng.u8(..10) < 6 {
                date(2008, 4, 1).max(birth)
            } else {
                self.days_between(date(2008, 4, 1).max(birth), self.month)
            };
            let lost =
                (self.rng.u8(..100) < 6).then(|| self.days_between(acquired, self.month)).filter(|l| *l > acquired);
            let ins = &self.insurers[insurer];
            let (household_no, postcode, address) = match household {
                Some(h) => (h.household.clone(), h.postcode.clone(), h.address.clone()),
                None => {
                    self.next_household[insurer] += 1;
                    let hh = format!("{:08}", self.next_household[insurer]);
                    let pc = format!("1{:02}-{:04}", self.rng.u16(..100), self.rng.u16(..10000));
                    let addr = format!(
                        "東京都{}{}{}丁目{}番{}号{}",
                        ins.ward,
                        TOWNS[self.rng.usize(..TOWNS.len())],
                        self.rng.u8(1..6),
                        self.rng.u8(1..30),
                        self.rng.u8(1..20),
                        BUILDINGS[self.rng.usize(..BUILDINGS.len())]
                    );
                    (hh, pc, addr)
                }
            };
            self.next_bango[insurer] += 1;
            let edaban = match household {
                Some(_) => format!("{:02}", self.rng.u8(2..5)),
                None => "01".to_string(),
            };
            let p = Person {
                insurer,
                kigo: ins.kigo.clone(),
                bango: self.next_bango[insurer].to_string(),
                edaban,
                kana: format!("{sk}\u{3000}{gk}"),
                name: format!("{sn}\u{3000}{gn}"),
                sex,
                birth,
                acquired,
                lost,
                household: household_no,
                postcode,
                address,
            };
            // with few names, one identity under many keys is the point
            if self.few_names || self.identities.insert(p.identity()) {
                return p;
            }
        }
    }

    /// Writes a person the way a municipality's export might: mostly canonical, sometimes with
    /// era dates, half-width kana or full-width 記号 (all of which kk-import normalizes).
    pub fn as_exported(&mut self, p: &Person, insurers: &[Insurer]) -> Vec<String> {
        let mut f = p.fields(insurers);
        match self.rng.u8(..40) {
            0 => f[4] = to_halfwidth_kana(&p.kana),
            1 => f[7] = era_code_form(p.birth),
            2 => f[7] = era_kanji_form(p.birth),
            3 => f[8] = format!("{}/{}/{}", p.acquired.year(), p.acquired.month(), p.acquired.day()),
            4 => f[1] = p.kigo.chars().map(|c| char::from_u32(c as u32 + 0xFEE0).unwrap_or(c)).collect(),
            5 => f[12] = p.address.replacen("丁目", "丁目\n", 1),
            6 => f[5] = format!(" {} ", p.name.replace('\u{3000}', "  ")),
            _ => {}
        }
        f
    }
}
