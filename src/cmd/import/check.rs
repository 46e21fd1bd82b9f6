//! One insured row checked and normalized: every problem listed with its column and value, the
//! normalized fields written once into the row store, the person key and identity kept.

use std::borrow::Cow;

use jiff::civil::Date;

use crate::domain::duplicates::{IdentityKey, Records, key_hash};
use crate::domain::person::push_identity_key;
use crate::domain::text::{char_count, is_kana_name, normalize_code, normalize_name, normalize_text};
use crate::domain::{InsurerNumber, PersonKey, format_date, is_yyyymmdd, parse_date};
use crate::error::{Error, FieldError, Result};

use crate::io::{
    Encoding, OutputSpec, Row, RowRef, RowStore, SjisShape, TextEncoder, goes_out_as_read, push_field, sjis_shape,
};
use crate::layout::{INSURED, Layout, insured as f};

/// 異動区分.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    New,
    Update,
    Loss,
}

/// One problem of one row, for the error list.
#[derive(Debug, Clone)]
pub struct Problem {
    pub column: &'static str,
    pub error: FieldError,
    pub value: String,
}

/// The column name the error list gives a problem of the whole person key.
pub const KEY_COLUMN: &str = "被保険者キー";

/// The column name the error list gives malformed CSV outside the layout's columns.
const MALFORMED_COLUMN: &str = "CSV";

/// An insured row after validation and normalization. Its 13 output columns are in the
/// [`RowStore`] at `row`, its person key and identity in the [`Texts`] at `text`.
#[derive(Debug, Clone)]
pub struct Checked {
    pub line: u64,
    pub row: RowRef,
    pub text: TextRef,
    pub problems: Vec<Problem>,
    pub acquired: Option<Date>,
    pub lost: Option<Date>,
    /// the identity as the duplicate search compares it, made on the worker that checked the row
    pub identity: IdentityKey,
    /// the hash of the key (domain::duplicates::key_hash), likewise
    pub key_hash: u64,
    pub change: Option<(Change, Date)>,
    /// read from `--base` (its line is the base's), not from the input
    pub from_base: bool,
}

/// Where a row's person key and identity key are in [`Texts`]: one after the other. A key
/// length of 0 is no key (a valid key is never empty); an identity length of 0 is a row that
/// cannot be compared (a row with problems or a 喪失 row).
#[derive(Debug, Clone, Copy)]
pub struct TextRef {
    part: u32,
    start: u32,
    key_len: u32,
    identity_len: u32,
}

impl TextRef {
    /// The same texts after their part was appended to [`Texts`] as part `part`.
    pub fn moved(self, part: u32) -> TextRef {
        TextRef { part, ..self }
    }
}

/// The person keys and identity keys of checked rows, in a few large buffers (one a chunk of
/// input) rather than two strings a row.
#[derive(Default)]
pub struct Texts {
    parts: Vec<String>,
}

impl Texts {
    /// Takes a chunk's texts in; returns the part number for its [`TextRef`]s.
    pub fn append(&mut self, part: String) -> u32 {
        self.parts.push(part);
        (self.parts.len() - 1) as u32
    }

    fn text(&self, r: &TextRef, from: u32, len: u32) -> &str {
        let start = (r.start + from) as usize;
        &self.parts[r.part as usize][start..start + len as usize]
    }

    /// The row's person key (its text, as [`PersonKey`] borrows it), if the key is valid.
    pub fn key(&self, r: &TextRef) -> Option<&str> {
        (r.key_len > 0).then(|| self.text(r, 0, r.key_len))
    }

    /// The row's identity key (domain::person::identity_key); empty when it has none.
    pub fn identity(&self, r: &TextRef) -> &str {
        self.text(r, r.key_len, r.identity_len)
    }
}

/// Checked rows with the texts they refer to: the table the duplicate rule reads.
#[derive(Clone, Copy)]
pub struct Table<'a> {
    pub rows: &'a [Checked],
    pub texts: &'a Texts,
}

impl Records for Table<'_> {
    fn len(&self) -> usize {
        self.rows.len()
    }
    fn key(&self, i: usize) -> Option<&str> {
        self.texts.key(&self.rows[i].text)
    }
    fn identity(&self, i: usize) -> &str {
        self.texts.identity(&self.rows[i].text)
    }
    fn identity_key(&self, i: usize) -> IdentityKey {
        self.rows[i].identity
    }
    fn key_hash(&self, i: usize) -> u64 {
        self.rows[i].key_hash
    }
    fn acquired(&self, i: usize) -> Option<Date> {
        self.rows[i].acquired
    }
    fn lost(&self, i: usize) -> Option<Date> {
        self.rows[i].lost
    }
    fn line(&self, i: usize) -> u64 {
        self.rows[i].line
    }
}

