//! An output layout a site configures (finance.toml's ledger, ticket.toml's ticket data): which
//! fields, in which order, under which headers, written as CSV or as fixed-width records in bytes
//! of the output encoding. The tool names its fields (an enum that serde reads by its Japanese
//! name) and gives each row's values as text; this module does the rest, once for every tool.

use serde::Deserialize;

use super::encoding::{Encoding, TextEncoder, UTF8_BOM, Unmappable};
use super::store::push_csv_field;
use crate::error::{Error, Loc, Result};

/// CSV, or fixed-width records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Csv,
    Fixed,
}

/// One configured column.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Column<F> {
    pub field: F,
    /// The header written for this column (CSV with a header row); default: the field's name.
    #[serde(default)]
    pub header: Option<String>,
    /// Fixed format: width in bytes of the output encoding.
    #[serde(default)]
    pub width: Option<usize>,
    /// Fixed format: `right` aligns (amounts), else left.
    #[serde(default)]
    pub align: Option<String>,
    /// Fixed format: the padding character, `" "` or `"0"`.
    #[serde(default)]
    pub pad: Option<String>,
}

/// What is wrong with a set of columns, in words for the config error; None when usable.
pub fn problem<F>(format: Format, columns: &[Column<F>]) -> Option<&'static str> {
    if columns.is_empty() {
        Some("columns が空です")
    } else if format == Format::Fixed && columns.iter().any(|c| c.width.is_none()) {
        Some("format = \"fixed\" では各列に width が必要です")
    } else {
        None
    }
}

/// A value wider than its fixed column: the column's index, its width and the value's bytes.
pub struct TooWide {
    pub column: usize,
    pub width: usize,
    pub len: usize,
}

/// One row's cells in the output's encoding, kept end to end in one buffer (reused from row
/// to row: [`Cells::clear`]).
#[derive(Default)]
pub struct Cells {
    bytes: Vec<u8>,
    ends: Vec<usize>,
}

impl Cells {
    pub fn clear(&mut self) {
        self.bytes.clear();
        self.ends.clear();
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    fn get(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.bytes[start..self.ends[i]]
    }

    /// A cell of text, encoded now; nothing is added when a character does not encode.
    pub fn text(&mut self, encoder: &mut TextEncoder, text: &str) -> std::result::Result<(), Unmappable> {
        let start = self.bytes.len();
        if let Err(u) = encoder.encode(text, &mut self.bytes) {
            self.bytes.truncate(start);
            return Err(u);
        }
        self.ends.push(self.bytes.len());
        Ok(())
    }

    /// A cell of bytes already in the output's encoding (ASCII is in every one of them).
    pub fn bytes(&mut self, bytes: &[u8]) {
        self.bytes.extend_from_slice(bytes);
        self.ends.push(self.bytes.len());
    }

    /// A cell written by `write` straight into the buffer (digits, say: ASCII).
    pub fn with(&mut self, write: impl FnOnce(&mut Vec<u8>)) {
        write(&mut self.bytes);
        self.ends.push(self.bytes.len());
    }
}

/// Encodes rows of text in a configured layout.
pub struct ColumnWriter<'c, F> {
    format: Format,
    columns: &'c [Column<F>],
    encoder: TextEncoder,
    crlf: bool,
}

