//! 受診券データ and 利用券データ: one [`Ticket`] per person, its fields named by [`TicketField`]
//! (the names ticket.toml's columns use), written in the configured layout (io::columns).

use std::borrow::Cow;

use jiff::civil::Date;
use serde::Deserialize;

use super::config::{Output, Resolved};
use crate::domain::money::Copay;
use crate::domain::{FiscalYear, TicketNumber, format_date};
use crate::io::columns::{Column, Format};

/// Who a ticket is for, as the master has them (normalized text), kept in one string: a
/// million targets are a million allocations, not nine million.
#[derive(Debug, Clone)]
pub struct Person {
    /// 保険者番号, 記号, 番号, 枝番, 氏名カナ, 氏名, 性別, 郵便番号, 住所, one after another
    text: String,
    ends: [u32; 9],
    pub birth: Date,
    /// the master's line
    pub line: u64,
}

impl Person {
    /// An empty person, to [`Person::push`] the fields to in [`Person`]'s order.
    pub fn start(birth: Date, line: u64, capacity: usize) -> Person {
        Person { text: String::with_capacity(capacity), ends: [0; 9], birth, line }
    }

    /// Appends field `i` (they come in order).
    pub fn push(&mut self, i: usize, field: &str) {
        self.text.push_str(field);
        self.ends[i.min(8)] = self.text.len() as u32;
    }

    fn field(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.text[start..self.ends[i] as usize]
    }

    /// 保険者番号, 記号, 番号, 枝番.
    pub fn key(&self) -> [&str; 4] {
        std::array::from_fn(|i| self.field(i))
    }
    /// One of [`Person::key`]'s parts (0–3).
    pub fn key_part(&self, i: usize) -> &str {
        self.field(i.min(3))
    }
    pub fn kana(&self) -> &str {
        self.field(4)
    }
    pub fn name(&self) -> &str {
        self.field(5)
    }
    pub fn sex(&self) -> &str {
        self.field(6)
    }
    pub fn postcode(&self) -> &str {
        self.field(7)
    }
    pub fn address(&self) -> &str {
        self.field(8)
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

fn copay_kind(c: Option<Copay>) -> Cow<'static, str> {
    c.map_or(Cow::Borrowed(""), |c| Cow::Owned(c.code().to_string()))
}

fn copay_value(c: Option<Copay>) -> Cow<'static, str> {
    c.map_or(Cow::Borrowed(""), |c| Cow::Owned(c.value_text()))
}

impl Ticket<'_> {
    pub fn value(&self, f: TicketField) -> Cow<'_, str> {
        let p = self.person;
        let s = self.settings;
        let guidance = self.level.is_some();
        match f {
            F::CheckupNumber => match self.level {
                None => Cow::Owned(self.number.to_string()),
                Some(_) => self.checkup_number.map_or(Cow::Borrowed(""), |n| Cow::Owned(n.to_string())),
            },
            F::GuidanceNumber => {
                if guidance {
                    Cow::Owned(self.number.to_string())
                } else {
                    Cow::Borrowed("")
                }
            }
            F::Year => Cow::Owned(self.fy.0.to_string()),
            F::Issued => Cow::Owned(format_date(self.issued)),
            F::ValidUntil => Cow::Owned(format_date(self.valid_until)),
            F::Level => Cow::Borrowed(self.level.map_or("", Level::name)),
            F::Insurer => Cow::Borrowed(p.key_part(0)),
            F::Symbol => Cow::Borrowed(p.key_part(1)),
            F::CardNumber => Cow::Borrowed(p.key_part(2)),
            F::Branch => Cow::Borrowed(p.key_part(3)),
            F::Kana => Cow::Borrowed(p.kana()),
            F::Name => Cow::Borrowed(p.name()),
            F::Sex => Cow::Borrowed(p.sex()),
            F::Birth => Cow::Owned(format_date(p.birth)),
            F::Postcode => Cow::Borrowed(p.postcode()),
            F::Address => Cow::Borrowed(p.address()),
            F::BasicKind => copay_kind(s.basic),
            F::BasicValue => copay_value(s.basic),
            F::DetailKind => copay_kind(s.detail),
            F::DetailValue => copay_value(s.detail),
            F::OtherKind => copay_kind(s.other),
            F::OtherValue => copay_value(s.other),
            F::DockKind => copay_kind(s.dock),
            F::DockValue => copay_value(s.dock),
            F::DockLimit => s.dock_limit.map_or(Cow::Borrowed(""), |v| Cow::Owned(v.to_string())),
            F::GuidanceKind => copay_kind(s.guidance_copay),
            F::GuidanceValue => copay_value(s.guidance_copay),
            F::Coordinator => Cow::Borrowed(if guidance { &s.guidance_coordinator } else { &s.checkup_coordinator }),
            F::PaymentAgent => Cow::Borrowed(if guidance { &s.guidance_agent } else { &s.checkup_agent }),
        }
    }
}
