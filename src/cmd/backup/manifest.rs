//! MANIFEST.csv: what each file of an archive holds (size, SHA-256, CSV data rows), measured
//! while the file streams into the archive and again when it is read back.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::io::archive::{SealedZip, hex};

/// The manifest's name inside the archive.
pub const MANIFEST: &str = "MANIFEST.csv";

/// MANIFEST.csv's header: path (with `/`), size in bytes, SHA-256, data rows of a CSV file.
pub const MANIFEST_HEADER: [&str; 4] = ["パス", "サイズ", "SHA-256", "件数"];

/// Counts the records of a CSV file as it streams past: line ends outside quotes that end a
/// line with content.
#[derive(Default)]
pub struct RecordCounter {
    in_quotes: bool,
    content: bool,
    records: u64,
}

impl RecordCounter {
    pub fn feed(&mut self, bytes: &[u8]) {
        for &b in bytes {
            match b {
                b'"' => {
                    self.in_quotes = !self.in_quotes;
                    self.content = true;
                }
                b'\n' if !self.in_quotes => {
                    self.records += u64::from(self.content);
                    self.content = false;
                }
                b'\r' => {}
                _ => self.content = true,
            }
        }
    }

    /// Records after the header.
    pub fn data_rows(&self) -> u64 {
        (self.records + u64::from(self.content)).saturating_sub(1)
    }
}

pub fn is_csv(name: &str) -> bool {
    name.rsplit('.').next().is_some_and(|e| e.eq_ignore_ascii_case("csv"))
}

/// One line of MANIFEST.csv.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub size: u64,
    pub sha256: String,
    pub rows: Option<u64>,
}

/// Copies `from` into `to`, returning the size, SHA-256 and (for a CSV) data rows.
pub fn copy_measured(from: &mut dyn Read, to: &mut dyn Write, csv: bool, buf: &mut [u8]) -> std::io::Result<Listed> {
    let (mut sha, mut size, mut counter) = (Sha256::new(), 0u64, RecordCounter::default());
    loop {
        let n = match from.read(buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let piece = &buf[..n];
        to.write_all(piece)?;
        sha.update(piece);
        if csv {
            counter.feed(piece);
        }
        size += n as u64;
    }
    Ok(Listed { size, sha256: hex(&sha.finalize()), rows: csv.then(|| counter.data_rows()) })
}

/// Reads MANIFEST.csv out of an open archive.
pub fn read_manifest(zip: &mut SealedZip, path: &Path) -> Result<BTreeMap<String, Listed>> {
    let damaged = |detail: String| Error::Damaged { path: path.to_path_buf(), detail };
    let mut bytes = Vec::new();
    zip.by_name(MANIFEST)
        .map_err(|_| damaged(format!("{MANIFEST} がありません")))?
        .read_to_end(&mut bytes)
        .map_err(|e| damaged(crate::io::archive::detail(MANIFEST, e)))?;
    let mut rdr = csv::ReaderBuilder::new().has_headers(true).from_reader(bytes.as_slice());
    let mut listed = BTreeMap::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| damaged(crate::io::archive::detail(MANIFEST, e)))?;
        let (Some(name), Some(size), Some(sha)) = (rec.get(0), rec.get(1).and_then(|s| s.parse().ok()), rec.get(2))
        else {
            return Err(damaged(format!("{MANIFEST} の行が読めません")));
        };
        let rows = rec.get(3).and_then(|r| r.parse().ok());
        listed.insert(name.to_string(), Listed { size, sha256: sha.to_string(), rows });
    }
    Ok(listed)
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Any CSV the csv crate writes, with blank lines between records and cut anywhere,
        /// counts as many data rows as were written.
        #[test]
        fn record_count_matches_the_records_written(
            rows in proptest::collection::vec(proptest::collection::vec("[a-z\",\r\n 表]{0,6}", 1..4), 1..8),
            blanks in proptest::collection::vec(proptest::bool::ANY, 8),
            crlf in proptest::bool::ANY,
            cut in 0usize..400,
        ) {
            let mut text = Vec::new();
            for (i, row) in rows.iter().enumerate() {
                let mut w = csv::WriterBuilder::new()
                    .terminator(if crlf { csv::Terminator::CRLF } else { csv::Terminator::Any(b'\n') })
                    .from_writer(Vec::new());
                // a record of one empty field would read as a blank line: quote it
                if row.len() == 1 && row[0].is_empty() {
                    w.write_record(["\"\""]).unwrap();
                } else {
                    w.write_record(row).unwrap();
                }
                text.extend(w.into_inner().unwrap());
                if blanks[i] {
                    text.extend_from_slice(if crlf { b"\r\n" } else { b"\n" });
                }
            }
            let cut = cut.min(text.len());
            let mut c = RecordCounter::default();
            c.feed(&text[..cut]);
            c.feed(&text[cut..]);
            proptest::prop_assert_eq!(c.data_rows(), rows.len() as u64 - 1);
        }
    }

    #[test]
    fn csv_records_are_counted_across_pieces_and_quotes() {
        let text = b"h1,h2\r\n1,\"a\nb\"\r\n\r\n2,x";
        for split in 0..text.len() {
            let mut c = RecordCounter::default();
            c.feed(&text[..split]);
            c.feed(&text[split..]);
            assert_eq!(c.data_rows(), 2, "split at {split}");
        }
    }
}
