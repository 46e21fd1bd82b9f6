//! Reading CSV files against a canonical layout: encoding detection, records cut into chunks
//! at record boundaries (quoted line breaks respected) with their physical line numbers, and
//! rows whose fields are decoded on demand.

use std::borrow::Cow;
use std::fs::File;
use std::io::{self, IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::encoding::{self, Encoding, InputEncoding};
use super::names::{STDIN_NAME, display_name, is_std};
use super::wellformed::{self, Malformed, Problem, RecordEnds};
use crate::error::{Error, Loc, Result};
use crate::layout::{Columns, Layout, LayoutFile, column_label, is_plainly_value};

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

/// Bytes a chunk holds before it is cut at the next record boundary.
const CHUNK_BYTES: usize = 1 << 20;

/// Whole records of a file as read, with the physical line its first byte is on. Chunks are
/// cut by the reading thread and parsed by worker threads.
#[derive(Debug, Default)]
pub struct Chunk {
    pub bytes: Vec<u8>,
    pub first_line: u64,
}

/// Where the first record with content ends in `buf` (just after its LF; a quoted LF does not
/// end a record), or None if `buf` holds no whole record yet.
fn first_record_end(buf: &[u8]) -> Option<usize> {
    let (mut line_start, mut found) = (0, None);
    RecordEnds::default().scan(buf, 0, |i| {
        if buf[line_start..i].iter().any(|&b| b != b'\r') {
            found = Some(i + 1);
            return true;
        }
        line_start = i + 1;
        false
    });
    found
}

/// What a row needs to know of the file it came from (shared with worker threads).
#[derive(Debug)]
pub struct InputContext {
    name: String,
    encoding: Encoding,
    columns: Columns,
    /// The header row's names (trimmed), empty for a file without one.
    header: Vec<String>,
    /// Fields every record must have (the header's, or the first record's).
    width: usize,
    /// Malformed quoting is handed to the tool with the row (it lists such rows), not fatal.
    lenient: bool,
    /// The tool decodes every column of the file on every row ([`CsvInput::decodes_mapped`]):
    /// validity is left to that decoding (one pass over the bytes, not two).
    decodes_all: bool,
    /// The file's columns are the layout's, in its order, and no others.
    in_layout_order: bool,
}

impl InputContext {
    /// A context before the header is known: no columns, no width.
    fn new(name: String, encoding: Encoding) -> InputContext {
        InputContext {
            name,
            encoding,
            columns: Columns { columns: Vec::new(), unused: Vec::new() },
            header: Vec::new(),
            width: 0,
            lenient: false,
            decodes_all: false,
            in_layout_order: false,
        }
    }

    /// What a record must be before a tool sees it: as many fields as the header (E004), every
    /// field decodable in the file's encoding (E002), well-formed quotes and no NUL byte (E006,
    /// or handed over with the row when lenient). `suspect`: its chunk failed the validity scan,
    /// so its fields are checked one by one. Returns None for a record to skip (a DOS
    /// end-of-file mark, Ctrl-Z, alone on the last line), else the row's malformed field.
    fn accept(
        &self,
        record: Fields<'_>,
        line: u64,
        bad: &[Malformed],
        suspect: bool,
    ) -> Result<Option<Option<Malformed>>> {
        if record.len() == 1 && matches!(record.stripped(0), b"\x1a") {
            return Ok(None);
        }
        let undecodable = if suspect || record.len() != self.width {
            record.iter().position(|field| !encoding::is_valid(self.encoding, field))
        } else {
            None
        };
        if record.len() != self.width {
            // a cut multi-byte character or a stray byte is an encoding problem, not a shift
            if let Some(i) = undecodable {
                return Err(Error::Undecodable { loc: self.loc_at(line, i), encoding: self.encoding.label() });
            }
            // a quote left open runs on into the next lines: say so, not only that the count is off
            if let Some(i) = record.iter().position(|field| field.contains(&b'\n')) {
                let detail = format!(
                    "引用符で始まる値が次の行以降に続いたため、列数が {} 個になり見出しの {} 個と合いません。\
                     閉じる引用符が抜けていないか確認してください",
                    record.len(),
                    self.width
                );
                return Err(Error::Csv { loc: self.loc_at(line, i), detail });
            }
            return Err(Error::Ragged {
                loc: Loc::line(self.name.clone(), line),
                expected: self.width,
                found: record.len(),
            });
        }
        if let Some(i) = undecodable {
            return Err(Error::Undecodable { loc: self.loc_at(line, i), encoding: self.encoding.label() });
        }
        let malformed = bad.iter().find(|m| m.line == line).copied();
        match malformed {
            Some(m) if !self.lenient => {
                Err(Error::Csv { loc: self.loc_at(line, m.field), detail: m.problem.detail().into() })
            }
            m => Ok(Some(m)),
        }
    }

    /// Whether a chunk fails the validity scan (its records are then checked field by field to
    /// say where). A tool that decodes every column itself needs no scan.
    fn suspect(&self, bytes: &[u8]) -> bool {
        !self.decodes_all && !encoding::is_valid(self.encoding, bytes)
    }

    /// Where the file's column `col` of line `line` is: named by its header when that is plainly
    /// a header (a header that swallowed a record is not quoted), else by its position.
    fn loc_at(&self, line: u64, col: usize) -> Loc {
        let label = match self.header.get(col) {
            Some(h) => column_label(h, col),
            None => format!("{}列目", col + 1),
        };
        Loc::cell(self.name.clone(), line, label)
    }

    /// Parses a chunk and hands each row to `each`, in order.
    pub fn parse_chunk(&self, chunk: &Chunk, mut each: impl FnMut(Row<'_>) -> Result<()>) -> Result<()> {
        let bad = wellformed::malformed(&chunk.bytes, chunk.first_line);
        let suspect = self.suspect(&chunk.bytes);
        let mut records = ChunkRecords::new(chunk.bytes.as_slice(), chunk.first_line);
        while let Some(line) = records.next() {
            if let Some(malformed) = self.accept(records.fields(), line, &bad, suspect)? {
                each(Row { line, fields: records.fields(), input: self, malformed })?;
            }
        }
        Ok(())
    }
}

/// The records of one chunk of whole records, read line by line: a line without a quote (nearly
/// every line of nearly every file) is a record whose fields are the bytes between its commas —
/// no copy of the chunk and no state machine; a record with a quote is read by the csv crate's
/// parser (records end at LF; `""` in a quoted field is one quote), however many lines its quoted
/// line breaks span. The CR of a CRLF stays on the last field ([`Row::raw`] strips it). Blank
/// lines (empty, or a lone CR) and a record of one empty field are skipped; every line is counted.
struct ChunkRecords<B> {
    bytes: B,
    at: usize,
    /// the physical line of `at`
    line: u64,
    /// where the first quote at or after `at` is (the end of `bytes` when there is none)
    quote: usize,
    /// the parser of records with quotes, made when the first is met, and its buffers
    quoted: Option<(csv_core::Reader, Vec<u8>, Vec<usize>)>,
    /// the current record: where its fields are, in `bytes` or (`in_quoted`) in the parser's
    /// output, and whether all its bytes are ASCII
    bounds: Vec<(usize, usize)>,
    in_quoted: bool,
    ascii: bool,
}

/// A record's fields: slices of one buffer (the chunk, for a line without a quote; the
/// parser's output, for a record with one), no copy made.
#[derive(Clone, Copy)]
struct Fields<'a> {
    bytes: &'a [u8],
    bounds: &'a [(usize, usize)],
    /// read as a line without a quote: the fields lie in `bytes` as in the file, commas between
    plain: bool,
    /// every byte of the record is ASCII (nearly every record of a file of codes): each field
    /// is text as it stands, in any encoding, the record checked once for all its fields
    ascii: bool,
}

impl<'a> Fields<'a> {
    fn len(&self) -> usize {
        self.bounds.len()
    }

    /// Field `i` as read.
    fn get(&self, i: usize) -> &'a [u8] {
        let (start, end) = self.bounds[i];
        &self.bytes[start..end]
    }

    /// Field `i` without the CR a CRLF line end leaves on the last field.
    fn stripped(&self, i: usize) -> &'a [u8] {
        let f = self.get(i);
        if i + 1 == self.len() { f.strip_suffix(b"\r").unwrap_or(f) } else { f }
    }

    /// Field `i` as text without the CR of a CRLF, when it is ASCII.
    fn ascii_text(&self, i: usize) -> Option<&'a str> {
        let field = self.stripped(i);
        (self.ascii || field.is_ascii()).then(|| ascii_str(field))
    }

    fn iter(&self) -> impl Iterator<Item = &'a [u8]> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }
}

