//! Reading helpers the tools share: code fields as normalized text, reference files read on the
//! worker pipeline, and the error for a bad value in a reference file.

use std::borrow::Cow;
use std::path::Path;

use crate::domain::text::{normalize_code, trim};
use crate::error::{Error, FieldError, Result};
use crate::io::{CsvInput, InputEncoding, Row, for_each_batch, worker_count};
use crate::layout::Layout;

/// A code field of a row as text: normalized, borrowed from the row where nothing changes.
pub fn code_text<'r>(row: &'r Row<'_>, l: &Layout, field: usize) -> Result<Cow<'r, str>> {
    // ASCII is normal but for blanks at either end (normalize_code's own first case)
    if let Some(text) = row.ascii_text(field) {
        return Ok(Cow::Borrowed(trim(text)));
    }
    Ok(normalized(row.text(field, l)?))
}

/// [`code_text`] for the file's column `col` (a file read by its header, not a layout).
pub fn code_at<'r>(row: &'r Row<'_>, col: usize) -> Result<Cow<'r, str>> {
    Ok(normalized(row.text_at(col)?))
}

/// Decoded text as a code: NFKC and trimmed, still borrowed when nothing changes.
fn normalized(text: Cow<'_, str>) -> Cow<'_, str> {
    match text {
        Cow::Borrowed(b) => normalize_code(b),
        Cow::Owned(o) => Cow::Owned(normalize_code(&o).into_owned()),
    }
}

/// E012: a bad value in a reference file (`what` names the file's kind).
pub fn reference_error(row: &Row<'_>, l: &Layout, field: usize, what: &'static str, e: FieldError) -> Error {
    Error::InvalidReference { loc: row.loc(l.fields[field].name), what, code: e.code(), message: e.message() }
}

/// Reads a reference file on the worker pipeline: `each` turns a row into an item, or skips it
/// (None), or stops everything (a bad value in a reference file is fatal); `keep` receives the
/// items in file order on the reading thread while workers parse the next chunks.
pub fn read_rows<T: Send>(
    path: &Path,
    requested: InputEncoding,
    l: &'static Layout,
    each: impl Fn(&Row<'_>, &mut String) -> Result<Option<T>> + Sync,
    keep: impl FnMut(T),
) -> Result<()> {
    read_input(&mut CsvInput::open(Some(path), requested, l, None)?, each, keep)
}

/// [`read_rows`] on an input already open (stdin, or a file opened with a `--layout`).
pub fn read_input<T: Send>(
    input: &mut CsvInput,
    each: impl Fn(&Row<'_>, &mut String) -> Result<Option<T>> + Sync,
    mut keep: impl FnMut(T),
) -> Result<()> {
    for_each_batch(
        input,
        (0..worker_count()).map(|_| String::new()).collect(),
        |scratch, ctx, chunk| {
            let mut items = Vec::new();
            ctx.parse_chunk(chunk, |row| {
                items.extend(each(&row, scratch)?);
                Ok(())
            })?;
            Ok(items)
        },
        |items: Vec<T>| {
            items.into_iter().for_each(&mut keep);
            Ok(())
        },
    )?;
    Ok(())
}
