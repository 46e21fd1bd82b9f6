//! Records kept in memory, CSV-encoded once, for a tool that must see every row before it writes
//! one (a key seen twice withholds both rows; a new master is sorted). A few large buffers and a
//! [`RowRef`] per row cost far less than a heap record per row; worker threads fill parts of
//! their own, which are then moved in, never copied.

use std::cell::RefCell;

thread_local! {
    /// Built once per thread: building a csv reader builds its state machine, too slow per row.
    static READER: RefCell<csv_core::Reader> = RefCell::new(csv_core::Reader::new());
}

use csv::ByteRecord;
use csv_core::ReadRecordResult;

use super::encoding::{Encoding, TextEncoder, Unmappable};
use crate::error::{Loc, Result};

/// Where a row is in a [`RowStore`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowRef {
    part: u32,
    start: u32,
    end: u32,
}

impl RowRef {
    /// The same row after its store was appended to another at `offset` (from [`RowStore::append`]).
    pub fn moved(self, offset: u32) -> RowRef {
        RowRef { part: self.part + offset, ..self }
    }
}

/// A part holds at most this many bytes; then a new one starts.
const PART_BYTES: usize = 1 << 30;

pub struct RowStore {
    /// Finished parts; the last one is being filled.
    parts: Vec<Vec<u8>>,
    buf: Vec<u8>,
    crlf: bool,
    fields: usize,
    row_start: usize,
}

impl RowStore {
    /// `crlf`: the line ending the rows will be written with; `capacity`: expected bytes.
    pub fn new(crlf: bool, capacity: usize) -> RowStore {
        RowStore {
            parts: Vec::new(),
            buf: Vec::with_capacity(capacity.clamp(1 << 12, PART_BYTES)),
            crlf,
            fields: 0,
            row_start: 0,
        }
    }

    /// Forgets every row (the buffer is kept for the next ones).
    pub fn clear(&mut self) {
        self.parts.clear();
        self.buf.clear();
        self.fields = 0;
        self.row_start = 0;
    }

    /// Whether rows end in CRLF.
    pub fn crlf(&self) -> bool {
        self.crlf
    }

    /// Appends one field (already in the output encoding) to the row being built, quoted only
    /// when it holds a comma, a quote or a line break (the csv crate's "necessary" style).
    pub fn field(&mut self, bytes: &[u8]) {
        if self.fields > 0 {
            self.buf.push(b',');
        }
        self.fields += 1;
        push_csv_field(&mut self.buf, bytes);
    }

    /// Appends a whole row given as CSV bytes, without its line ending (its fields must already
    /// be quoted as [`RowStore::field`] would quote them). Call between rows.
    pub fn csv_row(&mut self, bytes: &[u8]) -> RowRef {
        self.buf.extend_from_slice(bytes);
        self.fields = usize::from(!bytes.is_empty()) + 1;
        self.end_row()
    }

    /// Ends the row being built and returns where it is.
    pub fn end_row(&mut self) -> RowRef {
        // a row of one empty field must not read back as a blank line
        if self.fields == 1 && self.buf.len() == self.row_start {
            self.buf.extend_from_slice(b"\"\"");
        }
        self.buf.extend_from_slice(if self.crlf { b"\r\n" } else { b"\n" });
        self.fields = 0;
        let row = RowRef { part: self.parts.len() as u32, start: self.row_start as u32, end: self.buf.len() as u32 };
        if self.buf.len() > PART_BYTES - (1 << 20) {
            self.parts.push(std::mem::take(&mut self.buf));
        }
        self.row_start = self.buf.len();
        row
    }

    /// Moves another store's rows in (no copy); returns the offset for its [`RowRef`]s
    /// ([`RowRef::moved`]). Call between rows.
    pub fn append(&mut self, mut other: RowStore) -> u32 {
        self.parts.push(std::mem::take(&mut self.buf));
        let offset = self.parts.len() as u32;
        other.parts.push(other.buf);
        self.parts.extend(other.parts);
        self.row_start = 0;
        offset
    }

