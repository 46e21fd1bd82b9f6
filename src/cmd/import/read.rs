//! Reading an insured file on the worker pipeline: rows checked on the workers, stored and
//! indexed by key on the reading thread in input order; `--base`, a master that must be clean.

use std::path::Path;

use super::check::{Checked, KEY_COLUMN, Problem, RowChecker};
use crate::console::Progress;
use crate::domain::duplicates::{Groups, KeyIndex};
use crate::error::{Error, FieldError, Loc, Result};
use crate::io::{CsvInput, InputEncoding, OutputSpec, RowStore, for_each_batch, worker_count};
use crate::layout::INSURED;

/// Reads every row of `input` into `store`, checked by `checkers` (one per worker thread).
/// Returns the rows in input order, their key index and the characters replaced by 〓.
pub fn read_all(
    input: &mut CsvInput,
    checkers: Vec<RowChecker>,
    store: &mut RowStore,
    progress: &Progress,
    expected_rows: usize,
) -> Result<(Vec<Checked>, KeyIndex, u64)> {
    let crlf = store.crlf();
    let mut rows: Vec<Checked> = Vec::with_capacity(expected_rows.max(1 << 12));
    let mut index = KeyIndex::default();
    index.reserve(expected_rows);
    let checkers = for_each_batch(
        input,
        checkers,
        |checker, ctx, chunk| {
            let mut part = RowStore::new(crlf, chunk.bytes.len() + chunk.bytes.len() / 8);
            let mut checked = Vec::with_capacity(chunk.bytes.len() / 100);
            ctx.parse_chunk(chunk, |row| {
                checked.push(checker.check(&row, &mut part)?);
                Ok(())
            })?;
            Ok((checked, part))
        },
        |(checked, part)| {
            let offset = store.append(part);
            let from = rows.len();
            rows.extend(checked.into_iter().map(|mut c| {
                c.row = c.row.moved(offset);
                c
            }));
            for i in from..rows.len() {
                index.add(&rows, i);
            }
            progress.tick_to(rows.len() as u64);
            Ok(())
        },
    )?;
    Ok((rows, index, checkers.iter().map(|c| c.out.replaced).sum()))
}

/// Duplicate kind 1: every row of a key seen more than once gets E201 (all are withheld);
/// returns the groups, in the order of their first rows.
pub fn withhold_repeated(index: &KeyIndex, rows: &mut [Checked]) -> Groups<usize> {
    let groups = index.repeated();
    for &i in groups.iter().flatten() {
        rows[i].problems.push(Problem { column: KEY_COLUMN, error: FieldError::DuplicateKey, value: String::new() });
    }
    groups
}

/// A generous guess at the rows of an insured file (about 120 bytes a row), to size buffers once.
pub fn expected_rows(path: Option<&Path>) -> usize {
    CsvInput::file_size(path) / 80
}

/// Reads `--base`: it must be a clean master (our own output); any problem in it is fatal.
/// Returns its rows, its key index and how many characters were replaced by 〓.
pub fn read_base(
    path: &Path,
    requested: InputEncoding,
    spec: &OutputSpec,
    store: &mut RowStore,
    progress: &Progress,
) -> Result<(Vec<Checked>, KeyIndex, u64)> {
    let mut input = CsvInput::open(Some(path), requested, &INSURED, None)?;
    input.decodes_mapped();
    let in_enc = input.encoding();
    let workers = (0..worker_count()).map(|_| RowChecker::new(&INSURED, in_enc, spec, None, false)).collect();
    let (mut rows, index, replaced) = read_all(&mut input, workers, store, progress, expected_rows(Some(path)))?;
    withhold_repeated(&index, &mut rows);
    for r in &mut rows {
        r.from_base = true;
    }
    if let Some(r) = rows.iter().find(|r| !r.problems.is_empty()) {
        let p = &r.problems[0];
        return Err(Error::InvalidReference {
            loc: Loc::cell(input.name(), r.line, p.column),
            what: "ベースマスタ",
            code: p.error.code(),
            message: p.error.message(),
        });
    }
    Ok((rows, index, replaced))
}