impl<B: AsRef<[u8]>> ChunkRecords<B> {
    /// The records of `bytes`, whose first byte is on line `first_line`.
    fn new(bytes: B, first_line: u64) -> ChunkRecords<B> {
        let quote = memchr::memchr(b'"', bytes.as_ref()).unwrap_or(bytes.as_ref().len());
        ChunkRecords {
            bytes,
            at: 0,
            line: first_line,
            quote,
            quoted: None,
            bounds: Vec::new(),
            in_quoted: false,
            ascii: false,
        }
    }

    /// The current record's fields (after [`ChunkRecords::next`] found one).
    fn fields(&self) -> Fields<'_> {
        let bytes = match (&self.quoted, self.in_quoted) {
            (Some((_, output, _)), true) => output.as_slice(),
            _ => self.bytes.as_ref(),
        };
        Fields { bytes, bounds: &self.bounds, plain: !self.in_quoted, ascii: self.ascii }
    }

    /// Goes to the next record that is not a blank line; returns its physical line.
    fn next(&mut self) -> Option<u64> {
        let bytes = self.bytes.as_ref();
        while self.at < bytes.len() {
            let at = self.at;
            self.bounds.clear();
            let end = split_line(bytes, at, &mut self.bounds);
            if self.quote < at {
                self.quote = memchr::memchr(b'"', &bytes[at..]).map_or(bytes.len(), |q| at + q);
            }
            let line = self.line;
            if self.quote < end {
                self.bounds.clear();
                let parser = self.quoted.get_or_insert_with(quoted_parser);
                let read = read_quoted(parser, &bytes[at..], &mut self.bounds);
                self.in_quoted = true;
                let written = self.bounds.last().map_or(0, |b| b.1);
                self.ascii = parser.1[..written].is_ascii();
                self.line += memchr::memchr_iter(b'\n', &bytes[at..at + read]).count() as u64;
                self.at = at + read;
                // a lone empty field (`""`) is no record
                if matches!(self.bounds[..], [(start, end)] if matches!(&parser.1[start..end], b"" | b"\r")) {
                    continue;
                }
                return Some(line);
            }
            (self.at, self.line) = (end + 1, line + 1);
            if matches!(&bytes[at..end], b"" | b"\r") {
                continue;
            }
            self.in_quoted = false;
            // (it stops at the first byte that is not: early in a line of names)
            self.ascii = bytes[at..end].is_ascii();
            return Some(line);
        }
        None
    }
}

