//! 請求書 PDF: one A4 invoice per insurer, Japanese, with a subset of a CJK font embedded and
//! the text extractable (krilla; STACK.md §3d). krilla does not measure text, so widths come from
//! ttf-parser, for right-aligned amounts and centred titles. No clock and no random ID: the same
//! invoice gives the same bytes.

use krilla::Document;
use krilla::page::PageSettings;

use super::config::Config;
use super::invoices::{Invoice, pdf_name};
use crate::console::thousands_signed;
use crate::domain::format_wareki;
use crate::error::{Error, Result};
use crate::io::pdf::{A4, Pen, Typeface, find_font};

const MARGIN: f32 = 50.0;

/// The lowest baseline a breakdown row may use before the page breaks.
const BODY_BOTTOM: f32 = 700.0;

const ROW: f32 = 18.0;

fn date_both(d: jiff::civil::Date) -> String {
    format!("{} ({}年{}月{}日)", format_wareki(d), d.year(), d.month(), d.day())
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
    for (k, ((_, x, right), cell)) in COLUMNS.iter().zip(cells).enumerate() {
        match cell.split_once('\n') {
            // 健診機関番号 with its name under it, in the same row, the name shrunk to its room
            Some((number, name)) if k == 1 => {
                p.text(*x, y - 4.5, 8.0, number);
                let room = COLUMNS[2].1 - 32.0 - x;
                let w = p.t.width(name, 6.5);
                let size = if w > room { (6.5 * room / w).max(4.0) } else { 6.5 };
                p.text(*x, y + 3.0, size, name);
            }
            _ if *right => p.right(*x, y, 9.5, cell),
            _ => p.text(*x, y, 9.5, cell),
        }
    }
    p.hline(MARGIN, A4.0 - MARGIN, y + 5.0, 0.3);
}

/// A breakdown row: label, institution and the five amounts in yen.
fn amount_row(p: &mut Pen<'_, '_>, y: f32, label: &str, institution: &str, a: &[i64; 5]) {
    let [a0, a1, a2, a3, a4] = a.map(thousands_signed);
    table_row(p, y, [label, institution, &a0, &a1, &a2, &a3, &a4]);
}

/// Every invoice as `(file name, PDF bytes)`, in the font `--font`/`KK_FONT`/the standard
/// paths give.
pub fn render_all(
    invoices: &[Invoice],
    config: &Config,
    month: &str,
    font: Option<&std::path::Path>,
    institutions: Option<&std::collections::BTreeMap<String, String>>,
) -> Result<Vec<(String, Vec<u8>)>> {
    let face = Typeface::load(&find_font(font)?)?;
    invoices.iter().map(|inv| Ok((pdf_name(&inv.number), render(inv, config, month, &face, institutions)?))).collect()
}

/// The first page above the breakdown: title, number and dates, addressee, issuer, the amount
/// to pay in a box with the due date, and the totals.
fn first_page_head(p: &mut Pen<'_, '_>, invoice: &Invoice, config: &Config, month: &str) {
    let m = &invoice.month;
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
    p.right(MARGIN + 288.0, 282.0, 18.0, &format!("￥{}－", thousands_signed(invoice.total())));
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
        // a qualified invoice (one with a 登録番号) states the tax of every rate: a fee not
        // taxed says so; without a 登録番号 an untaxed fee has no tax line
        let registered = !config.issuer.registration_number.is_empty();
        let label = match (label, config.invoice.fee_tax_percent) {
            ("消費税", 0) if !registered => continue,
            ("消費税", 0) => "消費税 (事務手数料は対象外)".to_string(),
            ("消費税", rate) => format!("消費税 ({rate}%)"),
            (other, _) => other.to_string(),
        };
        let label = label.as_str();
        p.text(tx, ty, 10.0, label);
        p.right(tx + 200.0, ty, 10.0, &format!("{} 円", thousands_signed(amount)));
        ty += 15.0;
    }
}

/// The breakdown's rows: category, institution cell, amounts. With `--institutions` the cell
/// holds the name under the number (a number not in the list: the number alone).
fn breakdown_lines(
    invoice: &Invoice,
    institutions: Option<&std::collections::BTreeMap<String, String>>,
) -> Vec<(String, String, [i64; 5])> {
    (invoice.month.breakdown.iter())
        .map(|((category, institution), a)| {
            let label = if *category == 1 { "特定健診" } else { "特定保健指導" };
            let cell = match institutions.and_then(|n| n.get(institution)) {
                Some(name) => format!("{institution}\n{name}"),
                None => institution.clone(),
            };
            (label.to_string(), cell, *a)
        })
        .collect()
}

/// One invoice as PDF bytes.
pub fn render(
    invoice: &Invoice,
    config: &Config,
    month: &str,
    face: &Typeface,
    institutions: Option<&std::collections::BTreeMap<String, String>>,
) -> Result<Vec<u8>> {
    let m = &invoice.month;
    let lines = breakdown_lines(invoice, institutions);
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
            first_page_head(&mut p, invoice, config, month);
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
