//! What the csv crate reads without complaint but kk refuses (docs/layouts.md "CSVの読み方"):
//! - a quote that closes a quoted field must be followed by a separator or a line end
//!   (`"阿部　愛"xyz` would silently read as `阿部　愛xyz`);
//! - a quote inside a field that did not start with one (`ab"cd`);
//! - a NUL byte anywhere;
//! - a quoted field still open when the file ends (the csv crate ends it there, so every record
//!   after the opening quote would be read silently as part of one value).
//!
//! The check runs on a chunk's raw bytes and looks only at the quotes and NUL bytes in it (found
//! with memchr), so a file without quotes costs one fast scan. Where a problem is found, its
//! record's first line and the field it is in are worked out by reading the chunk from its start
//! (problems are rare; the common case pays nothing for that).

/// What is wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// A quote where none may be.
    Quote,
    /// A NUL byte.
    Nul,
}

impl Problem {
    pub fn detail(self) -> &'static str {
        match self {
            Problem::Quote => {
                "引用符の使い方が正しくありません (閉じる引用符のあとに値が続いているか、値の途中に引用符があります)"
            }
            Problem::Nul => "NUL文字 (0x00) があります",
        }
    }
}

/// What [`unclosed`] finds, as a message's detail.
pub const UNCLOSED: &str =
    "引用符で始まる値が閉じられないままファイルが終わっています。この行から最後までが1つの値になってしまいます";

/// A problem of one record: the line the record starts on, the field (0-based) it is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Malformed {
    pub line: u64,
    pub field: usize,
    pub problem: Problem,
}

/// Whether a quote at `i` of `bytes` (which starts at a record's start) starts a field: only
/// such a quote opens a quoted field, as the csv crate reads it; any other is a character.
fn starts_field(bytes: &[u8], i: usize) -> bool {
    i == 0 || matches!(bytes[i - 1], b',' | b'\n')
}

/// Where byte `at` of `bytes` is: the first line of its record and its field, reading the
/// records from the start of `bytes` (which starts a record on line `first_line`) as
/// [`RecordEnds`] does.
fn place(bytes: &[u8], first_line: u64, at: usize) -> (u64, usize) {
    let p = record_of(bytes, first_line, at);
    (p.line, p.field)
}

/// Where a byte is in its record: the record's first byte and first line, and the field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place {
    pub start: usize,
    pub line: u64,
    pub field: usize,
}

/// [`place`], with the offset of the record's first byte.
fn record_of(bytes: &[u8], first_line: u64, at: usize) -> Place {
    let (mut line, mut field, mut quoted) = (first_line, 0, false);
    let mut record = Place { start: 0, line: first_line, field: 0 };
    let mut i = 0;
    while i < at {
        match bytes[i] {
            b'"' if quoted => {
                // "" inside a quoted field is one quote; any other quote closes the field
                if bytes.get(i + 1) == Some(&b'"') {
                    i += 1;
                } else {
                    quoted = false;
                }
            }
            b'"' => quoted = starts_field(bytes, i),
            b'\n' => {
                line += 1;
                if !quoted {
                    record = Place { start: i + 1, line, field: 0 };
                    field = 0;
                }
            }
            b',' if !quoted => field += 1,
            _ => {}
        }
        i += 1;
    }
    Place { field, ..record }
}

/// Finds where records end, reading quotes as the csv crate does: a quote opens a quoted field
/// only at a field's start; inside one, `""` is a quote and any other quote closes it; an LF
/// outside quotes ends a record. Keeps its state from one step of a growing buffer to the next.
#[derive(Debug, Default, Clone, Copy)]
pub struct RecordEnds {
    in_quotes: bool,
    /// where the quoted field it is in opened, in the bytes scanned ([`RecordEnds::moved`])
    opened: usize,
}

impl RecordEnds {
    /// Scans `bytes[from..]` — `bytes` starts at a record's start, `bytes[..from]` was scanned
    /// before — and calls `end(i)` for each LF `i` that ends a record, until `end` says stop
    /// (true). Returns how far it got: the end of `bytes`, or a quote inside quotes that is the
    /// last byte (whether it closes its field or starts a `""` is not known yet).
    pub fn scan(&mut self, bytes: &[u8], from: usize, mut end: impl FnMut(usize) -> bool) -> usize {
        let mut skip = from;
        for i in memchr::memchr2_iter(b'"', b'\n', &bytes[from..]).map(|i| i + from) {
            if i < skip {
                continue;
            }
            if bytes[i] == b'\n' {
                if !self.in_quotes && end(i) {
                    return i + 1;
                }
            } else if self.in_quotes {
                match bytes.get(i + 1) {
                    None => return i,
                    Some(b'"') => skip = i + 2,
                    Some(_) => self.in_quotes = false,
                }
            } else if starts_field(bytes, i) {
                (self.in_quotes, self.opened) = (true, i);
            }
        }
        bytes.len()
    }

