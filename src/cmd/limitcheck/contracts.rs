//! The contract file: every row validated, grouped by (institution, insurer, 契約区分) and
//! sorted by 開始日, ambiguities found before any claim is read (E013, E014), and the lookup of
//! the most specific contract valid on a day.

use std::path::Path;

use jiff::civil::Date;
use rustc_hash::FxHashMap;

use crate::domain::money::{parse_rounding_unit, parse_yen};
use crate::domain::text::normalize_code;
use crate::domain::{Copay, InstitutionNumber, InsurerNumber, parse_count, parse_date};
use crate::error::{Error, FieldError, Result};
use crate::io::{CsvInput, InputEncoding};
use crate::layout::{CONTRACTS, contracts as k};

/// One validated contract row.
#[derive(Debug, Clone)]
pub struct Contract {
    pub line: u64,
    pub start: Date,
    pub end: Date,
    pub base: i64,
    pub detail: i64,
    pub additional: i64,
    pub max_additional: u32,
    /// None = any additional item is covered.
    pub codes: Option<Vec<Code>>,
    pub copay: Copay,
    pub unit: i64,
    pub exempt_low_income: bool,
}

/// A 17-character item code as two integers: compared without a string comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Code(u128, u8);

impl Code {
    /// From a code [`split_codes`] accepted (17 ASCII characters).
    pub fn new(s: &str) -> Option<Code> {
        let b: &[u8; 17] = s.as_bytes().try_into().ok()?;
        let (head, last) = b.split_at(16);
        Some(Code(u128::from_le_bytes(head.try_into().ok()?), last[0]))
    }
}

/// `*` in a contract's 健診機関番号 or 保険者番号.
const ANY_INSTITUTION: u64 = u64::MAX;

const ANY_INSURER: u32 = u32::MAX;

/// Contracts by (健診機関番号 or `*`, 保険者番号 or `*`, 契約区分) as numbers — the 6- and
/// 8-digit forms of one insurer are one number, and each 契約区分 in the file gets a small
/// number — each list sorted by 開始日 and without overlaps, so the contract valid on a day is
/// one hash probe and a binary search away.
pub struct Contracts {
    kinds: Vec<Box<str>>,
    /// 0..kinds.len(): what a claim without 契約区分 looks among
    all_kinds: Vec<u16>,
    /// Every contract, grouped by key and sorted by 開始日 within a key: one allocation, so the
    /// lookup for a claim touches one hash entry and one nearby run of contracts.
    all: Vec<Contract>,
    /// The range of `all` holding each key's contracts.
    by_key: FxHashMap<ContractKey, (u32, u32)>,
}

/// (健診機関番号 or [`ANY_INSTITUTION`], 保険者番号 or [`ANY_INSURER`], 契約区分 number).
type ContractKey = (u64, u32, u16);

