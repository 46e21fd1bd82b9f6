//! The three inputs of `write`, read row by row: the results (consecutive rows of one checkup make
//! a [`Unit`]), and the headers and claims rows matched to each checkup by its key (受診券整理番号,
//! 保険者番号, 記号, 番号, 枝番, 受診日). Files written by `read` are in the same order, so the match
//! is the next row; rows out of order wait in a table until their checkup comes.

use rustc_hash::FxHashMap;

use super::super::claims::{WIDTH, col};
use super::super::findings::{Finding, XCheck};
use super::super::hc08::Observation;
use super::cc08::{Prices, Totals};
use super::{Unit, WriteArgs};
use crate::error::Result;
use crate::io::{CsvInput, Encoding, InputEncoding};
use crate::layout::{CLAIMS, Layout, RESULTS, XML_CLAIMS_EXTRA, XML_HEADERS, XML_KEYS};

type Key = [String; 6];

/// How far ahead of the results a headers or claims row is looked for: files in the order `read`
/// writes them match at once; rows further apart than this are not matched (their checkups are
/// written without them and they are listed).
pub const WINDOW: usize = 4096;

/// A side input (headers or claims) looked up by key.
struct Keyed {
    input: CsvInput,
    layout: &'static Layout,
    /// the file's column of each output column, for the columns read by name
    by_name: Vec<Option<usize>>,
    /// the output row's first columns, read through the layout
    from_layout: usize,
    key_of: fn(&[String]) -> Key,
    waiting: FxHashMap<Key, (u64, Vec<String>)>,
    done: bool,
}

impl Keyed {
    fn open(
        path: &std::path::Path,
        layout: &'static Layout,
        from_layout: usize,
        names: &[&str],
        key_of: fn(&[String]) -> Key,
    ) -> Result<Keyed> {
        let input = CsvInput::open(Some(path), InputEncoding::Auto, layout, None)?;
        let header = input.header().to_vec();
        let by_name = names.iter().map(|n| header.iter().position(|h| h == n)).collect();
        Ok(Keyed { input, layout, by_name, from_layout, key_of, waiting: FxHashMap::default(), done: false })
    }

    fn next(&mut self) -> Result<Option<(u64, Vec<String>)>> {
        let Some(row) = self.input.next_row()? else {
            self.done = true;
            return Ok(None);
        };
        let mut out = Vec::with_capacity(self.from_layout + self.by_name.len());
        for i in 0..self.from_layout {
            out.push(row.text(i, self.layout)?.into_owned());
        }
        for c in &self.by_name {
            out.push(match c {
                Some(c) => row.text_at(*c)?.into_owned(),
                None => String::new(),
            });
        }
        Ok(Some((row.line, out)))
    }

    /// The row for `key`: a waiting one, else the next rows of the file until it comes — with at
    /// most [`WINDOW`] rows waiting, so that a checkup without a row (a DATA file without its claim) does
    /// not pull the rest of the file into memory.
    fn take(&mut self, key: &Key) -> Result<Option<Vec<String>>> {
        if let Some((_, r)) = self.waiting.remove(key) {
            return Ok(Some(r));
        }
        // at most WINDOW rows wait: each checkup without a row would otherwise read WINDOW more
        while !self.done && self.waiting.len() < WINDOW {
            let Some((line, r)) = self.next()? else { break };
            let k = (self.key_of)(&r);
            if k == *key {
                return Ok(Some(r));
            }
            self.waiting.entry(k).or_insert((line, r));
        }
        Ok(None)
    }

    /// Every row no checkup took, with its line, in file order.
    fn rest(&mut self) -> Result<Vec<(u64, Vec<String>)>> {
        while let Some(r) = self.next()? {
            let k = (self.key_of)(&r.1);
            self.waiting.entry(k).or_insert(r);
        }
        let mut left: Vec<(u64, Vec<String>)> = self.waiting.drain().map(|(_, v)| v).collect();
        left.sort_by_key(|(line, _)| *line);
        Ok(left)
    }
}

fn header_key(r: &[String]) -> Key {
    std::array::from_fn(|i| r[i].clone())
}

fn claim_key(r: &[String]) -> Key {
    [col::TICKET, col::INSURER, col::KIGO, col::BANGO, col::EDABAN, col::DATE].map(|i| r[i].clone())
}

