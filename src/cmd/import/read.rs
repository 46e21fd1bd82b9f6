//! Reading an insured file on the worker pipeline: rows checked on the workers, stored and
//! collected on the reading thread in input order; `--base`, a master that must be clean.

use std::path::Path;

use super::check::{Checked, KEY_COLUMN, Problem, RowChecker, Table, Texts};
use crate::console::Progress;
use crate::domain::duplicates::{Groups, KeyIndex, repeated_keys};
use crate::error::{Error, FieldError, Loc, Result};
use crate::io::{CsvInput, InputEncoding, OutputSpec, RowStore, for_each_batch, worker_count};
use crate::layout::INSURED;

/// Reads every row of `input` into `store` and `texts`, checked by `checkers` (one per worker
/// thread). Returns the rows in input order and the characters replaced by 〓.
pub fn read_all(
    input: &mut CsvInput,
    checkers: Vec<RowChecker>,
    (store, texts): (&mut RowStore, &mut Texts),
    progress: &Progress,
    expected_rows: usize,
) -> Result<(Vec<Checked>, u64)> {
    let crlf = store.crlf();
    let mut rows: Vec<Checked> = Vec::with_capacity(expected_rows.max(1 << 12));
    let checkers = for_each_batch(
        input,
        checkers,
        |checker, ctx, chunk| {
            let mut part = RowStore::new(crlf, chunk.bytes.len() + chunk.bytes.len() / 8);
            let mut part_texts = String::with_capacity(chunk.bytes.len() / 2);
            let mut checked = Vec::with_capacity(chunk.bytes.len() / 100);
            ctx.parse_chunk(chunk, |row| {
                checked.push(checker.check(&row, &mut part, &mut part_texts)?);
                Ok(())
            })?;
            Ok((checked, part, part_texts))
        },
        |(checked, part, part_texts)| {
            let offset = store.append(part);
            let text_part = texts.append(part_texts);
            rows.extend(checked.into_iter().map(|mut c| {
                c.row = c.row.moved(offset);
                c.text = c.text.moved(text_part);
                c
            }));
            progress.tick_to(rows.len() as u64);
            Ok(())
        },
    )?;
    Ok((rows, checkers.iter().map(|c| c.out.replaced).sum()))
}

/// Duplicate kind 1: every row of a key seen more than once gets E201 (all are withheld);
/// returns the groups, in the order of their first rows.
pub fn withhold_repeated(rows: &mut [Checked], texts: &Texts) -> Groups<usize> {
    let groups = repeated_keys(&Table { rows, texts }, worker_count());
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
/// Returns its rows, their key index and how many characters were replaced by 〓.
pub fn read_base(
    path: &Path,
    requested: InputEncoding,
    spec: &OutputSpec,
    tables: (&mut RowStore, &mut Texts),
    progress: &Progress,
) -> Result<(Vec<Checked>, KeyIndex, u64)> {
    let mut input = CsvInput::open(Some(path), requested, &INSURED, None)?;
    input.decodes_mapped();
    let in_enc = input.encoding();
    let workers = (0..worker_count()).map(|_| RowChecker::new(&INSURED, in_enc, spec, None, false)).collect();
    let (store, texts) = tables;
    let (mut rows, replaced) =
        read_all(&mut input, workers, (store, &mut *texts), progress, expected_rows(Some(path)))?;
    withhold_repeated(&mut rows, texts);
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
    let index = KeyIndex::of(&Table { rows: &rows, texts });
    Ok((rows, index, replaced))
}