impl Contracts {
    /// Reads and checks the contract file; any bad value or an overlap is fatal.
    pub fn load(path: &Path, requested: InputEncoding) -> Result<Contracts> {
        let l = &CONTRACTS;
        let mut input = CsvInput::open(Some(path), requested, l, None)?;
        let name = input.name().to_string();
        let mut keyed: Vec<(ContractKey, Contract)> = Vec::new();
        let mut kinds: Vec<Box<str>> = Vec::new();
        while let Some(row) = input.next_row()? {
            let mut v = Vec::with_capacity(l.fields.len());
            for field in 0..l.fields.len() {
                v.push(normalize_code(&row.text(field, l)?).into_owned());
            }
            let fail = |field: usize, e: FieldError| Error::InvalidReference {
                loc: row.loc(l.fields[field].name),
                what: "契約ファイル",
                code: e.code(),
                message: e.message(),
            };
            let institution = match v[k::INSTITUTION].as_str() {
                "*" => ANY_INSTITUTION,
                s => {
                    InstitutionNumber::check(s).map(|()| s.parse().unwrap_or(0)).map_err(|e| fail(k::INSTITUTION, e))?
                }
            };
            let insurer = match v[k::INSURER].as_str() {
                "*" => ANY_INSURER,
                s => InsurerNumber::check(s).map(|()| s.parse().unwrap_or(0)).map_err(|e| fail(k::INSURER, e))?,
            };
            if v[k::KIND].is_empty() {
                return Err(fail(k::KIND, FieldError::Required));
            }
            let start = parse_date(&v[k::START]).map_err(|e| fail(k::START, e))?;
            let end = parse_date(&v[k::END]).map_err(|e| fail(k::END, e))?;
            if end < start {
                return Err(fail(k::END, FieldError::DateOrder));
            }
            let yen = |field: usize| parse_yen(&v[field]).and_then(non_negative).map_err(|e| fail(field, e));
            let codes = split_codes(&v[k::ADDITIONAL_CODES]).map_err(|e| fail(k::ADDITIONAL_CODES, e))?;
            let contract = Contract {
                line: row.line,
                start,
                end,
                base: yen(k::BASE)?,
                detail: yen(k::DETAIL)?,
                additional: yen(k::ADDITIONAL)?,
                max_additional: parse_count(&v[k::MAX_ADDITIONAL]).map_err(|e| fail(k::MAX_ADDITIONAL, e))?,
                codes: (!codes.is_empty()).then(|| codes.into_iter().filter_map(Code::new).collect()),
                copay: Copay::parse(&v[k::COPAY_TYPE], &v[k::COPAY_VALUE])
                    .map_err(|e| fail(if e == FieldError::Code { k::COPAY_TYPE } else { k::COPAY_VALUE }, e))?,
                unit: parse_rounding_unit(&v[k::ROUNDING]).map_err(|e| fail(k::ROUNDING, e))?,
                exempt_low_income: match v[k::EXEMPT].as_str() {
                    "" | "0" => false,
                    "1" => true,
                    _ => return Err(fail(k::EXEMPT, FieldError::Code)),
                },
            };
            let kind = match kinds.iter().position(|kind| kind.as_ref() == v[k::KIND]) {
                Some(i) => i,
                None => {
                    kinds.push(v[k::KIND].as_str().into());
                    kinds.len() - 1
                }
            };
            keyed.push(((institution, insurer, kind as u16), contract));
        }
        keyed.sort_by_key(|(key, c)| (*key, c.start, c.line));
        for pair in keyed.windows(2) {
            let ((key0, c0), (key1, c1)) = (&pair[0], &pair[1]);
            if key0 == key1 && c1.start <= c0.end {
                return Err(Error::ContractOverlap { file: name, first: c0.line, second: c1.line });
            }
        }
        let mut by_key: FxHashMap<ContractKey, (u32, u32)> = FxHashMap::default();
        for (i, (key, _)) in keyed.iter().enumerate() {
            by_key.entry(*key).or_insert((i as u32, i as u32)).1 = i as u32 + 1;
        }
        let all = keyed.into_iter().map(|(_, c)| c).collect();
        let all_kinds = (0..kinds.len() as u16).collect();
        let contracts = Contracts { kinds, all_kinds, all, by_key };
        contracts.check_one_wildcard_ties(&name)?;
        Ok(contracts)
    }

