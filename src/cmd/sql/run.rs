//! One run: the tables loaded, the statement prepared and checked (read-only, one statement),
//! its parameters bound, the rows written (CSV streamed, or gathered for Excel and for
//! disclosure control), and the audit line.

use std::io::Write;
use std::path::{Path, PathBuf};

use rusqlite::types::Value;
use rusqlite::{Connection, Statement};

use super::audit::{self, Entry};
use super::load::{self, Loaded, TableSpec};
use super::{Cli, TOOL, disclose, functions, saved};
use crate::cmd::shared::check_outputs;
use crate::console::{Console, Progress, Tally, thousands};
use crate::error::{Error, Loc, Result};
use crate::io::{CsvOut, Encoding, xlsx};
use crate::layout::LayoutFile;

/// Above this much CSV, the database is a temporary file rather than memory.
const MEMORY_BYTES: u64 = 2 << 30;

pub fn run(cli: &Cli) -> Result<u8> {
    if cli.list {
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(saved::listing().as_bytes());
        return Ok(0);
    }
    let console = Console { tool: TOOL, quiet: cli.run.quiet };
    check_outputs(&[cli.output.output.as_deref(), cli.run.summary_json.as_deref(), cli.db.as_deref()])?;
    let xlsx_path = cli.format.xlsx_path(cli.output.output.as_deref(), "--format xlsx", "-o")?;
    let tables = table_specs(cli)?;
    let (sql, query_name) = statement(cli)?;
    let hashes = audit::hash_files(tables.iter().map(|t| t.path.clone()).collect());
    let result = query(cli, &console, &tables, &sql, xlsx_path.as_deref());
    let status = match &result {
        Ok(_) => "ok".to_string(),
        Err(e) => e.code().to_string(),
    };
    let rows = result.as_ref().map_or(0, |(_, rows)| *rows);
    let entry = Entry {
        sql: &sql,
        query: query_name,
        tables: &tables,
        db: cli.db.as_deref(),
        hashes,
        rows,
        flags: flags(cli),
        status,
    };
    audit::append(cli.audit.as_deref(), entry)?;
    result.map(|(code, _)| code)
}

/// The statement: the argument, the file of `--sql-file`, or the saved query of `--query`.
fn statement(cli: &Cli) -> Result<(String, Option<&'static str>)> {
    if let Some(name) = &cli.query {
        let s = saved::find(name)?;
        return Ok((s.sql.to_string(), Some(s.name)));
    }
    if let Some(p) = &cli.sql_file {
        return Ok((std::fs::read_to_string(p).map_err(|e| Error::io(p, e))?, None));
    }
    Ok((cli.sql.clone().unwrap_or_default(), None))
}

/// The options that change what is disclosed, for the audit line.
fn flags(cli: &Cli) -> String {
    let mut f = Vec::new();
    if cli.aggregate_only {
        f.push("--aggregate-only".to_string());
    }
    if let Some(n) = min_cell(cli) {
        f.push(format!("--min-cell {n}"));
    }
    for p in &cli.params {
        f.push(format!("--param {p}"));
    }
    f.join(" ")
}

fn min_cell(cli: &Cli) -> Option<u32> {
    cli.min_cell.or(cli.aggregate_only.then_some(10))
}

/// `NAME=VALUE` split at its first `=`, the name not empty.
fn pair<'a>(text: &'a str, option: &'static str) -> Result<(&'a str, &'a str)> {
    match text.split_once('=') {
        Some((n, v)) if !n.trim().is_empty() => Ok((n.trim(), v)),
        _ => Err(Error::Usage { option, detail: format!("「{text}」は 名前=値 の形ではありません") }),
    }
}

fn table_specs(cli: &Cli) -> Result<Vec<TableSpec>> {
    let mut specs: Vec<TableSpec> = Vec::new();
    for t in &cli.tables {
        let (name, file) = pair(t, "-t/--table")?;
        if specs.iter().any(|s| s.name == name) {
            return Err(Error::Usage {
                option: "-t/--table",
                detail: format!("テーブル「{name}」が 2 回指定されています"),
            });
        }
        specs.push(TableSpec { name: name.into(), path: PathBuf::from(file), layout: None });
    }
    for l in &cli.layouts {
        let (name, file) = pair(l, "--layout")?;
        let Some(spec) = specs.iter_mut().find(|s| s.name == name) else {
            return Err(Error::Usage {
                option: "--layout", detail: format!("-t にないテーブル「{name}」です")
            });
        };
        let path = PathBuf::from(file);
        spec.layout = Some((LayoutFile::load(&path)?, path));
    }
    Ok(specs)
}

