//! 請求書 PDF: one A4 invoice per insurer, Japanese, with a subset of a CJK font embedded and
//! the text extractable (krilla; STACK.md §3d). krilla does not measure text, so widths come from
//! ttf-parser, for right-aligned amounts and centred titles. No clock and no random ID: the same
//! invoice gives the same bytes.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use krilla::Document;
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::surface::Surface;
use krilla::text::{Font, TextDirection};

use super::finance::{Config, Invoice};
use crate::domain::format_wareki;
use crate::error::{Error, Result};

/// Where a Japanese font is looked for after `--font` and `KK_FONT` (Debian packages
/// fonts-ipaexfont-gothic and fonts-noto-cjk).
const FONT_PATHS: [&str; 3] = [
    "/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf",
    "/usr/share/fonts/truetype/ipaexfont-gothic/ipaexg.ttf",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
];

/// The font file: `--font`, else `KK_FONT`, else the Debian paths.
pub fn find_font(flag: Option<&Path>) -> Result<PathBuf> {
    find_font_in(flag, std::env::var_os("KK_FONT").map(PathBuf::from), &FONT_PATHS)
}

fn find_font_in(flag: Option<&Path>, env: Option<PathBuf>, standard: &[&str]) -> Result<PathBuf> {
    let candidates = flag.map(Path::to_path_buf).into_iter().chain(env).chain(standard.iter().map(PathBuf::from));
    for p in candidates {
        if p.is_file() {
            return Ok(p);
        }
        if flag.is_some_and(|f| f == p) {
            return Err(Error::io(&p, std::io::Error::from(std::io::ErrorKind::NotFound)));
        }
    }
    Err(Error::NoFont)
}

/// A font for drawing and measuring.
pub struct Typeface {
    font: Font,
    data: Arc<Vec<u8>>,
}

impl Typeface {
    pub fn load(path: &Path) -> Result<Typeface> {
        let data = Arc::new(std::fs::read(path).map_err(|e| Error::io(path, e))?);
        let font = Font::new(data.clone().into(), 0)
            .ok_or_else(|| Error::io(path, std::io::Error::other("フォントとして読めません")))?;
        ttf_parser::Face::parse(&data, 0).map_err(|e| Error::io(path, std::io::Error::other(e.to_string())))?;
        Ok(Typeface { font, data })
    }

    /// Width of `text` at `size` points.
    fn width(&self, text: &str, size: f32) -> f32 {
        let Ok(face) = ttf_parser::Face::parse(&self.data, 0) else { return 0.0 };
        let units = f32::from(face.units_per_em());
        text.chars()
            .map(|c| face.glyph_index(c).and_then(|g| face.glyph_hor_advance(g)).map_or(0.0, f32::from))
            .sum::<f32>()
            * size
            / units
    }
}

const A4: (f32, f32) = (595.28, 841.89);
const MARGIN: f32 = 50.0;
/// The lowest baseline a breakdown row may use before the page breaks.
const BODY_BOTTOM: f32 = 700.0;
const ROW: f32 = 18.0;

/// `1234567` → `1,234,567` (and `-1,100`).
pub fn yen(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

fn date_both(d: jiff::civil::Date) -> String {
    format!("{} ({}年{}月{}日)", format_wareki(d), d.year(), d.month(), d.day())
}

struct Pen<'a, 'b> {
    s: &'a mut Surface<'b>,
    t: &'a Typeface,
}

impl Pen<'_, '_> {
    fn text(&mut self, x: f32, y: f32, size: f32, text: &str) {
        if !text.is_empty() {
            self.s.draw_text(Point::from_xy(x, y), self.t.font.clone(), size, text, false, TextDirection::Auto);
        }
    }
    fn right(&mut self, right: f32, y: f32, size: f32, text: &str) {
        let w = self.t.width(text, size);
        self.text(right - w, y, size, text);
    }
    fn centre(&mut self, centre: f32, y: f32, size: f32, text: &str) {
        let w = self.t.width(text, size);
        self.text(centre - w / 2.0, y, size, text);
    }
    fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, fill: Option<(u8, u8, u8)>, line: f32) {
        let Some(rect) = Rect::from_xywh(x, y, w, h) else { return };
        let mut pb = PathBuilder::new();
        pb.push_rect(rect);
        let Some(path) = pb.finish() else { return };
        self.s.set_fill(fill.map(|(r, g, b)| Fill { paint: rgb::Color::new(r, g, b).into(), ..Fill::default() }));
        self.s.set_stroke((line > 0.0).then(|| Stroke { width: line, ..Stroke::default() }));
        self.s.draw_path(&path);
        self.s.set_fill(Some(Fill::default()));
        self.s.set_stroke(None);
    }
    fn hline(&mut self, x1: f32, x2: f32, y: f32, width: f32) {
        let mut pb = PathBuilder::new();
        pb.move_to(x1, y);
        pb.line_to(x2, y);
        let Some(path) = pb.finish() else { return };
        self.s.set_fill(None);
        self.s.set_stroke(Some(Stroke { width, ..Stroke::default() }));
        self.s.draw_path(&path);
        self.s.set_stroke(None);
        self.s.set_fill(Some(Fill::default()));
    }
}

