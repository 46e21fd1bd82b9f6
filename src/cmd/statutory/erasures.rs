//! `erasures`: 抹消者リスト, one row per result record (person × ticket × 受診日) that must not be
//! in the report, and `--kept`, the rows that stay, as read.

use std::path::Path;

use jiff::civil::Date;
use rustc_hash::FxHashMap;

use super::year::{Counts, Year, master_person, tally};
use super::{ErasuresArgs, TOOL};
use crate::cmd::shared::reference::{date_field, person_key};
use crate::cmd::shared::{check_outputs, code_text, read_rows};
use crate::console::{Console, Progress, thousands};
use crate::domain::statutory::Reason;
use crate::domain::{FiscalYear, PersonKey, format_date};
use crate::error::{Error, Loc, Result};
use crate::io::{CsvInput, CsvOut, Encoding, RowStore, Sink, TextEncoder, for_each_batch};
use crate::io::{encoding::UTF8_BOM, text_row, worker_count};
use crate::layout::{ERASURES, INSURED, RESULT_RECORDS};

/// A result record on the erasure list: person × ticket × 受診日.
struct Erased {
    line: u64,
    /// 受診券整理番号 … 受診日, as the list shows them.
    shown: [String; 6],
    rows: u64,
    reason: Reason,
}

pub fn erasures(a: &ErasuresArgs) -> Result<u8> {
    let console = Console { tool: TOOL, quiet: a.run.quiet };
    check_outputs(&[a.output.output.as_deref(), a.kept.as_deref(), a.run.summary_json.as_deref()])?;
    let year = Year::load(&a.year)?;
    let fy = year.fy;
    // the results' header is checked before the master is read
    let mut input = CsvInput::open(a.input.as_deref(), year.requested, &RESULT_RECORDS, None)?;
    let standing_of = standings(&a.year.master, &year)?;
    let in_enc = input.encoding();
    let spec = a.output.spec(in_enc)?;
    let crlf_in = a.output.crlf_for(in_enc);
    let input_name = input.name().to_string();
    // --kept: the rows not erased, as read (their encoding and the usual line ending)
    let mut kept = a.kept.as_deref().map(|p| kept_sink(p, &input, crlf_in)).transpose()?;
    let progress = Progress::new(&console, a.run.progress, "照合中");
    progress.follow(&mut input, a.input.as_deref());
    let found = sort_records(&mut input, &standing_of, fy, crlf_in, &mut kept, &progress)?;
    progress.finish();
    let Sorted { erased, rows_in, rows_kept, rows_erased } = found;
    if rows_in != rows_kept + rows_erased || erased.iter().map(|e| e.rows).sum::<u64>() != rows_erased {
        return Err(Error::Integrity {
            detail: format!("結果 {rows_in} 行 ≠ 報告 {rows_kept} 行 + 抹消 {rows_erased} 行"),
        });
    }
    let mut out = CsvOut::create(&spec)?;
    out.write_header(&ERASURES)?;
    let mut counts = Counts::new();
    for e in &erased {
        *counts.entry(e.reason.code()).or_default() += 1;
        let row: Vec<String> = std::iter::once(e.line.to_string())
            .chain(e.shown.iter().cloned())
            .chain([e.rows.to_string(), e.reason.code().to_string(), e.reason.message().to_string()])
            .collect();
        out.write_texts(&row, |i| Loc::cell(input_name.clone(), e.line, ERASURES[i]))?;
    }
    let replaced = out.finish()?;
    if let Some(sink) = kept {
        sink.commit()?;
    }
    let line = format!(
        "{fy}年度: 結果 {} 行 = 報告 {} 行 + 抹消 {} 行 (記録 {} 件)",
        thousands(rows_in),
        thousands(rows_kept),
        thousands(rows_erased),
        thousands(erased.len() as u64)
    );
    let exit = u8::from(a.run.strict && !erased.is_empty());
    counts.insert("rows_kept", rows_kept);
    counts.insert("rows_erased", rows_erased);
    let records = erased.len() as u64;
    let mut t = tally("erasures", (in_enc, spec.encoding), (rows_in, records, records), counts);
    t.replaced = replaced;
    t.finish(&console, line, a.run.summary_json.as_deref(), exit)
}