impl<'c, F: Copy> ColumnWriter<'c, F> {
    /// Records end in CRLF when `crlf`, else LF.
    pub fn new(format: Format, columns: &'c [Column<F>], encoder: TextEncoder, crlf: bool) -> ColumnWriter<'c, F> {
        ColumnWriter { format, columns, encoder, crlf }
    }

    /// The bytes that start the file: the BOM for utf8-bom, then the header row when asked
    /// for (CSV only), each header the column's own or `name` of its field.
    pub fn start(&mut self, header: bool, name: impl Fn(F) -> &'static str, out: &mut Vec<u8>) -> Result<()> {
        if self.encoder.encoding == Encoding::Utf8Bom {
            out.extend_from_slice(UTF8_BOM);
        }
        if header && self.format == Format::Csv {
            let names: Vec<String> =
                self.columns.iter().map(|c| c.header.clone().unwrap_or_else(|| name(c.field).to_string())).collect();
            self.row(&names, out, |_| Loc::default(), |w| Error::Integrity { detail: format!("{}", w.len) })?;
        }
        Ok(())
    }

    /// Appends one row to `out`: `values[i]` is column i's text. `loc(i)` places a character the
    /// encoding cannot hold (E008); `too_wide` makes the error for a value wider than its
    /// fixed column.
    pub fn row<S: AsRef<str>>(
        &mut self,
        values: &[S],
        out: &mut Vec<u8>,
        loc: impl Fn(usize) -> Loc,
        too_wide: impl Fn(TooWide) -> Error,
    ) -> Result<()> {
        let mut cells = Cells::default();
        for (i, v) in values.iter().enumerate() {
            cells.text(&mut self.encoder, v.as_ref()).map_err(|u| u.error(loc(i), self.encoder.encoding))?;
        }
        self.row_of(&cells, out, too_wide)
    }

    /// Appends one row to `out` from its cells, already in the output's encoding.
    pub fn row_of(&mut self, cells: &Cells, out: &mut Vec<u8>, too_wide: impl Fn(TooWide) -> Error) -> Result<()> {
        match self.format {
            Format::Csv => {
                for i in 0..cells.len() {
                    if i > 0 {
                        out.push(b',');
                    }
                    push_csv_field(out, cells.get(i));
                }
                // a row of one empty field must not read back as a blank line
                if cells.len() == 1 && cells.get(0).is_empty() {
                    out.extend_from_slice(b"\"\"");
                }
                out.extend_from_slice(if self.crlf { b"\r\n" } else { b"\n" });
            }
            Format::Fixed => {
                for (i, c) in self.columns.iter().enumerate().take(cells.len()) {
                    let width = c.width.unwrap_or(0);
                    let field = cells.get(i);
                    if field.len() > width {
                        return Err(too_wide(TooWide { column: i, width, len: field.len() }));
                    }
                    let pad = if c.pad.as_deref() == Some("0") { b'0' } else { b' ' };
                    let padding = std::iter::repeat_n(pad, width - field.len());
                    if c.align.as_deref() == Some("right") {
                        // zero padding goes after the sign: -0001100, not 000-1100
                        let sign = pad == b'0' && field.first() == Some(&b'-');
                        if sign {
                            out.push(b'-');
                        }
                        out.extend(padding);
                        out.extend_from_slice(&field[usize::from(sign)..]);
                    } else {
                        out.extend_from_slice(field);
                        out.extend(padding);
                    }
                }
                out.extend_from_slice(if self.crlf { b"\r\n" } else { b"\n" });
            }
        }
        Ok(())
    }

    /// The encoder a row's text cells are put in the output's encoding with.
    pub fn encoder(&mut self) -> &mut TextEncoder {
        &mut self.encoder
    }

    /// How many characters were replaced by 〓.
    pub fn replaced(&self) -> u64 {
        self.encoder.replaced
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, Copy, Deserialize)]
    enum Field {
        #[serde(rename = "金額")]
        Amount,
        #[serde(rename = "摘要")]
        Text,
    }

    fn name(f: Field) -> &'static str {
        match f {
            Field::Amount => "金額",
            Field::Text => "摘要",
        }
    }

    fn columns(toml_text: &str) -> Vec<Column<Field>> {
        #[derive(Deserialize)]
        struct T {
            columns: Vec<Column<Field>>,
        }
        toml::from_str::<T>(toml_text).unwrap().columns
    }

    fn write(format: Format, cols: &[Column<Field>], enc: Encoding, rows: &[[&str; 2]]) -> Result<Vec<u8>> {
        let mut w = ColumnWriter::new(format, cols, TextEncoder::new(enc, false), enc.is_sjis());
        let mut out = Vec::new();
        w.start(true, name, &mut out)?;
        for r in rows {
            w.row(r, &mut out, |_| Loc::default(), |t| Error::Integrity { detail: format!("{} {}", t.column, t.len) })?;
        }
        Ok(out)
    }

    #[test]
    fn csv_with_headers_quotes_only_what_needs_it() {
        let cols = columns("columns = [{ field = \"摘要\", header = \"説明\" }, { field = \"金額\" }]");
        let out = write(Format::Csv, &cols, Encoding::Utf8, &[["a,b", "-100"], ["c", "5"]]).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "説明,金額\n\"a,b\",-100\nc,5\n");
    }

    #[test]
    fn fixed_width_pads_in_bytes_of_the_encoding_and_keeps_the_sign_first() {
        let cols = columns(
            "columns = [{ field = \"摘要\", width = 6 }, { field = \"金額\", width = 6, align = \"right\", pad = \"0\" }]",
        );
        let out = write(Format::Fixed, &cols, Encoding::Sjis, &[["健診", "-110"]]).unwrap();
        let mut want = encoding_rs::SHIFT_JIS.encode("健診").0.into_owned();
        want.extend_from_slice(b"  -00110\r\n");
        assert_eq!(out, want);
        let err = write(Format::Fixed, &cols, Encoding::Sjis, &[["健診健診", "1"]]).unwrap_err();
        assert_eq!(err.to_string(), "E900 整合性チェックに失敗しました: 0 8");
        assert!(problem(Format::Fixed, &columns("columns = [{ field = \"金額\" }]")).is_some());
        assert!(problem(Format::Csv, &cols).is_none());
    }
}
