//! Printable tickets: one PDF, one ticket per page, on A4 or a postcard (100 × 148 mm), the
//! font found as kk-finance finds it (`--font`, `KK_FONT`, the Debian paths), a subset embedded
//! and the text extractable. No clock and no random ID: the same tickets give the same bytes.
//!
//! The card is drawn in postcard units (283 × 420 pt) and scaled onto A4, centred at the top.

use krilla::Document;
use krilla::page::PageSettings;

use super::config::Paper;
use super::data::Ticket;
use crate::domain::format_wareki;
use crate::domain::money::Copay;
use crate::error::{Error, Result};
use crate::io::pdf::{A4, Pen, Typeface};

/// 100 × 148 mm in points.
const POSTCARD: (f32, f32) = (283.46, 419.53);

/// A drawing area: card units → page points.
struct Card<'p, 'a, 'b> {
    p: &'p mut Pen<'a, 'b>,
    scale: f32,
    x0: f32,
    y0: f32,
}

impl Card<'_, '_, '_> {
    fn text(&mut self, x: f32, y: f32, size: f32, t: &str) {
        self.p.text(self.x0 + x * self.scale, self.y0 + y * self.scale, size * self.scale, t);
    }
    /// Text at `size`, smaller when it would run past `room` (card units).
    fn fit(&mut self, x: f32, y: f32, size: f32, room: f32, t: &str) {
        let w = self.p.t.width(t, size);
        let size = if w > room { (size * room / w).max(4.0) } else { size };
        self.text(x, y, size, t);
    }
    fn centre(&mut self, x: f32, y: f32, size: f32, t: &str) {
        self.p.centre(self.x0 + x * self.scale, self.y0 + y * self.scale, size * self.scale, t);
    }
    fn hline(&mut self, x1: f32, x2: f32, y: f32, w: f32) {
        let s = self.scale;
        self.p.hline(self.x0 + x1 * s, self.x0 + x2 * s, self.y0 + y * s, w);
    }
    fn vline(&mut self, x: f32, y1: f32, y2: f32, w: f32) {
        let s = self.scale;
        self.p.vline(self.x0 + x * s, self.y0 + y1 * s, self.y0 + y2 * s, w);
    }
    fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, line: f32) {
        let s = self.scale;
        self.p.rect(self.x0 + x * s, self.y0 + y * s, w * s, h * s, None, line);
    }
}

const LEFT: f32 = 14.0;
const RIGHT: f32 = POSTCARD.0 - 14.0;
/// where the values start
const VALUE: f32 = 92.0;
const ROW: f32 = 17.0;

fn sex_name(code: &str) -> &'static str {
    match code {
        "1" => "男",
        "2" => "女",
        _ => "",
    }
}

fn copay_words(c: Option<Copay>) -> String {
    c.map_or_else(|| "—".to_string(), Copay::words)
}

/// The label/value rows of a ticket.
fn rows(t: &Ticket<'_>) -> Vec<(&'static str, String)> {
    let p = t.person;
    let s = t.settings;
    let mut rows = Vec::new();
    match t.level {
        None => rows.push(("受診券整理番号", t.number.to_string())),
        Some(level) => {
            rows.push(("利用券整理番号", t.number.to_string()));
            rows.push(("受診券整理番号", t.checkup_number.map(|n| n.to_string()).unwrap_or_default()));
            rows.push(("支援レベル", level.name().to_string()));
        }
    }
    rows.push(("交付年月日", format_wareki(t.issued)));
    rows.push(("有効期限", format_wareki(t.valid_until)));
    rows.push(("フリガナ", p.kana().to_string()));
    rows.push(("氏名", p.name().to_string()));
    rows.push(("性別", sex_name(p.sex()).to_string()));
    rows.push(("生年月日", format_wareki(p.birth)));
    let [insurer, kigo, bango, edaban] = p.key();
    rows.push(("保険者番号", insurer.to_string()));
    let branch = if edaban.is_empty() { String::new() } else { format!("（枝番 {edaban}）") };
    let symbol = if kigo.is_empty() { String::new() } else { format!("{kigo}・") };
    rows.push(("被保険者証 記号・番号", format!("{symbol}{bango}{branch}")));
    match t.level {
        None => {
            rows.push(("窓口負担 基本", copay_words(s.basic)));
            rows.push(("窓口負担 詳細", copay_words(s.detail)));
            rows.push(("窓口負担 追加", copay_words(s.other)));
            let mut dock = copay_words(s.dock);
            if let Some(limit) = s.dock_limit {
                dock += &format!("（保険者負担上限 {}円）", crate::console::thousands_signed(limit));
            }
            rows.push(("窓口負担 人間ドック", dock));
        }
        Some(_) => rows.push(("窓口負担", copay_words(s.guidance_copay))),
    }
    rows
}

