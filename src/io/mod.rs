//! The one entry point for every reader and writer: encodings, CSV with physical line numbers,
//! atomic 0600 output files, progress.
//!
//! CSV is parsed on the raw bytes (CP932 trail bytes never collide with `,` `"` CR LF), and each
//! field is decoded on demand. A field a tool does not change is written back as its raw bytes
//! when the output encoding is the input's, so CP932 text (外字, NEC and IBM characters) comes
//! out byte for byte as it came in.

pub mod encoding;
mod output;

use std::borrow::Cow;
use std::fs::File;
use std::io::{self, Cursor, Read};
use std::path::{Path, PathBuf};

use csv::ByteRecord;

pub use encoding::{Encoding, InputEncoding, TextEncoder, Unmappable};
pub use output::{CsvOut, Sink};

use crate::error::{Error, Loc, Result};
use crate::layout::{Columns, Layout, LayoutFile};

pub const STDIN_NAME: &str = "<標準入力>";
pub const STDOUT_NAME: &str = "<標準出力>";

/// `None` or `-` means stdin/stdout.
pub fn is_std(path: Option<&Path>) -> bool {
    path.is_none_or(|p| p.as_os_str() == "-")
}

/// The name a file is shown by in messages.
pub fn display_name(path: Option<&Path>, std_name: &str) -> String {
    match path {
        Some(p) if !is_std(Some(p)) => p.display().to_string(),
        _ => std_name.to_string(),
    }
}

/// How much to read before deciding the encoding: past the first non-ASCII byte by this much.
const SNIFF_AFTER_NON_ASCII: usize = 4096;
/// An all-ASCII prefix this long is taken as UTF-8 (both encodings read ASCII alike).
const SNIFF_MAX: usize = 16 << 20;

fn read_prefix(r: &mut dyn Read) -> io::Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(1 << 16);
    let mut chunk = vec![0u8; 1 << 16];
    let mut scanned = 0;
    let mut first_non_ascii = None;
    loop {
        let n = match r.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        buf.extend_from_slice(&chunk[..n]);
        if first_non_ascii.is_none() {
            first_non_ascii = buf[scanned..].iter().position(|b| *b >= 0x80).map(|p| p + scanned);
            scanned = buf.len();
        }
        if first_non_ascii.is_some_and(|p| buf.len() >= p + SNIFF_AFTER_NON_ASCII) || buf.len() >= SNIFF_MAX {
            break;
        }
    }
    Ok(buf)
}

/// A CSV file being read against a canonical layout.
pub struct CsvInput {
    name: String,
    encoding: Encoding,
    reader: csv::Reader<Box<dyn Read>>,
    columns: Columns,
    width: usize,
    record: ByteRecord,
    /// A header-less file's first record, read to learn its width.
    pending: bool,
}

/// One record of a [`CsvInput`].
pub struct Row<'a> {
    /// Physical line where the record starts (header = 1).
    pub line: u64,
    record: &'a ByteRecord,
    input: &'a CsvInput,
}

impl CsvInput {
    /// Opens `path` (None or `-` = stdin), decides its encoding, reads the header and finds the
    /// layout's columns. Fatal problems (unreadable, empty, missing column) are errors here,
    /// before any row is read.
    pub fn open(
        path: Option<&Path>,
        requested: InputEncoding,
        layout: &Layout,
        mapping: Option<&(LayoutFile, PathBuf)>,
    ) -> Result<CsvInput> {
        let name = display_name(path, STDIN_NAME);
        let io_err = |e| Error::io(name.clone(), e);
        let mut source: Box<dyn Read> = if is_std(path) {
            Box::new(io::stdin().lock())
        } else {
            let p = path.unwrap_or(Path::new("-"));
            Box::new(File::open(p).map_err(|e| Error::io(p, e))?)
        };
        let prefix = read_prefix(&mut source).map_err(io_err)?;
        let encoding = match requested {
            InputEncoding::Auto => encoding::sniff(&prefix),
            InputEncoding::Sjis => Encoding::Sjis,
            InputEncoding::Utf8 if prefix.starts_with(encoding::UTF8_BOM) => Encoding::Utf8Bom,
            InputEncoding::Utf8 => Encoding::Utf8,
        };
        let skip = if encoding == Encoding::Utf8Bom { encoding::UTF8_BOM.len() } else { 0 };
        let stream: Box<dyn Read> = Box::new(Cursor::new(prefix).chain(source));
        let mut stream = stream;
        if skip > 0 {
            let mut bom = [0u8; 3];
            stream.read_exact(&mut bom).map_err(io_err)?;
        }
        // Records end at LF only, and the CR of a CRLF stays on the last field (stripped in
        // `Row::raw`): with CRLF as terminator the csv crate counts a record's line before the
        // LF that ends the previous record, one line too early.
        let reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .terminator(csv::Terminator::Any(b'\n'))
            .buffer_capacity(1 << 17)
            .from_reader(stream);
        let mut input = CsvInput {
            name,
            encoding,
            reader,
            columns: Columns { columns: Vec::new(), unused: Vec::new() },
            width: 0,
            record: ByteRecord::new(),
            pending: false,
        };
        let has_header = mapping.is_none_or(|(lf, _)| lf.header);
        if !input.read_record()? {
            return Err(Error::Empty { file: input.name.clone() });
        }
        input.width = input.record.len();
        let mapping = mapping.map(|(lf, p)| (lf, p));
        if has_header {
            let header = (0..input.record.len())
                .map(|i| {
                    let raw = strip_cr(&input.record, i);
                    let text = encoding::decode(encoding, raw).ok_or_else(|| Error::Undecodable {
                        loc: Loc::line(input.name.clone(), 1),
                        encoding: encoding.label(),
                    })?;
                    Ok(text.trim_matches(|c: char| c == '\u{FEFF}' || c.is_whitespace() || c == '\u{3000}').to_string())
                })
                .collect::<Result<Vec<String>>>()?;
            input.columns = Columns::resolve(layout, &input.name, Some(&header), input.width, mapping)?;
        } else {
            input.columns = Columns::resolve(layout, &input.name, None, input.width, mapping)?;
            input.pending = true;
        }
        Ok(input)
    }

