//! `read`: hc08 documents → the canonical results CSV. Files are read in batches (an archive
//! entry by entry), parsed and turned into CSV bytes on the worker threads, and written in input
//! order; findings and headers are written as they come, so memory stays flat however large the
//! archive.

use super::findings::{Finding, XCheck};
use super::hc08::{self, FileKind};
use super::sources::batches_on_thread;
use super::{ReadArgs, TOOL};
use crate::cmd::shared::check_outputs;
use crate::console::{Console, Tally, thousands};
use crate::error::{Error, Loc, Result};
use crate::io::{CsvOut, Encoding, OutputSpec, RecordBuf, worker_count};
use crate::layout::{CLAIMS, RESULTS, XML_CLAIMS_EXTRA, XML_FINDINGS, XML_GUIDANCE, XML_HEADERS};

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
    claims: u64,
    /// an hc08 file's pairing key and 受診日 (when claims are read)
    date: Option<(String, String)>,
    /// a cc08 file's pairing key, name and row, 受診日 still empty
    claim: Option<(String, String, Vec<String>)>,
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
        a.claims.as_deref(),
        a.run.summary_json.as_deref(),
    ])?;
    let spec = a.output.spec(Encoding::Utf8)?;
    let mut out = CsvOut::create(&spec)?;
    out.write_header(&RESULTS.names().collect::<Vec<_>>())?;
    let mut headers = side(a.headers.as_deref(), &spec, &XML_HEADERS)?;
    let mut guidance = side(a.guidance.as_deref(), &spec, &XML_GUIDANCE)?;
    let mut errors = side(a.errors.as_deref(), &spec, &XML_FINDINGS)?;
    let claims_header: Vec<&str> = CLAIMS.names().chain(XML_CLAIMS_EXTRA).collect();
    let mut claims = side(a.claims.as_deref(), &spec, &claims_header)?;
    let mut pairs = Pairs::default();
    let mut total = Converted::default();
    let (mut checkups, mut files) = (0u64, 0u64);
    let workers = worker_count().max(1);
    let want_claims = claims.is_some();
    let flush = |pending: Vec<(String, Vec<u8>)>| -> Result<()> {
        let done: Vec<Result<Converted>> = std::thread::scope(|s| {
            let handles: Vec<_> = pending
                .chunks(BATCH)
                .map(|files| {
                    s.spawn(|| {
                        files.iter().map(|(name, bytes)| convert(name, bytes, &spec, want_claims)).collect::<Vec<_>>()
                    })
                })
                .collect();
            handles.into_iter().flat_map(|h| h.join().expect("a reading worker panicked")).collect()
        });
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
            if let Some(out) = claims.as_mut() {
                for (name, row) in pairs.add(c.date, c.claim) {
                    out.write_texts(&row, |i| Loc::cell(&name, 0, claims_header[i]))?;
                    total.claims += 1;
                }
            }
            total.guidance_rows += c.guidance_rows;
            total.rows += c.rows;
            total.findings += c.findings;
            total.replaced += c.replaced;
        }
        Ok(())
    };
    batches_on_thread(&a.inputs, BATCH * workers, flush)?;
    if let Some(out) = claims.as_mut() {
        unpaired(&mut pairs, out, errors.as_mut(), &claims_header, &mut total)?;
    }
    let mut replaced = total.replaced;
    for o in [errors, headers, guidance, claims].into_iter().flatten() {
        replaced += o.finish()?;
    }
    replaced += out.finish()?;
    let counts = Counts { files, checkups, replaced };
    close(a, &console, spec.encoding, &counts, &total)
}

/// Files read, hc08 files among them, characters replaced by 〓.
struct Counts {
    files: u64,
    checkups: u64,
    replaced: u64,
}

/// The closing line, the summary JSON and the exit code.
fn close(a: &ReadArgs, console: &Console, enc: Encoding, n: &Counts, total: &Converted) -> Result<u8> {
    let mut tally = Tally::new(TOOL, "read", Encoding::Utf8, enc);
    tally.rows_in = total.rows;
    tally.rows_out = total.rows;
    tally.findings = total.findings;
    tally.replaced = n.replaced;
    tally
        .set("files", n.files)
        .set("checkups", n.checkups)
        .set("other_files", n.files - n.checkups)
        .set("guidance_rows", total.guidance_rows)
        .set("claims", total.claims);
    let line = closing_line(n.files, n.checkups, total);
    let code = u8::from(a.run.strict && total.findings > 0);
    tally.finish(console, line, a.run.summary_json.as_deref(), code)
}

