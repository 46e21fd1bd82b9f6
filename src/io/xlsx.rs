//! Lists as Excel workbooks staff can filter: Japanese headers, a frozen bold header row, an
//! autofilter, column widths that fit full-width text, amounts as numbers and keys as text (so
//! leading zeros stay), and dates as Excel dates shown `yyyy/mm/dd` (a column whose header ends
//! in 日 — 受診日, 生年月日, 資格取得日 … — and whose cell holds `YYYYMMDD`; anything else in it stays
//! text). Written through [`Sink`], so the file is atomic and 0600 like every output.

use std::io::Write;
use std::path::Path;

use rust_xlsxwriter::{Color, DocProperties, ExcelDateTime, Format, FormatBorder, Workbook};
use unicode_width::UnicodeWidthStr;

use super::Sink;
use crate::error::{Error, Result};

/// How a column's cells are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cell {
    /// Always text (numbers with leading zeros, codes).
    Text,
    /// A whole number where the cell holds one, else text.
    Number,
}

/// Writes one sheet named `sheet` with `header` and `rows` to `path`.
pub fn write_sheet<R: AsRef<[String]>>(
    path: &Path,
    sheet: &str,
    header: &[&str],
    kinds: &[Cell],
    rows: &[R],
) -> Result<()> {
    write_sheet_and(path, sheet, header, kinds, rows, |_| Ok(()))
}

/// Like [`write_sheet`], then `more` adds to the workbook (a chart sheet over the list).
pub fn write_sheet_and<R: AsRef<[String]>>(
    path: &Path,
    sheet: &str,
    header: &[&str],
    kinds: &[Cell],
    rows: &[R],
    more: impl FnOnce(&mut Workbook) -> std::result::Result<(), rust_xlsxwriter::XlsxError>,
) -> Result<()> {
    let xlsx_err = |e: rust_xlsxwriter::XlsxError| Error::io(path, std::io::Error::other(e.to_string()));
    let mut book = Workbook::new();
    // a fixed creation time: the same rows give the same bytes (the clock would differ each run)
    let created = ExcelDateTime::from_ymd(2000, 1, 1).map_err(xlsx_err)?;
    book.set_properties(&DocProperties::new().set_creation_datetime(&created));
    let ws = book.add_worksheet();
    ws.set_name(sheet).map_err(xlsx_err)?;
    let head = Format::new().set_bold().set_background_color(Color::RGB(0xDDEBF7)).set_border(FormatBorder::Thin);
    let mut widths: Vec<usize> = header.iter().map(|h| h.width()).collect();
    for (c, h) in header.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &head).map_err(xlsx_err)?;
    }
    let date_format = Format::new().set_num_format("yyyy/mm/dd");
    let date_column: Vec<bool> = header.iter().map(|h| h.ends_with('日')).collect();
    for (r, row) in rows.iter().enumerate() {
        let r = (r + 1) as u32;
        for (c, value) in row.as_ref().iter().enumerate() {
            // amounts in yen are far below 2^53: exact as an Excel number; rates have one decimal
            let number = (kinds.get(c) == Some(&Cell::Number))
                .then(|| value.parse::<i64>().map(|n| n as f64).or_else(|_| value.parse::<f64>()).ok())
                .flatten();
            let date = (number.is_none() && date_column.get(c) == Some(&true)).then(|| excel_date(value)).flatten();
            match (number, date) {
                (Some(n), _) => ws.write_number(r, c as u16, n).map_err(xlsx_err)?,
                (None, Some(d)) => ws.write_datetime_with_format(r, c as u16, &d, &date_format).map_err(xlsx_err)?,
                (None, None) if value.is_empty() => ws,
                (None, None) => ws.write_string(r, c as u16, value).map_err(xlsx_err)?,
            };
            if let Some(w) = widths.get_mut(c) {
                *w = (*w).max(value.width());
            }
        }
    }
    for (c, w) in widths.iter().enumerate() {
        // a full-width character counts 2 (unicode-width); Excel's unit is about one half-width
        // character, plus room for the filter button
        ws.set_column_width(c as u16, (*w as f64 + 3.0).min(80.0)).map_err(xlsx_err)?;
    }
    ws.set_freeze_panes(1, 0).map_err(xlsx_err)?;
    ws.autofilter(0, 0, rows.len() as u32, header.len().saturating_sub(1) as u16).map_err(xlsx_err)?;
    more(&mut book).map_err(xlsx_err)?;
    let bytes = book.save_to_buffer().map_err(xlsx_err)?;
    let mut sink = Sink::create(Some(path))?;
    sink.write_all(&bytes).map_err(|e| Error::io(path, e))?;
    sink.commit()
}

/// `YYYYMMDD` as an Excel date; None for anything else (written as text).
fn excel_date(value: &str) -> Option<ExcelDateTime> {
    if !crate::domain::is_yyyymmdd(value) {
        return None;
    }
    let d = crate::domain::parse_date(value).ok()?;
    ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8).ok()
}
