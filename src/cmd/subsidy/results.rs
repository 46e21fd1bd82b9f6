//! The results, streamed: only the rows of subsidised items are kept.

use std::sync::atomic::{AtomicU64, Ordering};

use rustc_hash::FxHashMap;

use super::items::{Item, is_item_code};
use crate::cmd::shared::{code_text, read_input, reference_error};
use crate::domain::{FiscalYear, InstitutionNumber, InsurerNumber, PersonKey, format_date, parse_date};
use crate::error::{Error, FieldError, Loc, Result};
use crate::io::{CsvInput, Row};
use crate::layout::RESULT_ITEMS_FULL;

/// A result row of a subsidised item.
pub struct Received {
    pub line: u64,
    pub key: PersonKey,
    pub fy: FiscalYear,
    /// 保険者番号, 記号, 番号, 枝番, 受診日, 健診機関番号 as the list shows them.
    pub shown: [String; 6],
    pub code: String,
}

/// What the results hold for the list: the rows of subsidised items, in file order.
pub struct Found {
    pub rows: Vec<Received>,
    pub rows_in: u64,
}

/// A result row, or the line of a malformed item code.
enum Seen {
    Row(Received),
    BadCode(u64),
}

/// Reads the results; a malformed item code anywhere is fatal (E016, naming the lines).
pub fn read(input: &mut CsvInput, items: &FxHashMap<String, Item>) -> Result<Found> {
    let mut seen: Vec<Seen> = Vec::new();
    let rows_read = AtomicU64::new(0);
    read_input(
        input,
        |row, _| {
            rows_read.fetch_add(1, Ordering::Relaxed);
            received(row, items)
        },
        |s: Seen| seen.push(s),
    )?;
    let bad: Vec<u64> =
        seen.iter().filter_map(|f| if let Seen::BadCode(line) = f { Some(*line) } else { None }).collect();
    if !bad.is_empty() {
        let lines = bad.iter().take(20).map(u64::to_string).collect::<Vec<_>>().join("、");
        let more = if bad.len() > 20 { format!(" ほか {} 行", bad.len() - 20) } else { String::new() };
        return Err(Error::InvalidValue {
            loc: Loc::cell(input.name(), bad[0], format!("項目コード ({lines}行目{more})")),
            code: FieldError::Format.code(),
            message: "項目コードは17桁の英数字です",
        });
    }
    let rows = seen.into_iter().filter_map(|s| if let Seen::Row(r) = s { Some(r) } else { None }).collect();
    Ok(Found { rows, rows_in: rows_read.into_inner() })
}

/// One result row: kept if its item is subsidised; its key, date and institution must be valid.
fn received(row: &Row<'_>, items: &FxHashMap<String, Item>) -> Result<Option<Seen>> {
    let l = &RESULT_ITEMS_FULL;
    let code = code_text(row, l, 6)?;
    if !is_item_code(&code) {
        return Ok(Some(Seen::BadCode(row.line)));
    }
    if !items.contains_key(code.as_ref()) {
        return Ok(None);
    }
    let insurer = code_text(row, l, 0)?;
    InsurerNumber::check(&insurer).map_err(|e| reference_error(row, l, 0, "健診結果", e))?;
    let day = parse_date(&code_text(row, l, 4)?).map_err(|e| reference_error(row, l, 4, "健診結果", e))?;
    let institution = code_text(row, l, 5)?;
    InstitutionNumber::check(&institution).map_err(|e| reference_error(row, l, 5, "健診結果", e))?;
    let (kigo, bango, edaban) = (code_text(row, l, 1)?, code_text(row, l, 2)?, code_text(row, l, 3)?);
    let shown = [
        insurer.to_string(),
        kigo.to_string(),
        bango.to_string(),
        edaban.to_string(),
        format_date(day),
        institution.into_owned(),
    ];
    Ok(Some(Seen::Row(Received {
        line: row.line,
        key: PersonKey::from_checked(&insurer, &kigo, &bango, &edaban),
        fy: FiscalYear::of(day),
        shown,
        code: code.into_owned(),
    })))
}