/// The database: `--db FILE` (kept, 0600), else memory, or a temporary file (deleted at once by
/// SQLite) for inputs too large for memory.
fn open_db(cli: &Cli, tables: &[TableSpec]) -> Result<Connection> {
    let sql_err = |e: rusqlite::Error| Error::Sql { place: "データベース".into(), detail: e.to_string() };
    let db = match &cli.db {
        Some(p) => {
            let mut open = std::fs::OpenOptions::new();
            open.create(true).append(true);
            std::os::unix::fs::OpenOptionsExt::mode(&mut open, 0o600);
            open.open(p).map_err(|e| Error::io(p, e))?;
            Connection::open(p)
        }
        None if load::total_bytes(tables) > MEMORY_BYTES => Connection::open(""),
        None => Connection::open_in_memory(),
    }
    .map_err(sql_err)?;
    db.execute_batch("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = -1000000; PRAGMA temp_store = MEMORY;")
        .map_err(sql_err)?;
    functions::register(&db).map_err(sql_err)?;
    Ok(db)
}

/// Loads, runs and writes; returns the exit code and the rows written.
fn query(cli: &Cli, console: &Console, tables: &[TableSpec], sql: &str, xlsx_path: Option<&Path>) -> Result<(u8, u64)> {
    let requested = cli.encoding.resolve()?;
    let params = cli.params.iter().map(|p| pair(p, "--param")).collect::<Result<Vec<_>>>()?;
    let saved_query = cli.query.as_deref().map(saved::find).transpose()?;
    if let Some(s) = saved_query {
        check_params(s, &params)?;
    }
    let db = open_db(cli, tables)?;
    if let Some(s) = saved_query {
        check_tables(&db, s, tables)?;
    }
    let mut loaded: Vec<Loaded> = Vec::new();
    for t in tables {
        // a bar a table: each follows its own file
        let progress = Progress::new(console, cli.run.progress, &format!("{} を読込中", t.name));
        loaded.push(load::load(&db, t, requested, &progress)?);
        progress.finish();
    }
    if let Some(s) = saved_query {
        create_missing(&db, s, tables)?;
    }
    let in_enc = loaded.first().map_or(Encoding::Utf8, |l| l.encoding);
    let spec = cli.output.spec(in_enc)?;
    let mut stmt = prepare(&db, sql)?;
    bind(&mut stmt, &params)?;
    let header: Vec<String> = stmt.column_names().map(str::to_string).collect();
    let origins: Vec<Option<String>> =
        stmt.columns_with_metadata().map(|c| c.origin_name().map(str::to_string)).collect();
    let sql_err = |e: rusqlite::Error| Error::Sql { place: "SQL".into(), detail: e.to_string() };
    // every row is gathered before anything is written: an error on a later row (a function
    // given a bad date) must leave no partial output, on a file or on stdout
    let mut rows: Vec<Vec<Value>> = Vec::new();
    let mut result = stmt.raw_query();
    while let Some(row) = result.next().map_err(sql_err)? {
        rows.push((0..header.len()).map(|i| row.get::<_, Value>(i)).collect::<rusqlite::Result<_>>().map_err(sql_err)?);
    }
    drop(result);
    let written = rows.len() as u64;
    if cli.aggregate_only {
        disclose::check_aggregate(&header, &origins, aggregates(&db, sql)?, &rows)?;
    }
    let hidden = min_cell(cli).map(|n| disclose::suppress(&header, &rows, i64::from(n)));
    let hidden_cells = hidden.as_ref().map_or(0, |h| h.1);
    let shown: Vec<Vec<String>> =
        rows.iter().enumerate().map(|(r, v)| texts(v, hidden.as_ref().map(|h| h.0[r].as_slice()))).collect();
    let replaced = match xlsx_path {
        Some(p) => {
            write_xlsx(p, &header, &rows, &shown)?;
            0
        }
        None => {
            let mut o = CsvOut::create(&spec)?;
            o.write_header(&header)?;
            for (r, row) in shown.iter().enumerate() {
                o.write_texts(row, |c| cell_loc(r as u64 + 1, &header, c))?;
            }
            o.finish()?
        }
    };
    let mut tally = Tally::new(TOOL, "query", in_enc, spec.encoding);
    tally.rows_in = loaded.iter().map(|l| l.rows).sum();
    tally.rows_out = written;
    tally.replaced = replaced;
    tally.set("tables", loaded.len() as u64).set("suppressed_cells", hidden_cells);
    let tables_line: Vec<String> = loaded.iter().map(|l| format!("{} {} 行", l.name, thousands(l.rows))).collect();
    let mut line = format!("テーブル {} 個 ({}); 結果 {} 行", loaded.len(), tables_line.join("、"), thousands(written));
    if min_cell(cli).is_some() {
        line += &format!("; 秘匿 {} セル", thousands(hidden_cells));
    }
    let code = tally.finish(console, line, cli.run.summary_json.as_deref(), 0)?;
    Ok((code, written))
}