/// The breakdown table's columns: label, right edge (or left for text), right-aligned.
const COLUMNS: [(&str, f32, bool); 7] = [
    ("区分", MARGIN + 4.0, false),
    ("健診機関番号", MARGIN + 92.0, false),
    ("件数", MARGIN + 210.0, true),
    ("請求金額", MARGIN + 283.0, true),
    ("窓口負担額", MARGIN + 351.0, true),
    ("保険者負担額", MARGIN + 427.0, true),
    ("事務手数料", MARGIN + 491.0, true),
];

fn table_header(p: &mut Pen<'_, '_>, y: f32) {
    p.rect(MARGIN, y - 13.0, A4.0 - 2.0 * MARGIN, ROW, Some((0xDD, 0xE6, 0xF1)), 0.5);
    for (label, x, right) in COLUMNS {
        if right { p.right(x, y, 9.0, label) } else { p.text(x, y, 9.0, label) }
    }
}

fn table_row(p: &mut Pen<'_, '_>, y: f32, cells: [&str; 7]) {
    for ((_, x, right), cell) in COLUMNS.iter().zip(cells) {
        if *right { p.right(*x, y, 9.5, cell) } else { p.text(*x, y, 9.5, cell) }
    }
    p.hline(MARGIN, A4.0 - MARGIN, y + 5.0, 0.3);
}

/// A breakdown row: label, institution and the five amounts in yen.
fn amount_row(p: &mut Pen<'_, '_>, y: f32, label: &str, institution: &str, a: &[i64; 5]) {
    let [a0, a1, a2, a3, a4] = a.map(yen);
    table_row(p, y, [label, institution, &a0, &a1, &a2, &a3, &a4]);
}

