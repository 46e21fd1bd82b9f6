//! The per-person list and the insurer × item summary, and how they are written.

use std::collections::BTreeMap;
use std::path::Path;

use rustc_hash::{FxHashMap, FxHashSet};

use super::items::Item;
use super::results::Received;
use crate::domain::{FiscalYear, PersonKey};
use crate::error::{Loc, Result};
use crate::io::xlsx::{Cell, write_sheet};
use crate::io::{CsvOut, OutputSpec};
use crate::layout::{SUBSIDY_LIST, SUBSIDY_SUMMARY};

/// The list rows and the summary, with their counts.
pub struct Lists<'a> {
    pub list: Vec<[String; 12]>,
    /// (8-digit insurer, code) → (insurer as its first row writes it, count)
    pub summary: BTreeMap<(String, String), (String, i64)>,
    pub counted: u64,
    pub repeats: u64,
    pub total: i64,
    items: &'a FxHashMap<String, Item>,
}

/// Lists every subsidised row (of `fy_only`, if given), in file order; the same person, year and
/// item counts once in the summary: the earliest 受診日 (on the same day, the first in the file).
pub fn build(rows: Vec<Received>, items: &FxHashMap<String, Item>, fy_only: Option<FiscalYear>) -> Lists<'_> {
    let rows: Vec<Received> = rows.into_iter().filter(|r| fy_only.is_none_or(|only| only == r.fy)).collect();
    // the counted row of each person, year and item: its (受診日 YYYYMMDD, line)
    let mut counted: FxHashMap<(&PersonKey, FiscalYear, &str), (&str, u64)> = FxHashMap::default();
    // each insurer as its first row writes it (6 or 8 digits), for the summary
    let mut written: FxHashMap<&str, &str> = FxHashMap::default();
    for r in &rows {
        written.entry(r.key.insurer8()).or_insert(r.shown[0].as_str());
        let e = counted.entry((&r.key, r.fy, r.code.as_str())).or_insert((r.shown[4].as_str(), r.line));
        *e = (*e).min((r.shown[4].as_str(), r.line));
    }
    let counted: FxHashSet<u64> = counted.into_values().map(|(_, line)| line).collect();
    let written: FxHashMap<String, String> = written.into_iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let mut lists = Lists { list: Vec::new(), summary: BTreeMap::new(), counted: 0, repeats: 0, total: 0, items };
    for Received { line, key, fy: _, shown, code } in rows {
        let item = &items[&code];
        let first = counted.contains(&line);
        if first {
            lists.counted += 1;
            let insurer8 = key.insurer8().to_string();
            let shown_as = written.get(&insurer8).cloned().unwrap_or_else(|| shown[0].clone());
            let e = lists.summary.entry((insurer8, code.clone())).or_insert((shown_as, 0));
            e.1 += 1;
        } else {
            lists.repeats += 1;
        }
        let [ins, kigo, bango, edaban, day, inst] = shown;
        lists.list.push([
            line.to_string(),
            ins,
            kigo,
            bango,
            edaban,
            day,
            inst,
            code,
            item.name.clone(),
            item.kind.clone(),
            item.price.to_string(),
            if first { "1".into() } else { "0 同一年度の重複".into() },
        ]);
    }
    lists.total = lists.summary.iter().map(|((_, code), (_, count))| count * items[code].price).sum();
    lists
}

impl Lists<'_> {
    fn summary_rows(&self) -> Vec<Vec<String>> {
        self.summary
            .iter()
            .map(|((_, code), (insurer, count))| {
                let item = &self.items[code];
                vec![
                    insurer.clone(),
                    code.clone(),
                    item.name.clone(),
                    item.kind.clone(),
                    count.to_string(),
                    item.price.to_string(),
                    (count * item.price).to_string(),
                ]
            })
            .collect()
    }
}

/// Writes the list to `spec` and the summary to `summary` (as a workbook when `summary_xlsx`);
/// returns the characters replaced by 〓.
pub fn write(
    lists: &Lists<'_>,
    spec: &OutputSpec,
    summary_xlsx: Option<&Path>,
    summary: Option<&Path>,
    input_name: &str,
) -> Result<u64> {
    let mut out = CsvOut::create(spec)?;
    out.write_header(&SUBSIDY_LIST)?;
    for r in &lists.list {
        let line: u64 = r[0].parse().unwrap_or(0);
        out.write_texts(r, |i| Loc::cell(input_name, line, SUBSIDY_LIST[i]))?;
    }
    let summary_rows = lists.summary_rows();
    let summary_out = match (summary, summary_xlsx) {
        (_, Some(path)) => {
            let kinds = [Cell::Text, Cell::Text, Cell::Text, Cell::Text, Cell::Number, Cell::Number, Cell::Number];
            write_sheet(path, "補助金集計", &SUBSIDY_SUMMARY, &kinds, &summary_rows)?;
            None
        }
        (Some(p), None) => {
            let mut s = CsvOut::create(&spec.to(p))?;
            s.write_header(&SUBSIDY_SUMMARY)?;
            for fields in &summary_rows {
                s.write_texts(fields, |i| Loc::cell(p.display().to_string(), 0, SUBSIDY_SUMMARY[i]))?;
            }
            Some(s)
        }
        (None, _) => None,
    };
    let mut replaced = out.finish()?;
    if let Some(s) = summary_out {
        replaced += s.finish()?;
    }
    Ok(replaced)
}