    /// Every row's bytes in order, as a few large slices (a store written out whole).
    pub fn slices(&self) -> impl Iterator<Item = &[u8]> {
        self.parts.iter().map(Vec::as_slice).chain(std::iter::once(self.buf.as_slice()))
    }

    /// The CSV bytes of a row, line ending included.
    pub fn bytes(&self, row: &RowRef) -> &[u8] {
        let part = self.parts.get(row.part as usize).unwrap_or(&self.buf);
        &part[row.start as usize..row.end as usize]
    }

    /// Hands the bytes of `rows` to `write` in order, rows that lie one after another in the
    /// store as one slice (few large writes instead of one per row).
    pub fn write_rows<'r, E>(
        &self,
        rows: impl IntoIterator<Item = &'r RowRef>,
        mut write: impl FnMut(&[u8]) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut run: Option<RowRef> = None;
        for r in rows {
            match &mut run {
                Some(cur) if cur.part == r.part && cur.end == r.start => cur.end = r.end,
                _ => {
                    if let Some(cur) = run.replace(*r) {
                        write(self.bytes(&cur))?;
                    }
                }
            }
        }
        match run {
            Some(cur) => write(self.bytes(&cur)),
            None => Ok(()),
        }
    }

    /// A row's bytes without its line ending, when no field needed quoting: then the fields are
    /// the bytes between the commas, valid CSV as they stand (copied to another row without a
    /// parse).
    pub fn plain(&self, row: &RowRef) -> Option<&[u8]> {
        let input = self.bytes(row);
        if memchr::memchr(b'"', input).is_some() {
            return None;
        }
        let line = input.strip_suffix(b"\n").unwrap_or(input);
        Some(line.strip_suffix(b"\r").unwrap_or(line))
    }

    /// A row's fields, parsed back (for the rows that go to error and duplicate lists).
    pub fn record(&self, row: &RowRef) -> ByteRecord {
        if let Some(line) = self.plain(row) {
            return line.split(|&b| b == b',').collect();
        }
        let input = self.bytes(row);
        // unquoting only shrinks a row; 64 ends is far more than any layout has
        let mut out = vec![0u8; input.len()];
        let mut ends = [0usize; 64];
        let (res, _, written, n_ends) = READER.with_borrow_mut(|reader| {
            reader.reset();
            reader.read_record(input, &mut out, &mut ends)
        });
        let mut rec = ByteRecord::new();
        if matches!(res, ReadRecordResult::Record | ReadRecordResult::InputEmpty) {
            let mut start = 0;
            for &end in &ends[..n_ends] {
                rec.push_field(&out[start..end.min(written)]);
                start = end;
            }
        }
        rec
    }

    /// Appends a whole record.
    pub fn push(&mut self, rec: &ByteRecord) -> RowRef {
        for f in rec {
            self.field(f);
        }
        self.end_row()
    }
}

/// Appends `fields` to `store` as one row in `enc`'s encoding (a header, a manifest line); a
/// character the encoding cannot hold is an error located at `loc`.
pub fn text_row<S: AsRef<str>>(store: &mut RowStore, enc: &mut TextEncoder, fields: &[S], loc: &Loc) -> Result<()> {
    let mut bytes = Vec::new();
    for f in fields {
        bytes.clear();
        enc.encode(f.as_ref(), &mut bytes).map_err(|u| u.error(loc.clone(), enc.encoding))?;
        store.field(&bytes);
    }
    store.end_row();
    Ok(())
}

/// Appends `bytes` to `out` as one CSV field: as they are, or quoted (quotes doubled) when they
/// hold a comma, a quote or a line break — the csv crate's "necessary" style, the one way every
/// kk output quotes.
pub fn push_csv_field(out: &mut Vec<u8>, bytes: &[u8]) {
    // no early exit: the fold vectorises, and fields are short
    let special = bytes.iter().fold(false, |found, &b| found | matches!(b, b',' | b'"' | b'\r' | b'\n'));
    if !special {
        out.extend_from_slice(bytes);
        return;
    }
    out.push(b'"');
    let mut input = bytes;
    while !input.is_empty() {
        let len = out.len();
        out.resize(len + 2 * input.len() + 2, 0);
        let (_, read, written) = csv_core::quote(input, &mut out[len..], b'"', b'"', true);
        out.truncate(len + written);
        input = &input[read..];
    }
    out.push(b'"');
}