/// Cuts the line that starts at `at` at its commas into `bounds` (start and end of each field)
/// and returns where it ends: at its LF, or at the end of `bytes`. Eight bytes at a time: the
/// commas and the LF of a word are found together by a bit trick, not one search a field.
fn split_line(bytes: &[u8], at: usize, bounds: &mut Vec<(usize, usize)>) -> usize {
    const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;
    const ONES: u64 = 0x0101_0101_0101_0101;
    // the top bit of each byte of `v` that is zero, and no other bit
    let zero_bytes = |v: u64| !(((v & LOW7) + LOW7) | v | LOW7);
    let mut start = at;
    let mut i = at;
    while let Some((word, _)) = bytes[i..].split_first_chunk::<8>() {
        let w = u64::from_le_bytes(*word);
        let mut found = zero_bytes(w ^ (ONES * u64::from(b','))) | zero_bytes(w ^ (ONES * u64::from(b'\n')));
        while found != 0 {
            let k = i + (found.trailing_zeros() / 8) as usize;
            bounds.push((start, k));
            if bytes[k] == b'\n' {
                return k;
            }
            start = k + 1;
            found &= found - 1;
        }
        i += 8;
    }
    for (k, &b) in bytes.iter().enumerate().skip(i) {
        if b == b',' || b == b'\n' {
            bounds.push((start, k));
            if b == b'\n' {
                return k;
            }
            start = k + 1;
        }
    }
    bounds.push((start, bytes.len()));
    bytes.len()
}

/// Bytes that are all ASCII as text, without checking them again: `is_ascii` has just found no
/// byte of 0x80 or above in them or in the whole record they come from.
fn ascii_str(bytes: &[u8]) -> &str {
    debug_assert!(bytes.is_ascii());
    // SAFETY: every byte is below 0x80 (checked by the caller, for the field or for its whole
    // record), and a run of ASCII bytes is valid UTF-8
    unsafe { std::str::from_utf8_unchecked(bytes) }
}

/// The csv crate's parser for records that end at LF, with room for a record's fields and their
/// ends.
fn quoted_parser() -> (csv_core::Reader, Vec<u8>, Vec<usize>) {
    let parser = csv_core::ReaderBuilder::new().terminator(csv_core::Terminator::Any(b'\n')).build();
    (parser, vec![0; 1 << 10], vec![0; 64])
}

/// Reads the one record at the start of `input` (which does not start with a blank line) into
/// the parser's output, where `bounds` says its fields are; returns how many bytes it took, its
/// line end included.
fn read_quoted(
    (parser, fields, ends): &mut (csv_core::Reader, Vec<u8>, Vec<usize>),
    mut input: &[u8],
    bounds: &mut Vec<(usize, usize)>,
) -> usize {
    use csv_core::ReadRecordResult::*;
    parser.reset();
    let (total, mut nfields, mut nends) = (input.len(), 0, 0);
    loop {
        // an empty input tells the parser the chunk (a whole number of records) has ended
        let (result, read, wrote, ended) = parser.read_record(input, &mut fields[nfields..], &mut ends[nends..]);
        input = &input[read..];
        (nfields, nends) = (nfields + wrote, nends + ended);
        match result {
            InputEmpty => {}
            OutputFull => fields.resize(fields.len() * 2, 0),
            OutputEndsFull => ends.resize(ends.len() * 2, 0),
            Record | End => break,
        }
    }
    let mut start = 0;
    for &end in &ends[..nends] {
        bounds.push((start, end));
        start = end;
    }
    total - input.len()
}

