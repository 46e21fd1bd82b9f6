//! The result written: CSV in the output encoding (a character it cannot hold named by row and
//! column), or an Excel sheet with numbers as numbers and codes as text.

use std::path::Path;

use rusqlite::types::Value;

use crate::console::thousands;
use crate::error::{Error, Loc, Result};
use crate::io::xlsx;

/// Where a cell of the result is, for a character the output encoding cannot hold.
pub fn cell_loc(row: u64, header: &[String], c: usize) -> Loc {
    Loc::cell("結果", row + 1, header.get(c).cloned().unwrap_or_default())
}

/// A row's values as text: NULL empty, a real in its shortest exact form, a hidden cell `*`.
pub fn texts(values: &[Value], hidden: Option<&[bool]>) -> Vec<String> {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            if hidden.is_some_and(|h| h[i]) {
                return "*".to_string();
            }
            match v {
                Value::Null => String::new(),
                Value::Integer(n) => n.to_string(),
                Value::Real(f) => format!("{f:?}"),
                Value::Text(t) => t.clone(),
                Value::Blob(b) => String::from_utf8_lossy(b).into_owned(),
            }
        })
        .collect()
}

pub fn write_xlsx(path: &Path, header: &[String], rows: &[Vec<Value>], shown: &[Vec<String>]) -> Result<()> {
    const MAX_ROWS: usize = 1_048_575;
    if shown.len() > MAX_ROWS {
        return Err(Error::Usage {
            option: "--format xlsx",
            detail: format!(
                "結果が {} 行あり、Excel の上限 ({MAX_ROWS} 行) を超えます。CSV で出力してください",
                thousands(shown.len() as u64)
            ),
        });
    }
    // numbers as numbers; text (codes with their leading zeros, dates) as text
    let kinds: Vec<xlsx::Cell> = (0..header.len())
        .map(|c| {
            let numeric = rows.iter().all(|r| matches!(r[c], Value::Integer(_) | Value::Real(_) | Value::Null));
            if numeric { xlsx::Cell::Number } else { xlsx::Cell::Text }
        })
        .collect();
    let names: Vec<&str> = header.iter().map(String::as_str).collect();
    xlsx::write_sheet(path, "結果", &names, &kinds, shown)
}
