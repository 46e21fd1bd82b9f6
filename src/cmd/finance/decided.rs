//! The month's 決定データ, checked and summed per insurer, and the 保険者一覧 it is checked
//! against.

use std::collections::BTreeMap;
use std::path::Path;

use super::Cli;
use crate::domain::text::normalize_code;
use crate::domain::{InstitutionNumber, InsurerNumber, parse_count, parse_date, parse_yen};
use crate::error::{Error, FieldError, Result};
use crate::io::{CsvInput, Encoding};
use crate::layout::{DECIDED, INSTITUTIONS, INSURERS, decided as d};
use jiff::civil::Date;

/// One insurer's month, summed from the decided rows.
#[derive(Debug, Clone, Default)]
pub struct InsurerMonth {
    /// as written in insurers.csv
    pub insurer: String,
    pub name: String,
    pub postal_code: String,
    pub address: String,
    pub department: String,
    pub count: i64,
    pub insurer_share: i64,
    pub fee: i64,
    /// (区分, 健診機関番号) → (件数, 請求金額, 窓口負担額, 保険者負担額, 事務手数料)
    pub breakdown: BTreeMap<(u8, String), [i64; 5]>,
}

/// The month's decided rows, summed per insurer.
pub struct Decided {
    /// 処理年月 (YYYYMM; empty when the file holds no row)
    pub month: String,
    /// by 8-digit insurer number
    pub insurers: BTreeMap<String, InsurerMonth>,
    pub encoding: Encoding,
}

impl Decided {
    /// The first day of the 処理年月 (checked when read).
    pub fn first_day(&self) -> Date {
        parse_date(&format!("{}01", self.month)).unwrap_or_default()
    }
}

/// The decided rows, checked, summed per insurer (8-digit order); and the 処理年月.
pub fn read_decided(cli: &Cli, insurers: &BTreeMap<String, InsurerMonth>) -> Result<Decided> {
    let requested = cli.input.input_encoding()?;
    let mapping = cli.input.layout_file()?;
    let l = &DECIDED;
    let mut input = CsvInput::open(cli.input.input.as_deref(), requested, l, mapping.as_ref())?;
    let mut month: Option<String> = None;
    let mut out: BTreeMap<String, InsurerMonth> = BTreeMap::new();
    while let Some(row) = input.next_row()? {
        let mut v = Vec::with_capacity(l.fields.len());
        for f in 0..l.fields.len() {
            v.push(normalize_code(&row.text(f, l)?).into_owned());
        }
        let fail = |field: usize, e: FieldError| Error::InvalidValue {
            loc: row.loc(l.fields[field].name),
            code: e.code(),
            message: e.message(),
        };
        let m = &v[d::MONTH];
        if !(m.len() == 6 && m.bytes().all(|b| b.is_ascii_digit()) && parse_date(&format!("{m}01")).is_ok()) {
            return Err(fail(d::MONTH, FieldError::Format));
        }
        match &month {
            Some(first) if first != m => return Err(Error::MixedMonths { loc: row.loc(l.fields[d::MONTH].name) }),
            Some(_) => {}
            None => month = Some(m.clone()),
        }
        let insurer = v[d::INSURER].parse::<InsurerNumber>().map_err(|e| fail(d::INSURER, e))?;
        InstitutionNumber::check(&v[d::INSTITUTION]).map_err(|e| fail(d::INSTITUTION, e))?;
        let category: u8 = match v[d::CATEGORY].as_str() {
            "1" => 1,
            "2" => 2,
            "" => return Err(fail(d::CATEGORY, FieldError::Required)),
            _ => return Err(fail(d::CATEGORY, FieldError::Code)),
        };
        // negative amounts are corrections (過誤調整): carried, not dropped
        let count = parse_signed_count(&v[d::COUNT]).map_err(|e| fail(d::COUNT, e))?;
        let yen = |f: usize| parse_yen(&v[f]).map_err(|e| fail(f, e));
        let amounts = [count, yen(d::BILLED)?, yen(d::COPAY)?, yen(d::INSURER_SHARE)?, yen(d::FEE)?];
        let key = insurer.padded8();
        let Some(known) = insurers.get(&key) else {
            return Err(Error::UnknownInsurer { loc: row.loc(l.fields[d::INSURER].name) });
        };
        let entry = out.entry(key).or_insert_with(|| known.clone());
        entry.count += amounts[0];
        entry.insurer_share += amounts[3];
        entry.fee += amounts[4];
        let line = entry.breakdown.entry((category, v[d::INSTITUTION].clone())).or_insert([0; 5]);
        for (sum, a) in line.iter_mut().zip(amounts) {
            *sum += a;
        }
    }
    // a header-only file is a month without decided rows: empty outputs, not an error
    Ok(Decided { month: month.unwrap_or_default(), insurers: out, encoding: input.encoding() })
}

/// 件数: digits, or a negative count on a correction row.
fn parse_signed_count(s: &str) -> std::result::Result<i64, FieldError> {
    match s.strip_prefix('-') {
        Some(rest) => parse_count(rest).map(|n| -i64::from(n)),
        None => parse_count(s).map(i64::from),
    }
}

/// 健診機関一覧: 健診機関番号 (10 digits) → 健診機関名.
pub fn read_institutions(path: &Path, cli: &Cli) -> Result<BTreeMap<String, String>> {
    let l = &INSTITUTIONS;
    let mut input = CsvInput::open(Some(path), cli.input.input_encoding()?, l, None)?;
    let mut out = BTreeMap::new();
    while let Some(row) = input.next_row()? {
        let number = normalize_code(&row.text(0, l)?).into_owned();
        // the rule the decided rows' numbers are checked by (a number it refuses names nothing)
        InstitutionNumber::check(&number).map_err(|e| Error::InvalidReference {
            loc: row.loc(l.fields[0].name),
            what: "健診機関一覧",
            code: e.code(),
            message: if e == FieldError::Format { "健診機関番号は10桁の数字です" } else { e.message() },
        })?;
        out.insert(number, crate::domain::text::normalize_text(&row.text(1, l)?).into_owned());
    }
    Ok(out)
}

pub fn read_insurers(path: &Path, cli: &Cli) -> Result<BTreeMap<String, InsurerMonth>> {
    let l = &INSURERS;
    let mut input = CsvInput::open(Some(path), cli.input.input_encoding()?, l, None)?;
    let mut out = BTreeMap::new();
    while let Some(row) = input.next_row()? {
        let text = |f: usize| -> Result<String> { Ok(normalize_code(&row.text(f, l)?).into_owned()) };
        let number = text(0)?;
        let insurer = number.parse::<InsurerNumber>().map_err(|e| Error::InvalidReference {
            loc: row.loc(l.fields[0].name),
            what: "保険者一覧",
            code: e.code(),
            message: e.message(),
        })?;
        let m = InsurerMonth {
            insurer: number,
            name: text(1)?,
            postal_code: text(2)?,
            address: text(3)?,
            department: text(4)?,
            ..InsurerMonth::default()
        };
        out.insert(insurer.padded8(), m);
    }
    Ok(out)
}
