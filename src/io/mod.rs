//! The one entry point for every reader and writer: encodings, CSV with physical line numbers,
//! atomic 0600 output files, progress.
//!
//! CSV is parsed on the raw bytes (CP932 trail bytes never collide with `,` `"` CR LF), and each
//! field is decoded on demand. A field a tool does not change is written back as its raw bytes
//! when the output encoding is the input's, so CP932 text (外字, NEC and IBM characters) comes
//! out byte for byte as it came in.

mod blank;
pub mod encoding;
mod output;
mod pipeline;
mod store;

use std::borrow::Cow;
use std::fs::File;
use std::io::{self, Cursor, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use csv::ByteRecord;

pub use encoding::{Encoding, InputEncoding, TextEncoder, Unmappable};
pub use output::{CsvOut, Sink};
pub use pipeline::{BATCH_ROWS, for_each_batch, worker_count};
pub use store::{RowRef, RowStore};

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

/// What a row needs to know of the file it came from (shared with worker threads).
#[derive(Debug)]
pub struct InputContext {
    name: String,
    encoding: Encoding,
    columns: Columns,
}

impl InputContext {
    /// A view of `record` as a row of this file.
    pub fn row<'a>(&'a self, record: &'a ByteRecord) -> Row<'a> {
        Row { line: record.position().map_or(0, |p| p.line()), record, input: self }
    }
}

/// A CSV file being read against a canonical layout.
pub struct CsvInput {
    ctx: Arc<InputContext>,
    reader: csv::Reader<Box<dyn Read>>,
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
    input: &'a InputContext,
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
        let stream: Box<dyn Read> = Box::new(blank::CountBlankLines::new(Cursor::new(prefix).chain(source)));
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
        let has_header = mapping.is_none_or(|(lf, _)| lf.header);
        let mut input = CsvInput {
            ctx: Arc::new(InputContext {
                name: name.clone(),
                encoding,
                columns: Columns { columns: Vec::new(), unused: Vec::new() },
            }),
            reader,
            width: 0,
            record: ByteRecord::new(),
            pending: false,
        };
        let mut first = ByteRecord::new();
        if !input.read_record(&mut first)? {
            return Err(Error::Empty { file: name });
        }
        input.width = first.len();
        let header = if has_header {
            let header = (0..first.len())
                .map(|i| {
                    let text = encoding::decode(encoding, strip_cr(&first, i)).ok_or_else(|| Error::Undecodable {
                        loc: Loc::line(name.clone(), 1),
                        encoding: encoding.label(),
                    })?;
                    Ok(text.trim_matches(|c: char| c == '\u{FEFF}' || c.is_whitespace() || c == '\u{3000}').to_string())
                })
                .collect::<Result<Vec<String>>>()?;
            Some(header)
        } else {
            input.record = first;
            input.pending = true;
            None
        };
        let columns = Columns::resolve(layout, &name, header.as_deref(), input.width, mapping.map(|(lf, p)| (lf, p)))?;
        input.ctx = Arc::new(InputContext { name, encoding, columns });
        Ok(input)
    }

    /// Reads the next record that is not a blank line (a CRLF file's blank line is a record of
    /// one field holding the CR).
    fn read_record(&mut self, record: &mut ByteRecord) -> Result<bool> {
        loop {
            let more = self.reader.read_byte_record(record).map_err(|e| {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                match e.into_kind() {
                    csv::ErrorKind::Io(io) => Error::io(self.ctx.name.clone(), io),
                    other => Error::Csv { loc: Loc::line(self.ctx.name.clone(), line), detail: format!("{other:?}") },
                }
            })?;
            if !(more && record.len() == 1 && matches!(&record[0], b"" | b"\r")) {
                return Ok(more);
            }
        }
    }

    /// Reads the next data record into `record`; false at the end. A record with another number
    /// of fields than the header is fatal (E004): a shifted column would put values in the wrong
    /// fields.
    fn next_record(&mut self, record: &mut ByteRecord) -> Result<bool> {
        if self.pending {
            self.pending = false;
            std::mem::swap(record, &mut self.record);
        } else if !self.read_record(record)? {
            return Ok(false);
        }
        if record.len() != self.width {
            let line = record.position().map_or(0, |p| p.line());
            return Err(Error::Ragged {
                loc: Loc::line(self.ctx.name.clone(), line),
                expected: self.width,
                found: record.len(),
            });
        }
        Ok(true)
    }

    /// The next record, or None at the end.
    pub fn next_row(&mut self) -> Result<Option<Row<'_>>> {
        let mut record = std::mem::take(&mut self.record);
        let more = self.next_record(&mut record);
        self.record = record;
        if !more? {
            return Ok(None);
        }
        Ok(Some(self.ctx.row(&self.record)))
    }

    /// Fills `batch` with up to `n` records, reusing its allocations; returns how many.
    pub fn next_batch(&mut self, batch: &mut Vec<ByteRecord>, n: usize) -> Result<usize> {
        batch.resize_with(n, ByteRecord::new);
        let mut filled = 0;
        while filled < n && self.next_record(&mut batch[filled])? {
            filled += 1;
        }
        batch.truncate(filled);
        Ok(filled)
    }

    /// The size of the input file, if it is one (to size buffers).
    pub fn file_size(path: Option<&Path>) -> usize {
        path.filter(|p| !is_std(Some(p))).and_then(|p| std::fs::metadata(p).ok()).map_or(0, |m| m.len() as usize)
    }

    /// What rows of this file need to know, for worker threads.
    pub fn context(&self) -> Arc<InputContext> {
        Arc::clone(&self.ctx)
    }

    pub fn name(&self) -> &str {
        &self.ctx.name
    }
    pub fn encoding(&self) -> Encoding {
        self.ctx.encoding
    }
    /// Header names the layout did not use.
    pub fn unused_columns(&self) -> &[String] {
        &self.ctx.columns.unused
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

    /// Like [`Row::text`], decoding into `buf` (reused from row to row) where a copy is needed.
    pub fn text_in<'s>(&'s self, field: usize, layout: &Layout, buf: &'s mut String) -> Result<&'s str> {
        encoding::decode_into(self.input.encoding, self.raw(field), buf).ok_or_else(|| Error::Undecodable {
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

/// Appends `text` to the row being built in `store`: the raw input bytes when `text` is what
/// was read (`decoded`) and the encodings agree (so CP932 bytes come out exactly as they came
/// in), else `text` encoded.
pub fn push_field(
    store: &mut RowStore,
    enc: &mut TextEncoder,
    scratch: &mut Vec<u8>,
    text: &str,
    (raw, decoded, in_enc): (&[u8], &str, Encoding),
) -> std::result::Result<(), Unmappable> {
    if decoded == text && in_enc.same_bytes_as(enc.encoding) {
        store.field(raw);
        return Ok(());
    }
    scratch.clear();
    enc.encode(text, scratch)?;
    store.field(scratch);
    Ok(())
}
