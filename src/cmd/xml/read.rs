//! `read`: hc08 documents → the canonical results CSV. Files are read in batches (an archive
//! entry by entry), parsed and turned into CSV bytes on the worker threads, and written in input
//! order; findings and headers are written as they come, so memory stays flat however large the
//! archive.

use super::hc08::{self, FileKind};
use super::sources::each_xml;
use super::{ReadArgs, TOOL};
use crate::cmd::shared::check_outputs;
use crate::console::{Console, Tally, thousands};
use crate::error::{Error, Loc, Result};
use crate::io::{CsvOut, Encoding, OutputSpec, RecordBuf, worker_count};
use crate::layout::{RESULTS, XML_FINDINGS, XML_GUIDANCE, XML_HEADERS};

/// What one file gives: its rows as CSV bytes in the output's encoding, per output.
#[derive(Default)]
struct Converted {
    checkup: bool,
    rows: u64,
    findings: u64,
    results: Vec<u8>,
    headers: Vec<u8>,
    errors: Vec<u8>,
    guidance: Vec<u8>,
    guidance_rows: u64,
    replaced: u64,
}

/// Files handed to the workers at a time, per worker.
const BATCH: usize = 64;

pub fn read(a: &ReadArgs) -> Result<u8> {
    let console = Console { tool: TOOL, quiet: a.run.quiet };
    check_outputs(&[
        a.output.output.as_deref(),
        a.errors.as_deref(),
        a.headers.as_deref(),
        a.guidance.as_deref(),
        a.run.summary_json.as_deref(),
    ])?;
    let spec = a.output.spec(Encoding::Utf8)?;
    let mut out = CsvOut::create(&spec)?;
    out.write_header(&RESULTS.names().collect::<Vec<_>>())?;
    let mut headers = side(a.headers.as_deref(), &spec, &XML_HEADERS)?;
    let mut guidance = side(a.guidance.as_deref(), &spec, &XML_GUIDANCE)?;
    let mut errors = side(a.errors.as_deref(), &spec, &XML_FINDINGS)?;
    let mut total = Converted::default();
    let (mut checkups, mut files) = (0u64, 0u64);
    let mut pending: Vec<(String, Vec<u8>)> = Vec::new();
    let workers = worker_count().max(1);
    let mut flush = |pending: &mut Vec<(String, Vec<u8>)>| -> Result<()> {
        let done: Vec<Result<Converted>> = std::thread::scope(|s| {
            let handles: Vec<_> = pending
                .chunks(BATCH)
                .map(|files| {
                    s.spawn(|| files.iter().map(|(name, bytes)| convert(name, bytes, &spec)).collect::<Vec<_>>())
                })
                .collect();
            handles.into_iter().flat_map(|h| h.join().expect("a reading worker panicked")).collect()
        });
        pending.clear();
        for c in done {
            let c = c?;
            files += 1;
            checkups += u64::from(c.checkup);
            out.write_raw(&c.results)?;
            if let Some(h) = headers.as_mut() {
                h.write_raw(&c.headers)?;
            }
            if let Some(e) = errors.as_mut() {
                e.write_raw(&c.errors)?;
            }
            if let Some(g) = guidance.as_mut() {
                g.write_raw(&c.guidance)?;
            }
            total.guidance_rows += c.guidance_rows;
            total.rows += c.rows;
            total.findings += c.findings;
            total.replaced += c.replaced;
        }
        Ok(())
    };
    each_xml(&a.inputs, |name, bytes| {
        pending.push((name.to_string(), bytes.to_vec()));
        if pending.len() >= BATCH * workers { flush(&mut pending) } else { Ok(()) }
    })?;
    flush(&mut pending)?;
    let mut replaced = total.replaced;
    for o in [errors, headers, guidance].into_iter().flatten() {
        replaced += o.finish()?;
    }
    replaced += out.finish()?;
    let mut tally = Tally::new(TOOL, "read", Encoding::Utf8, spec.encoding);
    tally.rows_in = total.rows;
    tally.rows_out = total.rows;
    tally.findings = total.findings;
    tally.replaced = replaced;
    tally
        .set("files", files)
        .set("checkups", checkups)
        .set("other_files", files - checkups)
        .set("guidance_rows", total.guidance_rows);
    let line = closing_line(files, checkups, &total);
    let code = u8::from(a.run.strict && total.findings > 0);
    tally.finish(&console, line, a.run.summary_json.as_deref(), code)
}

