//! What the report reads: the workflow's step log with each step's summary JSON, the lists'
//! (line, code) pairs.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::io::{CsvInput, InputEncoding};
use crate::layout::{Field, Layout};

/// One logged step.
pub struct Step {
    pub no: String,
    pub name: String,
    pub start: String,
    pub end: String,
    pub seconds: String,
    pub exit: String,
    pub summary: Option<serde_json::Map<String, serde_json::Value>>,
    pub what: String,
}

/// Any header: columns are found by name.
static ANY: Layout = Layout { name: "一覧", fields: &[] as &[Field] };

/// Columns that hold a list's code, in the order looked for.
const CODE_COLUMNS: [&str; 6] =
    ["エラーコード", "チェックコード", "抹消事由コード", "除外事由コード", "判定コード", "重複種別"];

/// (input file, line, code) of every row of a list.
pub fn list_items(source: &str, path: &Path) -> Result<Vec<(String, u64, String)>> {
    let mut input = CsvInput::open(Some(path), InputEncoding::Auto, &ANY, None)?;
    let header = input.header().to_vec();
    let line_col = header.iter().position(|h| h == "行番号");
    // a list whose rows come from more than one file names each row's file (元ファイル): its
    // line is a line of that file, not of the list's source
    let file_col = header.iter().position(|h| h == "元ファイル");
    let Some((code_col, code_name)) =
        CODE_COLUMNS.iter().find_map(|c| header.iter().position(|h| h == c).map(|i| (i, *c)))
    else {
        return Ok(Vec::new());
    };
    let enc = input.encoding();
    let mut items = Vec::new();
    while let Some(row) = input.next_row()? {
        let text = |c: usize| crate::io::encoding::decode(enc, row.raw_at(c)).map(|t| t.trim().to_string());
        let code = text(code_col).unwrap_or_default();
        if code.is_empty() {
            continue;
        }
        let code = if code_name == "重複種別" { format!("DUP{code}") } else { code };
        let line = line_col.and_then(text).and_then(|t| t.parse().ok()).unwrap_or(0);
        let file = file_col.and_then(text).filter(|f| !f.is_empty()).unwrap_or_else(|| source.to_string());
        items.push((file, line, code));
    }
    Ok(items)
}

pub fn read_steps(path: &Path) -> Result<Vec<Step>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let mut rdr = csv::ReaderBuilder::new().has_headers(true).flexible(true).from_reader(text.as_bytes());
    let mut steps = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| Error::io(path, std::io::Error::other(e.to_string())))?;
        let get = |i: usize| rec.get(i).unwrap_or("").to_string();
        let json = get(6);
        let summary = (!json.is_empty())
            .then(|| std::fs::read_to_string(&json).ok())
            .flatten()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .and_then(|v| v.as_object().cloned());
        steps.push(Step {
            no: get(0),
            name: get(1),
            start: get(2),
            end: get(3),
            seconds: get(4),
            exit: get(5),
            summary,
            what: get(7),
        });
    }
    Ok(steps)
}

pub fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<_> = entries.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let p = e.path();
        match e.file_type() {
            Ok(t) if t.is_dir() => files_under(&p, out),
            Ok(t) if t.is_file() => out.push(p),
            _ => {}
        }
    }
}

pub fn number(summary: &Option<serde_json::Map<String, serde_json::Value>>, key: &str) -> String {
    count(summary, key).map(|n| n.to_string()).unwrap_or_default()
}

/// A count of a step's summary JSON, if it has one.
pub fn count(summary: &Option<serde_json::Map<String, serde_json::Value>>, key: &str) -> Option<u64> {
    summary.as_ref().and_then(|s| s.get(key)).and_then(serde_json::Value::as_u64)
}

/// A text of a step's summary JSON (the tool and command that wrote it), or "".
pub fn text<'s>(summary: &'s Option<serde_json::Map<String, serde_json::Value>>, key: &str) -> &'s str {
    summary.as_ref().and_then(|s| s.get(key)).and_then(serde_json::Value::as_str).unwrap_or("")
}