/// Whether a field goes out as its bytes came in: normalizing its `decoded` text gave `text`
/// unchanged, and the output encoding writes that text with the input's bytes.
pub fn goes_out_as_read(decoded: &str, text: &str, input: Encoding, output: Encoding) -> bool {
    // normalizing mostly borrows the decoded text unchanged: then no byte compare is needed
    let unchanged = (std::ptr::eq(decoded.as_ptr(), text.as_ptr()) && decoded.len() == text.len()) || decoded == text;
    unchanged && input.same_bytes_as(output)
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
    if goes_out_as_read(decoded, text, in_enc, enc.encoding) {
        store.field(raw);
        return Ok(());
    }
    scratch.clear();
    enc.encode(text, scratch)?;
    store.field(scratch);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_round_trip_with_quoting() {
        let mut s = RowStore::new(true, 0);
        s.field(b"a");
        s.field(b"b,\"c\"\r\nd");
        let r1 = s.end_row();
        let r2 = s.push(&ByteRecord::from(vec!["x", ""]));
        let r3 = s.push(&ByteRecord::from(vec!["", "", "z"]));
        let r4 = s.push(&ByteRecord::from(vec![""]));
        assert_eq!(s.bytes(&r4), b"\"\"\r\n");
        assert_eq!(s.record(&r4), ByteRecord::from(vec![""]));
        assert_eq!(s.bytes(&r1), b"a,\"b,\"\"c\"\"\r\nd\"\r\n");
        assert_eq!(s.bytes(&r2), b"x,\r\n");
        assert_eq!(s.record(&r1), ByteRecord::from(vec!["a", "b,\"c\"\r\nd"]));
        assert_eq!(s.record(&r2), ByteRecord::from(vec!["x", ""]));
        assert_eq!(s.record(&r3), ByteRecord::from(vec!["", "", "z"]));
    }

    #[test]
    fn stores_append_with_an_offset() {
        let mut a = RowStore::new(false, 0);
        let ra = a.push(&ByteRecord::from(vec!["a", "1"]));
        let mut b = RowStore::new(false, 0);
        let rb = b.push(&ByteRecord::from(vec!["b", "\"2\""]));
        let off = a.append(b);
        let rb = rb.moved(off);
        assert_eq!(a.bytes(&ra), b"a,1\n");
        assert_eq!(a.bytes(&rb), b"b,\"\"\"2\"\"\"\n");
        let rc = a.push(&ByteRecord::from(vec!["c"]));
        assert_eq!(a.bytes(&rc), b"c\n");
        // rows in order are written as runs; a skipped row splits a run
        let mut writes = Vec::new();
        a.write_rows([&ra, &rb, &rc], |b| -> Result<(), ()> {
            writes.push(b.to_vec());
            Ok(())
        })
        .unwrap();
        assert_eq!(writes.concat(), b"a,1\nb,\"\"\"2\"\"\"\nc\n");
        writes.clear();
        a.write_rows([&ra, &rc], |b| -> Result<(), ()> {
            writes.push(b.to_vec());
            Ok(())
        })
        .unwrap();
        assert_eq!(writes, [b"a,1\n".to_vec(), b"c\n".to_vec()]);
    }
}

#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Any fields (commas, quotes, CR, LF, CP932 bytes included) written to a store read back
        /// the same, whatever the line ending.
        #[test]
        fn fields_round_trip(rows in proptest::collection::vec(proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..12), 1..6), 1..8), crlf in any::<bool>()) {
            let mut s = RowStore::new(crlf, 0);
            let refs: Vec<RowRef> = rows.iter().map(|r| s.push(&ByteRecord::from(r.clone()))).collect();
            for (r, row) in refs.iter().zip(&rows) {
                prop_assert_eq!(s.record(r), ByteRecord::from(row.clone()));
            }
        }
    }
}
