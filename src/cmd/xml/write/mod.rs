//! `write`: the results CSV (with its headers and claims) → one V08 archive
//! `DIR/<提出元10>_<提出先8>_<YYYYMMDD><N>_<実施区分>.zip` holding `DATA/h….xml` one per checkup,
//! `CLAIMS/c….xml` beside each, `ix08_V08.xml`, `su08_V08.xml` (with claims) and the `XSD/`
//! folder. The inputs are read row by row and the files made on the worker threads; the zip is
//! written as it goes, so memory stays flat however many checkups there are. Every entry is
//! dated at 00:00 of `--date`: the same inputs give the same bytes.

mod cc08;
mod cda;
mod elements;
mod inputs;
mod required;

use std::io::Write;

use super::findings::{Finding, XCheck};
use super::hc08::Observation;
use super::{TOOL, WriteArgs};
use crate::cmd::shared::check_outputs;
use crate::console::{Console, Tally, thousands};
use crate::domain::parse_date;
use crate::error::{Error, Loc, Result};
use crate::io::archive::{Seal, ZipOut};
use crate::io::{CsvOut, Encoding, OutputSpec, worker_count};
use crate::layout::XML_FINDINGS;

/// Columns of a headers row ([`crate::layout::XML_HEADERS`]).
pub mod header {
    pub const NAME: usize = 6;
    pub const POSTAL: usize = 7;
    pub const ADDRESS: usize = 8;
    pub const EXPIRY: usize = 9;
    /// 健診機関 (実施機関): 番号, 名称, 郵便番号, 所在地, 電話 from here
    pub const PERFORMER: usize = 10;
    /// 作成機関: the same five from here
    pub const AUTHOR: usize = 15;
    pub const REPORT: usize = 20;
    pub const PROGRAM: usize = 21;
    pub const CREATED: usize = 22;
}

/// One checkup to write: the person columns of its rows (as [`super::hc08::Person`]), its
/// observations in row order, its headers row (empty when there is none) and its claim.
pub struct Unit {
    pub person: [String; 9],
    pub observations: Vec<Observation>,
    pub header: Vec<String>,
    pub claim: Option<Vec<String>>,
    /// the line of its first row in the results file
    pub line: u64,
}

/// What the workers make of one checkup.
struct Made {
    findings: Vec<Finding>,
    rows: u64,
    /// None when refused
    files: Option<(Vec<u8>, Option<Vec<u8>>)>,
    totals: cc08::Totals,
}

/// The archive's settings, checked.
struct Target {
    root: String,
    /// `--date` as a day (the entries' date)
    day: jiff::civil::Date,
    sender: String,
    receiver: String,
    kind: String,
    date: String,
    seq: String,
    interaction: String,
}

fn digits(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| b.is_ascii_digit())
}

fn target(a: &WriteArgs) -> Result<Target> {
    let usage = |option: &'static str, detail: &str| Error::Usage { option, detail: detail.to_string() };
    if !digits(&a.sender, 10) {
        return Err(usage("--sender", "提出元は10桁の機関番号です (例: 1310000019)"));
    }
    if !digits(&a.receiver, 8) {
        return Err(usage("--receiver", "提出先は8桁の番号です (保険者番号・代行機関番号、左を0で埋める)"));
    }
    if a.kind != "1" {
        return Err(usage("--kind", "実施区分 1 (特定健診) だけを書き出せます (特定保健指導 2 はまだありません)"));
    }
    let day = match parse_date(&a.date) {
        Ok(day) if digits(&a.date, 8) => day,
        _ => return Err(usage("--date", "作成日は YYYYMMDD の日付です (例: 20260415)")),
    };
    if a.seq > 9 {
        return Err(usage("--seq", "同じ日の何回目の送付か (0〜9) です"));
    }
    if !(1..=20).contains(&a.interaction) {
        return Err(usage("--interaction", "種別コードは 1〜20 です (1 代行機関へ, 6 機関から保険者へ)"));
    }
    let root = format!("{}_{}_{}{}_{}", a.sender, a.receiver, a.date, a.seq, a.kind);
    Ok(Target {
        root,
        day,
        sender: a.sender.clone(),
        receiver: a.receiver.clone(),
        kind: a.kind.clone(),
        date: a.date.clone(),
        seq: a.seq.to_string(),
        interaction: a.interaction.to_string(),
    })
}

