//! `reconcile`: 受領済リスト, what was sent (MANIFEST.csv) against what the recipient reports.

use std::collections::BTreeMap;

use super::year::{Counts, tally};
use super::{ReconcileArgs, TOOL};
use crate::cmd::shared::{check_outputs, code_text, read_input, read_rows, reference_error};
use crate::console::Console;
use crate::domain::{format_date, parse_count, parse_date};
use crate::error::{FieldError, Loc, Result};
use crate::io::{CsvInput, CsvOut, InputEncoding, Row};
use crate::layout::{MANIFEST, RECEIPT, RECONCILE_LIST};

crate::codes! {
    /// What became of a sent file (受領 has no code).
    pub enum Verdict {
        Returned = "S201", "返戻";
        NotArrived = "S202", "未着";
        CountDiffers = "S203", "件数相違";
        NotSent = "S204", "送付記録にないファイルの受領";
    }
}

/// One file the recipient reported on.
struct Received {
    /// the receipt's line
    line: u64,
    count: u64,
    date: String,
    result: u8,
    reason: String,
}

pub fn reconcile(a: &ReconcileArgs) -> Result<u8> {
    let console = Console { tool: TOOL, quiet: a.run.quiet };
    check_outputs(&[a.output.output.as_deref(), a.run.summary_json.as_deref()])?;
    let requested = a.encoding.resolve()?;
    let mut input = CsvInput::open(Some(&a.manifest), requested, &MANIFEST, None)?;
    let manifest_enc = input.encoding();
    // (name, count, line)
    let mut sent: Vec<(String, u64, u64)> = Vec::new();
    read_input(
        &mut input,
        |row, _| {
            let name = row.text(0, &MANIFEST)?.trim().to_string();
            if name.is_empty() {
                return Err(reference_error(row, &MANIFEST, 0, "送付ファイル一覧", FieldError::Required));
            }
            Ok(Some((name, count(row, &MANIFEST, 1, "送付ファイル一覧")?, row.line)))
        },
        |item| sent.push(item),
    )?;
    drop(input);
    let (received, order) = read_receipt(&a.receipt, requested)?;
    // each row, with the manifest's line of the file when it was sent
    let mut rows: Vec<([String; 7], Option<u64>, Option<u64>)> = Vec::new();
    let mut counts = Counts::new();
    for (name, n, line) in &sent {
        let r = received.get(name);
        rows.push((verdict_row(&mut counts, name, Some(*n), r), Some(*line), r.map(|r| r.line)));
    }
    for name in order.iter().filter(|n| !sent.iter().any(|(s, _, _)| s == *n)) {
        let r = received.get(name);
        rows.push((verdict_row(&mut counts, name, None, r), None, r.map(|r| r.line)));
    }
    let problems = rows.iter().filter(|r| !r.0[4].is_empty()).count() as u64;
    let spec = a.output.spec(manifest_enc)?;
    let mut out = CsvOut::create(&spec)?;
    out.write_header(&RECONCILE_LIST)?;
    let (manifest, receipt) = (a.manifest.display().to_string(), a.receipt.display().to_string());
    for (row, sent_line, received_line) in &rows {
        // a character the output cannot hold is named where it was read
        out.write_texts(row, |i| match (i, sent_line, received_line) {
            (6, _, Some(l)) => Loc::cell(&receipt, *l, "返戻理由"),
            (_, Some(l), _) => Loc::cell(&manifest, *l, "ファイル名"),
            (_, None, Some(l)) => Loc::cell(&receipt, *l, "ファイル名"),
            _ => Loc::file(&manifest),
        })?;
    }
    let replaced = out.finish()?;
    let get = |k: &str| counts.get(k).copied().unwrap_or(0);
    let line = format!(
        "送付 {} ファイル: 受領 {} / 返戻 {} / 未着 {} / 件数相違 {} / 送付記録なし {}",
        sent.len(),
        get("received"),
        get(Verdict::Returned.code()),
        get(Verdict::NotArrived.code()),
        get(Verdict::CountDiffers.code()),
        get(Verdict::NotSent.code()),
    );
    let exit = u8::from(a.run.strict && problems > 0);
    let n = rows.len() as u64;
    let mut t = tally("reconcile", (manifest_enc, spec.encoding), (sent.len() as u64, n, problems), counts);
    t.replaced = replaced;
    t.finish(&console, line, a.run.summary_json.as_deref(), exit)
}

/// A 件数 column of a reference file.
fn count(row: &Row<'_>, l: &'static crate::layout::Layout, field: usize, what: &'static str) -> Result<u64> {
    let text = code_text(row, l, field)?;
    parse_count(&text).map(u64::from).map_err(|e| reference_error(row, l, field, what, e))
}

/// The receipt: the latest line about each file, and the files in the order first seen.
fn read_receipt(path: &std::path::Path, requested: InputEncoding) -> Result<(BTreeMap<String, Received>, Vec<String>)> {
    let mut received: BTreeMap<String, Received> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    read_rows(
        path,
        requested,
        &RECEIPT,
        |row, _| {
            let what = "受領結果";
            let name = row.text(0, &RECEIPT)?.trim().to_string();
            if name.is_empty() {
                return Err(reference_error(row, &RECEIPT, 0, what, FieldError::Required));
            }
            let result = match code_text(row, &RECEIPT, 3)?.as_ref() {
                "1" => 1,
                "2" => 2,
                "" => return Err(reference_error(row, &RECEIPT, 3, what, FieldError::Required)),
                _ => return Err(reference_error(row, &RECEIPT, 3, what, FieldError::Code)),
            };
            let date = code_text(row, &RECEIPT, 2)?;
            let date = if date.is_empty() {
                String::new()
            } else {
                format_date(parse_date(&date).map_err(|e| reference_error(row, &RECEIPT, 2, what, e))?)
            };
            let reason = row.text(4, &RECEIPT)?.trim().to_string();
            Ok(Some((name, Received { line: row.line, count: count(row, &RECEIPT, 1, what)?, date, result, reason })))
        },
        |(name, r)| {
            // the latest line about a file counts (a file returned, sent again, received)
            if received.insert(name.clone(), r).is_none() {
                order.push(name);
            }
        },
    )?;
    Ok((received, order))
}

/// One file's row of the list, counted by its verdict.
fn verdict_row(counts: &mut Counts, name: &str, sent: Option<u64>, r: Option<&Received>) -> [String; 7] {
    let verdict = match (sent, r) {
        (Some(_), None) => Some(Verdict::NotArrived),
        (None, Some(_)) => Some(Verdict::NotSent),
        (Some(_), Some(r)) if r.result == 2 => Some(Verdict::Returned),
        (Some(n), Some(r)) if n != r.count => Some(Verdict::CountDiffers),
        _ => None,
    };
    *counts.entry(verdict.map_or("received", Verdict::code)).or_default() += 1;
    [
        name.to_string(),
        sent.map(|n| n.to_string()).unwrap_or_default(),
        r.map(|r| r.count.to_string()).unwrap_or_default(),
        r.map(|r| r.date.clone()).unwrap_or_default(),
        verdict.map(Verdict::code).unwrap_or_default().to_string(),
        verdict.map_or("受領", Verdict::message).to_string(),
        r.map(|r| r.reason.clone()).unwrap_or_default(),
    ]
}
