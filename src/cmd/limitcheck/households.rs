//! Who is exempt from the co-payment: the claimants' 世帯番号 from the master and their
//! households' 課税区分 from the household tax file, read for just the claimants that need it.

use std::path::Path;

use jiff::civil::Date;
use rustc_hash::{FxHashMap, FxHashSet};

use crate::cmd::shared::{code_text, read_rows, reference_error};
use crate::domain::{FiscalYear, InsurerNumber, PersonKey, parse_date};
use crate::error::{FieldError, Result};
use crate::io::InputEncoding;
use crate::layout;

/// Who is exempt from the co-payment, for the persons it matters for: their 世帯番号 from the
/// master and their households' 課税区分 from the household tax file.
#[derive(Default)]
pub struct Households<'a> {
    /// person (key text, borrowed from the claims) → household key (8-digit insurer ␟ 世帯番号)
    of_person: FxHashMap<&'a str, Box<str>>,
    /// household key → (年度, 更新日, 非課税) as registered
    status: FxHashMap<Box<str>, Vec<(FiscalYear, Date, bool)>>,
}

/// 8-digit insurer ␟ 世帯番号, from a validated 6- or 8-digit insurer number.
fn household_key(insurer: &str, household: &str) -> Box<str> {
    let mut key = String::with_capacity(9 + household.len());
    for _ in insurer.len()..8 {
        key.push('0');
    }
    key.push_str(insurer);
    key.push('\u{1F}');
    key.push_str(household);
    key.into_boxed_str()
}

impl<'a> Households<'a> {
    /// Reads the master keeping only the persons in `wanted`, then the statuses of their
    /// households. Every row is still checked: a bad value in either file is fatal.
    pub fn load(
        master: &Path,
        household: &Path,
        requested: InputEncoding,
        wanted: &FxHashSet<&'a str>,
    ) -> Result<Households<'a>> {
        let mut h = Households::default();
        let l = &layout::MASTER_PERSON_HOUSEHOLD;
        read_rows(
            master,
            requested,
            l,
            |row, key| {
                let insurer = code_text(row, l, 0)?;
                let (kigo, bango, edaban, hh) =
                    (code_text(row, l, 1)?, code_text(row, l, 2)?, code_text(row, l, 3)?, code_text(row, l, 4)?);
                InsurerNumber::check(&insurer).map_err(|e| reference_error(row, l, 0, "被保険者マスタ", e))?;
                PersonKey::join_into(&insurer, &kigo, &bango, &edaban, key);
                let person = if hh.is_empty() { None } else { wanted.get(key.as_str()) };
                Ok(person.map(|person| (*person, household_key(&insurer, &hh))))
            },
            |(person, hh)| {
                h.of_person.insert(person, hh);
            },
        )?;
        let households: FxHashSet<&str> = h.of_person.values().map(|hh| hh.as_ref()).collect();
        let mut status: FxHashMap<Box<str>, Vec<(FiscalYear, Date, bool)>> = FxHashMap::default();
        let l = &layout::HOUSEHOLD_TAX;
        read_rows(
            household,
            requested,
            l,
            |row, _| {
                let fail = |field: usize, e: FieldError| reference_error(row, l, field, "世帯課税状況", e);
                let insurer = code_text(row, l, 0)?;
                InsurerNumber::check(&insurer).map_err(|e| fail(0, e))?;
                let year = code_text(row, l, 2)?.parse::<FiscalYear>().map_err(|e| fail(2, e))?;
                let exempt = match code_text(row, l, 3)?.as_ref() {
                    "1" => false,
                    "2" => true,
                    "" => return Err(fail(3, FieldError::Required)),
                    _ => return Err(fail(3, FieldError::Code)),
                };
                let updated = parse_date(&code_text(row, l, 4)?).map_err(|e| fail(4, e))?;
                let key = household_key(&insurer, &code_text(row, l, 1)?);
                Ok(households.contains(key.as_ref()).then_some((key, year, updated, exempt)))
            },
            |(key, year, updated, exempt)| status.entry(key).or_default().push((year, updated, exempt)),
        )?;
        h.status = status;
        Ok(h)
    }

    /// Whether the household of the person whose key text is `person` is 非課税 in `fy` (the
    /// status with the latest 更新日 for that year; the later line on the same day).
    pub fn exempt(&self, person: &str, fy: FiscalYear) -> bool {
        let Some(statuses) = self.of_person.get(person).and_then(|hh| self.status.get(hh)) else { return false };
        statuses.iter().filter(|s| s.0 == fy).max_by_key(|s| s.1).is_some_and(|s| s.2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Borrow;

    #[test]
    fn the_latest_status_of_a_year_decides() {
        let mut h = Households::default();
        let key = PersonKey::from_checked("130013", "1", "2", "01");
        h.of_person.insert(key.borrow(), "00130013\u{1F}H1".into());
        let day = |d| jiff::civil::date(2026, 4, d);
        h.status.insert(
            "00130013\u{1F}H1".into(),
            vec![
                (FiscalYear(2026), day(1), true),
                (FiscalYear(2026), day(20), false),
                (FiscalYear(2025), day(1), true),
            ],
        );
        let mut text = String::new();
        PersonKey::join_into("130013", "1", "2", "01", &mut text);
        assert!(!h.exempt(&text, FiscalYear(2026)), "課税 from 20 April");
        assert!(h.exempt(&text, FiscalYear(2025)));
        assert!(!h.exempt(&text, FiscalYear(2024)));
        // the same day: the later line wins
        h.status.get_mut("00130013\u{1F}H1").unwrap().push((FiscalYear(2026), day(20), true));
        assert!(h.exempt(&text, FiscalYear(2026)));
    }
}
