//! The saved queries of `queries/*.sql`, built into the binary: each file opens with comment
//! lines that give its title, its parameters and the tables it reads.
//!
//! ```sql
//! -- 題名: 受診率 (保険者 × 性別 × 年齢階級)
//! -- パラメータ: fy = 年度 (例: 2025)
//! -- テーブル: 被保険者 = 被保険者マスタ
//! -- テーブル: 除外 = 除外事由 (任意)
//! ```
//!
//! A parameter is bound as `:name` (never pasted into the text); a table marked (任意) that is
//! not given is created empty with its layout's columns.

use rusqlite::Connection;

use super::load::{KEY_COLUMN, TableSpec, canonical_type, quoted};
use crate::error::{Error, Result};
use crate::layout::Layout;

/// One saved query.
#[derive(Debug)]
pub struct Saved {
    pub name: &'static str,
    pub sql: &'static str,
}

macro_rules! saved {
    ($($name:literal),* $(,)?) => {
        &[$(Saved { name: $name, sql: include_str!(concat!("../../../queries/", $name, ".sql")) }),*]
    };
}

/// Every saved query, by file name.
pub const SAVED: &[Saved] =
    saved!["受診率", "受診者数_機関月別", "未受診者数_郵便番号", "追加健診項目", "重症化予防", "階層化", "連続未受診",];

/// A table a saved query reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableNeed {
    pub name: String,
    pub layout: String,
    pub optional: bool,
}

impl Saved {
    fn header(&self, key: &str) -> impl Iterator<Item = &'static str> {
        let prefix = format!("-- {key}:");
        self.sql
            .lines()
            .take_while(|l| l.starts_with("--"))
            .filter_map(move |l| l.strip_prefix(prefix.as_str()))
            .map(str::trim)
    }

    pub fn title(&self) -> &'static str {
        self.header("題名").next().unwrap_or("")
    }

    /// The parameters: name and what it is.
    pub fn params(&self) -> Vec<(&'static str, &'static str)> {
        self.header("パラメータ").filter_map(|p| p.split_once('=')).map(|(n, w)| (n.trim(), w.trim())).collect()
    }

    pub fn tables(&self) -> Vec<TableNeed> {
        self.header("テーブル")
            .filter_map(|t| t.split_once('='))
            .map(|(n, l)| {
                let optional = l.contains("(任意)");
                TableNeed { name: n.trim().into(), layout: l.replace("(任意)", "").trim().into(), optional }
            })
            .collect()
    }
}

/// The saved query named `name`.
pub fn find(name: &str) -> Result<&'static Saved> {
    SAVED.iter().find(|s| s.name == name).ok_or_else(|| Error::Usage {
        option: "--query",
        detail: format!("「{name}」という保存済みの問い合わせはありません (一覧は kk-sql --list)"),
    })
}

/// The canonical layout named `name` (for an optional table created empty).
pub fn layout_named(name: &str) -> Option<&'static Layout> {
    super::load::layouts().find(|l| l.name == name)
}

/// `kk-sql --list`: each query with its title, parameters and tables.
pub fn listing() -> String {
    let mut out = String::new();
    for s in SAVED {
        out += &format!("{}\n    {}\n", s.name, s.title());
        for (n, w) in s.params() {
            out += &format!("    --param {n}=…  {w}\n");
        }
        for t in s.tables() {
            out += &format!("    -t {}=FILE  {}{}\n", t.name, t.layout, if t.optional { " (任意)" } else { "" });
        }
    }
    out += "\n関数:\n";
    for (name, args, what) in super::functions::FUNCTIONS {
        out += &format!("    {name}({args})  {what}\n");
    }
    out
}

/// A saved query's tables, before anything is read: each given with -t, or already in the
/// database of `--db`.
pub fn check_tables(db: &Connection, s: &Saved, tables: &[TableSpec]) -> Result<()> {
    let in_db = |name: &str| {
        db.query_row("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1", [name], |r| {
            r.get::<_, i64>(0)
        })
        .is_ok_and(|n| n > 0)
    };
    for t in s.tables() {
        if !t.optional && !tables.iter().any(|g| g.name == t.name) && !in_db(&t.name) {
            return Err(Error::Usage {
                option: "-t/--table",
                detail: format!(
                    "「{}」はテーブル {} ({}) を読みます: -t {}=FILE を指定してください",
                    s.name, t.name, t.layout, t.name
                ),
            });
        }
    }
    Ok(())
}

/// A saved query's parameters, before anything is read.
pub fn check_params(s: &Saved, params: &[(&str, &str)]) -> Result<()> {
    for (p, what) in s.params() {
        if !params.iter().any(|(n, _)| *n == p) {
            return Err(Error::Usage {
                option: "--param",
                detail: format!("「{}」には --param {p}=… ({what}) が必要です", s.name),
            });
        }
    }
    Ok(())
}

/// The optional tables of a saved query that were not given, created empty with their layout's
/// columns (and the person key).
pub fn create_missing(db: &Connection, s: &Saved, tables: &[TableSpec]) -> Result<()> {
    for t in s.tables().into_iter().filter(|t| t.optional && !tables.iter().any(|g| g.name == t.name)) {
        let Some(layout) = layout_named(&t.layout) else { continue };
        let mut columns: Vec<String> =
            layout.names().map(|n| format!("{} {}", quoted(n), canonical_type(n).sql())).collect();
        columns.push(format!("{} TEXT", quoted(KEY_COLUMN)));
        db.execute_batch(&format!("CREATE TABLE IF NOT EXISTS {} ({});", quoted(&t.name), columns.join(", ")))
            .map_err(super::sqlite_error(format!("テーブル {}", t.name)))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_saved_query_has_a_title_tables_of_known_layouts_and_its_parameters_used() {
        for s in SAVED {
            assert!(!s.title().is_empty(), "{}", s.name);
            assert!(!s.tables().is_empty(), "{}", s.name);
            for t in s.tables() {
                assert!(
                    t.layout.ends_with("出力") || layout_named(&t.layout).is_some() || !t.optional,
                    "{}: {}",
                    s.name,
                    t.layout
                );
            }
            for (p, _) in s.params() {
                assert!(s.sql.contains(&format!(":{p}")), "{}: :{p}", s.name);
            }
        }
    }
}
