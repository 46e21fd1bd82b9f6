//! Tables loaded into SQLite: each CSV read as every kk tool reads it (CP932 / UTF-8 / BOM,
//! 外字 kept), its columns typed from the canonical layout or list its header matches (dates as
//! `YYYYMMDD` text, money and counts as integers, codes normalized as text), a `被保険者キー`
//! column added where the person key columns are, and the rows inserted in one transaction.

use std::borrow::Cow;
use std::path::PathBuf;

use rusqlite::Connection;

use crate::console::Progress;
use crate::domain::date::format_date_into;
use crate::domain::text::normalize_code;
use crate::domain::{PersonKey, parse_date, parse_yen};
use crate::error::{Error, FieldError, Result};
use crate::io::{CsvInput, Encoding, InputEncoding, Row, for_each_batch, worker_count};
use crate::layout::{ALL_LAYOUTS, ALL_LISTS, ColumnRef, Field, INSURED, Layout, LayoutFile};

/// The column kk-sql adds to a table with 保険者番号 and 被保険者証番号: the person key as the
/// tools compare it (8-digit insurer / 記号 / 番号 / 枝番), for joins.
pub const KEY_COLUMN: &str = "被保険者キー";

/// Any file: every column is read by its header.
static ANY: Layout = Layout { name: "テーブル", fields: &[] as &[Field] };

/// How a column's values are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColType {
    /// as written (names, addresses, values, any column of a file no layout matches)
    Text,
    /// a code of a canonical layout: normalized (full-width digits folded, trimmed), still text
    Code,
    /// a date of a canonical layout: `YYYYMMDD` from any accepted form; empty is NULL
    Date,
    /// an amount or a count of a canonical layout: an integer; empty is NULL
    Integer,
}

impl ColType {
    /// The column's declared type.
    pub fn sql(self) -> &'static str {
        if self == ColType::Integer { "INTEGER" } else { "TEXT" }
    }
}

/// The canonical code columns (the others of a layout are free text).
const CODES: &[&str] = &[
    "保険者番号",
    "被保険者証記号",
    "被保険者証番号",
    "枝番",
    "性別",
    "健診機関番号",
    "項目コード",
    "受診券整理番号",
    "利用券整理番号",
    "郵便番号",
    "世帯番号",
    "契約区分",
    "課税区分",
    "除外事由",
    "異動区分",
    "支援区分",
    "区分",
    "処理年月",
    "資格状態",
    "結果登録状態",
    "補助区分",
    "種別",
    "整理番号",
];

/// The type of a column named `name` in a canonical layout or list.
pub fn canonical_type(name: &str) -> ColType {
    let integer = ["単価", "金額", "負担額", "手数料", "件数", "項目数", "上限数", "合計", "年齢", "リスク数"];
    if name.ends_with('日') {
        ColType::Date
    } else if name == "年度" || integer.iter().any(|s| name.ends_with(s)) {
        ColType::Integer
    } else if CODES.contains(&name) {
        ColType::Code
    } else {
        ColType::Text
    }
}

/// The canonical layouts a table's header can match: the master's and every input layout.
pub fn layouts() -> impl Iterator<Item = &'static Layout> {
    std::iter::once(&INSURED).chain(ALL_LAYOUTS.iter().copied())
}

/// The columns' types for a header: those of the canonical layout (all its required columns
/// present) or list (all its columns present) that covers most of the header; other columns,
/// and every column of a header no layout matches, are text.
pub fn column_types(header: &[String]) -> Vec<ColType> {
    let has = |name: &str| header.iter().any(|h| h == name);
    let from_layouts = layouts()
        .filter(|l| l.fields.iter().all(|f| !f.required || has(f.name)))
        .map(|l| l.names().collect::<Vec<_>>());
    let from_lists = ALL_LISTS.iter().filter(|l| l.iter().all(|n| has(n))).map(|l| l.to_vec());
    let best = from_layouts
        .chain(from_lists)
        .max_by_key(|names| header.iter().filter(|h| names.contains(&h.as_str())).count())
        .unwrap_or_default();
    header.iter().map(|h| if best.contains(&h.as_str()) { canonical_type(h) } else { ColType::Text }).collect()
}

/// One `-t NAME=FILE`, with its `--layout NAME=FILE.toml` when given.
#[derive(Debug, Clone)]
pub struct TableSpec {
    pub name: String,
    pub path: PathBuf,
    pub layout: Option<(LayoutFile, PathBuf)>,
}

/// What was loaded of one table.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub name: String,
    pub rows: u64,
    pub encoding: Encoding,
}

/// A value of a row, as the workers prepare it for the insert.
enum Cell {
    Null,
    Int(i64),
    /// a range of the chunk's text
    Text(usize, usize),
}

/// The rows of one chunk, `width` cells each.
struct Rows {
    cells: Vec<Cell>,
    text: String,
    /// a row's person-key columns as codes, the key is made of
    scratch: String,
}

/// `name` quoted as an SQL identifier.
pub fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The header after a `--layout` mapping: a mapped column takes its canonical name.
fn mapped_header(header: &[String], layout: Option<&(LayoutFile, PathBuf)>) -> Result<Vec<String>> {
    let mut names = header.to_vec();
    let Some((lf, path)) = layout else { return Ok(names) };
    if !lf.header {
        return Err(Error::Layout {
            path: path.clone(),
            detail: "kk-sql は見出し行のあるファイルだけを読みます".into(),
        });
    }
    for (canonical, column) in &lf.columns {
        let at = match column {
            ColumnRef::Name(n) => header.iter().position(|h| h == n),
            ColumnRef::Position(p) => (*p <= header.len()).then(|| p - 1),
        };
        let Some(at) = at else {
            return Err(Error::Layout {
                path: path.clone(),
                detail: format!("「{canonical}」に対応する列がファイルにありません"),
            });
        };
        names[at] = canonical.clone();
    }
    Ok(names)
}