/// One invoice as PDF bytes.
pub fn render(invoice: &Invoice, config: &Config, month: &str, face: &Typeface) -> Result<Vec<u8>> {
    let m = &invoice.month;
    let lines: Vec<(String, String, [i64; 5])> = m
        .breakdown
        .iter()
        .map(|((category, institution), a)| {
            let label = if *category == 1 { "特定健診" } else { "特定保健指導" };
            (label.to_string(), institution.clone(), *a)
        })
        .collect();
    let mut doc = Document::new();
    doc.set_metadata(
        krilla::metadata::Metadata::new()
            .title(format!("請求書 {}", invoice.number))
            .language("ja".to_string())
            .creator("kenshin-kit kk-finance".to_string()),
    );
    let settings = || PageSettings::from_wh(A4.0, A4.1).ok_or_else(|| Error::Integrity { detail: "A4".into() });
    // pages: the first has the header block, the rest only the table; rows carried over
    let first_rows = ((BODY_BOTTOM - 420.0) / ROW) as usize;
    let more_rows = ((BODY_BOTTOM - 120.0) / ROW) as usize;
    let mut pages: Vec<&[(String, String, [i64; 5])]> = Vec::new();
    let mut rest = lines.as_slice();
    loop {
        let take = if pages.is_empty() { first_rows } else { more_rows }.min(rest.len());
        let (page, tail) = rest.split_at(take);
        pages.push(page);
        rest = tail;
        if rest.is_empty() {
            break;
        }
    }
    let page_count = pages.len();
    let mut carried = [0i64; 5];
    for (n, rows) in pages.iter().enumerate() {
        let mut page = doc.start_page_with(settings()?);
        let mut surface = page.surface();
        let mut p = Pen { s: &mut surface, t: face };
        let mut y;
        if n == 0 {
            p.centre(A4.0 / 2.0, 80.0, 24.0, "請　求　書");
            p.right(A4.0 - MARGIN, 112.0, 9.5, &format!("請求書番号　{}", invoice.number));
            p.right(A4.0 - MARGIN, 126.0, 9.5, &format!("発行日　{}", date_both(invoice.issue)));
            // addressee
            if !m.postal_code.is_empty() {
                p.text(MARGIN, 150.0, 10.0, &format!("〒{}", m.postal_code));
            }
            p.text(MARGIN, 164.0, 10.0, &m.address);
            p.text(MARGIN, 188.0, 15.0, &format!("{}　御中", m.name));
            p.hline(MARGIN, MARGIN + 270.0, 193.0, 0.8);
            if !m.department.is_empty() {
                p.text(MARGIN, 208.0, 10.0, &format!("{}　ご担当者様", m.department));
            }
            // issuer
            let is = &config.issuer;
            let x = A4.0 - MARGIN - 200.0;
            p.text(x, 160.0, 11.0, &is.name);
            if !is.postal_code.is_empty() {
                p.text(x, 175.0, 9.0, &format!("〒{}", is.postal_code));
            }
            p.text(x, 188.0, 9.0, &is.address);
            p.text(x, 201.0, 9.0, &format!("TEL {}", is.phone));
            if !is.registration_number.is_empty() {
                p.text(x, 214.0, 9.0, &format!("登録番号 {}", is.registration_number));
            }
            p.text(
                MARGIN,
                240.0,
                10.5,
                &format!(
                    "{}年{}月処理分について、下記のとおりご請求申し上げます。",
                    &month[..4],
                    month[4..].trim_start_matches('0')
                ),
            );
            // the total in a box
            p.rect(MARGIN, 252.0, 300.0, 44.0, Some((0xF4, 0xF7, 0xFB)), 1.2);
            p.text(MARGIN + 12.0, 280.0, 12.0, "ご請求金額");
            p.right(MARGIN + 288.0, 282.0, 18.0, &format!("￥{}－", yen(invoice.total())));
            p.text(MARGIN + 320.0, 272.0, 10.0, "お支払期限");
            p.text(MARGIN + 320.0, 288.0, 10.0, &date_both(invoice.due));
            // totals
            let tx = MARGIN + 150.0;
            let mut ty = 320.0;
            for (label, amount) in [
                ("小計（保険者負担額）", m.insurer_share),
                ("事務手数料", m.fee),
                ("消費税", invoice.fee_tax),
                ("合計", invoice.total()),
            ] {
                if label == "消費税" && config.invoice.fee_tax_percent == 0 {
                    continue;
                }
                p.text(tx, ty, 10.0, label);
                p.right(tx + 200.0, ty, 10.0, &format!("{} 円", yen(amount)));
                ty += 15.0;
            }
            y = 415.0;
            p.text(MARGIN, y - 20.0, 10.5, "内訳");
        } else {
            p.right(A4.0 - MARGIN, 60.0, 9.5, &format!("請求書番号　{}　{}　御中", invoice.number, m.name));
            y = 100.0;
            table_header(&mut p, y);
            y += ROW;
            amount_row(&mut p, y, "（前頁より繰越）", "", &carried);
            y += ROW;
        }
        if n == 0 {
            table_header(&mut p, y);
            y += ROW;
        }
        for (label, institution, a) in rows.iter() {
            amount_row(&mut p, y, label, institution, a);
            for (c, v) in carried.iter_mut().zip(a) {
                *c += v;
            }
            y += ROW;
        }
        if n + 1 < page_count {
            amount_row(&mut p, y, "（次頁へ繰越）", "", &carried);
        } else {
            amount_row(&mut p, y, "合計", "", &carried);
            // bank account and notes
            let b = &config.issuer.bank;
            let by = (y + 40.0).max(BODY_BOTTOM - 40.0).min(A4.1 - 130.0);
            p.text(MARGIN, by, 10.0, "お振込先");
            p.text(MARGIN + 60.0, by, 10.0, &format!("{}　{}　{}　{}", b.name, b.branch, b.kind, b.number));
            p.text(MARGIN + 60.0, by + 14.0, 10.0, &format!("口座名義　{}", b.holder));
            for (i, note) in config.invoice.notes.iter().enumerate() {
                p.text(MARGIN, by + 36.0 + 13.0 * i as f32, 9.0, &format!("※ {note}"));
            }
        }
        p.centre(A4.0 / 2.0, A4.1 - 30.0, 8.5, &format!("{} / {}", n + 1, page_count));
        surface.finish();
        page.finish();
    }
    doc.finish().map_err(|e| Error::Integrity { detail: format!("PDF: {e:?}") })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fonts_are_looked_for_in_order_and_their_absence_is_e019() {
        let dir = tempfile::tempdir().unwrap();
        let font = dir.path().join("f.ttf");
        std::fs::write(&font, b"x").unwrap();
        let missing = dir.path().join("missing.ttf");
        assert_eq!(find_font_in(None, Some(font.clone()), &[]).unwrap(), font);
        assert_eq!(find_font_in(None, None, &[font.to_str().unwrap()]).unwrap(), font);
        // a --font that does not exist is an error, not a silent fallback
        assert_eq!(find_font_in(Some(&missing), None, &[font.to_str().unwrap()]).unwrap_err().code(), "E001");
        let e = find_font_in(None, Some(missing), &["/nonexistent/x.ttf"]).unwrap_err();
        assert_eq!(e.code(), "E019");
        assert!(e.to_string().contains("apt-get install fonts-ipaexfont-gothic"));
    }

    #[test]
    fn yen_with_separators() {
        assert_eq!(yen(0), "0");
        assert_eq!(yen(66950), "66,950");
        assert_eq!(yen(-1100), "-1,100");
        assert_eq!(yen(1234567), "1,234,567");
    }
}