/// Each master person's standing: Ok(()) in the denominator, else the reason.
fn standings(master: &Path, year: &Year) -> Result<FxHashMap<PersonKey, Standing>> {
    let mut standing_of: FxHashMap<PersonKey, Standing> = FxHashMap::default();
    read_rows(
        master,
        year.requested,
        &INSURED,
        |row, _| {
            let p = master_person(row)?;
            let st = year.standing(&p);
            Ok(Some((p.key, st)))
        },
        |(key, st)| {
            // a key twice in a master (not from kk-import) counts if any of its rows does
            let e = standing_of.entry(key).or_insert(st);
            if st.is_ok() {
                *e = st;
            }
        },
    )?;
    Ok(standing_of)
}

type Standing = std::result::Result<(), Reason>;

/// The `--kept` file, started with the results' header in their encoding.
fn kept_sink(path: &Path, input: &CsvInput, crlf: bool) -> Result<Sink> {
    let in_enc = input.encoding();
    let mut sink = Sink::create(Some(path))?;
    let mut head = RowStore::new(crlf, 256);
    let loc = Loc::line(input.name().to_string(), 1);
    text_row(&mut head, &mut TextEncoder::new(in_enc, false), input.header(), &loc)?;
    let name = sink.name();
    if in_enc == Encoding::Utf8Bom {
        std::io::Write::write_all(&mut sink, UTF8_BOM).map_err(|e| Error::io(name.clone(), e))?;
    }
    for s in head.slices() {
        std::io::Write::write_all(&mut sink, s).map_err(|e| Error::io(name.clone(), e))?;
    }
    Ok(sink)
}

/// The result records to erase, grouped, and the counts of rows kept and erased.
struct Sorted {
    erased: Vec<Erased>,
    rows_in: u64,
    rows_kept: u64,
    rows_erased: u64,
}

/// Every result row sorted into kept (written to `kept` as read) or erased (grouped by person ×
/// ticket × 受診日, with its reason).
fn sort_records(
    input: &mut CsvInput,
    standing_of: &FxHashMap<PersonKey, Standing>,
    fy: FiscalYear,
    crlf: bool,
    kept: &mut Option<Sink>,
    progress: &Progress,
) -> Result<Sorted> {
    let keep_rows = kept.is_some();
    let width = input.header().len();
    type Group = (PersonKey, String, Date);
    let mut groups: FxHashMap<Group, usize> = FxHashMap::default();
    let mut sorted = Sorted { erased: Vec::new(), rows_in: 0, rows_kept: 0, rows_erased: 0 };
    let l = &RESULT_RECORDS;
    for_each_batch(
        input,
        (0..worker_count()).map(|_| ()).collect(),
        |_, ctx, chunk| {
            let mut store = RowStore::new(crlf, if keep_rows { chunk.bytes.len() } else { 0 });
            let mut found = Vec::new();
            let mut n = 0u64;
            ctx.parse_chunk(chunk, |row| {
                n += 1;
                let key = person_key(&row, l, "健診結果")?;
                let day = date_field(&row, l, 4, "健診結果")?.unwrap_or_default();
                let reason = match standing_of.get(&key) {
                    None => Some(Reason::NotInMaster),
                    Some(_) if !fy.contains(day) => Some(Reason::OutsideYear),
                    Some(st) => st.err(),
                };
                match reason {
                    Some(reason) => {
                        let text = |field| code_text(&row, l, field).map(|t| t.into_owned());
                        let ticket = text(5)?;
                        let shown = [ticket.clone(), text(0)?, text(1)?, text(2)?, text(3)?, format_date(day)];
                        found.push((row.line, (key, ticket, day), shown, reason));
                    }
                    None if keep_rows => {
                        for i in 0..width {
                            store.field(row.raw_at(i));
                        }
                        store.end_row();
                    }
                    None => {}
                }
                Ok(())
            })?;
            Ok((n, found, store))
        },
        |(n, found, store)| {
            sorted.rows_in += n;
            sorted.rows_erased += found.len() as u64;
            sorted.rows_kept += n - found.len() as u64;
            for (line, group, shown, reason) in found {
                match groups.get(&group) {
                    Some(&i) => sorted.erased[i].rows += 1,
                    None => {
                        groups.insert(group, sorted.erased.len());
                        sorted.erased.push(Erased { line, shown, rows: 1, reason });
                    }
                }
            }
            if let Some(sink) = kept {
                let name = sink.name();
                for s in store.slices() {
                    std::io::Write::write_all(sink, s).map_err(|e| Error::io(name.clone(), e))?;
                }
            }
            progress.tick_to(sorted.rows_in);
            Ok(())
        },
    )?;
    Ok(sorted)
}