/// A CSV file being read against a canonical layout.
pub struct CsvInput {
    ctx: Arc<InputContext>,
    source: Box<dyn Read>,
    /// Bytes read and not yet handed out; starts at a record boundary.
    buf: Vec<u8>,
    /// How far `buf` has been scanned for quotes and line ends, the quote state there, and the
    /// last record boundary seen.
    scanned: usize,
    quotes: RecordEnds,
    boundary: Option<usize>,
    eof: bool,
    /// Physical line of the first byte of `buf`.
    next_line: u64,
    /// Bytes a chunk holds before it is cut ([`CHUNK_BYTES`]; small in tests).
    chunk_bytes: usize,
    /// Row-at-a-time reading ([`CsvInput::next_row`]): the current chunk's reader, first line and
    /// malformed records.
    current: Option<(ChunkRecords<Vec<u8>>, Vec<Malformed>, bool)>,
    /// the malformed field of the row [`CsvInput::advance`] found
    malformed: Option<Malformed>,
    /// where the bytes handed out are counted for the operator (a progress bar), with the count
    progress: Option<(indicatif::ProgressBar, u64)>,
    /// A quoted field left open at the end of the file: the error the next chunk is, once the
    /// records before it have been handed out.
    unclosed: Option<Error>,
}

/// One record of a [`CsvInput`].
pub struct Row<'a> {
    /// Physical line where the record starts (header = 1).
    pub line: u64,
    fields: Fields<'a>,
    input: &'a InputContext,
    /// A malformed quote or NUL byte in the record (only on a lenient input).
    malformed: Option<Malformed>,
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
            if io::stdin().is_terminal() {
                crate::console::warn_once("標準入力から読みます (ファイルは -i FILE で指定。入力の終わりは Ctrl-D)");
            }
            Box::new(io::stdin().lock())
        } else {
            let p = path.unwrap_or(Path::new("-"));
            Box::new(File::open(p).map_err(|e| Error::io(p, e))?)
        };
        let mut buf = read_prefix(&mut source).map_err(io_err)?;
        if let Some((found, iconv)) = encoding::foreign(&buf) {
            return Err(Error::ForeignEncoding { file: name, found, iconv });
        }
        let encoding = match requested {
            InputEncoding::Auto => encoding::sniff(&buf),
            InputEncoding::Sjis => Encoding::Sjis,
            InputEncoding::Utf8 if buf.starts_with(encoding::UTF8_BOM) => Encoding::Utf8Bom,
            InputEncoding::Utf8 => Encoding::Utf8,
        };
        if encoding == Encoding::Utf8Bom {
            buf.drain(..encoding::UTF8_BOM.len());
        }
        if has_cr_only_line_ends(&buf) {
            return Err(Error::CrOnly { file: name });
        }
        // the first record whole, however long
        let end = loop {
            if let Some(end) = first_record_end(&buf) {
                break end;
            }
            if (&mut source).take(CHUNK_BYTES as u64).read_to_end(&mut buf).map_err(io_err)? == 0 {
                if let Some(open) = wellformed::unclosed(&buf, 1) {
                    let loc = Loc::cell(name, open.line, format!("{}列目", open.field + 1));
                    return Err(Error::Csv { loc, detail: wellformed::UNCLOSED.into() });
                }
                break buf.len();
            }
        };
        let mut first = ChunkRecords::new(&buf[..end], 1);
        if first.next().is_none() {
            return Err(Error::Empty { file: name });
        }
        let width = first.fields().len();
        let has_header = mapping.is_none_or(|(lf, _)| lf.header);
        let (header, next_line) = if has_header {
            let header = read_header(&name, encoding, first.fields(), &buf[..end])?;
            drop(first);
            let lines = memchr::memchr_iter(b'\n', &buf[..end]).count() as u64;
            buf.drain(..end);
            (Some(header), 1 + lines)
        } else {
            (None, 1)
        };
        let columns = Columns::resolve(layout, &name, header.as_deref(), width, mapping.map(|(lf, p)| (lf, p)))?;
        let in_layout_order =
            width == columns.columns.len() && columns.columns.iter().enumerate().all(|(i, c)| *c == Some(i));
        let ctx = InputContext {
            columns,
            header: header.unwrap_or_default(),
            width,
            in_layout_order,
            ..InputContext::new(name, encoding)
        };
        Ok(CsvInput {
            ctx: Arc::new(ctx),
            source,
            buf,
            scanned: 0,
            quotes: RecordEnds::default(),
            boundary: None,
            eof: false,
            next_line,
            chunk_bytes: CHUNK_BYTES,
            current: None,
            malformed: None,
            progress: None,
            unclosed: None,
        })
    }

    /// The next run of whole records (about [`CHUNK_BYTES`]), in `reuse`'s allocation; None at
    /// the end.
    pub fn next_chunk(&mut self, mut reuse: Vec<u8>) -> Result<Option<Chunk>> {
        loop {
            let boundary = &mut self.boundary;
            self.scanned = self.quotes.scan(&self.buf, self.scanned, |i| {
                *boundary = Some(i + 1);
                false
            });
            if self.eof || (self.buf.len() >= self.chunk_bytes && self.boundary.is_some()) {
                break;
            }
            let n = (&mut self.source)
                .take(self.chunk_bytes as u64)
                .read_to_end(&mut self.buf)
                .map_err(|e| Error::io(self.ctx.name.clone(), e))?;
            self.eof = n == 0;
        }
        if let Some(e) = self.unclosed.take() {
            return Err(e);
        }
        if self.buf.is_empty() {
            return Ok(None);
        }
        let mut cut = if self.eof { self.buf.len() } else { self.boundary.unwrap_or(self.buf.len()) };
        if self.eof
            && let Some(open) = self.quotes.unclosed(&self.buf, self.scanned, self.next_line)
        {
            // the records before the open quote are read first, as they would be in a larger file
            let e = Error::Csv { loc: self.ctx.loc_at(open.line, open.field), detail: wellformed::UNCLOSED.into() };
            if open.start == 0 {
                return Err(e);
            }
            self.unclosed = Some(e);
            cut = open.start;
        }
        reuse.clear();
        reuse.extend_from_slice(&self.buf[cut..]);
        let mut bytes = std::mem::replace(&mut self.buf, reuse);
        bytes.truncate(cut);
        // what was scanned past the cut stays scanned (the cut is a record's start)
        self.scanned = self.scanned.saturating_sub(cut);
        self.quotes.moved(cut);
        self.boundary = None;
        let first_line = self.next_line;
        self.next_line += memchr::memchr_iter(b'\n', &bytes).count() as u64;
        if let Some((bar, done)) = &mut self.progress {
            *done += bytes.len() as u64;
            bar.set_position(*done);
        }
        Ok(Some(Chunk { bytes, first_line }))
    }

    /// The next record, or None at the end.
    pub fn next_row(&mut self) -> Result<Option<Row<'_>>> {
        let Some(line) = self.advance()? else { return Ok(None) };
        let Some((records, ..)) = &self.current else { return Ok(None) };
        Ok(Some(Row { line, fields: records.fields(), input: &self.ctx, malformed: self.malformed }))
    }

    /// Goes to the next record that is accepted; returns its line (its fields are the current
    /// chunk's current record), or None at the end.
    fn advance(&mut self) -> Result<Option<u64>> {
        loop {
            if let Some((records, bad, suspect)) = &mut self.current
                && let Some(line) = records.next()
            {
                let Some(malformed) = self.ctx.accept(records.fields(), line, bad, *suspect)? else { continue };
                self.malformed = malformed;
                return Ok(Some(line));
            }
            match self.next_chunk(Vec::new())? {
                Some(c) => {
                    let bad = wellformed::malformed(&c.bytes, c.first_line);
                    let suspect = self.ctx.suspect(&c.bytes);
                    self.current = Some((ChunkRecords::new(c.bytes, c.first_line), bad, suspect));
                }
                None => return Ok(None),
            }
        }
    }

    /// Hands rows with malformed quoting or a NUL byte to the tool ([`Row::malformed`]) instead
    /// of stopping: for a tool that lists rejected rows (kk-import). Call before reading rows.
    pub fn lenient(&mut self) {
        if let Some(ctx) = Arc::get_mut(&mut self.ctx) {
            ctx.lenient = true;
        }
    }

    /// Leaves the validity of the bytes to the tool when it decodes every column of the file on
    /// every row with [`Row::text`] or [`Row::text_in`] (the error is the same E002 at the same
    /// place); a file with columns the layout does not use is still scanned. Call before reading.
    pub fn decodes_mapped(&mut self) {
        if let Some(ctx) = Arc::get_mut(&mut self.ctx) {
            let mut decoded = vec![false; ctx.width];
            for &i in ctx.columns.columns.iter().flatten() {
                if let Some(d) = decoded.get_mut(i) {
                    *d = true;
                }
            }
            ctx.decodes_all = decoded.iter().all(|d| *d);
        }
    }

    /// Counts the bytes handed out, chunk by chunk, on `bar`.
    pub fn report_bytes(&mut self, bar: indicatif::ProgressBar) {
        self.progress = Some((bar, 0));
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
    /// The header row's names in file order (empty without a header row).
    pub fn header(&self) -> &[String] {
        &self.ctx.header
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
            Some(i) => self.fields.stripped(i),
            None => b"",
        }
    }

    /// The encoding of the file the row came from.
    pub fn encoding(&self) -> Encoding {
        self.input.encoding
    }

    /// The record as it stands in the file, without its line end, when it stands for its fields
    /// exactly: read without a quote, no CR inside, its columns the layout's in order and no
    /// others. A tool that changes no field may copy it whole.
    pub fn plain_line(&self) -> Option<&[u8]> {
        if !self.fields.plain || !self.input.in_layout_order {
            return None;
        }
        let (start, _) = *self.fields.bounds.first()?;
        let (_, end) = *self.fields.bounds.last()?;
        let line = &self.fields.bytes[start..end];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        memchr::memchr(b'\r', line).is_none().then_some(line)
    }

    /// The raw bytes of the file's column `col` (0-based, in file order).
    pub fn raw_at(&self, col: usize) -> &[u8] {
        self.fields.stripped(col)
    }

    /// The decoded text of the file's column `col`; undecodable bytes are fatal (E002).
    pub fn text_at(&self, col: usize) -> Result<Cow<'_, str>> {
        if let Some(text) = self.fields.ascii_text(col) {
            return Ok(Cow::Borrowed(text));
        }
        encoding::decode(self.input.encoding, self.raw_at(col))
            .ok_or_else(|| Error::Undecodable { loc: self.loc_at(col), encoding: self.input.encoding.label() })
    }

    /// Where the file's column `col` of this row is (named by its header when that is plainly a
    /// header, else by position).
    pub fn loc_at(&self, col: usize) -> Loc {
        self.input.loc_at(self.line, col)
    }

    /// A malformed quote or NUL byte in this row (lenient inputs only): the canonical field it is
    /// in, when it is one of the layout's, and what is wrong.
    pub fn malformed(&self) -> Option<(Option<usize>, Problem)> {
        self.malformed.map(|m| (self.input.columns.columns.iter().position(|c| *c == Some(m.field)), m.problem))
    }

    /// The decoded text of canonical field `field`; undecodable bytes are fatal (E002).
    pub fn text(&self, field: usize, layout: &Layout) -> Result<Cow<'_, str>> {
        if let Some(text) = self.ascii_text(field) {
            return Ok(Cow::Borrowed(text));
        }
        encoding::decode(self.input.encoding, self.raw(field)).ok_or_else(|| self.undecodable(field, layout))
    }

    /// Canonical field `field` as text when it is ASCII (in every encoding the same text: nothing
    /// to decode), else None. A field of a record that is all ASCII is not even scanned.
    pub fn ascii_text(&self, field: usize) -> Option<&str> {
        match self.input.columns.columns[field] {
            Some(i) => self.fields.ascii_text(i),
            None => Some(""),
        }
    }

    /// E002 for a layout field, placed as [`InputContext::accept`] places it (by the file's
    /// column), so that it reads the same whichever of the two finds it.
    fn undecodable(&self, field: usize, layout: &Layout) -> Error {
        let loc = match self.input.columns.columns[field] {
            Some(i) => self.input.loc_at(self.line, i),
            None => self.loc(layout.fields[field].name),
        };
        Error::Undecodable { loc, encoding: self.input.encoding.label() }
    }

    /// Like [`Row::text`], decoding into `buf` (reused from row to row) where a copy is needed.
    /// Returns the raw bytes too (for writing the field back unchanged).
    pub fn text_in<'s>(&'s self, field: usize, layout: &Layout, buf: &'s mut String) -> Result<(&'s [u8], &'s str)> {
        let raw = self.raw(field);
        if let Some(text) = self.ascii_text(field) {
            return Ok((raw, text));
        }
        let text =
            encoding::decode_into(self.input.encoding, raw, buf).ok_or_else(|| self.undecodable(field, layout))?;
        Ok((raw, text))
    }

    pub fn loc(&self, column: &str) -> Loc {
        Loc::cell(self.input.name.clone(), self.line, column)
    }
}

