//! The checklist: one row per finding, as CSV or an Excel workbook.

use std::path::Path;

use super::check::{Checked, Finding};
use crate::error::{Loc, Result};
use crate::io::xlsx::{Cell, write_sheet};
use crate::io::{CsvOut, OutputSpec};
use crate::layout::LIMIT_CHECKLIST;

/// A row of the checklist: the claim's line, what it shows, the finding.
pub type Row = (u64, [String; 4], Finding);

/// The checklist's rows, claim by claim in input order.
pub fn rows(listed: Vec<Checked>) -> Vec<Row> {
    let mut rows = Vec::new();
    for claim in listed.into_iter().filter(|c| !c.findings.is_empty()) {
        let shown = claim.shown.texts();
        for f in claim.findings {
            rows.push((claim.line, shown.clone(), f));
        }
    }
    rows
}

/// Writes the checklist (a workbook at `xlsx`, else CSV to `spec`); returns the characters
/// replaced by 〓.
pub fn write(rows: &[Row], spec: &OutputSpec, xlsx: Option<&Path>, input_name: &str) -> Result<u64> {
    let table: Vec<Vec<String>> = rows
        .iter()
        .map(|(line, shown, f)| {
            let mut row = vec![line.to_string()];
            row.extend(shown.iter().cloned());
            row.extend([
                f.code.to_string(),
                f.message.clone(),
                f.expected.clone(),
                f.actual.clone(),
                f.difference.clone(),
            ]);
            row
        })
        .collect();
    if let Some(path) = xlsx {
        let kinds = [Cell::Number, Cell::Text, Cell::Text, Cell::Text, Cell::Text, Cell::Text, Cell::Text]
            .into_iter()
            .chain([Cell::Number; 3])
            .collect::<Vec<_>>();
        write_sheet(path, "チェックリスト", &LIMIT_CHECKLIST, &kinds, &table)?;
        return Ok(0);
    }
    let mut out = CsvOut::create(spec)?;
    out.write_header(&LIMIT_CHECKLIST)?;
    for (row, (line, _, _)) in table.iter().zip(rows) {
        out.write_texts(row, |i| Loc::cell(input_name, *line, LIMIT_CHECKLIST[i]))?;
    }
    out.finish()
}
