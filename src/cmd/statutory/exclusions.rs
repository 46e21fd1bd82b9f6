//! `exclusions`: 法定報告対象者除外者情報, one row per person who is of age but out of the
//! denominator (joined or left mid-year, a 告示 exclusion).

use super::year::{Counts, Person, Year, master_person, opt_date, tally, tally_line};
use super::{ExclusionsArgs, TOOL};
use crate::cmd::shared::{check_outputs, code_text, read_input};
use crate::console::{Console, thousands};
use crate::domain::statutory::{Reason, exclusion_name};
use crate::domain::{age_at_fiscal_year_end, format_date};
use crate::error::{Error, Loc, Result};
use crate::io::{CsvInput, CsvOut, Row};
use crate::layout::{INSURED, STATUTORY_EXCLUSIONS, insured as f};

pub fn exclusions(a: &ExclusionsArgs) -> Result<u8> {
    let console = Console { tool: TOOL, quiet: a.run.quiet };
    check_outputs(&[a.output.output.as_deref(), a.run.summary_json.as_deref()])?;
    let year = Year::load(&a.year)?;
    let fy = year.fy;
    let mut master = CsvInput::open(Some(&a.year.master), year.requested, &INSURED, None)?;
    let spec = a.output.spec(master.encoding())?;
    let mut counts = Counts::new();
    let mut rows_in = 0u64;
    let mut listed: Vec<[String; 15]> = Vec::new();
    read_input(
        &mut master,
        |row, _| {
            let p = master_person(row)?;
            let st = year.standing(&p);
            let row_out = match st {
                Err(r @ (Reason::JoinedMidYear | Reason::LeftMidYear | Reason::Excluded)) => {
                    Some(listed_row(row, &p, r, &year)?)
                }
                _ => None,
            };
            Ok(Some((st.err().map_or("denominator", Reason::code), row_out)))
        },
        |(code, row_out)| {
            rows_in += 1;
            *counts.entry(code).or_default() += 1;
            listed.extend(row_out);
        },
    )?;
    let counted: u64 = counts.values().sum();
    let excluded: u64 = [Reason::JoinedMidYear, Reason::LeftMidYear, Reason::Excluded]
        .iter()
        .map(|r| counts.get(r.code()).copied().unwrap_or(0))
        .sum();
    if counted != rows_in || excluded != listed.len() as u64 {
        return Err(Error::Integrity {
            detail: format!("マスタ {rows_in} 行, 集計 {counts:?}, 一覧 {}", listed.len()),
        });
    }
    let mut out = CsvOut::create(&spec)?;
    out.write_header(&STATUTORY_EXCLUSIONS)?;
    let name = master.name().to_string();
    for row in &listed {
        let line: u64 = row[0].parse().unwrap_or(0);
        out.write_texts(row, |i| Loc::cell(name.clone(), line, STATUTORY_EXCLUSIONS[i]))?;
    }
    let replaced = out.finish()?;
    let lines =
        [tally_line(fy, rows_in, &counts), format!("除外者 {} 人を一覧にしました", thousands(listed.len() as u64))];
    let n = listed.len() as u64;
    let mut t = tally("exclusions", (master.encoding(), spec.encoding), (rows_in, n, n), counts);
    t.replaced = replaced;
    t.finish_lines(&console, lines, a.run.summary_json.as_deref(), 0)
}

/// A row of the list: the person's key as written, sex, dates, the reason and the exclusion.
fn listed_row(row: &Row<'_>, p: &Person, r: Reason, year: &Year) -> Result<[String; 15]> {
    let ex = year.excluded.get(&p.key).filter(|_| r == Reason::Excluded);
    let text = |field| code_text(row, &INSURED, field).map(|t| t.into_owned());
    Ok([
        row.line.to_string(),
        text(f::INSURER)?,
        text(f::KIGO)?,
        text(f::BANGO)?,
        text(f::EDABAN)?,
        p.sex.to_string(),
        format_date(p.birth),
        age_at_fiscal_year_end(p.birth, year.fy).to_string(),
        format_date(p.acquired),
        opt_date(p.lost),
        r.code().to_string(),
        match ex {
            Some(e) => format!("{}({})", r.message(), exclusion_name(&e.code)),
            None => r.message().to_string(),
        },
        ex.map(|e| e.code.clone()).unwrap_or_default(),
        ex.map(|e| format_date(e.start)).unwrap_or_default(),
        opt_date(ex.and_then(|e| e.end)),
    ])
}
