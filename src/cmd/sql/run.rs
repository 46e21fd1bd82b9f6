//! One run: the tables loaded, the statement prepared, checked and bound, every row gathered
//! (an error on a late row must leave no partial output), disclosure control, the rows written
//! (CSV or Excel), and the audit line.

use std::io::Write;
use std::path::{Path, PathBuf};

use rusqlite::Connection;
use rusqlite::types::Value;

use super::audit::{self, Entry};
use super::load::{self, Loaded, TableSpec};
use super::output::{cell_loc, texts, write_xlsx};
use super::statement::{aggregates, bind, prepare};
use super::{Cli, TOOL, disclose, functions, saved};
use crate::cmd::shared::check_outputs;
use crate::console::{Console, Progress, Tally, thousands};
use crate::error::{Error, Loc, Result};
use crate::io::{CsvOut, Encoding, encoding};
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
    let (sql, saved_query) = statement(cli)?;
    let hashes = audit::hash_files(tables.iter().map(|t| t.path.clone()).collect());
    let result = query(cli, &console, &tables, (&sql, saved_query), xlsx_path.as_deref());
    let status = match &result {
        Ok(_) => "ok".to_string(),
        Err(e) => e.code().to_string(),
    };
    let rows = result.as_ref().map_or(0, |(_, rows)| *rows);
    let entry = Entry {
        sql: &sql,
        query: saved_query.map(|s| s.name),
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

/// The statement: the argument, the file of `--sql-file`, or the saved query of `--query`
/// (given back too, for its tables and parameters).
fn statement(cli: &Cli) -> Result<(String, Option<&'static saved::Saved>)> {
    if let Some(name) = &cli.query {
        let s = saved::find(name)?;
        return Ok((s.sql.to_string(), Some(s)));
    }
    if let Some(p) = &cli.sql_file {
        // decided as every input is (a BOM, valid UTF-8, else Shift_JIS as Windows editors save it)
        let bytes = std::fs::read(p).map_err(|e| Error::io(p, e))?;
        let enc = encoding::sniff(&bytes);
        let body = if enc == Encoding::Utf8Bom { &bytes[encoding::UTF8_BOM.len()..] } else { &bytes[..] };
        let text = encoding::decode(enc, body)
            .ok_or_else(|| Error::Undecodable { loc: Loc::file(p.display().to_string()), encoding: enc.label() })?
            .into_owned();
        return Ok((text, None));
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
    let sql_err = super::sqlite_error("データベース");
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
    .map_err(&sql_err)?;
    db.execute_batch("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = -1000000; PRAGMA temp_store = MEMORY;")
        .map_err(&sql_err)?;
    functions::register(&db).map_err(&sql_err)?;
    Ok(db)
}

/// Loads, runs and writes; returns the exit code and the rows written.
fn query(
    cli: &Cli,
    console: &Console,
    tables: &[TableSpec],
    (sql, saved_query): (&str, Option<&saved::Saved>),
    xlsx_path: Option<&Path>,
) -> Result<(u8, u64)> {
    let requested = cli.encoding.resolve()?;
    let params = cli.params.iter().map(|p| pair(p, "--param")).collect::<Result<Vec<_>>>()?;
    if let Some(s) = saved_query {
        saved::check_params(s, &params)?;
    }
    let db = open_db(cli, tables)?;
    if let Some(s) = saved_query {
        saved::check_tables(&db, s, tables)?;
    }
    let mut loaded: Vec<Loaded> = Vec::new();
    for t in tables {
        // a bar a table: each follows its own file
        let progress = Progress::new(console, cli.run.progress, &format!("{} を読込中", t.name));
        loaded.push(load::load(&db, t, requested, &progress)?);
        progress.finish();
    }
    if let Some(s) = saved_query {
        saved::create_missing(&db, s, tables)?;
    }
    let in_enc = loaded.first().map_or(Encoding::Utf8, |l| l.encoding);
    let spec = cli.output.spec(in_enc)?;
    let mut stmt = prepare(&db, sql)?;
    bind(&mut stmt, &params)?;
    let header: Vec<String> = stmt.column_names().map(str::to_string).collect();
    let origins: Vec<Option<String>> =
        stmt.columns_with_metadata().map(|c| c.origin_name().map(str::to_string)).collect();
    let sql_err = super::sqlite_error("SQL");
    // every row is gathered before anything is written: an error on a later row (a function
    // given a bad date) must leave no partial output, on a file or on stdout
    let mut rows: Vec<Vec<Value>> = Vec::new();
    let mut result = stmt.raw_query();
    while let Some(row) = result.next().map_err(&sql_err)? {
        rows.push(
            (0..header.len()).map(|i| row.get::<_, Value>(i)).collect::<rusqlite::Result<_>>().map_err(&sql_err)?,
        );
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
