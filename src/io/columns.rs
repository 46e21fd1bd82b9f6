//! An output layout a site configures (finance.toml's ledger, ticket.toml's ticket data): which
//! fields, in which order, under which headers, written as CSV or as fixed-width records in bytes
//! of the output encoding. The tool names its fields (an enum that serde reads by its Japanese
//! name) and gives each row's values as text; this module does the rest, once for every tool.

use serde::Deserialize;

use super::encoding::{Encoding, TextEncoder, UTF8_BOM};
use super::store::RowStore;
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

/// Encodes rows of text in a configured layout.
pub struct ColumnWriter<'c, F> {
    format: Format,
    columns: &'c [Column<F>],
    encoder: TextEncoder,
    crlf: bool,
    store: RowStore,
    scratch: Vec<u8>,
}

impl<'c, F: Copy> ColumnWriter<'c, F> {
    /// Records end in CRLF when `crlf`, else LF.
    pub fn new(format: Format, columns: &'c [Column<F>], encoder: TextEncoder, crlf: bool) -> ColumnWriter<'c, F> {
        ColumnWriter { format, columns, encoder, crlf, store: RowStore::new(crlf, 0), scratch: Vec::new() }
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
        let enc = self.encoder.encoding;
        match self.format {
            Format::Csv => {
                for (i, v) in values.iter().enumerate() {
                    self.scratch.clear();
                    self.encoder.encode(v.as_ref(), &mut self.scratch).map_err(|u| u.error(loc(i), enc))?;
                    self.store.field(&self.scratch);
                }
                let r = self.store.end_row();
                out.extend_from_slice(self.store.bytes(&r));
                self.store.clear();
            }
            Format::Fixed => {
                for (i, (v, c)) in values.iter().zip(self.columns).enumerate() {
                    let width = c.width.unwrap_or(0);
                    self.scratch.clear();
                    self.encoder.encode(v.as_ref(), &mut self.scratch).map_err(|u| u.error(loc(i), enc))?;
                    let field = &self.scratch;
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
