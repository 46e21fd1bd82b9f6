//! The 階層化結果 list and the error list, and how they are written.

use std::borrow::Cow;
use std::path::Path;

use crate::cmd::shared::checkups::{Checkup, Problem};
use crate::domain::FiscalYear;
use crate::domain::stratify::Level;
use crate::error::{FieldError, Loc, Result};
use crate::io::xlsx::{Cell, write_sheet};
use crate::io::{CsvOut, OutputSpec, RecordBuf, worker_count};
use crate::layout::{ERROR_LIST, STRATIFY_LIST};

fn flag(v: Option<bool>) -> &'static str {
    match v {
        Some(true) => "1",
        Some(false) => "0",
        None => "",
    }
}

/// The list row of one checkup, and its level: the key fields borrowed, the rest made.
pub fn listed(c: &Checkup, fy: Option<FiscalYear>) -> (Level, [Cow<'_, str>; 21]) {
    let age = c.age(fy);
    let o = c.outcome(fy);
    let b = |s: &'static str| Cow::Borrowed(s);
    let shown = |i: usize| Cow::Borrowed(c.shown(i));
    let fields = [
        shown(0),
        shown(1),
        shown(2),
        shown(3),
        shown(4),
        shown(5),
        shown(6),
        shown(7),
        age.map_or(b(""), |a| Cow::Owned(a.to_string())),
        b(o.group),
        b(flag(o.risks[0])),
        b(flag(o.risks[1])),
        b(flag(o.risks[2])),
        b(flag(o.risks[3])),
        o.risk_count.map_or(b(""), |n| b(["0", "1", "2", "3", "4"][usize::from(n.min(4))])),
        b(flag(o.medicated)),
        b(o.level.name()),
        b(["1", "2", "3", "4"][usize::from(o.level.code() - 1)]),
        b(["1", "2", "3", "4"][usize::from(o.metabo.code() - 1)]),
        if o.referrals.is_empty() { b("") } else { Cow::Owned(o.referrals.join(";")) },
        Cow::Owned(o.reason),
    ];
    (o.level, fields)
}

/// Level counts (積極的, 動機付け, 情報提供, 判定不能) and characters replaced by 〓.
type Written = ([u64; 4], u64);

/// Writes the list of `checkups` (in list order) as CSV, or as a workbook at `xlsx`. CSV rows are
/// made and encoded on the worker threads, a batch at a time, and written in order; no table of
/// rows is held.
pub fn write(
    checkups: &[&Checkup],
    fy: Option<FiscalYear>,
    spec: &OutputSpec,
    xlsx: Option<&Path>,
    input_name: &str,
) -> Result<Written> {
    let mut counts = [0u64; 4];
    if let Some(path) = xlsx {
        let rows: Vec<Vec<String>> = checkups
            .iter()
            .map(|c| {
                let (level, fields) = listed(c, fy);
                counts[usize::from(level.code() - 1)] += 1;
                fields.iter().map(|f| f.to_string()).collect()
            })
            .collect();
        let mut kinds = [Cell::Text; 21];
        for i in [8, 14, 17, 18] {
            kinds[i] = Cell::Number;
        }
        write_sheet(path, "階層化結果", &STRATIFY_LIST, &kinds, &rows)?;
        return Ok((counts, 0));
    }
    let mut out = CsvOut::create(spec)?;
    out.write_header(&STRATIFY_LIST)?;
    let mut replaced = 0;
    const PIECE: usize = 8192;
    let workers = worker_count().max(1);
    for batch in checkups.chunks(PIECE * workers) {
        let pieces: Vec<Result<(Vec<u8>, Written)>> = std::thread::scope(|s| {
            let handles: Vec<_> =
                batch.chunks(PIECE).map(|piece| s.spawn(move || encode(piece, fy, spec, input_name))).collect();
            handles.into_iter().map(|h| h.join().expect("a list worker panicked")).collect()
        });
        for piece in pieces {
            let (bytes, (c, r)) = piece?;
            out.write_raw(&bytes)?;
            counts.iter_mut().zip(c).for_each(|(a, b)| *a += b);
            replaced += r;
        }
    }
    replaced += out.finish()?;
    Ok((counts, replaced))
}

/// The CSV bytes of some checkups' rows in the output's encoding and line ending.
fn encode(
    piece: &[&Checkup],
    fy: Option<FiscalYear>,
    spec: &OutputSpec,
    input_name: &str,
) -> Result<(Vec<u8>, Written)> {
    let mut buf = RecordBuf::new(spec);
    let mut counts = [0u64; 4];
    for c in piece {
        let (level, fields) = listed(c, fy);
        counts[usize::from(level.code() - 1)] += 1;
        buf.push(&fields, |i| Loc::cell(input_name, c.line, STRATIFY_LIST[i]))?;
    }
    let (bytes, replaced) = buf.finish()?;
    Ok((bytes, (counts, replaced)))
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
                value: c.shown(3).to_string(),
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
            &p.line.to_string(),
            c.shown(1),
            c.shown(2),
            c.shown(3),
            c.shown(4),
            p.column,
            p.error.code(),
            p.error.message(),
            &p.value,
        ];
        out.write_texts(&fields, |i| Loc::cell(input_name, p.line, if i == 8 { p.column } else { ERROR_LIST[i] }))?;
    }
    out.finish()
}