/// The inputs of one `write`.
pub struct Source {
    results: CsvInput,
    headers: Keyed,
    claims: Option<Keyed>,
    claims_name: String,
    /// the first row of the next checkup, already read
    next: Option<(u64, [String; 9], Observation)>,
    rows: u64,
}

impl Source {
    pub fn open(a: &WriteArgs) -> Result<Source> {
        let results = CsvInput::open(Some(&a.results), InputEncoding::Auto, &RESULTS, None)?;
        let headers = Keyed::open(&a.headers, &XML_KEYS, 0, &XML_HEADERS, header_key)?;
        let claims = match &a.claims {
            Some(p) => Some(Keyed::open(p, &CLAIMS, CLAIMS.fields.len(), &XML_CLAIMS_EXTRA, claim_key)?),
            None => None,
        };
        let claims_name = claims.as_ref().map(|c| c.input.name().to_string()).unwrap_or_default();
        Ok(Source { results, headers, claims, claims_name, next: None, rows: 0 })
    }

    pub fn results_name(&self) -> String {
        self.results.name().to_string()
    }

    pub fn encoding(&self) -> Encoding {
        self.results.encoding()
    }

    pub fn rows_read(&self) -> u64 {
        self.rows
    }

    /// The next results row: its line, person columns and observation.
    fn row(&mut self) -> Result<Option<(u64, [String; 9], Observation)>> {
        let Some(row) = self.results.next_row()? else { return Ok(None) };
        self.rows += 1;
        let t = |i: usize| row.text(i, &RESULTS).map(|c| c.into_owned());
        let person = [t(0)?, t(1)?, t(2)?, t(3)?, t(4)?, t(5)?, t(6)?, t(7)?, t(8)?];
        let obs = Observation { code: t(9)?, name: t(10)?, value: t(11)?, unit: t(12)? };
        Ok(Some((row.line, person, obs)))
    }

    /// The next checkup: its consecutive rows with the same person columns, with its headers
    /// row and claim.
    fn unit(&mut self) -> Result<Option<Unit>> {
        let first = match self.next.take() {
            Some(r) => r,
            None => match self.row()? {
                Some(r) => r,
                None => return Ok(None),
            },
        };
        let (line, person, obs) = first;
        let mut observations = vec![obs];
        while let Some((l, p, o)) = self.row()? {
            if p != person {
                self.next = Some((l, p, o));
                break;
            }
            observations.push(o);
        }
        let key: Key = [0, 1, 2, 3, 4, 8].map(|i| person[i].clone());
        let header = self.headers.take(&key)?.unwrap_or_default();
        let claim = match self.claims.as_mut() {
            Some(c) => c.take(&key)?,
            None => None,
        };
        Ok(Some(Unit { person, observations, header, claim, line }))
    }

    /// Up to `n` checkups.
    pub fn next_batch(&mut self, n: usize) -> Result<Vec<Unit>> {
        let mut out = Vec::with_capacity(n);
        while out.len() < n {
            match self.unit()? {
                Some(u) => out.push(u),
                None => break,
            }
        }
        Ok(out)
    }

    /// The claims no checkup took (X304).
    pub fn leftover_claims(&mut self) -> Result<Vec<Finding>> {
        let Some(c) = self.claims.as_mut() else { return Ok(Vec::new()) };
        let name = self.claims_name.clone();
        Ok(c.rest()?
            .into_iter()
            .map(|(line, r)| Finding::new(&name, line, "", XCheck::LoneClaim, &r[col::TICKET]))
            .collect())
    }
}

fn yen(s: &str, what: &str) -> std::result::Result<i64, String> {
    match s.trim().parse::<i64>() {
        Ok(v) if (0..=999_999_999).contains(&v) => Ok(v),
        _ => Err(format!("{what} が0〜999999999の整数ではありません")),
    }
}

