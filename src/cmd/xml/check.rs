//! `check`: an archive as a whole — its layout and naming, ix08's record count, su08's totals
//! against the claims, DATA and CLAIMS in pairs, duplicate tickets, unsafe entry names — plus
//! every check `read --errors` makes, one archive entry at a time.

use std::collections::BTreeSet;
use std::hash::BuildHasher;

use rustc_hash::FxHashMap;
use std::io::Read;
use std::path::Path;

use roxmltree::{Document, Node};

use super::findings::{Finding, XCheck};
use super::hc08::{self, FileKind};
use super::{CheckArgs, TOOL};
use crate::cmd::shared::check_outputs;
use crate::cmd::ticket::ledger::{Disagreement, TicketBook};
use crate::console::{Console, Tally, thousands};
use crate::domain::text::normalize_code;
use crate::domain::{FiscalYear, PersonKey, TicketNumber, parse_date};
use crate::error::{Error, Loc, Result};
use crate::io::archive::unsafe_entry_name;
use crate::io::{CsvOut, Encoding};
use crate::layout::XML_FINDINGS;

/// What an archive's files say, gathered as they are read.
#[derive(Default)]
struct Archive {
    findings: Vec<Finding>,
    roots: BTreeSet<String>,
    /// DATA and CLAIMS files seen
    data_files: u64,
    claim_files: u64,
    /// DATA / CLAIMS files still without their partner: the name without its h/g/c prefix →
    /// (file name, the entry as shown). With the files in pairs both stay small.
    lone_data: FxHashMap<String, (String, String)>,
    lone_claims: FxHashMap<String, (String, String)>,
    /// (entry, totalRecordCount)
    index: Option<(String, u64)>,
    /// (entry, [subjects, cost, payment, claim])
    summary: Option<(String, [i64; 4])>,
    /// Σ over the claims: [count, unitAmount, paymentAmount, claimAmount]
    sums: [i64; 4],
    /// hash of (保険者番号, 受診券整理番号) → the first entry that has it
    tickets: FxHashMap<u64, Box<str>>,
    /// `--schema`: files queued for xmllint
    schema: Option<super::xsd::Validator>,
    /// `--tickets`: the numbers issued
    book: Option<&'static TicketBook>,
}

/// An entry name's parts, or None when it could point outside the archive (the rule kk-backup
/// restore applies).
fn safe_parts(name: &str) -> Option<Vec<&str>> {
    (!unsafe_entry_name(name)).then(|| name.split('/').filter(|p| !p.is_empty()).collect())
}

/// Whether a root folder is named `提出元10_提出先8_YYYYMMDDN_実施区分`.
fn root_name_ok(root: &str) -> bool {
    let parts: Vec<&str> = root.split('_').collect();
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    parts.len() == 4 && digits(parts[0], 10) && digits(parts[1], 8) && digits(parts[2], 9) && digits(parts[3], 1)
}

fn value_of(n: Node<'_, '_>, local: &str) -> Option<i64> {
    n.descendants().find(|d| d.is_element() && d.tag_name().name() == local)?.attribute("value")?.trim().parse().ok()
}

impl Archive {
    fn find(&mut self, entry: &str, line: u64, check: XCheck, value: &str) {
        self.findings.push(Finding::new(entry, line, "", check, value));
    }

    /// One entry: where it sits, and what its content says.
    fn entry(&mut self, shown: &str, name: &str, bytes: Option<&[u8]>) -> Result<()> {
        let Some(parts) = safe_parts(name) else {
            self.find(shown, 0, XCheck::Escape, "");
            return Ok(());
        };
        let Some((&root, rest)) = parts.split_first() else { return Ok(()) };
        self.roots.insert(root.to_string());
        let file = rest.last().copied().unwrap_or("");
        let place = match rest {
            [] => return Ok(()),
            ["ix08_V08.xml"] | ["su08_V08.xml"] => "top",
            ["DATA", f] if f.to_ascii_lowercase().ends_with(".xml") => "DATA",
            ["CLAIMS", f] if f.to_ascii_lowercase().ends_with(".xml") => "CLAIMS",
            ["XSD", ..] => return Ok(()),
            _ => {
                self.find(shown, 0, XCheck::Outside, "");
                return Ok(());
            }
        };
        let Some(bytes) = bytes else { return Ok(()) };
        let text = super::sources::text(shown, bytes)?;
        let doc = hc08::parse(shown, text)?;
        let kind = hc08::kind_of(&doc).ok_or_else(|| {
            let root = doc.root_element();
            Error::XmlRoot { loc: Loc::line(shown, 1), found: root.tag_name().name().to_string() }
        })?;
        if let Some(v) = self.schema.as_mut() {
            v.add(shown, super::xsd::schema_of(kind, doc.root_element().tag_name().name()), text)?;
        }
        let stem = file.get(1..).unwrap_or("").to_string();
        match (place, kind) {
            ("DATA", FileKind::Checkup) => {
                self.pair(true, stem, file, shown);
                let c = hc08::read(shown, &doc)?;
                if !c.person[0].is_empty() {
                    let key = rustc_hash::FxBuildHasher.hash_one((&c.person[1], &c.person[0]));
                    if let Some(first) = self.tickets.get(&key) {
                        let first = first.to_string();
                        self.find(shown, 1, XCheck::DuplicateTicket, &format!("{} (最初: {first})", c.person[0]));
                    } else {
                        self.tickets.insert(key, shown.into());
                    }
                }
                self.against_ledger(shown, &c.person);
                self.findings.extend(c.findings);
            }
            ("DATA", FileKind::Guidance) => self.pair(true, stem, file, shown),
            ("CLAIMS", FileKind::Claim) => {
                self.pair(false, stem, file, shown);
                self.add_claim(&doc);
            }
            ("top", FileKind::Index) => {
                let count = value_of(doc.root_element(), "totalRecordCount").unwrap_or(-1);
                self.index = Some((shown.to_string(), u64::try_from(count).unwrap_or(u64::MAX)));
            }
            ("top", FileKind::Summary) => {
                let r = doc.root_element();
                let v = |n| value_of(r, n).unwrap_or(0);
                self.summary = Some((
                    shown.to_string(),
                    [v("totalSubjectCount"), v("totalCostAmount"), v("totalPaymentAmount"), v("totalClaimAmount")],
                ));
            }
            _ => self.find(shown, 1, XCheck::Outside, ""),
        }
        Ok(())
    }