/// The header row's names (trimmed of spaces and a BOM), checked: decodable, not values (a
/// lost line break after the header joins the first record to it: its values must not be taken
/// for column names, nor shown in a message), quoted well. `bytes` is the header line.
fn read_header(name: &str, encoding: Encoding, first: Fields<'_>, bytes: &[u8]) -> Result<Vec<String>> {
    let header = (0..first.len())
        .map(|i| {
            let text = encoding::decode(encoding, first.stripped(i)).ok_or_else(|| Error::Undecodable {
                loc: Loc::cell(name, 1, format!("{}列目", i + 1)),
                encoding: encoding.label(),
            })?;
            Ok(text.trim_matches(|c: char| c == '\u{FEFF}' || c.is_whitespace() || c == '\u{3000}').to_string())
        })
        .collect::<Result<Vec<String>>>()?;
    if let Some(i) = header.iter().position(|h| is_plainly_value(h)) {
        return Err(Error::HeaderWithData { loc: Loc::cell(name, 1, format!("{}列目", i + 1)) });
    }
    if let Some(m) = wellformed::malformed(bytes, 1).first() {
        let loc = Loc::cell(name, 1, format!("{}列目", m.field + 1));
        return Err(Error::Csv { loc, detail: m.problem.detail().into() });
    }
    Ok(header)
}