/// Loads `table` into `db` (replacing a table of that name), rows in one transaction.
pub fn load(db: &Connection, table: &TableSpec, requested: InputEncoding, progress: &Progress) -> Result<Loaded> {
    let mut input = CsvInput::open(Some(&table.path), requested, &ANY, None)?;
    progress.follow(&mut input, Some(&table.path));
    let header = mapped_header(input.header(), table.layout.as_ref())?;
    let types = column_types(&header);
    let col = |name: &str| header.iter().position(|h| h == name);
    let key = match (col("保険者番号"), col("被保険者証番号")) {
        (Some(i), Some(b)) if !header.iter().any(|h| h == KEY_COLUMN) => {
            Some([i, col("被保険者証記号").unwrap_or(usize::MAX), b, col("枝番").unwrap_or(usize::MAX)])
        }
        _ => None,
    };
    let sql_err = super::sqlite_error(format!("テーブル {}", table.name));
    let mut columns: Vec<String> =
        header.iter().zip(&types).map(|(h, t)| format!("{} {}", quoted(h), t.sql())).collect();
    if key.is_some() {
        columns.push(format!("{} TEXT", quoted(KEY_COLUMN)));
    }
    let name = quoted(&table.name);
    db.execute_batch(&format!("DROP TABLE IF EXISTS {name}; CREATE TABLE {name} ({});", columns.join(", ")))
        .map_err(&sql_err)?;
    let width = columns.len();
    let marks: Vec<String> = (1..=width).map(|i| format!("?{i}")).collect();
    db.execute_batch("BEGIN").map_err(&sql_err)?;
    let mut insert = db.prepare(&format!("INSERT INTO {name} VALUES ({})", marks.join(", "))).map_err(&sql_err)?;
    let mut rows = 0u64;
    for_each_batch(
        &mut input,
        (0..worker_count()).map(|_| ()).collect(),
        |(), ctx, chunk| {
            let mut out =
                Rows { cells: Vec::with_capacity(chunk.bytes.len() / 8), text: String::new(), scratch: String::new() };
            ctx.parse_chunk(chunk, |row| prepare(&row, &types, key, &mut out))?;
            Ok(out)
        },
        |chunk: Rows| {
            for cells in chunk.cells.chunks(width) {
                for (i, cell) in cells.iter().enumerate() {
                    match *cell {
                        Cell::Null => insert.raw_bind_parameter(i + 1, rusqlite::types::Null),
                        Cell::Int(n) => insert.raw_bind_parameter(i + 1, n),
                        Cell::Text(s, e) => insert.raw_bind_parameter(i + 1, &chunk.text[s..e]),
                    }
                    .map_err(&sql_err)?;
                }
                insert.raw_execute().map_err(&sql_err)?;
                rows += 1;
            }
            progress.tick_to(rows);
            Ok(())
        },
    )?;
    drop(insert);
    db.execute_batch("COMMIT").map_err(&sql_err)?;
    Ok(Loaded { name: table.name.clone(), rows, encoding: input.encoding() })
}

/// One row's cells: each column decoded (E002 at its line and column when it does not decode)
/// and stored by its type (a bad date or amount of a canonical column is E016 there), then
/// the person key.
fn prepare(row: &Row<'_>, types: &[ColType], key: Option<[usize; 4]>, out: &mut Rows) -> Result<()> {
    // the key's columns as codes (normalized whatever their type: a table no layout matches
    // keeps its 番号 as written, its key must still join as the tools compare), in `scratch`
    out.scratch.clear();
    let mut parts = [(0, 0); 4];
    for (c, t) in types.iter().enumerate() {
        let text = row.text_at(c)?;
        let value = if *t == ColType::Text { Cow::Borrowed(text.as_ref()) } else { normalize_code(&text) };
        if let Some(k) = key.and_then(|k| k.iter().position(|&i| i == c)) {
            let start = out.scratch.len();
            out.scratch.push_str(&if *t == ColType::Text {
                normalize_code(&value)
            } else {
                Cow::Borrowed(value.as_ref())
            });
            parts[k] = (start, out.scratch.len());
        }
        let bad = |e: FieldError| Error::InvalidValue { loc: row.loc_at(c), code: e.code(), message: e.message() };
        let cell = match t {
            _ if value.is_empty() && *t != ColType::Text => Cell::Null,
            ColType::Date => {
                let d = parse_date(&value).map_err(bad)?;
                let start = out.text.len();
                format_date_into(d, &mut out.text);
                Cell::Text(start, out.text.len())
            }
            ColType::Integer => Cell::Int(parse_yen(&value).map_err(bad)?),
            ColType::Text | ColType::Code => push_text(out, &value),
        };
        out.cells.push(cell);
    }
    if key.is_some() {
        let [i, k, b, e] = parts.map(|(s, e)| &out.scratch[s..e]);
        let start = out.text.len();
        let cell = if PersonKey::display_columns_into(i, k, b, e, &mut out.text) {
            Cell::Text(start, out.text.len())
        } else {
            Cell::Null
        };
        out.cells.push(cell);
    }
    Ok(())
}

fn push_text(out: &mut Rows, s: &str) -> Cell {
    let start = out.text.len();
    out.text.push_str(s);
    Cell::Text(start, out.text.len())
}

/// The size of the files, to choose where the database lives.
pub fn total_bytes(tables: &[TableSpec]) -> u64 {
    tables.iter().map(|t| std::fs::metadata(&t.path).map_or(0, |m| m.len())).sum()
}