    /// `--tickets`: X211–X213 where the ledger disagrees with the checkup's ticket number (a
    /// number or key that is not well formed is read's finding, not this one).
    fn against_ledger(&mut self, shown: &str, person: &hc08::Person) {
        let Some(book) = self.book else { return };
        let (Ok(number), Ok(day)) = (person[0].parse::<TicketNumber>(), parse_date(&person[8])) else { return };
        let code = |i: usize| normalize_code(&person[i]).into_owned();
        let insurer = code(1);
        // the key as kk-import normalizes it (a dummy insurer number is still a key here)
        if !matches!(insurer.len(), 6 | 8) || !insurer.bytes().all(|b| b.is_ascii_digit()) {
            return;
        }
        let key = PersonKey::from_checked(&insurer, &code(2), &code(3), &code(4));
        let (check, value) = match book.disagreement(number, &key, FiscalYear::of(day)) {
            None => return,
            Some(Disagreement::Unknown) => (XCheck::TicketUnknown, person[0].clone()),
            Some(Disagreement::OtherPerson(line)) => {
                (XCheck::TicketOtherPerson, format!("{} (台帳 {line}行目)", person[0]))
            }
            Some(Disagreement::OtherYear(fy, line)) => {
                (XCheck::TicketOtherYear, format!("{} (台帳 {line}行目: {fy}年度)", person[0]))
            }
        };
        self.find(shown, 1, check, &value);
    }

    /// A DATA (`data`) or CLAIMS file: paired with its partner when that came first, else left
    /// waiting for it.
    fn pair(&mut self, data: bool, stem: String, file: &str, shown: &str) {
        let (mine, theirs, count) = if data {
            (&mut self.lone_data, &mut self.lone_claims, &mut self.data_files)
        } else {
            (&mut self.lone_claims, &mut self.lone_data, &mut self.claim_files)
        };
        *count += 1;
        if theirs.remove(&stem).is_none() {
            mine.insert(stem, (file.to_string(), shown.to_string()));
        }
    }

    fn add_claim(&mut self, doc: &Document<'_>) {
        let r = doc.root_element();
        self.sums[0] += 1;
        for (i, n) in ["unitAmount", "paymentAmount", "claimAmount"].iter().enumerate() {
            self.sums[i + 1] += value_of(r, n).unwrap_or(0);
        }
    }

    /// The findings about the archive as a whole, after its last entry.
    fn finish(&mut self, archive: &str) -> Result<()> {
        if let Some(mut v) = self.schema.take() {
            v.flush()?;
            self.findings.append(&mut v.findings);
        }
        for root in std::mem::take(&mut self.roots) {
            if !root_name_ok(&root) {
                self.find(archive, 0, XCheck::RootName, &root);
            }
        }
        let files = self.data_files + self.claim_files;
        match self.index.clone() {
            None => self.find(archive, 0, XCheck::NoIndex, ""),
            Some((entry, count)) if count != files => {
                self.find(&entry, 1, XCheck::RecordCount, &format!("{count} (ファイル {files})"));
            }
            Some(_) => {}
        }
        if self.claim_files > 0 {
            match self.summary.clone() {
                None => self.find(archive, 0, XCheck::NoSummary, ""),
                Some((entry, totals)) => {
                    let names = ["totalSubjectCount", "totalCostAmount", "totalPaymentAmount", "totalClaimAmount"];
                    for ((name, said), sum) in names.iter().zip(totals).zip(self.sums) {
                        if said != sum {
                            self.find(&entry, 1, XCheck::SummaryTotal, &format!("{name} {said} (請求の合計 {sum})"));
                        }
                    }
                }
            }
            // DATA files then CLAIMS files, each in file name order
            let sorted = |m: &mut FxHashMap<String, (String, String)>| {
                let mut v: Vec<(String, String, String)> = m.drain().map(|(stem, (f, e))| (f, stem, e)).collect();
                v.sort();
                v.into_iter().map(|(_, stem, entry)| (stem, entry))
            };
            let lone: Vec<(String, String)> =
                sorted(&mut self.lone_data).chain(sorted(&mut self.lone_claims)).collect();
            for (stem, entry) in lone {
                self.find(&entry, 0, XCheck::Unpaired, &stem);
            }
        }
        Ok(())
    }
}

