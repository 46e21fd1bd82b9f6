//! `summary`: 対象者数・受診者数・受診率 per insurer × sex × age band, with subtotals and 全体.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::year::{Counts, Year, master_person, tally, tally_line};
use super::{SummaryArgs, TOOL};
use crate::cmd::shared::reference::examined_in;
use crate::cmd::shared::{check_outputs, read_input};
use crate::console::{Console, thousands};
use crate::domain::statutory::{AGE_BANDS, Reason, age_band, format_rate, rate_tenths, report_age};
use crate::error::{Error, Loc, Result};
use crate::io::{CsvInput, CsvOut};
use crate::layout::{INSURED, STATUTORY_SUMMARY};

pub fn summary(a: &SummaryArgs) -> Result<u8> {
    let console = Console { tool: TOOL, quiet: a.run.quiet };
    check_outputs(&[a.output.output.as_deref(), a.xlsx.as_deref(), a.run.summary_json.as_deref()])?;
    let xlsx_path = a.format.xlsx_path(a.output.output.as_deref(), "--format xlsx", "-o")?;
    let year = Year::load(&a.year)?;
    let fy = year.fy;
    let (examined, result_rows) = examined_in(&a.results, year.requested, fy)?;
    let mut master = CsvInput::open(Some(&a.year.master), year.requested, &INSURED, None)?;
    let spec = a.output.spec(master.encoding())?;
    // (8-digit insurer, sex, band) → (targets, examined)
    let mut cells: BTreeMap<(String, u8, i16), (u64, u64)> = BTreeMap::new();
    let mut counts = Counts::new();
    let mut rows_in = 0u64;
    // every insurer of the master has its rows, zeros included
    let mut insurers: BTreeSet<String> = BTreeSet::new();
    read_input(
        &mut master,
        |row, _| {
            let p = master_person(row)?;
            let st = year.standing(&p);
            let cell = st.is_ok().then(|| {
                let band = age_band(report_age(p.birth, fy).unwrap_or(40));
                ((p.key.insurer8().to_string(), p.sex, band), examined.contains(&p.key))
            });
            Ok(Some((st.err().map_or("denominator", Reason::code), cell, p.key.insurer8().to_string())))
        },
        |(code, cell, insurer)| {
            rows_in += 1;
            insurers.insert(insurer);
            *counts.entry(code).or_default() += 1;
            if let Some((key, seen)) = cell {
                let c = cells.entry(key).or_default();
                c.0 += 1;
                c.1 += u64::from(seen);
            }
        },
    )?;
    let table = summary_table(&cells, &insurers);
    let targets: u64 = cells.values().map(|c| c.0).sum();
    if targets != counts.get("denominator").copied().unwrap_or(0) {
        return Err(Error::Integrity { detail: format!("分母 {targets} ≠ {counts:?}") });
    }
    if let Some(path) = &a.xlsx {
        workbook(path, &table)?;
    }
    let replaced = match &xlsx_path {
        Some(path) => workbook(path, &table).map(|()| 0)?,
        None => {
            let mut out = CsvOut::create(&spec)?;
            out.write_header(&STATUTORY_SUMMARY)?;
            for row in &table {
                out.write_texts(row, |_| Loc::file(master.name().to_string()))?;
            }
            out.finish()?
        }
    };
    let examined_n: u64 = cells.values().map(|c| c.1).sum();
    let lines = [
        tally_line(fy, rows_in, &counts),
        format!(
            "対象者 {} 人、受診者 {} 人、受診率 {}% (結果 {} 行)",
            thousands(targets),
            thousands(examined_n),
            rate_tenths(examined_n, targets).map(format_rate).unwrap_or_else(|| "-".into()),
            thousands(result_rows)
        ),
    ];
    counts.insert("targets", targets);
    counts.insert("examined", examined_n);
    let n = table.len() as u64;
    let mut t = tally("summary", (master.encoding(), spec.encoding), (rows_in, n, 0), counts);
    t.replaced = replaced;
    t.finish_lines(&console, lines, a.run.summary_json.as_deref(), 0)
}

/// The table as an Excel workbook (counts and rates as numbers).
fn workbook(path: &Path, table: &[[String; 6]]) -> Result<()> {
    use crate::io::xlsx::{Cell, write_sheet};
    let kinds = [Cell::Text, Cell::Text, Cell::Text, Cell::Number, Cell::Number, Cell::Number];
    write_sheet(path, "集計表", &STATUTORY_SUMMARY, &kinds, table)
}

/// The headline table: per insurer (6-digit 国保 numbers shown as 6 digits), then 全体; within
/// each, 性別 1, 2, 計 × 年齢階級 40-44 … 70-74, 計. Every cell is listed, zeros included.
fn summary_table(cells: &BTreeMap<(String, u8, i16), (u64, u64)>, insurers: &BTreeSet<String>) -> Vec<[String; 6]> {
    let insurers: Vec<&str> = insurers.iter().map(String::as_str).collect();
    let mut table = Vec::new();
    let groups = insurers.iter().map(|i| Some(*i)).chain([None]);
    for insurer in groups {
        let shown = match insurer {
            Some(i) => i.strip_prefix("00").unwrap_or(i).to_string(),
            None => "全体".to_string(),
        };
        for sex in [Some(1u8), Some(2), None] {
            for band in AGE_BANDS.iter().enumerate().map(|(i, b)| Some((40 + 5 * i as i16, *b))).chain([None]) {
                let (mut t, mut e) = (0u64, 0u64);
                for ((i, s, b), (ct, ce)) in cells {
                    if insurer.is_none_or(|x| x == i)
                        && sex.is_none_or(|x| x == *s)
                        && band.is_none_or(|(x, _)| x == *b)
                    {
                        t += ct;
                        e += ce;
                    }
                }
                table.push([
                    shown.clone(),
                    sex.map_or("計".into(), |s| s.to_string()),
                    band.map_or("計".into(), |(_, label)| label.to_string()),
                    t.to_string(),
                    e.to_string(),
                    rate_tenths(e, t).map(format_rate).unwrap_or_default(),
                ]);
            }
        }
    }
    table
}