    /// Reads the next record that is not a blank line (a CRLF file's blank line is a record of
    /// one field holding the CR).
    fn read_record(&mut self) -> Result<bool> {
        loop {
            let more = self.reader.read_byte_record(&mut self.record).map_err(|e| {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                match e.into_kind() {
                    csv::ErrorKind::Io(io) => Error::io(self.name.clone(), io),
                    other => Error::Csv { loc: Loc::line(self.name.clone(), line), detail: format!("{other:?}") },
                }
            })?;
            if !more || !(self.record.len() == 1 && matches!(&self.record[0], b"" | b"\r")) {
                return Ok(more);
            }
        }
    }

    /// The next record, or None at the end. A record with another number of fields than the
    /// header is fatal (E004): a shifted column would put values in the wrong fields.
    pub fn next_row(&mut self) -> Result<Option<Row<'_>>> {
        if self.pending {
            self.pending = false;
        } else if !self.read_record()? {
            return Ok(None);
        }
        let line = self.record.position().map(|p| p.line()).unwrap_or(0);
        if self.record.len() != self.width {
            return Err(Error::Ragged {
                loc: Loc::line(self.name.clone(), line),
                expected: self.width,
                found: self.record.len(),
            });
        }
        Ok(Some(Row { line, record: &self.record, input: self }))
    }

    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn encoding(&self) -> Encoding {
        self.encoding
    }
    /// Header names the layout did not use.
    pub fn unused_columns(&self) -> &[String] {
        &self.columns.unused
    }
    /// Whether the file has a column for canonical field `field`.
    pub fn has(&self, field: usize) -> bool {
        self.columns.columns[field].is_some()
    }
}

impl Row<'_> {
    /// The raw bytes of canonical field `field` (empty when the file has no such column).
    pub fn raw(&self, field: usize) -> &[u8] {
        match self.input.columns.columns[field] {
            Some(i) => strip_cr(self.record, i),
            None => b"",
        }
    }

    /// The decoded text of canonical field `field`; undecodable bytes are fatal (E002).
    pub fn text(&self, field: usize, layout: &Layout) -> Result<Cow<'_, str>> {
        encoding::decode(self.input.encoding, self.raw(field)).ok_or_else(|| Error::Undecodable {
            loc: self.loc(layout.fields[field].name),
            encoding: self.input.encoding.label(),
        })
    }

    pub fn loc(&self, column: &str) -> Loc {
        Loc::cell(self.input.name.clone(), self.line, column)
    }
}

/// Field `i` of a record, without the CR a CRLF line end leaves on the last field.
fn strip_cr(record: &ByteRecord, i: usize) -> &[u8] {
    let f = &record[i];
    if i + 1 == record.len() { f.strip_suffix(b"\r").unwrap_or(f) } else { f }
}

/// Appends `text` to a byte record being built for output: the raw input bytes when the text is
/// what was read and the encodings agree, else the encoded text.
pub fn push_field(
    out: &mut ByteRecord,
    enc: &mut TextEncoder,
    scratch: &mut Vec<u8>,
    text: &str,
    raw: Option<(&[u8], &str, Encoding)>,
) -> std::result::Result<(), Unmappable> {
    if let Some((raw, decoded, in_enc)) = raw
        && decoded == text
        && in_enc.same_bytes_as(enc.encoding)
    {
        out.push_field(raw);
        return Ok(());
    }
    scratch.clear();
    enc.encode(text, scratch)?;
    out.push_field(scratch);
    Ok(())
}