/// Reads one archive (zip or extracted folder) entry by entry.
fn check_one(
    path: &Path,
    schema: Option<super::xsd::Validator>,
    book: Option<&'static TicketBook>,
) -> Result<Vec<Finding>> {
    let mut a = Archive { schema, book, ..Archive::default() };
    let shown = path.display().to_string();
    if path.is_dir() {
        let base = path.parent().unwrap_or(Path::new(""));
        for file in super::sources::walk_all(path)? {
            let rel = file.strip_prefix(base).unwrap_or(&file).to_string_lossy().replace('\\', "/");
            let bytes = std::fs::read(&file).map_err(|e| Error::io(&file, e))?;
            a.entry(&file.display().to_string(), &rel, Some(&bytes))?;
        }
    } else {
        let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        let bad = |e: zip::result::ZipError| Error::BadZip { path: path.to_path_buf(), detail: e.to_string() };
        let mut zip = zip::ZipArchive::new(std::io::BufReader::new(file)).map_err(bad)?;
        let mut buf = Vec::new();
        for i in 0..zip.len() {
            let mut entry = zip.by_index(i).map_err(bad)?;
            let name = entry.name_raw().to_vec();
            let name = String::from_utf8_lossy(&name).into_owned();
            let entry_shown = format!("{shown}:{name}");
            let is_xml = !entry.is_dir() && name.to_ascii_lowercase().ends_with(".xml") && safe_parts(&name).is_some();
            if is_xml {
                buf.clear();
                entry
                    .read_to_end(&mut buf)
                    .map_err(|e| Error::BadZip { path: path.to_path_buf(), detail: e.to_string() })?;
            }
            drop(entry);
            a.entry(&entry_shown, &name, is_xml.then_some(buf.as_slice()))?;
        }
    }
    a.finish(&shown)?;
    Ok(a.findings)
}

pub fn check(a: &CheckArgs) -> Result<u8> {
    let console = Console { tool: TOOL, quiet: a.run.quiet };
    check_outputs(&[a.output.output.as_deref(), a.run.summary_json.as_deref()])?;
    let spec = a.output.spec(Encoding::Utf8)?;
    // read-only to the end of the run (kept, not freed, like kk-limitcheck's references)
    let book: Option<&'static TicketBook> = match &a.tickets {
        Some(p) => Some(Box::leak(Box::new(TicketBook::load(p, crate::io::InputEncoding::Auto)?))),
        None => None,
    };
    let mut findings = Vec::new();
    for path in &a.archives {
        let schema = if a.schema { super::xsd::Validator::new()? } else { None };
        if a.schema && schema.is_none() {
            console.info("xmllint がないため、スキーマ (XSD) での検証はしませんでした (apt-get install libxml2-utils)");
        }
        findings.extend(check_one(path, schema, book)?);
    }
    let mut out = CsvOut::create(&spec)?;
    out.write_header(&XML_FINDINGS)?;
    for f in &findings {
        out.write_texts(&f.fields(), |i| Loc::cell(&f.file, f.line, XML_FINDINGS[i]))?;
    }
    let mut tally = Tally::new(TOOL, "check", Encoding::Utf8, spec.encoding);
    tally.replaced = out.finish()?;
    let count = |s: &str| findings.iter().filter(|f| f.severity == s).count() as u64;
    let (integrity, errors, warnings) = (count("整合性"), count("エラー"), count("警告"));
    tally.findings = findings.len() as u64;
    tally
        .set("archives", a.archives.len() as u64)
        .set("integrity", integrity)
        .set("errors", errors)
        .set("warnings", warnings);
    let line = format!(
        "アーカイブ {} 件: 整合性 {} 件、エラー {} 件、警告 {} 件",
        a.archives.len(),
        thousands(integrity),
        thousands(errors),
        thousands(warnings)
    );
    let code = if integrity > 0 { 3 } else { u8::from(a.run.strict && errors + warnings > 0) };
    tally.finish(&console, line, a.run.summary_json.as_deref(), code)
}
