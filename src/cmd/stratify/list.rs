//! The 階層化結果 list and the error list, and how they are written.

use std::path::Path;

use crate::cmd::shared::checkups::{Checkup, Problem};
use crate::domain::stratify::{Level, Outcome};
use crate::domain::{FiscalYear, PersonKey};
use crate::error::{FieldError, Loc, Result};
use crate::io::xlsx::{Cell, write_sheet};
use crate::io::{CsvOut, OutputSpec};
use crate::layout::{ERROR_LIST, STRATIFY_LIST};

/// One checkup's row of the list, with the level for the counts.
pub struct Listed {
    pub line: u64,
    pub level: Level,
    pub fields: [String; 21],
}

fn flag(v: Option<bool>) -> String {
    v.map_or_else(String::new, |b| if b { "1".into() } else { "0".into() })
}

/// The list row of one checkup.
pub fn listed(c: &Checkup, fy: Option<FiscalYear>) -> Listed {
    let age = c.age(fy);
    let o: Outcome = c.outcome(fy);
    let [ticket, insurer, kigo, bango, edaban, sex, birth, day] = c.shown.clone();
    Listed {
        line: c.line,
        level: o.level,
        fields: [
            ticket,
            insurer,
            kigo,
            bango,
            edaban,
            sex,
            birth,
            day,
            age.map(|a| a.to_string()).unwrap_or_default(),
            o.group.to_string(),
            flag(o.risks[0]),
            flag(o.risks[1]),
            flag(o.risks[2]),
            flag(o.risks[3]),
            o.risk_count.map(|n| n.to_string()).unwrap_or_default(),
            flag(o.medicated),
            o.level.name().to_string(),
            o.level.code().to_string(),
            o.metabo.code().to_string(),
            o.referrals.join(";"),
            o.reason,
        ],
    }
}

/// The order of the list: person key, then 受診日, then 受診券整理番号.
pub fn sort_key(c: &Checkup) -> (PersonKey, String, String) {
    (c.person_key(), c.shown[7].clone(), c.shown[0].clone())
}

/// Writes the list of `checkups` (in list order) as CSV, or as a workbook at `xlsx`; each row is
/// made as it is written, so no table of rows is held. Returns the level counts (積極的, 動機付け,
/// 情報提供, 判定不能) and the characters replaced by 〓.
pub fn write(
    checkups: &[&Checkup],
    fy: Option<FiscalYear>,
    spec: &OutputSpec,
    xlsx: Option<&Path>,
    input_name: &str,
) -> Result<([u64; 4], u64)> {
    let mut counts = [0u64; 4];
    if let Some(path) = xlsx {
        let rows: Vec<Listed> = checkups.iter().map(|c| listed(c, fy)).collect();
        rows.iter().for_each(|r| counts[usize::from(r.level.code() - 1)] += 1);
        let mut kinds = [Cell::Text; 21];
        for i in [8, 14, 17, 18] {
            kinds[i] = Cell::Number;
        }
        let fields: Vec<&[String]> = rows.iter().map(|r| r.fields.as_slice()).collect();
        write_sheet(path, "階層化結果", &STRATIFY_LIST, &kinds, &fields)?;
        return Ok((counts, 0));
    }
    let mut out = CsvOut::create(spec)?;
    out.write_header(&STRATIFY_LIST)?;
    for c in checkups {
        let r = listed(c, fy);
        counts[usize::from(r.level.code() - 1)] += 1;
        out.write_texts(&r.fields, |i| Loc::cell(input_name, r.line, STRATIFY_LIST[i]))?;
    }
    Ok((counts, out.finish()?))
}

/// An error-list row: the checkup's key and one problem.
pub struct ErrorRow<'a> {
    pub checkup: &'a Checkup,
    pub problem: Problem,
}

/// The problems of every checkup, in line order, with E206 for persons the master lacks.
pub fn error_rows<'a>(checkups: &[&'a Checkup], unknown: impl Fn(&Checkup) -> bool) -> Vec<ErrorRow<'a>> {
    let mut rows: Vec<ErrorRow<'a>> = Vec::new();
    for &c in checkups {
        for p in &c.problems {
            rows.push(ErrorRow { checkup: c, problem: p.clone() });
        }
        if unknown(c) {
            let problem = Problem {
                line: c.line,
                column: "被保険者証番号",
                error: FieldError::UnknownPerson,
                value: c.shown[3].clone(),
            };
            rows.push(ErrorRow { checkup: c, problem });
        }
    }
    rows.sort_by_key(|r| r.problem.line);
    rows
}

/// Writes the 連携エラーリスト layout.
pub fn write_errors(rows: &[ErrorRow<'_>], spec: &OutputSpec, input_name: &str) -> Result<u64> {
    let mut out = CsvOut::create(spec)?;
    out.write_header(&ERROR_LIST)?;
    for r in rows {
        let (c, p) = (r.checkup, &r.problem);
        let fields = [
            p.line.to_string(),
            c.shown[1].clone(),
            c.shown[2].clone(),
            c.shown[3].clone(),
            c.shown[4].clone(),
            p.column.to_string(),
            p.error.code().to_string(),
            p.error.message().to_string(),
            p.value.clone(),
        ];
        out.write_texts(&fields, |i| Loc::cell(input_name, p.line, if i == 8 { p.column } else { ERROR_LIST[i] }))?;
    }
    out.finish()
}