/// The claims whose DATA file never came: written with an empty 受診日, listed as warnings.
fn unpaired(
    pairs: &mut Pairs,
    out: &mut CsvOut,
    mut errors: Option<&mut CsvOut>,
    header: &[&str],
    total: &mut Converted,
) -> Result<()> {
    for (name, row) in pairs.unpaired() {
        let f = Finding::new(&name, 0, "", XCheck::Unpaired, &row[3]).warning();
        if let Some(e) = errors.as_deref_mut() {
            e.write_texts(&f.fields(), |i| Loc::cell(&name, 0, XML_FINDINGS[i]))?;
        }
        out.write_texts(&row, |i| Loc::cell(&name, 0, header[i]))?;
        total.claims += 1;
        total.findings += 1;
    }
    Ok(())
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
        "XML {} ファイル (特定健診 {} 件、その他 {} 件) → 結果 {} 行、保健指導 {} 行、請求 {} 件; 指摘 {} 件",
        thousands(files),
        thousands(checkups),
        thousands(files - checkups),
        thousands(total.rows),
        thousands(total.guidance_rows),
        thousands(total.claims),
        thousands(total.findings)
    )
}

/// One file: parsed, recognised by its content, and an hc08 document turned into rows.
fn convert(name: &str, bytes: &[u8], spec: &OutputSpec, want_claims: bool) -> Result<Converted> {
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
        Some(FileKind::Claim) if want_claims && doc.root_element().tag_name().name() == "checkupClaim" => {
            c.claim = Some((pair_key(name), name.to_string(), super::claims::row(&doc)));
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
    let fields: Vec<&str> = keys.into_iter().chain(checkup.header.iter().map(String::as_str)).collect();
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
    if want_claims {
        c.date = Some((pair_key(name), p[8].clone()));
    }
    c.rows = checkup.observations.len() as u64;
    c.findings = checkup.findings.len() as u64;
    c.replaced = replaced;
    Ok(c)
}

/// The key a DATA file and its CLAIMS partner share: the archive folder and the file name without
/// its one-letter prefix (`…/DATA/h123.xml` and `…/CLAIMS/c123.xml`).
fn pair_key(name: &str) -> String {
    let (dir, file) = name.rsplit_once('/').unwrap_or(("", name));
    let cut = dir.rfind(['/', ':']);
    let last = cut.map_or(dir, |i| &dir[i + 1..]);
    let dir = if matches!(last, "DATA" | "CLAIMS") { cut.map_or("", |i| &dir[..i]) } else { dir };
    let stem = file.get(1..).unwrap_or("");
    format!("{dir}/{stem}")
}

/// Claims waiting for the 受診日 of their DATA file, and dates waiting for their claim: with the
/// files in pairs (as `write` lays them out) both stay small.
#[derive(Default)]
struct Pairs {
    dates: rustc_hash::FxHashMap<String, String>,
    /// (the file's name, its row)
    claims: Vec<(String, Vec<String>)>,
    waiting: rustc_hash::FxHashMap<String, usize>,
}

impl Pairs {
    /// What one file adds; the claims that can now be written (the file's name, its row).
    fn add(
        &mut self,
        date: Option<(String, String)>,
        claim: Option<(String, String, Vec<String>)>,
    ) -> Vec<(String, Vec<String>)> {
        let mut ready = Vec::new();
        if let Some((key, date)) = date {
            match self.waiting.remove(&key) {
                Some(i) => {
                    let (name, mut row) = std::mem::take(&mut self.claims[i]);
                    row[super::claims::col::DATE] = date;
                    ready.push((name, row));
                }
                None => {
                    self.dates.insert(key, date);
                }
            }
        }
        if let Some((key, name, mut row)) = claim {
            match self.dates.remove(&key) {
                Some(date) => {
                    row[super::claims::col::DATE] = date;
                    ready.push((name, row));
                }
                None => {
                    self.waiting.insert(key, self.claims.len());
                    self.claims.push((name, row));
                }
            }
        }
        if self.waiting.is_empty() {
            self.claims.clear();
        }
        ready
    }

    /// The claims no DATA file paired with (the file's name, its row), in input order.
    fn unpaired(&mut self) -> Vec<(String, Vec<String>)> {
        let mut left: Vec<usize> = self.waiting.values().copied().collect();
        left.sort_unstable();
        left.into_iter().map(|i| std::mem::take(&mut self.claims[i])).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::pair_key;

    #[test]
    fn a_data_file_and_its_claim_share_a_key() {
        assert_eq!(pair_key("in/a.zip:root/DATA/h01.xml"), pair_key("in/a.zip:root/CLAIMS/c01.xml"));
        assert_eq!(pair_key("in/a.zip:DATA/h01.xml"), pair_key("in/a.zip:CLAIMS/c01.xml"));
        assert_ne!(pair_key("in/a.zip:DATA/h01.xml"), pair_key("in/b.zip:CLAIMS/c01.xml"));
        assert_ne!(pair_key("in/a.zip:r/DATA/h01.xml"), pair_key("in/a.zip:r/CLAIMS/c02.xml"));
    }
}