/// Whether the line ends are CR alone (old Mac, some spreadsheet exports): a CR that is not
/// followed by LF comes before the first LF, or there is no LF at all.
fn has_cr_only_line_ends(buf: &[u8]) -> bool {
    match memchr::memchr(b'\r', buf) {
        None => false,
        Some(cr) => buf.get(cr + 1) != Some(&b'\n') && memchr::memchr(b'\n', &buf[..cr]).is_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::HOUSEHOLD_TAX;
    use proptest::prelude::*;

    /// A field: plain, or with the characters that need quoting.
    fn field() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-z0-9]{0,6}",
            Just("a\nb".to_string()),
            Just("x\r\ny".to_string()),
            Just("q\"q".to_string()),
            Just("c,d".to_string()),
            Just("\n\n".to_string()),
            Just("髙①".to_string()),
        ]
    }

    /// A stray quote (inside a field that did not start with one) is a character: the line
    /// goes on to its end, and the lines after it are counted where they are.
    #[test]
    fn a_stray_quote_does_not_shift_later_lines() {
        let text = b"a\"b,c\n\nd,\"e\nf\"\r\n\"\"\ng\n";
        let mut records = ChunkRecords::new(&text[..], 1);
        let mut got = Vec::new();
        while let Some(line) = records.next() {
            got.push((
                line,
                records.fields().iter().map(|f| String::from_utf8(f.to_vec()).unwrap()).collect::<Vec<_>>(),
            ));
        }
        let want = [(1, vec!["a\"b", "c"]), (3, vec!["d", "e\nf\r"]), (6, vec!["g"])];
        assert_eq!(got, want.map(|(l, f)| (l, f.into_iter().map(String::from).collect::<Vec<_>>())));
    }

    fn quote(f: &str) -> String {
        if f.contains([',', '"', '\r', '\n']) { format!("\"{}\"", f.replace('"', "\"\"")) } else { f.to_string() }
    }

    proptest! {
        /// Whatever the chunk size, every record comes back with its fields and the physical line
        /// it starts on, across quoted line breaks, blank lines and CRLF or LF.
        #[test]
        fn records_and_lines_survive_chunking(
            rows in proptest::collection::vec((proptest::collection::vec(field(), 5), 0..3usize), 1..30),
            crlf in any::<bool>(),
            chunk in 1usize..64,
        ) {
            let eol = if crlf { "\r\n" } else { "\n" };
            let mut text = format!("保険者番号,世帯番号,年度,課税区分,更新日{eol}");
            let mut expected = Vec::new();
            for (fields, blanks) in &rows {
                for _ in 0..*blanks {
                    text.push_str(eol);
                }
                let line = 1 + text.matches('\n').count() as u64;
                expected.push((line, fields.clone()));
                text.push_str(&fields.iter().map(|f| quote(f)).collect::<Vec<_>>().join(","));
                text.push_str(eol);
            }
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("t.csv");
            std::fs::write(&path, &text).unwrap();
            let mut input = CsvInput::open(Some(&path), InputEncoding::Utf8, &HOUSEHOLD_TAX, None).unwrap();
            input.chunk_bytes = chunk;
            let mut got = Vec::new();
            while let Some(row) = input.next_row().unwrap() {
                let fields = (0..5).map(|i| String::from_utf8(row.raw(i).to_vec()).unwrap()).collect::<Vec<_>>();
                got.push((row.line, fields));
            }
            prop_assert_eq!(got, expected);
        }

        /// Lines are cut at exactly their commas and end at exactly their LF, whatever the bytes
        /// around them (bytes that differ from a comma or an LF by one bit, the top bit above
        /// all).
        #[test]
        fn lines_are_cut_at_their_commas_and_end_at_their_lf(
            bytes in proptest::collection::vec(proptest::sample::select(vec![
                b',', b'\n', 0xAC, 0x8A, b'-', 0x0B, 0x2D, 0x0E, 0xFF, 0, b'a', 0x82, 0xA0,
            ]), 0..40),
            at in 0usize..8,
        ) {
            let at = at.min(bytes.len());
            let mut bounds = Vec::new();
            let end = split_line(&bytes, at, &mut bounds);
            let want_end = bytes[at..].iter().position(|&b| b == b'\n').map_or(bytes.len(), |p| at + p);
            prop_assert_eq!(end, want_end);
            let mut want = Vec::new();
            let mut start = at;
            for (k, &b) in bytes.iter().enumerate().take(end).skip(at) {
                if b == b',' {
                    want.push((start, k));
                    start = k + 1;
                }
            }
            want.push((start, end));
            prop_assert_eq!(bounds, want);
        }

        /// Where a file is cut into chunks changes nothing that is read, even with stray quotes,
        /// values after a closing quote and quoted line breaks: chunks are cut where records end
        /// as the reader reads them.
        #[test]
        fn chunks_cut_anywhere_read_the_same_records_with_stray_quotes(
            rows in proptest::collection::vec((proptest::collection::vec(proptest::sample::select(vec![
                "a", "", "b\"c", "\"q\"z", "\"x,\ny\"", "\"\"", "\"p\"\"q\"", "d\"", "\"open",
            ]), 5), any::<bool>()), 0..12),
            chunk in 1usize..24,
        ) {
            let mut text = "保険者番号,世帯番号,年度,課税区分,更新日\n".to_string();
            for (fields, crlf) in &rows {
                text.push_str(&fields.join(","));
                text.push_str(if *crlf { "\r\n" } else { "\n" });
            }
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("t.csv");
            std::fs::write(&path, &text).unwrap();
            let read = |chunk_bytes: usize| {
                let mut input = CsvInput::open(Some(&path), InputEncoding::Utf8, &HOUSEHOLD_TAX, None).unwrap();
                input.lenient();
                input.chunk_bytes = chunk_bytes;
                let mut rows = Vec::new();
                loop {
                    match input.next_row() {
                        Ok(Some(row)) => rows.push(Ok((row.line, row.fields.iter().map(<[u8]>::to_vec).collect::<Vec<_>>()))),
                        Ok(None) => break,
                        Err(e) => {
                            rows.push(Err(e.to_string()));
                            break;
                        }
                    }
                }
                rows
            };
            let whole = read(1 << 20);
            prop_assert!(rows.is_empty() || !whole.is_empty());
            prop_assert_eq!(read(chunk), read(1 << 20));
        }

        /// A chunk gives back every record with its fields as written and the physical line it
        /// starts on: any number of fields (some empty, at either end), quoted fields with commas,
        /// quotes and line breaks, CRs inside fields, blank lines (LF or CRLF), CRLF or LF line
        /// ends, and a last line with or without its line end.
        #[test]
        fn a_chunk_gives_back_its_records_and_their_lines(
            rows in proptest::collection::vec((
                proptest::collection::vec(proptest::sample::select(vec![
                    "", "a", "12", "髙①", " ", "\u{1a}", "a\rb", "x,\ny", "q\"q", "\r\n", "\n\n", "c,d",
                ]), 1..5),
                0..3usize,
            ), 0..12),
            crlf in any::<bool>(),
            last_eol in any::<bool>(),
        ) {
            let eol = if crlf { "\r\n" } else { "\n" };
            let mut text = String::new();
            let mut expected = Vec::new();
            for (k, (fields, blanks)) in rows.iter().enumerate() {
                for _ in 0..*blanks {
                    text.push_str(eol);
                }
                let line = 7 + text.matches('\n').count() as u64;
                text.push_str(&fields.iter().map(|f| quote(f)).collect::<Vec<_>>().join(","));
                if k + 1 < rows.len() || last_eol {
                    text.push_str(eol);
                }
                // a record of one empty field is a blank line; a CR before its LF stays on the
                // last field
                if fields.len() > 1 || !fields[0].is_empty() {
                    let mut fields: Vec<Vec<u8>> = fields.iter().map(|f| f.as_bytes().to_vec()).collect();
                    if crlf && (k + 1 < rows.len() || last_eol) {
                        fields.last_mut().unwrap().push(b'\r');
                    }
                    expected.push((line, fields));
                }
            }
            let mut records = ChunkRecords::new(text.as_bytes(), 7);
            let mut got = Vec::new();
            while let Some(line) = records.next() {
                got.push((line, records.fields().iter().map(<[u8]>::to_vec).collect::<Vec<_>>()));
            }
            prop_assert_eq!(got, expected);
        }
    }
}