/// Where a cell of the result is, for a character the output encoding cannot hold.
fn cell_loc(row: u64, header: &[String], c: usize) -> Loc {
    Loc::cell("結果", row + 1, header.get(c).cloned().unwrap_or_default())
}

/// A row's values as text: NULL empty, a real in its shortest exact form, a hidden cell `*`.
fn texts(values: &[Value], hidden: Option<&[bool]>) -> Vec<String> {
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

fn write_xlsx(path: &Path, header: &[String], rows: &[Vec<Value>], shown: &[Vec<String>]) -> Result<()> {
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

/// Prepares `sql`: one read-only statement, or E032 with the position SQLite gives.
fn prepare<'c>(db: &'c Connection, sql: &str) -> Result<Statement<'c>> {
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
fn bind(stmt: &mut Statement<'_>, params: &[(&str, &str)]) -> Result<()> {
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
        bound.map_err(|e| Error::Sql { place: "SQL".into(), detail: e.to_string() })?;
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
fn aggregates(db: &Connection, sql: &str) -> Result<bool> {
    let sql_err = |e: rusqlite::Error| Error::Sql { place: "SQL".into(), detail: e.to_string() };
    let mut explain = db.prepare(&format!("EXPLAIN {sql}")).map_err(sql_err)?;
    let mut rows = explain.raw_query();
    while let Some(r) = rows.next().map_err(sql_err)? {
        let op: String = r.get(1).map_err(sql_err)?;
        if op.starts_with("Agg") || op == "Count" {
            return Ok(true);
        }
    }
    Ok(false)
}

/// A saved query's tables, before anything is read: each given with -t, or already in the
/// database of `--db`.
fn check_tables(db: &Connection, s: &saved::Saved, tables: &[TableSpec]) -> Result<()> {
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
fn check_params(s: &saved::Saved, params: &[(&str, &str)]) -> Result<()> {
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
fn create_missing(db: &Connection, s: &saved::Saved, tables: &[TableSpec]) -> Result<()> {
    for t in s.tables().into_iter().filter(|t| t.optional && !tables.iter().any(|g| g.name == t.name)) {
        let Some(layout) = saved::layout_named(&t.layout) else { continue };
        let mut columns: Vec<String> = layout
            .names()
            .map(|n| {
                format!(
                    "{} {}",
                    load::quoted(n),
                    if load::canonical_type(n) == load::ColType::Integer { "INTEGER" } else { "TEXT" }
                )
            })
            .collect();
        columns.push(format!("{} TEXT", load::quoted(load::KEY_COLUMN)));
        db.execute_batch(&format!("CREATE TABLE IF NOT EXISTS {} ({});", load::quoted(&t.name), columns.join(", ")))
            .map_err(|e| Error::Sql { place: format!("テーブル {}", t.name), detail: e.to_string() })?;
    }
    Ok(())
}
