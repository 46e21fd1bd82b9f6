//! What exclusions, erasures and summary start from: the fiscal year, its 告示 exclusions, each
//! master person's standing by `domain::statutory::standing`, and the counts by standing.

use std::collections::BTreeMap;

use jiff::civil::Date;
use rustc_hash::FxHashMap;

use super::{TOOL, YearArgs};
use crate::cmd::shared::reference::{Exclusion, date_field, exclusions_in, person_key};
use crate::cmd::shared::{code_text, parse_fy, reference_error};
use crate::console::{Tally, thousands};
use crate::domain::statutory::{Reason, standing};
use crate::domain::{FiscalYear, PersonKey, format_date};
use crate::error::{FieldError, Result};
use crate::io::{Encoding, InputEncoding, Row};
use crate::layout::{INSURED, insured as f};

/// What the report needs of a master row.
pub struct Person {
    pub key: PersonKey,
    pub sex: u8,
    pub birth: Date,
    pub acquired: Date,
    pub lost: Option<Date>,
}

pub fn master_person(row: &Row<'_>) -> Result<Person> {
    let l = &INSURED;
    let key = person_key(row, l, "被保険者マスタ")?;
    let sex = match code_text(row, l, f::SEX)?.as_ref() {
        "1" => 1,
        "2" => 2,
        "" => return Err(reference_error(row, l, f::SEX, "被保険者マスタ", FieldError::Required)),
        _ => return Err(reference_error(row, l, f::SEX, "被保険者マスタ", FieldError::Code)),
    };
    // both are required fields: a value is always there once parsed
    let birth = date_field(row, l, f::BIRTH, "被保険者マスタ")?.unwrap_or_default();
    let acquired = date_field(row, l, f::ACQUIRED, "被保険者マスタ")?.unwrap_or_default();
    let lost = date_field(row, l, f::LOST, "被保険者マスタ")?;
    Ok(Person { key, sex, birth, acquired, lost })
}

/// The year, its exclusions and an open master: what exclusions, erasures and summary start from.
pub struct Year {
    pub fy: FiscalYear,
    pub requested: InputEncoding,
    pub excluded: FxHashMap<PersonKey, Exclusion>,
}

impl Year {
    pub fn load(a: &YearArgs) -> Result<Year> {
        let fy = parse_fy(&a.fy)?;
        let requested = a.encoding.resolve()?;
        let excluded = match &a.exclusions {
            Some(p) => exclusions_in(p, requested, fy)?,
            None => FxHashMap::default(),
        };
        Ok(Year { fy, requested, excluded })
    }

    pub fn standing(&self, p: &Person) -> std::result::Result<(), Reason> {
        standing(p.birth, p.acquired, p.lost, self.excluded.contains_key(&p.key), self.fy)
    }
}

/// Counts of master persons by where they stand (a reason's code, or "denominator"), and other
/// counts for `--summary-json`.
pub type Counts = BTreeMap<&'static str, u64>;

pub fn tally_line(fy: FiscalYear, rows: u64, t: &Counts) -> String {
    let get = |k: &str| thousands(t.get(k).copied().unwrap_or(0));
    format!(
        "{fy}年度: マスタ {} 行 = 分母 {} 人 + 年度内に資格なし {} 人 + 年齢範囲外 {} 人 + 途中加入 {} 人 + 途中喪失 {} 人 + 告示除外 {} 人",
        thousands(rows),
        get("denominator"),
        get("S103"),
        get("S104"),
        get("S105"),
        get("S106"),
        get("S107"),
    )
}

pub fn opt_date(d: Option<Date>) -> String {
    d.map(format_date).unwrap_or_default()
}

/// The tally of a statutory command: nothing is rejected; `counts` go to `--summary-json`.
pub fn tally(
    command: &'static str,
    (in_enc, out_enc): (Encoding, Encoding),
    (rows_in, rows_out, findings): (u64, u64, u64),
    counts: Counts,
) -> Tally {
    let mut t = Tally::new(TOOL, command, in_enc, out_enc);
    (t.rows_in, t.rows_out, t.findings, t.extra) = (rows_in, rows_out, findings, counts);
    t
}
