//! The month's remaining files: exclusions.csv, info-status.csv, subsidy-items.csv, receipt.csv
//! and anomalies.csv (what was planted, where, and the code a tool must report).

use std::collections::HashSet;

use jiff::Span;

use super::Month;
use super::contracts::ADDITIONAL_ITEMS;
use super::people::Person;
use super::writer::Writer;
use crate::domain::{age_at_fiscal_year_end, format_date};
use crate::error::Result;
use crate::layout::{ANOMALIES, EXCLUSIONS, INFO_STATUS, RECEIPT, SUBSIDY_ITEMS};

/// One person in 97 has a 告示 exclusion from a day of the fiscal year on.
pub fn write_exclusions(m: &Month, master: &[Person]) -> Result<()> {
    let fy = m.fy;
    let mut w = Writer::create(m.dir, "exclusions.csv", m.enc, &EXCLUSIONS.names().collect::<Vec<_>>())?;
    for (n, p) in master.iter().enumerate().filter(|(n, _)| n % 97 == 5) {
        let reason = [1, 2, 3, 4, 5, 9][n % 6];
        let start = fy.first_day().checked_add(Span::new().days((n % 200) as i32)).unwrap_or(fy.first_day());
        w.row(&[
            m.insurers[p.insurer].number.clone(),
            p.kigo.clone(),
            p.bango.clone(),
            p.edaban.clone(),
            reason.to_string(),
            format_date(start),
            String::new(),
        ])?;
    }
    w.finish()
}

/// The information-provision system's view: every person of age, qualified or not, examined or
/// not (agreeing with the master, so kk-unexamined check finds only what kk-import changed).
pub fn write_info_status(m: &Month, master: &[Person], examinees: &[&Person]) -> Result<()> {
    let (fy, month) = (m.fy, m.month);
    let mut w = Writer::create(m.dir, "info-status.csv", m.enc, &INFO_STATUS.names().collect::<Vec<_>>())?;
    let examined: HashSet<(usize, &str)> = examinees.iter().map(|p| (p.insurer, p.bango.as_str())).collect();
    for p in master.iter().filter(|p| (40..=74).contains(&age_at_fiscal_year_end(p.birth, fy))) {
        let qualified = if p.lost.is_none_or(|l| month < l) { "1" } else { "2" };
        let registered = if examined.contains(&(p.insurer, p.bango.as_str())) { "1" } else { "0" };
        w.row(&[
            m.insurers[p.insurer].number.clone(),
            p.kigo.clone(),
            p.bango.clone(),
            p.edaban.clone(),
            p.kana.clone(),
            format_date(p.birth),
            qualified.into(),
            registered.into(),
            format_date(month),
        ])?;
    }
    w.finish()
}

pub fn write_subsidy_items(m: &Month) -> Result<()> {
    let mut w = Writer::create(m.dir, "subsidy-items.csv", m.enc, &SUBSIDY_ITEMS.names().collect::<Vec<_>>())?;
    for (code, name, kind, price) in ADDITIONAL_ITEMS {
        w.row(&[code.to_string(), name.to_string(), kind.to_string(), price.to_string()])?;
    }
    w.finish()
}

/// A receipt of the statutory report, every file received.
pub fn write_receipt(m: &Month, examinees: usize) -> Result<()> {
    let month = m.month;
    let mut w = Writer::create(m.dir, "receipt.csv", m.enc, &RECEIPT.names().collect::<Vec<_>>())?;
    let received = format_date(month.checked_add(Span::new().days(10)).unwrap_or(month));
    w.row(&["summary.csv".to_string(), "1".into(), received.clone(), "1".into(), String::new()])?;
    w.row(&["results.csv".to_string(), examinees.to_string(), received, "1".into(), String::new()])?;
    w.finish()
}

pub fn write_anomalies(m: &Month) -> Result<()> {
    let mut w = Writer::create(m.dir, "anomalies.csv", m.enc, &ANOMALIES)?;
    for a in &m.anomalies {
        w.row(&[a.file, &a.line.to_string(), a.column, a.code, a.what])?;
    }
    w.finish()
}
