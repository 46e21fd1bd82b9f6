//! The statement: prepared (one read-only statement, or E032 with the position), its `:name`
//! parameters bound from `--param`, and whether it aggregates (for `--aggregate-only`).

use rusqlite::{Connection, Statement};

use crate::error::{Error, Result};

/// Prepares `sql`: one read-only statement, or E032 with the position SQLite gives.
pub fn prepare<'c>(db: &'c Connection, sql: &str) -> Result<Statement<'c>> {
    let stmt = db.prepare(sql).map_err(|e| match e {
        rusqlite::Error::SqlInputError { msg, offset, .. } if offset >= 0 => {
            let before = &sql[..(offset as usize).min(sql.len())];
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
            Error::Sql {
                place: format!("SQL {line}行目 {column}文字目"),
                detail: format!("構文または名前の誤りです (SQLite: {msg})"),
            }
        }
        rusqlite::Error::Empty => Error::Sql {
            place: "SQL".into(),
            detail: "文がありません (空か、コメントだけです)".into(),
        },
        rusqlite::Error::MultipleStatement => Error::Sql {
            place: "SQL".into(),
            detail: "文は 1 つだけにしてください (; の後に続きがあります)".into(),
        },
        other => Error::Sql { place: "SQL".into(), detail: format!("SQLite: {other}") },
    })?;
    if !stmt.readonly() {
        return Err(Error::Sql {
            place: "SQL".into(),
            detail: "読み取りの文 (SELECT・WITH) だけを実行できます".into(),
        });
    }
    Ok(stmt)
}

/// Binds `--param` values to the statement's `:name` parameters; a parameter without a value
/// or a value without a parameter is E011. Whole numbers are bound as integers.
pub fn bind(stmt: &mut Statement<'_>, params: &[(&str, &str)]) -> Result<()> {
    let names: Vec<String> =
        (1..=stmt.parameter_count()).filter_map(|i| stmt.parameter_name(i).map(str::to_string)).collect();
    for n in &names {
        let bare = n.trim_start_matches([':', '@', '$']);
        let Some((_, value)) = params.iter().find(|(p, _)| *p == bare) else {
            return Err(Error::Usage {
                option: "--param",
                detail: format!("SQL のパラメータ {n} の値がありません (--param {bare}=値)"),
            });
        };
        let Ok(Some(i)) = stmt.parameter_index(n) else { continue };
        let value = crate::domain::text::normalize_code(value).into_owned();
        let bound = match value.parse::<i64>() {
            Ok(v) if !value.starts_with('0') || value == "0" => stmt.raw_bind_parameter(i, v),
            _ => stmt.raw_bind_parameter(i, value),
        };
        bound.map_err(super::sqlite_error("SQL"))?;
    }
    for (p, _) in params {
        if !names.iter().any(|n| n.trim_start_matches([':', '@', '$']) == *p) {
            return Err(Error::Usage {
                option: "--param", detail: format!("SQL にパラメータ :{p} がありません")
            });
        }
    }
    Ok(())
}

/// Whether the statement aggregates (its program has an aggregate step or a count).
pub fn aggregates(db: &Connection, sql: &str) -> Result<bool> {
    let sql_err = super::sqlite_error("SQL");
    let mut explain = db.prepare(&format!("EXPLAIN {sql}")).map_err(&sql_err)?;
    let mut rows = explain.raw_query();
    while let Some(r) = rows.next().map_err(&sql_err)? {
        let op: String = r.get(1).map_err(&sql_err)?;
        if op.starts_with("Agg") || op == "Count" {
            return Ok(true);
        }
    }
    Ok(false)
}