/// Checks one checkup and makes its files.
fn make(mut u: Unit, t: &Target, results_name: &str) -> Result<Made> {
    // the rows read (9N501/9N506 computed below are not input rows)
    let rows = u.observations.len() as u64;
    let mut findings = required::check(&mut u, results_name);
    if u.header.is_empty() {
        findings.push(Finding::new(results_name, u.line, "", XCheck::NoHeader, ""));
    }
    let mut totals = cc08::Totals::default();
    let mut claim_row = u.claim.take();
    let checked = claim_row.as_mut().map(|r| inputs::normalize_claim(r));
    let claim = match (&claim_row, checked) {
        (Some(_), Some(Err(what))) => {
            findings.push(Finding::new(results_name, u.line, "", XCheck::BadClaim, &what));
            None
        }
        (Some(r), _) => match inputs::claim_prices(r) {
            Ok(prices) => {
                let h = |i: usize| u.header.get(i).map_or("", String::as_str);
                let postal = h(header::POSTAL);
                if !crate::domain::person::is_postcode(postal) {
                    findings.push(Finding::new(results_name, u.line, "", XCheck::BadClaim, "郵便番号 (NNN-NNNN)"));
                }
                let subject = cc08::Subject {
                    name: h(header::NAME),
                    address: h(header::ADDRESS),
                    postal,
                    birth: &u.person[6],
                    sex: &u.person[5],
                };
                totals = inputs::totals(r, &prices);
                Some(cc08::claim(r, &subject, &t.kind, &prices).map_err(|e| Error::io(results_name, e))?)
            }
            Err(what) => {
                findings.push(Finding::new(results_name, u.line, "", XCheck::BadClaim, &what));
                None
            }
        },
        (None, _) => None,
    };
    if findings.iter().any(|f| f.severity == "エラー") {
        return Ok(Made { findings, rows, files: None, totals: cc08::Totals::default() });
    }
    let data = cda::document(&u, &t.date).map_err(|e| Error::io(results_name, e))?;
    Ok(Made { findings, rows, files: Some((data, claim)), totals })
}

/// Checkups handed to the workers at a time, per worker.
const BATCH: usize = 64;

/// The archive being written and what has gone into it.
struct Out<'a> {
    zip: ZipOut,
    t: &'a Target,
    findings: Vec<Finding>,
    written: u64,
    refused: u64,
    rows_out: u64,
    rows_refused: u64,
    claim_files: u64,
    totals: cc08::Totals,
}

impl Out<'_> {
    fn entry(&mut self, name: &str, bytes: &[u8]) -> Result<()> {
        self.zip.start_entry(&format!("{}/{name}", self.t.root))?;
        let path = self.zip.path().to_path_buf();
        self.zip.write_all(bytes).map_err(|e| Error::io(&path, e))
    }

    /// One checkup made: its files in the zip, or counted as refused.
    fn add(&mut self, m: Made) -> Result<()> {
        self.findings.extend(m.findings);
        let Some((data, claim)) = m.files else {
            self.refused += 1;
            self.rows_refused += m.rows;
            return Ok(());
        };
        self.written += 1;
        self.rows_out += m.rows;
        let t = self.t;
        let serial = format!("{}{}{}{}{:06}.xml", t.sender, t.date, t.seq, t.kind, self.written);
        self.entry(&format!("DATA/h{serial}"), &data)?;
        if let Some(claim) = claim {
            self.entry(&format!("CLAIMS/c{serial}"), &claim)?;
            self.claim_files += 1;
            self.totals.add(&m.totals);
        }
        Ok(())
    }

    /// ix08, su08 (with claims) and the XSD folder, after the last checkup.
    fn close(&mut self) -> Result<()> {
        let t = self.t;
        let index = cc08::Index {
            interaction: &t.interaction,
            created: &t.date,
            sender: &t.sender,
            receiver: &t.receiver,
            kind: &t.kind,
            // one DATA file per checkup written
            records: self.written + self.claim_files,
        };
        let path = self.zip.path().to_path_buf();
        self.entry("ix08_V08.xml", &cc08::index(&index).map_err(|e| Error::io(&path, e))?)?;
        if self.claim_files > 0 {
            let summary = cc08::summary(&t.kind, &self.totals).map_err(|e| Error::io(&path, e))?;
            self.entry("su08_V08.xml", &summary)?;
        }
        for (name, bytes) in super::xsd::FILES {
            self.entry(&format!("XSD/{name}"), bytes)?;
        }
        Ok(())
    }
}