/// The 6-digit amounts of cc08 (窓口負担の値, 窓口負担額 by kind, 保険者負担上限額): a shorter number
/// is padded with zeros; anything else is refused.
pub fn normalize_claim(r: &mut [String]) -> std::result::Result<(), String> {
    debug_assert_eq!(r.len(), WIDTH);
    let six = [col::CHARGES + 1, col::CHARGES + 3, col::CHARGES + 5, col::CHARGES + 7, col::DOCK_LIMIT]
        .into_iter()
        .chain(col::PAYMENTS..col::PAYMENTS + 3);
    for i in six {
        let v = r[i].trim();
        if v.is_empty() {
            continue;
        }
        if v.len() > 6 || !v.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("{} が6桁以内の数字ではありません", column_name(i)));
        }
        r[i] = format!("{v:0>6}");
    }
    for i in [col::CLAIM_TYPE, col::COMMISSION, col::EVENT] {
        let one_digit = r[i].len() == 1 && r[i].as_bytes()[0].is_ascii_digit();
        if !r[i].is_empty() && !one_digit {
            return Err(format!("{} が1桁のコードではありません", column_name(i)));
        }
    }
    Ok(())
}

fn column_name(i: usize) -> &'static str {
    CLAIMS.fields.get(i).map_or_else(|| XML_CLAIMS_EXTRA[i - CLAIMS.fields.len()], |f| f.name)
}

/// One kind of item prices: (code, amount) pairs from the codes and prices columns, checked
/// against the count and total.
fn items<'a>(
    r: &'a [String],
    count: usize,
    codes: usize,
    prices: usize,
    total: usize,
    what: &str,
) -> std::result::Result<Vec<(&'a str, &'a str)>, String> {
    let n = if r[count].trim().is_empty() { 0 } else { yen(&r[count], column_name(count))? as usize };
    let split = |i: usize| if r[i].is_empty() { Vec::new() } else { r[i].split(';').collect::<Vec<&str>>() };
    let mut codes = split(codes);
    let mut amounts = split(prices);
    if codes.is_empty() && what == "追加" {
        codes = vec![""; n];
    }
    if amounts.is_empty() && n == 1 {
        amounts = vec![r[total].as_str()];
    }
    if codes.len() != n || amounts.len() != n {
        return Err(format!("{what}項目数 {n} と{what}項目コード・{what}単価の数が合いません"));
    }
    let mut sum = 0;
    for a in &amounts {
        sum += yen(a, &format!("{what}単価"))?;
    }
    if !r[total].trim().is_empty() && yen(&r[total], column_name(total))? != sum {
        return Err(format!("{what}単価の合計が{}と違います", column_name(total)));
    }
    Ok(codes.into_iter().zip(amounts).collect())
}

/// The prices of a claim, checked: the schema's codes for 詳細 items (1–4), integer yen.
pub fn claim_prices(r: &[String]) -> std::result::Result<Prices<'_>, String> {
    let detail = items(r, col::DETAIL_COUNT, col::DETAIL_CODES, col::DETAIL_PRICES, col::DETAIL_TOTAL, "詳細")?;
    if let Some((c, _)) = detail.iter().find(|(c, _)| !matches!(*c, "1" | "2" | "3" | "4")) {
        return Err(format!("詳細項目コード {c} は 1〜4 ではありません"));
    }
    let other =
        items(r, col::ADDITIONAL_COUNT, col::ADDITIONAL_CODES, col::ADDITIONAL_PRICES, col::ADDITIONAL_TOTAL, "追加")?;
    let base = if r[col::BASE].trim().is_empty() { 0 } else { yen(&r[col::BASE], "基本単価")? };
    yen(&r[col::COPAY], "窓口負担額")?;
    yen(&r[col::CLAIM], "請求金額")?;
    if !r[col::OTHER_PROGRAM].is_empty() {
        yen(&r[col::OTHER_PROGRAM], "他制度負担額")?;
    }
    let cost = if r[col::COST].trim().is_empty() {
        let sum = |v: &[(&str, &str)]| v.iter().map(|(_, a)| a.trim().parse::<i64>().unwrap_or(0)).sum::<i64>();
        (base + sum(&detail) + sum(&other)).to_string()
    } else {
        yen(&r[col::COST], "単価合計額")?.to_string()
    };
    Ok(Prices { detail, other, cost })
}

/// What one claim adds to the su08 totals.
pub fn totals(r: &[String], p: &Prices<'_>) -> Totals {
    let v = |s: &str| s.trim().parse::<i64>().unwrap_or(0);
    Totals {
        subjects: 1,
        cost: v(&p.cost),
        payment: v(&r[col::COPAY]),
        other_program: (!r[col::OTHER_PROGRAM].is_empty()).then(|| v(&r[col::OTHER_PROGRAM])),
        claim: v(&r[col::CLAIM]),
    }
}