/// What checking a row needs besides the row.
pub struct RowChecker {
    pub layout: &'static Layout,
    /// Decoded text of each field, reused from row to row.
    pub bufs: [String; MAX_FIELDS],
    pub in_enc: Encoding,
    pub out: TextEncoder,
    pub scratch: Vec<u8>,
    pub as_of: Option<Date>,
    pub diff: bool,
}

fn field_normalizer(field: usize) -> fn(&str) -> Cow<'_, str> {
    match field {
        f::KANA | f::NAME => normalize_name,
        f::ADDRESS => normalize_text,
        _ => normalize_code,
    }
}

/// Whether [`normalize_text`] would change a CP932 text of this shape: half-width kana are
/// widened and blanks at either end trimmed.
fn changes_text(shape: SjisShape) -> bool {
    shape.halfwidth_kana || shape.edge_blank
}

/// Whether [`normalize_name`] would change a CP932 name of this shape: as [`changes_text`], and
/// spaces, tabs and runs of ideographic spaces folded into one ideographic space.
fn changes_name(shape: SjisShape) -> bool {
    changes_text(shape) || shape.ascii_blank || shape.double_wide_space
}

/// The fields that are never read, only copied and checked for presence: when the input and the
/// output are both CP932 and normalizing would change nothing, their bytes go out as they came,
/// undecoded (the text is left empty).
fn copied_through(field: usize) -> Option<fn(SjisShape) -> bool> {
    match field {
        f::NAME => Some(changes_name),
        f::ADDRESS => Some(changes_text),
        _ => None,
    }
}

pub const MAX_FIELDS: usize = 15;

