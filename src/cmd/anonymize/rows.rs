//! One file anonymized: rows through the worker pipeline, each person's IDs computed once per
//! run of rows, kept columns copied as raw bytes where the encodings agree.

use std::borrow::Cow;
use std::io::Write;

use sha2::{Digest, Sha256};

use super::ids::Hasher;
use super::rules::{Out, Plan};
use super::{BirthMode, Cli};
use crate::cmd::shared::code_at;
use crate::console::Progress;
use crate::domain::person::identity_kana;
use crate::domain::{InsurerNumber, parse_date};
use crate::error::{Error, FieldError, Loc, Result};
use crate::io::encoding::UTF8_BOM;
use crate::io::{CsvInput, Encoding, Row, RowStore, TextEncoder, for_each_batch, text_row, worker_count};

/// Per-worker state: the last person's IDs (result files hold many rows per person in a row),
/// scratch buffers.
struct Worker {
    hasher: Hasher,
    encoder: TextEncoder,
    last1: (Vec<u8>, [u8; 64]),
    last2: (Vec<u8>, [u8; 64]),
    key: Vec<u8>,
    bytes: Vec<u8>,
}

impl Worker {
    fn new(hasher: Hasher, out_enc: Encoding, replace: bool) -> Worker {
        Worker {
            hasher,
            encoder: TextEncoder::new(out_enc, replace),
            last1: (Vec::new(), [0; 64]),
            last2: (Vec::new(), [0; 64]),
            key: Vec::new(),
            bytes: Vec::new(),
        }
    }
}

/// The raw bytes of `cols` joined by U+001F's byte, to recognise the same person as the
/// previous row without normalizing again.
fn raw_key(row: &Row<'_>, cols: &[Option<usize>], out: &mut Vec<u8>) {
    out.clear();
    for c in cols {
        out.extend_from_slice(c.map_or(&b""[..], |c| row.raw_at(c)));
        out.push(0x1F);
    }
}

fn bad(row: &Row<'_>, col: usize, e: FieldError) -> Error {
    Error::InvalidValue { loc: row.loc_at(col), code: e.code(), message: e.message() }
}

/// 生年月日 as a date (any form SPEC accepts).
fn birth_date(row: &Row<'_>, col: usize) -> Result<jiff::civil::Date> {
    let text = code_at(row, col)?;
    if text.is_empty() {
        return Err(bad(row, col, FieldError::Required));
    }
    parse_date(&text).map_err(|e| bad(row, col, e))
}