/// Makes the files of a batch of checkups on the worker threads, in order.
fn make_batch(mut batch: Vec<Unit>, t: &Target, results_name: &str) -> Vec<Result<Made>> {
    std::thread::scope(|s| {
        let mut handles = Vec::new();
        while !batch.is_empty() {
            let rest = batch.split_off(batch.len().min(BATCH));
            let part = std::mem::replace(&mut batch, rest);
            handles.push(s.spawn(move || part.into_iter().map(|u| make(u, t, results_name)).collect::<Vec<_>>()));
        }
        handles.into_iter().flat_map(|h| h.join().expect("a writing worker panicked")).collect()
    })
}

/// The findings list (`--errors`), always UTF-8.
fn write_findings(path: Option<&std::path::Path>, findings: &[Finding]) -> Result<u64> {
    let Some(path) = path else { return Ok(0) };
    let spec = OutputSpec { path: Some(path.to_path_buf()), encoding: Encoding::Utf8, replace: false, crlf: false };
    let mut out = CsvOut::create(&spec)?;
    out.write_header(&XML_FINDINGS)?;
    for f in findings {
        out.write_texts(&f.fields(), |i| Loc::cell(&f.file, f.line, XML_FINDINGS[i]))?;
    }
    out.finish()
}

pub fn write(a: &WriteArgs) -> Result<u8> {
    let console = Console { tool: TOOL, quiet: a.run.quiet };
    let t = target(a)?;
    std::fs::create_dir_all(&a.out_dir).map_err(|e| Error::io(&a.out_dir, e))?;
    let archive = a.out_dir.join(format!("{}.zip", t.root));
    check_outputs(&[Some(archive.as_path()), a.errors.as_deref(), a.run.summary_json.as_deref()])?;
    let mut source = inputs::Source::open(a)?;
    let results_name = source.results_name();
    let mut zip = ZipOut::create(&archive, &Seal::None)?;
    zip.date_entries(t.day);
    zip.small_entries();
    let mut o = Out {
        zip,
        t: &t,
        findings: Vec::new(),
        written: 0,
        refused: 0,
        rows_out: 0,
        rows_refused: 0,
        claim_files: 0,
        totals: cc08::Totals::default(),
    };
    let workers = worker_count().max(1);
    loop {
        let batch = source.next_batch(BATCH * workers)?;
        if batch.is_empty() {
            break;
        }
        for m in make_batch(batch, &t, &results_name) {
            o.add(m?)?;
        }
    }
    o.findings.extend(source.leftover_claims()?);
    o.close()?;
    let mut tally = Tally::new(TOOL, "write", source.encoding(), Encoding::Utf8);
    tally.replaced = write_findings(a.errors.as_deref(), &o.findings)?;
    tally.rows_in = source.rows_read();
    tally.rows_out = o.rows_out;
    tally.rows_rejected = o.rows_refused;
    tally.balance(&[("書き出した行", o.rows_out), ("書き出さなかった健診の行", o.rows_refused)])?;
    o.zip.finish()?;
    tally.findings = o.findings.len() as u64;
    tally
        .set("checkups", o.written)
        .set("refused", o.refused)
        .set("data_files", o.written)
        .set("claim_files", o.claim_files);
    let line = format!(
        "健診 {} 件を書き出しました ({}、DATA {} ・ CLAIMS {} ファイル); 書き出さなかった健診 {} 件、指摘 {} 件",
        thousands(o.written),
        archive.display(),
        thousands(o.written),
        thousands(o.claim_files),
        thousands(o.refused),
        thousands(o.findings.len() as u64)
    );
    let warnings = o.findings.iter().any(|f| f.severity != "エラー");
    let code = u8::from(o.refused > 0 || (a.run.strict && warnings));
    tally.finish(&console, line, a.run.summary_json.as_deref(), code)
}

impl cc08::Totals {
    fn add(&mut self, o: &cc08::Totals) {
        self.subjects += o.subjects;
        self.cost += o.cost;
        self.payment += o.payment;
        self.claim += o.claim;
        if let Some(v) = o.other_program {
            *self.other_program.get_or_insert(0) += v;
        }
    }
}
