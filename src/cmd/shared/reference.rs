//! Readers of the reference files several tools share: person keys and dates of a row, the
//! 告示 exclusions of a fiscal year, the persons examined in a fiscal year.

use std::borrow::Cow;
use std::path::Path;

use jiff::civil::Date;
use rustc_hash::{FxHashMap, FxHashSet};

use super::{code_text, read_rows, reference_error};
use crate::domain::statutory::{EXCLUSION_CODES, excludes};
use crate::domain::{FiscalYear, InsurerNumber, PersonKey, parse_date};
use crate::error::{FieldError, Result};
use crate::io::{InputEncoding, Row};
use crate::layout::{EXCLUSIONS, Layout, RESULT_PERSONS};

/// The person key of a row whose layout starts with 保険者番号, 記号, 番号, 枝番; a bad value
/// is fatal (a reference file must be right).
pub fn person_key(row: &Row<'_>, l: &Layout, what: &'static str) -> Result<PersonKey> {
    let [insurer, kigo, bango, edaban] = key_texts(row, l, what)?;
    Ok(PersonKey::from_checked(&insurer, &kigo, &bango, &edaban))
}

/// The key columns of such a row, checked as [`person_key`] checks them, without building the
/// key (for a tool that needs the key of only some rows).
pub fn key_texts<'r>(row: &'r Row<'_>, l: &Layout, what: &'static str) -> Result<[Cow<'r, str>; 4]> {
    let insurer = code_text(row, l, 0)?;
    InsurerNumber::check(&insurer).map_err(|e| reference_error(row, l, 0, what, e))?;
    let bango = code_text(row, l, 2)?;
    if bango.is_empty() {
        return Err(reference_error(row, l, 2, what, FieldError::Required));
    }
    Ok([insurer, code_text(row, l, 1)?, bango, code_text(row, l, 3)?])
}

/// A date field; None when an optional field is empty. A bad date is fatal.
pub fn date_field(row: &Row<'_>, l: &Layout, field: usize, what: &'static str) -> Result<Option<Date>> {
    let text = code_text(row, l, field)?;
    if text.is_empty() && !l.fields[field].required {
        return Ok(None);
    }
    parse_date(&text).map(Some).map_err(|e| reference_error(row, l, field, what, e))
}

/// A 告示 exclusion that overlaps the fiscal year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exclusion {
    pub code: String,
    pub start: Date,
    pub end: Option<Date>,
}

/// The persons with a 告示 exclusion overlapping `fy`, each with the first such exclusion in
/// file order. A bad row is fatal.
pub fn exclusions_in(path: &Path, requested: InputEncoding, fy: FiscalYear) -> Result<FxHashMap<PersonKey, Exclusion>> {
    let l = &EXCLUSIONS;
    let mut found: FxHashMap<PersonKey, Exclusion> = FxHashMap::default();
    read_rows(
        path,
        requested,
        l,
        |row, _| {
            let key = person_key(row, l, "除外事由")?;
            let code = code_text(row, l, 4)?;
            if !EXCLUSION_CODES.contains(&code.as_ref()) {
                let e = if code.is_empty() { FieldError::Required } else { FieldError::Code };
                return Err(reference_error(row, l, 4, "除外事由", e));
            }
            let start = date_field(row, l, 5, "除外事由")?.unwrap_or(fy.first_day());
            let end = date_field(row, l, 6, "除外事由")?;
            if end.is_some_and(|e| e < start) {
                return Err(reference_error(row, l, 6, "除外事由", FieldError::DateOrder));
            }
            Ok(excludes(start, end, fy).then(|| (key, Exclusion { code: code.into_owned(), start, end })))
        },
        |(key, exclusion)| {
            found.entry(key).or_insert(exclusion);
        },
    )?;
    Ok(found)
}

/// The persons with a result dated in `fy` (the results streamed, only their keys kept), and the
/// number of result rows read.
pub fn examined_in(path: &Path, requested: InputEncoding, fy: FiscalYear) -> Result<(FxHashSet<PersonKey>, u64)> {
    let mut examined: FxHashSet<PersonKey> = FxHashSet::default();
    let mut rows = 0u64;
    read_rows(
        path,
        requested,
        &RESULT_PERSONS,
        |row, _| {
            let key = person_key(row, &RESULT_PERSONS, "健診結果")?;
            let day = date_field(row, &RESULT_PERSONS, 4, "健診結果")?;
            Ok(Some(day.is_some_and(|d| fy.contains(d)).then_some(key)))
        },
        |key| {
            rows += 1;
            examined.extend(key);
        },
    )?;
    Ok((examined, rows))
}