/// A side output with its header, when asked for.
fn side(path: Option<&std::path::Path>, spec: &OutputSpec, header: &[&str]) -> Result<Option<CsvOut>> {
    let Some(path) = path else { return Ok(None) };
    let mut out = CsvOut::create(&spec.to(path))?;
    out.write_header(header)?;
    Ok(Some(out))
}

fn closing_line(files: u64, checkups: u64, total: &Converted) -> String {
    format!(
        "XML {} ファイル (特定健診 {} 件、その他 {} 件) → 結果 {} 行、保健指導 {} 行; 指摘 {} 件",
        thousands(files),
        thousands(checkups),
        thousands(files - checkups),
        thousands(total.rows),
        thousands(total.guidance_rows),
        thousands(total.findings)
    )
}

/// One file: parsed, recognised by its content, and an hc08 document turned into rows.
fn convert(name: &str, bytes: &[u8], spec: &OutputSpec) -> Result<Converted> {
    let text = super::sources::text(name, bytes)?;
    let doc = hc08::parse(name, text)?;
    let mut c = Converted::default();
    match hc08::kind_of(&doc) {
        Some(FileKind::Checkup) => {}
        Some(FileKind::Guidance) => {
            let mut buf = RecordBuf::new(spec);
            for row in super::hg08::rows(&doc) {
                buf.push(&row, |i| Loc::cell(name, 0, XML_GUIDANCE[i]))?;
                c.guidance_rows += 1;
            }
            (c.guidance, c.replaced) = buf.finish()?;
            return Ok(c);
        }
        Some(_) => return Ok(c),
        None => {
            let root = doc.root_element();
            return Err(Error::XmlRoot {
                loc: Loc::line(name, u64::from(doc.text_pos_at(root.range().start).row)),
                found: root.tag_name().name().to_string(),
            });
        }
    }
    let checkup = hc08::read(name, &doc)?;
    let (mut results, mut headers, mut errors) = (RecordBuf::new(spec), RecordBuf::new(spec), RecordBuf::new(spec));
    let p = &checkup.person;
    for o in &checkup.observations {
        let fields: Vec<&str> =
            p.iter().map(String::as_str).chain([&o.code, &o.name, &o.value, &o.unit].map(String::as_str)).collect();
        results.push(&fields, |i| Loc::cell(name, 0, RESULTS.fields[i].name))?;
    }
    let keys = [&p[0], &p[1], &p[2], &p[3], &p[4], &p[8]].map(String::as_str);
    let line = doc.text_pos_at(doc.root_element().range().start).row.to_string();
    let fields: Vec<&str> =
        keys.into_iter().chain(checkup.header.iter().map(String::as_str)).chain([name, line.as_str()]).collect();
    headers.push(&fields, |i| Loc::cell(name, 0, XML_HEADERS[i]))?;
    for f in &checkup.findings {
        let fields = f.fields();
        let fields: Vec<&str> = fields.iter().map(String::as_str).collect();
        errors.push(&fields, |i| Loc::cell(name, f.line, XML_FINDINGS[i]))?;
    }
    let mut replaced = 0;
    for (buf, bytes) in [(results, &mut c.results), (headers, &mut c.headers), (errors, &mut c.errors)] {
        let (b, r) = buf.finish()?;
        *bytes = b;
        replaced += r;
    }
    c.checkup = true;
    c.rows = checkup.observations.len() as u64;
    c.findings = checkup.findings.len() as u64;
    c.replaced = replaced;
    Ok(c)
}
