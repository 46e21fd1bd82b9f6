//! 受診券データ and 利用券データ: one [`Ticket`] per person, its fields named by [`TicketField`]
//! (the names ticket.toml's columns use), written in the configured layout (io::columns).

use std::borrow::Cow;

use jiff::civil::Date;
use serde::Deserialize;

use super::config::{Output, Resolved};
use crate::domain::money::Copay;
use crate::domain::{FiscalYear, TicketNumber, push_date_digits};
use crate::io::columns::{Cells, Column, Format};
use crate::io::{Encoding, TextEncoder, Unmappable};

/// Who a ticket is for, as the master has them, kept in one buffer (a million targets are a
/// million allocations, not nine million): the codes — 保険者番号, 記号, 番号, 枝番, 性別, 郵便番号 —
/// as normalized text, and 氏名カナ, 氏名 and 住所 as the master's own bytes, in its encoding, so
/// that an output in that encoding takes them as they are (neither decoded nor encoded again).
#[derive(Debug, Clone)]
pub struct Person {
    /// the fields one after another, in the order of [`Person::push`]'s `i`: 保険者番号, 記号,
    /// 番号, 枝番, 氏名カナ, 氏名, 性別, 郵便番号, 住所
    bytes: Vec<u8>,
    ends: [u32; 9],
    /// the master's encoding, which 氏名カナ, 氏名 and 住所 are in
    encoding: Encoding,
    pub birth: Date,
    /// the master's line
    pub line: u64,
}

/// Where [`Person`] keeps 氏名カナ, 氏名 and 住所.
const KANA: usize = 4;
const NAME: usize = 5;
const ADDRESS: usize = 8;

impl Person {
    /// An empty person, to [`Person::push`] the fields to in order; the texts are in `encoding`.
    pub fn start(birth: Date, line: u64, encoding: Encoding, capacity: usize) -> Person {
        Person { bytes: Vec::with_capacity(capacity), ends: [0; 9], encoding, birth, line }
    }

    /// Appends field `i` (they come in order): a code as UTF-8 text, 氏名カナ (4), 氏名 (5) or
    /// 住所 (8) in the master's encoding.
    pub fn push(&mut self, i: usize, field: &[u8]) {
        self.bytes.extend_from_slice(field);
        self.ends[i.min(8)] = self.bytes.len() as u32;
    }

    fn field(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.bytes[start..self.ends[i] as usize]
    }

    /// A code field (pushed as text: always UTF-8).
    fn code(&self, i: usize) -> &str {
        std::str::from_utf8(self.field(i)).unwrap_or_default()
    }

    /// A text field as text (its bytes decoded when they are CP932; they decoded when read).
    fn text(&self, i: usize) -> Cow<'_, str> {
        crate::io::encoding::decode(self.encoding, self.field(i)).unwrap_or_default()
    }

    /// A text field as an output in `enc` writes it, when that is its bytes as kept.
    fn bytes_in(&self, i: usize, enc: Encoding) -> Option<&[u8]> {
        self.encoding.same_bytes_as(enc).then(|| self.field(i))
    }

    /// 保険者番号, 記号, 番号, 枝番.
    pub fn key(&self) -> [&str; 4] {
        std::array::from_fn(|i| self.code(i))
    }
    /// One of [`Person::key`]'s parts (0–3).
    pub fn key_part(&self, i: usize) -> &str {
        self.code(i.min(3))
    }
    pub fn kana(&self) -> Cow<'_, str> {
        self.text(KANA)
    }
    pub fn name(&self) -> Cow<'_, str> {
        self.text(NAME)
    }
    pub fn sex(&self) -> &str {
        self.code(6)
    }
    pub fn postcode(&self) -> &str {
        self.code(7)
    }
    pub fn address(&self) -> Cow<'_, str> {
        self.text(ADDRESS)
    }
}

/// 保健指導レベル of a 利用券.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Active,
    Motivational,
}

impl Level {
    pub fn name(self) -> &'static str {
        match self {
            Level::Active => "積極的支援",
            Level::Motivational => "動機付け支援",
        }
    }
}

