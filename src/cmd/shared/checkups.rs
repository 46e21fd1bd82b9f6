//! The results, read on the worker pipeline and gathered per checkup (受診券整理番号, person key
//! and 受診日). Workers join consecutive rows of a checkup within their chunk; the reading thread
//! joins the parts by key, so the file need not be sorted: memory grows with the checkups
//! (about 0.4 KB each), not with the rows.

use std::sync::atomic::{AtomicU64, Ordering};

use jiff::civil::Date;
use rustc_hash::FxHashMap;

use crate::cmd::shared::code_text;
use crate::domain::stratify::{Measures, Outcome, slot_of, stratify};
use crate::domain::{FiscalYear, InsurerNumber, PersonKey, age_at_fiscal_year_end, parse_date};
use crate::error::{FieldError, Result};
use crate::io::{CsvInput, Row, for_each_batch, worker_count};
use crate::layout::{RESULTS, results as f};

/// A problem with one value, for the error list.
#[derive(Debug, Clone)]
pub struct Problem {
    pub line: u64,
    pub column: &'static str,
    pub error: FieldError,
    pub value: String,
}

/// One checkup: where it was first read, its key fields as written (normalised), what was
/// read of them, its values and its problems.
pub struct Checkup {
    pub line: u64,
    pub rows: u64,
    /// 受診券整理番号, 保険者番号, 記号, 番号, 枝番, 性別, 生年月日, 受診日
    pub shown: [String; 8],
    pub sex: Option<u8>,
    pub birth: Option<Date>,
    pub day: Option<Date>,
    pub measures: Measures,
    pub problems: Vec<Problem>,
}

impl Checkup {
    /// The age the rule uses: at the end of `fy`, or of the fiscal year of the checkup.
    pub fn age(&self, fy: Option<FiscalYear>) -> Option<i16> {
        let fy = fy.or(self.day.map(FiscalYear::of))?;
        self.birth.map(|b| age_at_fiscal_year_end(b, fy))
    }

    /// 階層化 and the rest of the rule for this checkup (age at the end of `fy`, else of the
    /// checkup's fiscal year).
    pub fn outcome(&self, fy: Option<FiscalYear>) -> Outcome {
        stratify(&self.measures, self.sex, self.age(fy))
    }

    /// The person key as written.
    pub fn person_key(&self) -> PersonKey {
        let s = &self.shown;
        PersonKey::from_checked(&s[1], &s[2], &s[3], &s[4])
    }
}

/// The key columns of the results layout, in the order [`Checkup::shown`] holds them.
const SHOWN: [usize; 8] = [f::TICKET, f::INSURER, f::KIGO, f::BANGO, f::EDABAN, f::SEX, f::BIRTH, f::DATE];
/// The columns that say which checkup a row belongs to.
const KEY: [usize; 6] = [f::TICKET, f::INSURER, f::KIGO, f::BANGO, f::EDABAN, f::DATE];

/// Every checkup of the results, in the order first seen, and the rows read.
pub fn read(input: &mut CsvInput) -> Result<(Vec<Checkup>, u64)> {
    let rows_read = AtomicU64::new(0);
    let mut checkups: Vec<Checkup> = Vec::new();
    let mut index: FxHashMap<Box<str>, usize> = FxHashMap::default();
    for_each_batch(
        input,
        (0..worker_count()).map(|_| Vec::new()).collect(),
        |raw: &mut Vec<u8>, ctx, chunk| {
            let mut parts: Vec<(Box<str>, Checkup)> = Vec::new();
            let mut n = 0;
            ctx.parse_chunk(chunk, |row| {
                n += 1;
                take_row(&row, raw, &mut parts)
            })?;
            rows_read.fetch_add(n, Ordering::Relaxed);
            Ok(parts)
        },
        |parts| {
            for (key, part) in parts {
                match index.get(&key) {
                    Some(&i) => join(&mut checkups[i], part),
                    None => {
                        index.insert(key, checkups.len());
                        checkups.push(part);
                    }
                }
            }
            Ok(())
        },
    )?;
    crate::cmd::shared::leave_to_exit(index);
    Ok((checkups, rows_read.into_inner()))
}

/// Adds a later part of a checkup to its first part.
fn join(first: &mut Checkup, later: Checkup) {
    first.rows += later.rows;
    first.measures.merge(&later.measures);
    first.problems.extend(later.problems);
}

/// One result row: a new part when its key columns differ (byte for byte) from the previous
/// row's, then its value if the rule reads the item.
fn take_row(row: &Row<'_>, raw: &mut Vec<u8>, parts: &mut Vec<(Box<str>, Checkup)>) -> Result<()> {
    let l = &RESULTS;
    let same = parts.last().is_some() && {
        let mut at = 0;
        KEY.iter().all(|&k| {
            let b = row.raw(k);
            let same = raw.get(at..at + b.len()) == Some(b) && raw.get(at + b.len()) == Some(&0x1f);
            at += b.len() + 1;
            same
        }) && at == raw.len()
    };
    if !same {
        raw.clear();
        for k in KEY {
            raw.extend_from_slice(row.raw(k));
            raw.push(0x1f);
        }
        let part = start(row)?;
        let key: Vec<&str> = [0, 1, 2, 3, 4, 7].iter().map(|&i| part.shown[i].as_str()).collect();
        parts.push((key.join("\u{1f}").into_boxed_str(), part));
    }
    let part = &mut parts.last_mut().expect("a part was started").1;
    part.rows += 1;
    let code = code_text(row, l, f::CODE)?;
    if let Some((slot, kind)) = slot_of(&code) {
        let value = code_text(row, l, f::VALUE)?;
        if let Err(error) = part.measures.record(slot, kind, &value) {
            part.problems.push(Problem { line: row.line, column: "結果値", error, value: value.into_owned() });
        }
    }
    Ok(())
}

/// A checkup's first row: its key fields, checked.
fn start(row: &Row<'_>) -> Result<Checkup> {
    let l = &RESULTS;
    let mut shown: [String; 8] = Default::default();
    for (s, &col) in shown.iter_mut().zip(&SHOWN) {
        *s = code_text(row, l, col)?.into_owned();
    }
    let mut problems = Vec::new();
    let mut problem = |col: usize, error: FieldError, value: &str| {
        problems.push(Problem { line: row.line, column: l.fields[col].name, error, value: value.to_string() });
    };
    if let Err(e) = InsurerNumber::check(&shown[1]) {
        problem(f::INSURER, e, &shown[1]);
    }
    if shown[3].is_empty() {
        problem(f::BANGO, FieldError::Required, "");
    }
    let sex = match shown[5].as_str() {
        "1" => Some(1),
        "2" => Some(2),
        other => {
            problem(f::SEX, if other.is_empty() { FieldError::Required } else { FieldError::Code }, other);
            None
        }
    };
    let mut date = |col: usize, text: &mut String| match parse_date(text) {
        Ok(d) => {
            *text = crate::domain::format_date(d);
            Some(d)
        }
        Err(e) => {
            problem(col, if text.is_empty() { FieldError::Required } else { e }, text);
            None
        }
    };
    let birth = date(f::BIRTH, &mut shown[6]);
    let day = date(f::DATE, &mut shown[7]);
    Ok(Checkup { line: row.line, rows: 0, shown, sex, birth, day, measures: Measures::default(), problems })
}