    /// `(A,*)` and `(*,B)` contracts of one 契約区分 are equally specific: where both are valid,
    /// a claim at A for B has no single contract unless an exact `(A,B)` one covers those days.
    fn check_one_wildcard_ties(&self, file: &str) -> Result<()> {
        let lists = |wanted: fn(u64, u32) -> bool| -> Vec<(ContractKey, &[Contract])> {
            let mut v: Vec<_> = self
                .by_key
                .iter()
                .filter(|((i, s, _), _)| wanted(*i, *s))
                .map(|(key, &(from, to))| (*key, &self.all[from as usize..to as usize]))
                .collect();
            v.sort_by_key(|(key, _)| *key);
            v
        };
        let institution_wide = lists(|i, s| i != ANY_INSTITUTION && s == ANY_INSURER);
        let insurer_wide = lists(|i, s| i == ANY_INSTITUTION && s != ANY_INSURER);
        for ((a, _, kind), by_institution) in &institution_wide {
            for ((_, b, _), by_insurer) in insurer_wide.iter().filter(|((_, _, k), _)| k == kind) {
                let exact = self.list(*a, *b, *kind);
                for x in *by_institution {
                    for y in *by_insurer {
                        let (from, to) = (x.start.max(y.start), x.end.min(y.end));
                        if from <= to && !covers(exact, from, to) {
                            let (first, second) = (x.line.min(y.line), x.line.max(y.line));
                            return Err(Error::ContractTie { file: file.to_string(), first, second });
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// The contracts of one (institution, insurer, 契約区分 number), sorted by 開始日.
    fn list(&self, institution: u64, insurer: u32, kind: u16) -> &[Contract] {
        self.by_key.get(&(institution, insurer, kind)).map_or(&[], |&(from, to)| &self.all[from as usize..to as usize])
    }

    /// The contract of one key valid on `date`, if any.
    fn valid(&self, institution: u64, insurer: u32, kind: u16, date: Date) -> Option<&Contract> {
        let list = self.list(institution, insurer, kind);
        let at = list.partition_point(|c| c.start <= date);
        at.checked_sub(1).map(|j| &list[j]).filter(|c| date <= c.end)
    }

    /// The most specific contract valid on `date` for a claim (SPEC §2 contracts): exact
    /// institution and insurer, then one wildcard, then two. An empty 契約区分 looks among the
    /// contracts of every 契約区分; two equally specific ones are [`Lookup::Ambiguous`]. (With a
    /// 契約区分, the contract file's checks, E013 and E014, leave at most one.)
    pub fn find(&self, institution: u64, insurer: u32, kind: &str, date: Date) -> Lookup<'_> {
        let levels: [&[(u64, u32)]; 3] = [
            &[(institution, insurer)],
            &[(institution, ANY_INSURER), (ANY_INSTITUTION, insurer)],
            &[(ANY_INSTITUTION, ANY_INSURER)],
        ];
        let one: [u16; 1];
        let kinds: &[u16] = if kind.is_empty() {
            &self.all_kinds
        } else {
            match self.kinds.iter().position(|k| k.as_ref() == kind) {
                Some(k) => {
                    one = [k as u16];
                    &one
                }
                None => return Lookup::Missing,
            }
        };
        for level in levels {
            let mut found =
                level.iter().flat_map(|&(i, s)| kinds.iter().filter_map(move |&k| self.valid(i, s, k, date)));
            let Some(first) = found.next() else { continue };
            return match found.next() {
                None => Lookup::Found(first),
                Some(second) if first.line < second.line => Lookup::Ambiguous(first, second),
                Some(second) => Lookup::Ambiguous(second, first),
            };
        }
        Lookup::Missing
    }
}

/// The contract a claim falls under.
pub enum Lookup<'a> {
    Found(&'a Contract),
    /// Two equally specific contracts of different 契約区分 (the claim has none), by line.
    Ambiguous(&'a Contract, &'a Contract),
    Missing,
}

/// Whether contracts sorted by 開始日 (not overlapping) cover every day from `from` to `to`.
fn covers(contracts: &[Contract], from: Date, to: Date) -> bool {
    let mut next = from;
    for c in contracts.iter().filter(|c| c.end >= from) {
        if c.start > next {
            return false;
        }
        if c.end >= to {
            return true;
        }
        match c.end.tomorrow() {
            Ok(d) => next = d,
            Err(_) => return true,
        }
    }
    false
}

pub fn non_negative(v: i64) -> std::result::Result<i64, FieldError> {
    if v < 0 { Err(FieldError::Amount) } else { Ok(v) }
}

/// 追加項目コード: 17-character JLAC10 codes joined by `;` (empty parts ignored).
pub fn split_codes(s: &str) -> std::result::Result<Vec<&str>, FieldError> {
    let codes: Vec<&str> = s.split(';').map(str::trim).filter(|c| !c.is_empty()).collect();
    if codes.iter().any(|c| c.chars().count() != 17 || !c.chars().all(|ch| ch.is_ascii_alphanumeric())) {
        return Err(FieldError::Format);
    }
    Ok(codes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contract(start: Date, end: Date) -> Contract {
        Contract {
            line: 0,
            start,
            end,
            base: 0,
            detail: 0,
            additional: 0,
            max_additional: 0,
            codes: None,
            copay: Copay::None,
            unit: 1,
            exempt_low_income: false,
        }
    }

    #[test]
    fn exact_contracts_must_cover_every_day_of_an_overlap() {
        use jiff::civil::date;
        let apr_sep = contract(date(2026, 4, 1), date(2026, 9, 30));
        let oct_mar = contract(date(2026, 10, 1), date(2027, 3, 31));
        let nov_mar = contract(date(2026, 11, 1), date(2027, 3, 31));
        let (from, to) = (date(2026, 4, 1), date(2027, 3, 31));
        assert!(covers(&[apr_sep.clone(), oct_mar.clone()], from, to), "adjoining periods cover");
        assert!(!covers(&[apr_sep.clone(), nov_mar], from, to), "October is missing");
        assert!(!covers(std::slice::from_ref(&apr_sep), from, to));
        assert!(covers(&[apr_sep], date(2026, 5, 1), date(2026, 6, 1)));
        assert!(!covers(&[], from, to));
        assert!(!covers(&[oct_mar], from, to), "April to September is missing");
    }

    #[test]
    fn codes_split_on_semicolons_and_must_be_17_characters() {
        assert_eq!(
            split_codes(" 3C020000002327101 ;;2A030000001930101"),
            Ok(vec!["3C020000002327101", "2A030000001930101"])
        );
        assert_eq!(split_codes(""), Ok(vec![]));
        assert_eq!(split_codes("3C02"), Err(FieldError::Format));
    }
}