/// Anonymizes one row into `store`.
fn anonymize_row(w: &mut Worker, plan: &Plan, row: &Row<'_>, store: &mut RowStore) -> Result<()> {
    // ID1: the same raw key as the previous row gives the same ID
    raw_key(row, &plan.id1, &mut w.key);
    if w.key != w.last1.0 {
        let [insurer, kigo, bango, edaban] = plan.id1;
        let insurer = insurer.unwrap_or(0);
        let ins = code_at(row, insurer)?;
        InsurerNumber::check(&ins).map_err(|e| bad(row, insurer, e))?;
        let bango_col = bango.unwrap_or(0);
        let number = code_at(row, bango_col)?;
        if number.is_empty() {
            return Err(bad(row, bango_col, FieldError::Required));
        }
        let opt = |c: Option<usize>| c.map_or(Ok(Cow::Borrowed("")), |c| code_at(row, c));
        let padded = format!("{ins:0>8}");
        w.hasher.id(&[&padded, &opt(kigo)?, &number, &opt(edaban)?], &mut w.last1.1);
        w.last1.0.clone_from(&w.key);
    }
    if let Some([kana, birth, sex]) = plan.id2 {
        raw_key(row, &[Some(kana), Some(birth), Some(sex)], &mut w.key);
        if w.key != w.last2.0 {
            let name = identity_kana(&code_at(row, kana)?);
            if name.is_empty() {
                return Err(bad(row, kana, FieldError::Required));
            }
            let born = birth_date(row, birth)?;
            let sex_text = code_at(row, sex)?;
            if !matches!(sex_text.as_ref(), "1" | "2") {
                let e = if sex_text.is_empty() { FieldError::Required } else { FieldError::Code };
                return Err(bad(row, sex, e));
            }
            let ymd = born.strftime("%Y%m%d").to_string();
            w.hasher.id(&[&name, &ymd, &sex_text], &mut w.last2.1);
            w.last2.0.clone_from(&w.key);
        }
    }
    store.field(&w.last1.1);
    if plan.id2.is_some() {
        store.field(&w.last2.1);
    }
    let in_enc = row.encoding();
    for out in &plan.out {
        match *out {
            Out::Column(c) if in_enc.same_bytes_as(w.encoder.encoding) => store.field(row.raw_at(c)),
            Out::Column(c) => {
                let text = row.text_at(c)?;
                w.bytes.clear();
                let enc = w.encoder.encoding;
                w.encoder.encode(&text, &mut w.bytes).map_err(|u| u.error(row.loc_at(c), enc))?;
                store.field(&w.bytes);
            }
            Out::Birth(c) => {
                if code_at(row, c)?.is_empty() {
                    store.field(b"");
                } else {
                    let born = birth_date(row, c)?;
                    let cut = match plan.birth {
                        BirthMode::Year => born.strftime("%Y").to_string(),
                        _ => born.strftime("%Y%m").to_string(),
                    };
                    store.field(cut.as_bytes());
                }
            }
        }
    }
    store.end_row();
    Ok(())
}

/// One file anonymized into `sink`: the data rows written and, when asked for, the SHA-256 of
/// every byte written (one thread hashes the whole stream: only `--zip` needs it).
pub struct Written {
    pub rows: u64,
    pub sha256: Option<[u8; 32]>,
    pub in_enc: Encoding,
    pub out_enc: Encoding,
    pub replaced: u64,
}

pub fn anonymize_file(
    input: &mut CsvInput,
    cli: &Cli,
    hasher: &Hasher,
    sink: &mut dyn Write,
    sink_name: &str,
    progress: &Progress,
    digest: bool,
) -> Result<Written> {
    let plan = Plan::new(input.name(), input.header(), cli)?;
    let in_enc = input.encoding();
    let spec = cli.output.spec(in_enc)?;
    let (out_enc, crlf) = (spec.encoding, spec.crlf);
    let mut digest = digest.then(Sha256::new);
    let mut write = |bytes: &[u8]| -> Result<()> {
        if let Some(d) = &mut digest {
            d.update(bytes);
        }
        sink.write_all(bytes).map_err(|e| Error::io(sink_name, e))
    };
    if out_enc == Encoding::Utf8Bom {
        write(UTF8_BOM)?;
    }
    let mut head = RowStore::new(crlf, 256);
    let loc = Loc::line(input.name().to_string(), 1);
    text_row(&mut head, &mut TextEncoder::new(out_enc, false), &plan.header, &loc)?;
    for s in head.slices() {
        write(s)?;
    }
    let mut rows = 0u64;
    let workers = (0..worker_count()).map(|_| Worker::new(hasher.clone(), out_enc, cli.output.replace_unmappable));
    let workers = for_each_batch(
        input,
        workers.collect(),
        |w, ctx, chunk| {
            let mut store = RowStore::new(crlf, chunk.bytes.len() + chunk.bytes.len() / 2);
            let mut n = 0u64;
            ctx.parse_chunk(chunk, |row| {
                n += 1;
                anonymize_row(w, &plan, &row, &mut store)
            })?;
            Ok((n, store))
        },
        |(n, store): (u64, RowStore)| {
            rows += n;
            for s in store.slices() {
                write(s)?;
            }
            progress.tick_to(rows);
            Ok(())
        },
    )?;
    let replaced = workers.iter().map(|w| w.encoder.replaced).sum();
    Ok(Written { rows, sha256: digest.map(|d| d.finalize().into()), in_enc, out_enc, replaced })
}
