//! household-tax.csv: the fiscal year's status of every household, a few updated twice, with
//! planted errors.

use std::collections::HashSet;

use jiff::Span;

use super::Month;
use super::people::{Gen, Person};
use super::writer::Writer;
use crate::domain::format_date;
use crate::error::Result;
use crate::layout::HOUSEHOLD_TAX;

/// Writes the file; returns the 非課税 households as (insurer index, 世帯番号).
pub fn write_household_tax(g: &mut Gen, m: &mut Month, master: &[Person]) -> Result<HashSet<(usize, String)>> {
    let mut w = Writer::create(m.dir, "household-tax.csv", m.enc, &HOUSEHOLD_TAX.names().collect::<Vec<_>>())?;
    let mut households: Vec<(usize, String)> = master.iter().map(|p| (p.insurer, p.household.clone())).collect();
    households.sort();
    households.dedup();
    let fy = g.fy;
    let mut exempt: HashSet<(usize, String)> = HashSet::new();
    for (n, (ins, hh)) in households.iter().enumerate() {
        let status = if g.rng.u8(..10) < 3 { "2" } else { "1" };
        if status == "2" {
            exempt.insert((*ins, hh.clone()));
        }
        // at least a day after the superseded row written below, so this one is the latest
        let updated =
            format_date(fy.first_day().checked_add(Span::new().days(1 + g.rng.i32(0..60))).unwrap_or(fy.first_day()));
        w.row(&[&m.insurers[*ins].number, hh, &fy.to_string(), &status.to_string(), &updated])?;
        if n % 40 == 7 {
            // an earlier, superseded status from the previous update
            w.row(&[&m.insurers[*ins].number, hh, &fy.to_string(), &"1".to_string(), &format_date(fy.first_day())])?;
        }
    }
    if !m.clean {
        let l = w.row(&[
            &m.insurers[0].number,
            &"99999999".to_string(),
            &fy.to_string(),
            &"1".to_string(),
            &format_date(fy.first_day()),
        ])?;
        m.note("household-tax.csv", l, "世帯番号", "E205", "マスタにない世帯");
        if let Some((ins, hh)) = households.first() {
            let l = w.row(&[
                &m.insurers[*ins].number,
                hh,
                &fy.to_string(),
                &"3".to_string(),
                &format_date(fy.first_day()),
            ])?;
            m.note("household-tax.csv", l, "課税区分", "E106", "課税区分コード誤り");
            let l = w.row(&[
                &m.insurers[*ins].number,
                hh,
                &"R8".to_string(),
                &"1".to_string(),
                &format_date(fy.first_day()),
            ])?;
            m.note("household-tax.csv", l, "年度", "E102", "年度が西暦4桁でない");
        }
    }
    w.finish()?;
    Ok(exempt)
}