    /// The bytes scanned lost their first `cut` bytes (whole records: no quote is open before).
    pub fn moved(&mut self, cut: usize) {
        self.opened = self.opened.saturating_sub(cut);
    }

    /// Where the quoted field still open at the end of `bytes` opened — its record's first byte
    /// and line, and its field — when the scan got to their end (`scanned`) inside one (a quote
    /// that is the last byte closes its field); else None. `bytes` are the last records of a
    /// file, starting at a record's start on `first_line`.
    pub fn unclosed(&self, bytes: &[u8], scanned: usize, first_line: u64) -> Option<Place> {
        (self.in_quotes && scanned == bytes.len()).then(|| record_of(bytes, first_line, self.opened))
    }
}

/// [`RecordEnds::unclosed`] for `bytes` scanned from their start.
pub fn unclosed(bytes: &[u8], first_line: u64) -> Option<Place> {
    let mut ends = RecordEnds::default();
    let scanned = ends.scan(bytes, 0, |_| false);
    ends.unclosed(bytes, scanned, first_line)
}

/// The malformed quotes and NUL bytes of a chunk of whole records starting on `first_line`, at
/// most one per record, in order.
pub fn malformed(bytes: &[u8], first_line: u64) -> Vec<Malformed> {
    let mut found: Vec<Malformed> = Vec::new();
    let mut note = |at: usize, problem: Problem| {
        let (line, field) = place(bytes, first_line, at);
        if found.last().is_none_or(|m| m.line != line) {
            found.push(Malformed { line, field, problem });
        }
    };
    for at in memchr::memchr_iter(0, bytes) {
        note(at, Problem::Nul);
    }
    let mut quoted = false;
    let mut skip_next = false;
    for i in memchr::memchr_iter(b'"', bytes) {
        if skip_next {
            skip_next = false;
            continue;
        }
        if quoted {
            match bytes.get(i + 1) {
                // "" inside a quoted field is one quote
                Some(b'"') => skip_next = true,
                None | Some(b',' | b'\r' | b'\n') => quoted = false,
                Some(_) => {
                    note(i, Problem::Quote);
                    quoted = false;
                }
            }
        } else if starts_field(bytes, i) {
            quoted = true;
        } else {
            note(i, Problem::Quote);
        }
    }
    found.sort_by_key(|m| m.line);
    found.dedup_by_key(|m| m.line);
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<(u64, usize, Problem)> {
        malformed(text.as_bytes(), 1).into_iter().map(|m| (m.line, m.field, m.problem)).collect()
    }

    #[test]
    fn well_formed_csv_has_no_problem() {
        assert!(lines("a,b\n\"x,y\",\"he said \"\"hi\"\"\"\n\"multi\nline\",z\n\"\",\"\"\r\n").is_empty());
        assert!(lines("").is_empty());
    }

    #[test]
    fn a_value_after_a_closing_quote_or_a_bare_quote_is_found() {
        assert_eq!(lines("h1,h2\n\"阿部　愛\"xyz,1\n"), [(2, 0, Problem::Quote)]);
        assert_eq!(lines("h1,h2\nab,c\"d\n"), [(2, 1, Problem::Quote)]);
        assert_eq!(lines("h1,h2\n\"a\nb\",x\"\nok,ok\n"), [(2, 1, Problem::Quote)], "the record's first line");
        assert_eq!(lines("h1\na\0b\n"), [(2, 0, Problem::Nul)]);
        assert_eq!(lines("a,b\n1,\"2\"3\n4,5\"\n"), [(2, 1, Problem::Quote), (3, 1, Problem::Quote)]);
        // a stray quote is a character: the records after it are where they are
        assert_eq!(lines("h1,h2\na\"b,c\nd,\"e\"x\n"), [(2, 0, Problem::Quote), (3, 1, Problem::Quote)]);
        assert_eq!(lines("h1,h2\na\"b,c\n\"x\ny\",\"e\"x\n"), [(2, 0, Problem::Quote), (3, 1, Problem::Quote)]);
    }

    #[test]
    fn a_quote_left_open_to_the_end_is_placed_where_it_opened() {
        let open = |t: &str| unclosed(t.as_bytes(), 1).map(|p| (p.start, p.line, p.field));
        assert_eq!(open("a,b\n1,\"x\n2,3\n4,5\n"), Some((4, 2, 1)));
        assert_eq!(open("a,b\n\"x\ny\",\"\n"), Some((4, 2, 1)), "the record's first line");
        // closed, also by the file's last byte; "" inside; a stray quote opens nothing
        assert_eq!(open("a,b\n1,\"x\ny\"\n"), None);
        assert_eq!(open("a,b\n1,\"x \"\"q\"\"\""), None);
        assert_eq!(open("a,b\n1,x\"\n2,3\n"), None);
        assert_eq!(open(""), None);
    }
}