fn draw(card: &mut Card<'_, '_, '_>, t: &Ticket<'_>, notes: &[String]) {
    let title = if t.level.is_some() { "特定保健指導利用券" } else { "特定健康診査受診券" };
    card.centre(POSTCARD.0 / 2.0, 32.0, 14.0, title);
    let rows = rows(t);
    let top = 44.0;
    let bottom = top + ROW * rows.len() as f32;
    card.rect(LEFT, top, RIGHT - LEFT, bottom - top, 0.8);
    card.vline(VALUE - 4.0, top, bottom, 0.4);
    for (i, (label, value)) in rows.iter().enumerate() {
        let y = top + ROW * i as f32;
        if i > 0 {
            card.hline(LEFT, RIGHT, y, 0.3);
        }
        let size = if label.chars().count() > 8 { 6.0 } else { 7.0 };
        card.text(LEFT + 3.0, y + 11.5, size, label);
        let big = matches!(*label, "受診券整理番号" | "利用券整理番号" | "氏名");
        card.fit(VALUE, y + 12.0, if big { 9.5 } else { 8.0 }, RIGHT - VALUE - 3.0, value);
    }
    // the issuer block
    let s = t.settings;
    let mut y = bottom + 16.0;
    let issuer = if s.name.is_empty() { format!("保険者番号 {}", t.person.key()[0]) } else { s.name.clone() };
    card.text(LEFT, y, 7.0, "発行者");
    card.text(VALUE, y, 9.0, &issuer);
    for line in [
        (!s.postal_code.is_empty()).then(|| format!("〒{}", s.postal_code)),
        (!s.address.is_empty()).then(|| s.address.clone()),
        (!s.phone.is_empty()).then(|| format!("電話 {}", s.phone)),
    ]
    .into_iter()
    .flatten()
    {
        y += 11.0;
        card.text(VALUE, y, 7.0, &line);
    }
    let coordinator = if t.level.is_some() { &s.guidance_coordinator } else { &s.checkup_coordinator };
    if !coordinator.is_empty() {
        y += 13.0;
        card.text(LEFT, y, 6.5, "契約取りまとめ機関");
        card.text(VALUE, y, 7.0, coordinator);
    }
    y += 8.0;
    for note in notes {
        y += 10.0;
        card.text(LEFT, y, 6.2, note);
    }
}

/// One PDF of `tickets`, one per page.
pub fn render(tickets: &[Ticket<'_>], paper: Paper, notes: &[String], face: &Typeface, title: &str) -> Result<Vec<u8>> {
    let mut doc = Document::new();
    doc.set_metadata(
        krilla::metadata::Metadata::new()
            .title(title.to_string())
            .language("ja".to_string())
            .creator("kenshin-kit kk-ticket".to_string()),
    );
    let (w, h, scale) = match paper {
        Paper::A4 => (A4.0, A4.1, 1.6),
        Paper::Postcard => (POSTCARD.0, POSTCARD.1, 1.0),
    };
    let x0 = (w - POSTCARD.0 * scale) / 2.0;
    let y0 = if paper == Paper::A4 { 40.0 } else { 0.0 };
    for t in tickets {
        let settings = PageSettings::from_wh(w, h).ok_or_else(|| Error::Integrity { detail: "用紙".into() })?;
        let mut page = doc.start_page_with(settings);
        let mut surface = page.surface();
        let mut pen = Pen { s: &mut surface, t: face };
        draw(&mut Card { p: &mut pen, scale, x0, y0 }, t, notes);
        if paper == Paper::A4 {
            // the card's edge, to cut it out of the sheet
            pen.rect(x0, y0, POSTCARD.0 * scale, POSTCARD.1 * scale, None, 0.3);
        }
        surface.finish();
        page.finish();
    }
    doc.finish().map_err(|e| Error::Integrity { detail: format!("PDF: {e:?}") })
}