/// A row's normalized fields and the problems found so far.
struct Fields<'a> {
    layout: &'static Layout,
    raw: [&'a [u8]; MAX_FIELDS],
    decoded: [&'a str; MAX_FIELDS],
    norm: [Cow<'a, str>; MAX_FIELDS],
    /// copied through undecoded ([`copied_through`])
    copied: [bool; MAX_FIELDS],
    problems: Vec<Problem>,
}

impl Fields<'_> {
    /// Whether a field is empty once normalized (one copied through undecoded has no blank at
    /// either end: it is empty only when its bytes are).
    fn is_empty(&self, field: usize) -> bool {
        self.norm[field].is_empty() && (!self.copied[field] || self.raw[field].is_empty())
    }

    /// Writes a checked row's output columns to `store`.
    fn write_row(
        &self,
        row: &Row<'_>,
        store: &mut RowStore,
        (out, scratch): (&mut TextEncoder, &mut Vec<u8>),
        in_enc: Encoding,
    ) -> Result<RowRef> {
        let v = self;
        let columns = INSURED.fields.len();
        // nearly every row: every field as it came, and the line as it stands in the file is the
        // output row (one copy, not thirteen)
        let n = v.layout.fields.len();
        if let Some(line) = row.plain_line()
            && n == columns
            && (0..n).all(|field| goes_out_as_read(v.decoded[field], &v.norm[field], in_enc, out.encoding))
        {
            return Ok(store.csv_row(line));
        }
        for field in 0..columns {
            push_field(store, out, scratch, &v.norm[field], (v.raw[field], v.decoded[field], in_enc))
                .map_err(|u| u.error(row.loc(v.layout.fields[field].name), out.encoding))?;
        }
        Ok(store.end_row())
    }

    /// Writes the row's person key (when `key`) and identity key (when `identity`) to `texts`;
    /// returns where they are, the key's hash and the identity as the duplicate search compares it.
    fn texts(
        &self,
        key: bool,
        identity: bool,
        row: &Row<'_>,
        texts: &mut String,
    ) -> Result<(TextRef, u64, IdentityKey)> {
        let start = texts.len();
        let n = &self.norm;
        if key {
            PersonKey::push_text(&n[f::INSURER], &n[f::KIGO], &n[f::BANGO], &n[f::EDABAN], texts);
        }
        let key_end = texts.len();
        if identity {
            push_identity_key(&n[f::KANA], &n[f::BIRTH], &n[f::SEX], texts);
        }
        // offsets in a chunk's texts: only a record of gigabytes of 氏名カナ could pass 4 GiB
        let offset = |n: usize| {
            u32::try_from(n).map_err(|_| {
                let e = FieldError::TooLong;
                let loc = row.loc(self.layout.fields[f::KANA].name);
                Error::InvalidValue { loc, code: e.code(), message: e.message() }
            })
        };
        let text = TextRef {
            part: 0,
            start: offset(start)?,
            key_len: offset(key_end - start)?,
            identity_len: offset(texts.len() - key_end)?,
        };
        let key_hash = if key { key_hash(&texts[start..key_end]) } else { 0 };
        Ok((text, key_hash, IdentityKey::of(&texts[key_end..])))
    }

    fn bad(&mut self, field: usize, error: FieldError) {
        let value = self.decoded[field].to_string();
        self.problems.push(Problem { column: self.layout.fields[field].name, error, value });
    }

    /// A date field, rewritten as YYYYMMDD; None when empty (and allowed to be) or bad.
    fn date(&mut self, field: usize, required: bool) -> Option<Date> {
        if self.norm[field].is_empty() && !required {
            return None;
        }
        match parse_date(&self.norm[field]) {
            Ok(d) => {
                if !is_yyyymmdd(&self.norm[field]) {
                    self.norm[field] = Cow::Owned(format_date(d));
                }
                Some(d)
            }
            Err(e) => {
                self.bad(field, e);
                None
            }
        }
    }

    /// 異動区分 and 異動日 of a diff row.
    fn change(&mut self) -> Option<(Change, Date)> {
        let kind = match self.norm[f::CHANGE_KIND].as_ref() {
            "1" => Some(Change::New),
            "2" => Some(Change::Update),
            "3" => Some(Change::Loss),
            "" => {
                self.bad(f::CHANGE_KIND, FieldError::Required);
                None
            }
            _ => {
                self.bad(f::CHANGE_KIND, FieldError::Code);
                None
            }
        };
        let date = parse_date(&self.norm[f::CHANGE_DATE]).map_err(|e| self.bad(f::CHANGE_DATE, e)).ok();
        kind.zip(date)
    }

    /// Whether 保険者番号, 記号, 番号 and 枝番 are all valid (then they make the person key).
    fn key(&mut self) -> bool {
        let mut ok = InsurerNumber::check(&self.norm[f::INSURER]).map_err(|e| self.bad(f::INSURER, e)).is_ok();
        if char_count(&self.norm[f::KIGO]) > 20 {
            self.bad(f::KIGO, FieldError::TooLong);
            ok = false;
        }
        if self.norm[f::BANGO].is_empty() {
            self.bad(f::BANGO, FieldError::Required);
            ok = false;
        } else if char_count(&self.norm[f::BANGO]) > 20 {
            self.bad(f::BANGO, FieldError::TooLong);
            ok = false;
        }
        let edaban = self.norm[f::EDABAN].as_ref();
        if !(edaban.is_empty() || edaban.len() == 2 && edaban.bytes().all(|b| b.is_ascii_digit())) {
            self.bad(f::EDABAN, FieldError::Format);
            ok = false;
        }
        ok
    }

    /// The columns a full row needs (all but a 喪失 row): birth, acquisition, names, sex,
    /// postcode, and the order of the dates. Returns 資格取得日.
    fn person(&mut self, as_of: Option<Date>) -> Option<Date> {
        let birth = self.date(f::BIRTH, true);
        let acquired = self.date(f::ACQUIRED, true);
        if self.norm[f::KANA].is_empty() {
            self.bad(f::KANA, FieldError::Required);
        } else if !is_kana_name(&self.norm[f::KANA]) {
            self.bad(f::KANA, FieldError::Kana);
        }
        if self.is_empty(f::NAME) {
            self.bad(f::NAME, FieldError::Required);
        }
        match self.norm[f::SEX].as_ref() {
            "1" | "2" => {}
            "" => self.bad(f::SEX, FieldError::Required),
            _ => self.bad(f::SEX, FieldError::Code),
        }
        match normalize_postcode(&self.norm[f::POSTCODE]) {
            Ok(Some(p)) => self.norm[f::POSTCODE] = Cow::Owned(p),
            Ok(None) => {}
            Err(e) => self.bad(f::POSTCODE, e),
        }
        if let (Some(b), Some(a)) = (birth, acquired)
            && a < b
        {
            self.bad(f::ACQUIRED, FieldError::DateOrder);
        }
        if let (Some(b), Some(as_of)) = (birth, as_of)
            && b > as_of
        {
            self.bad(f::BIRTH, FieldError::Future);
        }
        acquired
    }
}

impl RowChecker {
    /// A checker for rows of `layout` read in `in_enc`, written as `out` says.
    pub fn new(
        layout: &'static Layout,
        in_enc: Encoding,
        out: &OutputSpec,
        as_of: Option<Date>,
        diff: bool,
    ) -> RowChecker {
        RowChecker { layout, bufs: Default::default(), in_enc, out: out.encoder(), scratch: Vec::new(), as_of, diff }
    }

    /// Checks `row`: its output columns go to `store`, its key and identity to `texts`.
    pub fn check(&mut self, row: &Row<'_>, store: &mut RowStore, texts: &mut String) -> Result<Checked> {
        let layout = self.layout;
        let n = layout.fields.len();
        let mut raw: [&[u8]; MAX_FIELDS] = [b""; MAX_FIELDS];
        let mut decoded: [&str; MAX_FIELDS] = [""; MAX_FIELDS];
        let mut copied = [false; MAX_FIELDS];
        let copy_through = self.in_enc.is_sjis() && self.out.encoding.is_sjis();
        let mut norm: [Cow<'_, str>; MAX_FIELDS] = Default::default();
        for (field, buf) in self.bufs.iter_mut().enumerate().take(n) {
            if copy_through && let Some(changes) = copied_through(field) {
                raw[field] = row.raw(field);
                if sjis_shape(raw[field]).is_some_and(|s| !changes(s)) {
                    copied[field] = true;
                    continue;
                }
            }
            (raw[field], decoded[field]) = row.text_in(field, layout, buf)?;
            norm[field] = field_normalizer(field)(decoded[field]);
        }
        let mut v = Fields { layout, raw, decoded, norm, copied, problems: Vec::new() };
        if let Some((field, _)) = row.malformed() {
            // the value as read may have lost a quote or hold a NUL byte: the row is listed
            let column = field.map_or(MALFORMED_COLUMN, |f| layout.fields[f].name);
            v.problems.push(Problem { column, error: FieldError::Malformed, value: String::new() });
        }
        let change = if self.diff { v.change() } else { None };
        // A 喪失 row needs only its key and dates: the other columns are not used.
        let full_row = !matches!(change, Some((Change::Loss, _)));
        let key = v.key();
        let lost = v.date(f::LOST, false);
        let acquired = if full_row { v.person(self.as_of) } else { None };
        if let (Some(a), Some(l)) = (acquired, lost)
            && l < a
        {
            v.bad(f::LOST, FieldError::DateOrder);
        }
        // the error list shows a row's problems in column order (stable: cross-checks keep theirs)
        if v.problems.len() > 1 {
            v.problems.sort_by_key(|p| layout.fields.iter().position(|f| f.name == p.column));
        }
        let row_range = v.write_row(row, store, (&mut self.out, &mut self.scratch), self.in_enc)?;
        let (text, key_hash, identity) = v.texts(key, v.problems.is_empty() && full_row, row, texts)?;
        Ok(Checked {
            line: row.line,
            row: row_range,
            problems: v.problems,
            acquired,
            lost,
            identity,
            key_hash,
            text,
            change,
            from_base: false,
        })
    }
}

/// 郵便番号: empty, `NNN-NNNN`, or 7 digits (rewritten as `NNN-NNNN`).
fn normalize_postcode(s: &str) -> std::result::Result<Option<String>, FieldError> {
    if s.is_empty() || crate::domain::person::is_postcode(s) {
        Ok(None)
    } else if s.len() == 7 && s.bytes().all(|b| b.is_ascii_digit()) {
        Ok(Some(format!("{}-{}", &s[..3], &s[3..])))
    } else {
        Err(FieldError::Format)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postcodes() {
        assert_eq!(normalize_postcode(""), Ok(None));
        assert_eq!(normalize_postcode("123-4567"), Ok(None));
        assert_eq!(normalize_postcode("1234567"), Ok(Some("123-4567".into())));
        for bad in ["12-3456", "123456", "12345678", "123-456a"] {
            assert_eq!(normalize_postcode(bad), Err(FieldError::Format), "{bad}");
        }
        assert!(is_yyyymmdd("20260401"));
        assert!(!is_yyyymmdd("2026-04-01"));
    }

    proptest::proptest! {
        /// A CP932 address or name copied through undecoded is exactly what decoding and
        /// normalizing would have written; bytes that do not decode are never copied through.
        #[test]
        fn an_address_copied_through_is_what_normalizing_writes(
            parts in proptest::collection::vec(proptest::sample::select(vec![
                &b"\x93\x8C"[..], b"\x8B\x9E", b"\x82\xA0", b"\x83\x41", b"\x81\x40", b" ", b"\t", b"3",
                b"\xB1", b"\xDE", b"-", b"\x81\x7F", b"\x85\x40", b"\x82", b"\xF0\x40", b"\x87\x40",
            ]), 0..8),
        ) {
            let bytes = parts.concat();
            let decoded = crate::io::encoding::decode(Encoding::Sjis, &bytes);
            let shape = sjis_shape(&bytes);
            proptest::prop_assert_eq!(shape.is_some(), decoded.is_some());
            if let (Some(shape), Some(text)) = (shape, decoded) {
                if !changes_text(shape) {
                    proptest::prop_assert_eq!(field_normalizer(f::ADDRESS)(&text), text.as_ref());
                }
                if !changes_name(shape) {
                    proptest::prop_assert_eq!(field_normalizer(f::NAME)(&text), text.as_ref());
                }
            }
        }
    }
}
