//! What the summary needs for 特定保健指導: each examined person's level (by `domain::stratify`)
//! and who completed guidance (`--guidance`).

use std::path::Path;

use rustc_hash::{FxHashMap, FxHashSet};

use crate::cmd::shared::checkups;
use crate::cmd::shared::reference::{date_field, person_key};
use crate::cmd::shared::{code_text, read_rows, reference_error};
use crate::domain::stratify::Level;
use crate::domain::{FiscalYear, PersonKey};
use crate::error::{FieldError, Result};
use crate::io::{CsvInput, InputEncoding};
use crate::layout::{GUIDANCE, RESULTS};

/// The level of each person examined in the year, and how many checkups had a bad value.
pub struct Levels {
    pub levels: FxHashMap<PersonKey, Level>,
    pub bad_values: u64,
}

/// The level of each person's first checkup of `fy` (the earliest 受診日, then the first in the
/// file) [I: the 法定報告 counts one checkup per person; the first is the one kk counts], with
/// the age at the end of `fy`.
pub fn levels(results: &Path, requested: InputEncoding, fy: FiscalYear) -> Result<Levels> {
    let mut input = CsvInput::open(Some(results), requested, &RESULTS, None)?;
    let all = checkups::read(&mut input)?.all;
    let mut first: FxHashMap<PersonKey, &checkups::Checkup> = FxHashMap::default();
    for c in all.iter().filter(|c| c.day.is_some_and(|d| fy.contains(d))) {
        let e = first.entry(c.person_key()).or_insert(c);
        if (c.day, c.line) < (e.day, e.line) {
            *e = c;
        }
    }
    let bad_values = first.values().filter(|c| !c.problems.is_empty()).count() as u64;
    let levels = first.into_iter().map(|(k, c)| (k, c.outcome(Some(fy)).level)).collect();
    crate::cmd::shared::leave_to_exit(all);
    Ok(Levels { levels, bad_values })
}

/// The persons whose guidance has a 実績評価日 (the guidance was completed). A bad value is fatal,
/// as in every reference file.
pub fn completed(path: &Path, requested: InputEncoding) -> Result<FxHashSet<PersonKey>> {
    let mut done = FxHashSet::default();
    read_rows(
        path,
        requested,
        &GUIDANCE,
        |row, _| {
            let l = &GUIDANCE;
            let key = person_key(row, l, "特定保健指導")?;
            let kind = code_text(row, l, 4)?;
            if !matches!(kind.as_ref(), "1" | "2") {
                let e = if kind.is_empty() { FieldError::Required } else { FieldError::Code };
                return Err(reference_error(row, l, 4, "特定保健指導", e));
            }
            date_field(row, l, 5, "特定保健指導")?;
            Ok(date_field(row, l, 6, "特定保健指導")?.map(|_| key))
        },
        |key| {
            done.insert(key);
        },
    )?;
    Ok(done)
}
