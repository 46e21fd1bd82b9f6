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
    /// 受診券整理番号, 保険者番号, 記号, 番号, 枝番, 性別, 生年月日, 受診日 (dates as YYYYMMDD
    /// when they parse), one after the other; [`Checkup::shown`] cuts them out
    text: Box<str>,
    ends: [u16; 8],
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

    /// Key field `i` as shown: 0 受診券整理番号, 1 保険者番号, 2 記号, 3 番号, 4 枝番, 5 性別,
    /// 6 生年月日, 7 受診日.
    pub fn shown(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { usize::from(self.ends[i - 1]) };
        &self.text[start..usize::from(self.ends[i])]
    }

    /// The person key as written.
    pub fn person_key(&self) -> PersonKey {
        PersonKey::from_checked(self.shown(1), self.shown(2), self.shown(3), self.shown(4))
    }

    /// The key of the checkup, in list order: person key, 受診日, 受診券整理番号.
    fn sort_key(&self) -> Box<str> {
        let mut key = String::new();
        PersonKey::join_into(self.shown(1), self.shown(2), self.shown(3), self.shown(4), &mut key);
        for i in [7, 0] {
            key.push('\u{1f}');
            key.push_str(self.shown(i));
        }
        key.into_boxed_str()
    }
}

/// The checkups of a results file: each read once (parts joined), and their list order.
pub struct Checkups {
    pub all: Vec<Checkup>,
    /// indices into `all` by person key, 受診日, 受診券整理番号
    pub order: Vec<u32>,
    pub rows_read: u64,
}

impl Checkups {
    /// The checkups in list order.
    pub fn sorted(&self) -> impl Iterator<Item = &Checkup> {
        self.order.iter().map(|&i| &self.all[i as usize])
    }
}

/// The key columns of the results layout, in the order [`Checkup::shown`] holds them.
const SHOWN: [usize; 8] = [f::TICKET, f::INSURER, f::KIGO, f::BANGO, f::EDABAN, f::SEX, f::BIRTH, f::DATE];
/// The columns that say which checkup a row belongs to.
const KEY: [usize; 6] = [f::TICKET, f::INSURER, f::KIGO, f::BANGO, f::EDABAN, f::DATE];

/// Every checkup of the results (rows of one checkup need not be together: parts are joined by
/// key), with the list order.
pub fn read(input: &mut CsvInput) -> Result<Checkups> {
    let rows_read = AtomicU64::new(0);
    let mut all: Vec<Checkup> = Vec::new();
    let mut index: FxHashMap<Box<str>, u32> = FxHashMap::default();
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
                    Some(&i) => join(&mut all[i as usize], part),
                    None => {
                        index.insert(key, all.len() as u32);
                        all.push(part);
                    }
                }
            }
            Ok(())
        },
    )?;
    let mut keyed: Vec<(Box<str>, u32)> = index.into_iter().collect();
    keyed.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let order = keyed.iter().map(|(_, i)| *i).collect();
    crate::cmd::shared::leave_to_exit(keyed);
    Ok(Checkups { all, order, rows_read: rows_read.into_inner() })
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
        parts.push((part.sort_key(), part));
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
    let mut problems = Vec::new();
    let mut problem = |col: usize, error: FieldError, value: &str| {
        problems.push(Problem { line: row.line, column: l.fields[col].name, error, value: value.to_string() });
    };
    let mut text = String::new();
    let mut ends = [0u16; 8];
    let (mut sex, mut birth, mut day) = (None, None, None);
    for (i, &col) in SHOWN.iter().enumerate() {
        let value = code_text(row, l, col)?;
        match col {
            f::INSURER => {
                if let Err(e) = InsurerNumber::check(&value) {
                    problem(col, e, &value);
                }
            }
            f::BANGO if value.is_empty() => problem(col, FieldError::Required, ""),
            f::SEX => {
                sex = match value.as_ref() {
                    "1" => Some(1),
                    "2" => Some(2),
                    other => {
                        problem(col, if other.is_empty() { FieldError::Required } else { FieldError::Code }, other);
                        None
                    }
                }
            }
            f::BIRTH | f::DATE => {
                let parsed = match parse_date(&value) {
                    Ok(d) => Some(d),
                    Err(e) => {
                        problem(col, if value.is_empty() { FieldError::Required } else { e }, &value);
                        None
                    }
                };
                if let Some(d) = parsed {
                    crate::domain::date::format_date_into(d, &mut text);
                }
                if col == f::BIRTH {
                    birth = parsed
                } else {
                    day = parsed
                }
                if parsed.is_none() {
                    text.push_str(&value);
                }
                ends[i] = u16::try_from(text.len()).unwrap_or(u16::MAX);
                continue;
            }
            _ => {}
        }
        text.push_str(&value);
        ends[i] = u16::try_from(text.len()).unwrap_or(u16::MAX);
    }
    if ends[7] == u16::MAX {
        // key fields of more than 64 KB in all are not kept (no real key is that long)
        text.clear();
        ends = [0; 8];
    }
    let text = text.into_boxed_str();
    Ok(Checkup { line: row.line, rows: 0, text, ends, sex, birth, day, measures: Measures::default(), problems })
}