/// One ticket: a 受診券 (`level` None) or a 利用券.
#[derive(Debug, Clone)]
pub struct Ticket<'a> {
    pub number: TicketNumber,
    /// 利用券: the 受診券整理番号 of the checkup (may be unknown)
    pub checkup_number: Option<TicketNumber>,
    pub level: Option<Level>,
    pub fy: FiscalYear,
    pub issued: Date,
    pub valid_until: Date,
    pub person: &'a Person,
    pub settings: &'a Resolved,
}

macro_rules! fields {
    ($($v:ident = $name:literal,)*) => {
        /// A column of ticket data.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
        pub enum TicketField { $(#[serde(rename = $name)] $v,)* }

        impl TicketField {
            pub fn name(self) -> &'static str {
                match self { $(TicketField::$v => $name,)* }
            }
        }
    };
}

fields! {
    CheckupNumber = "受診券整理番号",
    GuidanceNumber = "利用券整理番号",
    Year = "年度",
    Issued = "交付年月日",
    ValidUntil = "有効期限",
    Level = "保健指導レベル",
    Insurer = "保険者番号",
    Symbol = "被保険者証記号",
    CardNumber = "被保険者証番号",
    Branch = "枝番",
    Kana = "氏名カナ",
    Name = "氏名",
    Sex = "性別",
    Birth = "生年月日",
    Postcode = "郵便番号",
    Address = "住所",
    BasicKind = "窓口負担基本種別",
    BasicValue = "窓口負担基本値",
    DetailKind = "窓口負担詳細種別",
    DetailValue = "窓口負担詳細値",
    OtherKind = "窓口負担追加種別",
    OtherValue = "窓口負担追加値",
    DockKind = "人間ドック負担種別",
    DockValue = "人間ドック負担値",
    DockLimit = "人間ドック保険者負担上限額",
    GuidanceKind = "保健指導負担種別",
    GuidanceValue = "保健指導負担値",
    Coordinator = "契約取りまとめ機関名",
    PaymentAgent = "支払代行機関番号",
}

use TicketField as F;

/// The default 受診券データ columns (docs/ticket.md).
pub const CHECKUP_COLUMNS: [TicketField; 25] = [
    F::CheckupNumber,
    F::Year,
    F::Issued,
    F::ValidUntil,
    F::Insurer,
    F::Symbol,
    F::CardNumber,
    F::Branch,
    F::Kana,
    F::Name,
    F::Sex,
    F::Birth,
    F::Postcode,
    F::Address,
    F::BasicKind,
    F::BasicValue,
    F::DetailKind,
    F::DetailValue,
    F::OtherKind,
    F::OtherValue,
    F::DockKind,
    F::DockValue,
    F::DockLimit,
    F::Coordinator,
    F::PaymentAgent,
];

/// The default 利用券データ columns (docs/ticket.md).
pub const GUIDANCE_COLUMNS: [TicketField; 20] = [
    F::GuidanceNumber,
    F::CheckupNumber,
    F::Year,
    F::Issued,
    F::ValidUntil,
    F::Level,
    F::Insurer,
    F::Symbol,
    F::CardNumber,
    F::Branch,
    F::Kana,
    F::Name,
    F::Sex,
    F::Birth,
    F::Postcode,
    F::Address,
    F::GuidanceKind,
    F::GuidanceValue,
    F::Coordinator,
    F::PaymentAgent,
];

/// The layout to write: the config's, else the default columns as CSV with a header.
pub fn layout(configured: Option<&Output>, default: &[TicketField]) -> (Format, bool, Vec<Column<TicketField>>) {
    match configured {
        Some(o) => (o.format, o.header, o.columns.clone()),
        None => (
            Format::Csv,
            true,
            default.iter().map(|&field| Column { field, header: None, width: None, align: None, pad: None }).collect(),
        ),
    }
}

impl Ticket<'_> {
    /// The row's cells in the output's encoding (`encoder`'s), one for each of `columns`; a text
    /// a character of which does not encode gives the column's index and the character.
    pub fn cells(
        &self,
        columns: &[Column<TicketField>],
        encoder: &mut TextEncoder,
        cells: &mut Cells,
    ) -> Result<(), (usize, Unmappable)> {
        cells.clear();
        for (i, col) in columns.iter().enumerate() {
            self.cell(col.field, encoder, cells).map_err(|u| (i, u))?;
        }
        Ok(())
    }

    /// One cell: numbers and dates written as digits, the master's texts as its bytes when the
    /// output is in its encoding, the rest encoded.
    fn cell(&self, f: TicketField, encoder: &mut TextEncoder, cells: &mut Cells) -> Result<(), Unmappable> {
        let p = self.person;
        let s = self.settings;
        let guidance = self.level.is_some();
        let number = |n: Option<TicketNumber>, cells: &mut Cells| {
            cells.with(|b| {
                if let Some(n) = n {
                    b.extend_from_slice(&n.digits());
                }
            });
        };
        let integer = |v: Option<i64>, cells: &mut Cells| {
            cells.with(|b| {
                if let Some(v) = v {
                    b.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
                }
            });
        };
        let kind = |c: Option<Copay>, cells: &mut Cells| integer(c.map(|c| i64::from(c.code())), cells);
        let text = |i: usize, encoder: &mut TextEncoder, cells: &mut Cells| match p.bytes_in(i, encoder.encoding) {
            Some(bytes) => {
                cells.bytes(bytes);
                Ok(())
            }
            None => cells.text(encoder, &p.text(i)),
        };
        match f {
            F::CheckupNumber => number(if guidance { self.checkup_number } else { Some(self.number) }, cells),
            F::GuidanceNumber => number(guidance.then_some(self.number), cells),
            F::Year => integer(Some(i64::from(self.fy.0)), cells),
            F::Issued => cells.with(|b| push_date_digits(self.issued, b)),
            F::ValidUntil => cells.with(|b| push_date_digits(self.valid_until, b)),
            F::Level => cells.text(encoder, self.level.map_or("", Level::name))?,
            F::Insurer => cells.text(encoder, p.key_part(0))?,
            F::Symbol => cells.text(encoder, p.key_part(1))?,
            F::CardNumber => cells.text(encoder, p.key_part(2))?,
            F::Branch => cells.text(encoder, p.key_part(3))?,
            F::Kana => text(KANA, encoder, cells)?,
            F::Name => text(NAME, encoder, cells)?,
            F::Sex => cells.text(encoder, p.sex())?,
            F::Birth => cells.with(|b| push_date_digits(p.birth, b)),
            F::Postcode => cells.text(encoder, p.postcode())?,
            F::Address => text(ADDRESS, encoder, cells)?,
            F::BasicKind => kind(s.basic, cells),
            F::BasicValue => cells.text(encoder, &copay_value(s.basic))?,
            F::DetailKind => kind(s.detail, cells),
            F::DetailValue => cells.text(encoder, &copay_value(s.detail))?,
            F::OtherKind => kind(s.other, cells),
            F::OtherValue => cells.text(encoder, &copay_value(s.other))?,
            F::DockKind => kind(s.dock, cells),
            F::DockValue => cells.text(encoder, &copay_value(s.dock))?,
            F::DockLimit => integer(s.dock_limit, cells),
            F::GuidanceKind => kind(s.guidance_copay, cells),
            F::GuidanceValue => cells.text(encoder, &copay_value(s.guidance_copay))?,
            F::Coordinator => {
                cells.text(encoder, if guidance { &s.guidance_coordinator } else { &s.checkup_coordinator })?;
            }
            F::PaymentAgent => cells.text(encoder, if guidance { &s.guidance_agent } else { &s.checkup_agent })?,
        }
        Ok(())
    }
}

/// 窓口負担値 as text (empty without a co-payment).
fn copay_value(c: Option<Copay>) -> Cow<'static, str> {
    c.map_or(Cow::Borrowed(""), |c| Cow::Owned(c.value_text()))
}
