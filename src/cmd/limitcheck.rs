//! kk-limitcheck — 金額・項目上限チェックリスト (SPEC §3 kk-limitcheck).
//!
//! The standard system rejects only claims above its configured upper limits. This tool checks
//! every claim against the exact contract valid on its 受診日 and lists each mismatch with the
//! expected and actual amounts, so staff review a short list instead of every claim.
//!
//! Contract resolution (SPEC §2 contracts): among the contracts with the claim's 契約区分 valid
//! on 受診日, the most specific applies — exact institution and insurer beat one wildcard, which
//! beats two. Two equally specific contracts that could both apply on one day are an error in
//! the contract file, found before any claim is read: the same institution, insurer and 契約区分
//! with overlapping periods (E013), or an institution-wide `(A,*)` and an insurer-wide `(*,B)`
//! contract overlapping where no exact `(A,B)` contract covers the overlap (E014).

use std::borrow::{Borrow, Cow};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clap::Parser;
use jiff::civil::Date;
use rustc_hash::{FxHashMap, FxHashSet};

use super::{
    InputArgs, ListFormat, OutputArgs, RunArgs, check_distinct_outputs, code_text, read_rows, reference_error,
};
use crate::domain::money::{parse_rounding_unit, parse_yen};
use crate::domain::text::normalize_code;
use crate::domain::{
    Copay, FiscalYear, InstitutionNumber, InsurerNumber, PersonKey, expected_copayment, format_date, parse_count,
    parse_date,
};
use crate::error::{Error, FieldError, Loc, Result};
use crate::io::{CsvInput, CsvOut, InputEncoding, Row, for_each_batch, worker_count};
use crate::layout::{self, CLAIMS, CONTRACTS, LIMIT_CHECKLIST, claims as c, contracts as k};
use crate::report::{Console, Progress, Summary, thousands};

pub const TOOL: &str = "kk-limitcheck";

/// 金額・項目上限チェックリスト: 請求を契約と照合し、食い違いを一覧にする
#[derive(Debug, Parser)]
#[command(
    name = "kk-limitcheck",
    version,
    after_help = "\
例:
  kk-limitcheck --contracts contracts.csv < claims.csv > checklist.csv
  kk-limitcheck --contracts contracts.csv --master master.csv --household household.csv \\
      --results results.csv -i claims.csv -o checklist.csv --strict

チェック(コードは docs/errors.md): L101 有効な契約なし / L102・L103 基本単価が契約より高い・低い /
L104 詳細単価合計 / L105 追加単価合計 / L106 追加項目数が上限超過 / L107 契約対象外の追加項目 /
L108 窓口負担額 / L109 請求金額の計算 / L110 受診券整理番号の重複 / L111 追加項目数とコード数の不一致 /
L112・L113 (--results) 請求した追加項目と結果の食い違い / L114 受診券整理番号の年度。
値が不正な請求は E コードの行になります。非課税世帯の窓口負担免除は --master と --household で判定します。
終了コード: 0 完了 / 1 --strict で指摘あり / 2 入力を処理できない(契約ファイルの誤り・重複を含む)"
)]
pub struct Cli {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub output: OutputArgs,

    /// 契約ファイル
    #[arg(long, value_name = "FILE")]
    pub contracts: PathBuf,

    /// 被保険者マスタ (受診者の世帯番号を引く。--household と一緒に指定)
    #[arg(long, value_name = "FILE", requires = "household")]
    pub master: Option<PathBuf>,

    /// 世帯課税状況 (kk-import tax の出力。--master と一緒に指定)
    #[arg(long, value_name = "FILE", requires = "master")]
    pub household: Option<PathBuf>,

    /// 健診結果 (請求した追加項目が結果にあるかを照合する)
    #[arg(long, value_name = "FILE")]
    pub results: Option<PathBuf>,

    /// 出力形式: csv、または xlsx (Excel。見出し固定・フィルター付き。-o が必要)
    #[arg(long, value_enum, default_value = "csv")]
    pub format: ListFormat,

    #[command(flatten)]
    pub run: RunArgs,
}

/// One validated contract row.
#[derive(Debug, Clone)]
struct Contract {
    line: u64,
    start: Date,
    end: Date,
    base: i64,
    detail: i64,
    additional: i64,
    max_additional: u32,
    /// None = any additional item is covered.
    codes: Option<Vec<Code>>,
    copay: Copay,
    unit: i64,
    exempt_low_income: bool,
}

/// A 17-character item code as two integers: compared without a string comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Code(u128, u8);

impl Code {
    /// From a code [`split_codes`] accepted (17 ASCII characters).
    fn new(s: &str) -> Option<Code> {
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
struct Contracts {
    kinds: Vec<Box<str>>,
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
    fn load(path: &Path, requested: InputEncoding) -> Result<Contracts> {
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
        let contracts = Contracts { kinds, all, by_key };
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

    /// The most specific contract valid on `date` for a claim.
    fn find(&self, institution: u64, insurer: u32, kind: &str, date: Date) -> Option<&Contract> {
        let kind = self.kinds.iter().position(|k| k.as_ref() == kind)? as u16;
        let keys = [
            (institution, insurer),
            (institution, ANY_INSURER),
            (ANY_INSTITUTION, insurer),
            (ANY_INSTITUTION, ANY_INSURER),
        ];
        keys.into_iter().find_map(|(i, s)| {
            let list = self.list(i, s, kind);
            let at = list.partition_point(|c| c.start <= date);
            at.checked_sub(1).map(|j| &list[j]).filter(|c| date <= c.end)
        })
    }
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

fn non_negative(v: i64) -> std::result::Result<i64, FieldError> {
    if v < 0 { Err(FieldError::Amount) } else { Ok(v) }
}

/// 追加項目コード: 17-character JLAC10 codes joined by `;` (empty parts ignored).
fn split_codes(s: &str) -> std::result::Result<Vec<&str>, FieldError> {
    let codes: Vec<&str> = s.split(';').map(str::trim).filter(|c| !c.is_empty()).collect();
    if codes.iter().any(|c| c.chars().count() != 17 || !c.chars().all(|ch| ch.is_ascii_alphanumeric())) {
        return Err(FieldError::Format);
    }
    Ok(codes)
}

/// Who is exempt from the co-payment, for the persons it matters for: their 世帯番号 from the
/// master and their households' 課税区分 from the household tax file.
#[derive(Default)]
struct Households<'a> {
    /// person (key text, borrowed from the claims) → household key (8-digit insurer ␟ 世帯番号)
    of_person: FxHashMap<&'a str, Box<str>>,
    /// household key → (年度, 更新日, 非課税) as registered
    status: FxHashMap<Box<str>, Vec<(FiscalYear, Date, bool)>>,
}

/// 8-digit insurer ␟ 世帯番号, from a validated 6- or 8-digit insurer number.
fn household_key(insurer: &str, household: &str) -> Box<str> {
    let mut key = String::with_capacity(9 + household.len());
    for _ in insurer.len()..8 {
        key.push('0');
    }
    key.push_str(insurer);
    key.push('\u{1F}');
    key.push_str(household);
    key.into_boxed_str()
}

impl<'a> Households<'a> {
    /// Reads the master keeping only the persons in `wanted`, then the statuses of their
    /// households. Every row is still checked: a bad value in either file is fatal.
    fn load(
        master: &Path,
        household: &Path,
        requested: InputEncoding,
        wanted: &FxHashSet<&'a str>,
    ) -> Result<Households<'a>> {
        let mut h = Households::default();
        let l = &layout::MASTER_PERSON_HOUSEHOLD;
        read_rows(
            master,
            requested,
            l,
            |row, key| {
                let insurer = code_text(row, l, 0)?;
                let (kigo, bango, edaban, hh) =
                    (code_text(row, l, 1)?, code_text(row, l, 2)?, code_text(row, l, 3)?, code_text(row, l, 4)?);
                InsurerNumber::check(&insurer).map_err(|e| reference_error(row, l, 0, "被保険者マスタ", e))?;
                PersonKey::join_into(&insurer, &kigo, &bango, &edaban, key);
                let person = if hh.is_empty() { None } else { wanted.get(key.as_str()) };
                Ok(person.map(|person| (*person, household_key(&insurer, &hh))))
            },
            |(person, hh)| {
                h.of_person.insert(person, hh);
            },
        )?;
        let households: FxHashSet<&str> = h.of_person.values().map(|hh| hh.as_ref()).collect();
        let mut status: FxHashMap<Box<str>, Vec<(FiscalYear, Date, bool)>> = FxHashMap::default();
        let l = &layout::HOUSEHOLD_TAX;
        read_rows(
            household,
            requested,
            l,
            |row, _| {
                let fail = |field: usize, e: FieldError| reference_error(row, l, field, "世帯課税状況", e);
                let insurer = code_text(row, l, 0)?;
                InsurerNumber::check(&insurer).map_err(|e| fail(0, e))?;
                let year = code_text(row, l, 2)?.parse::<FiscalYear>().map_err(|e| fail(2, e))?;
                let exempt = match code_text(row, l, 3)?.as_ref() {
                    "1" => false,
                    "2" => true,
                    "" => return Err(fail(3, FieldError::Required)),
                    _ => return Err(fail(3, FieldError::Code)),
                };
                let updated = parse_date(&code_text(row, l, 4)?).map_err(|e| fail(4, e))?;
                let key = household_key(&insurer, &code_text(row, l, 1)?);
                Ok(households.contains(key.as_ref()).then_some((key, year, updated, exempt)))
            },
            |(key, year, updated, exempt)| status.entry(key).or_default().push((year, updated, exempt)),
        )?;
        h.status = status;
        Ok(h)
    }

    /// Whether the household of the person whose key text is `person` is 非課税 in `fy` (the
    /// status with the latest 更新日 for that year; the later line on the same day).
    fn exempt(&self, person: &str, fy: FiscalYear) -> bool {
        let Some(statuses) = self.of_person.get(person).and_then(|hh| self.status.get(hh)) else { return false };
        statuses.iter().filter(|s| s.0 == fy).max_by_key(|s| s.1).is_some_and(|s| s.2)
    }
}

/// The items each ticket's results hold.
fn load_results(path: &Path, requested: InputEncoding) -> Result<FxHashMap<String, FxHashSet<String>>> {
    let l = &layout::RESULT_ITEMS;
    let mut items: FxHashMap<String, FxHashSet<String>> = FxHashMap::default();
    read_rows(
        path,
        requested,
        l,
        |row, _| Ok(Some((code_text(row, l, 0)?.into_owned(), code_text(row, l, 1)?.into_owned()))),
        |(ticket, code)| {
            items.entry(ticket).or_default().insert(code);
        },
    )?;
    Ok(items)
}

/// A stable L-code finding (docs/errors.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Check {
    NoContract,
    BaseAbove,
    BaseBelow,
    DetailTotal,
    AdditionalTotal,
    TooManyAdditional,
    NotCovered,
    Copay,
    ClaimAmount,
    DuplicateTicket,
    CountVsCodes,
    NoResult,
    NotClaimed,
    TicketYear,
}

impl Check {
    fn code(self) -> &'static str {
        match self {
            Check::NoContract => "L101",
            Check::BaseAbove => "L102",
            Check::BaseBelow => "L103",
            Check::DetailTotal => "L104",
            Check::AdditionalTotal => "L105",
            Check::TooManyAdditional => "L106",
            Check::NotCovered => "L107",
            Check::Copay => "L108",
            Check::ClaimAmount => "L109",
            Check::DuplicateTicket => "L110",
            Check::CountVsCodes => "L111",
            Check::NoResult => "L112",
            Check::NotClaimed => "L113",
            Check::TicketYear => "L114",
        }
    }

    fn message(self) -> &'static str {
        match self {
            Check::NoContract => "受診日に有効な契約がありません",
            Check::BaseAbove => "基本単価が契約より高い",
            Check::BaseBelow => "基本単価が契約より低い",
            Check::DetailTotal => "詳細単価合計が 詳細項目数×契約の詳細単価 と違います",
            Check::AdditionalTotal => "追加単価合計が 追加項目数×契約の追加単価 と違います",
            Check::TooManyAdditional => "追加項目数が契約の上限を超えています",
            Check::NotCovered => "契約の対象外の追加項目です",
            Check::Copay => "窓口負担額が契約の窓口負担と違います",
            Check::ClaimAmount => "請求金額が 基本+詳細+追加－窓口負担 と違います",
            Check::DuplicateTicket => "同じ受診券整理番号の請求が先にあります",
            Check::CountVsCodes => "追加項目数が追加項目コードの数と違います",
            Check::NoResult => "請求した追加項目の結果がありません",
            Check::NotClaimed => "結果にある契約対象の追加項目が請求されていません",
            Check::TicketYear => "受診券整理番号の年度が受診日の年度と違います",
        }
    }
}

/// One row of the checklist.
#[derive(Debug, Clone)]
struct Finding {
    code: &'static str,
    message: String,
    expected: String,
    actual: String,
    difference: String,
}

fn amounts(check: Check, expected: i64, actual: i64) -> Finding {
    Finding {
        code: check.code(),
        message: check.message().to_string(),
        expected: expected.to_string(),
        actual: actual.to_string(),
        difference: (actual - expected).to_string(),
    }
}

fn text_finding(check: Check, actual: &str) -> Finding {
    Finding {
        code: check.code(),
        message: check.message().to_string(),
        expected: String::new(),
        actual: actual.to_string(),
        difference: String::new(),
    }
}

/// What the checklist shows of a claim: 受診券整理番号, 健診機関番号, 保険者番号, 受診日. Kept as
/// numbers for a valid claim (no allocation for the many claims without findings) and as the
/// text read for an invalid one.
#[derive(Debug)]
enum Shown {
    Valid { ticket: u64, institution: u64, insurer: u32, insurer_digits: u8, date: Date },
    Raw(Box<[String; 4]>),
}

impl Shown {
    fn texts(&self) -> [String; 4] {
        match self {
            Shown::Valid { ticket, institution, insurer, insurer_digits, date } => [
                format!("{ticket:011}"),
                format!("{institution:010}"),
                format!("{insurer:0width$}", width = usize::from(*insurer_digits)),
                format_date(*date),
            ],
            Shown::Raw(t) => (**t).clone(),
        }
    }
}

/// A claim after checking.
#[derive(Debug)]
struct Checked {
    line: u64,
    shown: Shown,
    /// The ticket and claimed amount of a valid claim, for the duplicate check.
    ticket: Option<(u64, i64)>,
    findings: Vec<Finding>,
    pending: Option<PendingCopay>,
    invalid: bool,
}

/// What workers share, read-only.
struct Reference {
    contracts: Contracts,
    /// `--master` and `--household` were given: co-payments that depend on a 非課税 household
    /// are decided after the claims, for just those claimants.
    exemption: bool,
    results: Option<FxHashMap<String, FxHashSet<String>>>,
}

/// A co-payment check that waits for the claimant's household: the claimed amount, what the
/// contract gives a taxed household, and where in the claim's findings an L108 goes.
#[derive(Debug)]
struct PendingCopay {
    person: PersonKey,
    fy: FiscalYear,
    taxed: i64,
    claimed: i64,
    at: usize,
}

/// Per-worker scratch space, reused from claim to claim.
#[derive(Default)]
struct Worker {
    bufs: [String; 17],
}

impl Reference {
    fn check(&self, w: &mut Worker, row: &Row<'_>) -> Result<Checked> {
        let l = &CLAIMS;
        let Worker { bufs } = w;
        let mut v: [Cow<'_, str>; 17] = Default::default();
        for (field, buf) in bufs.iter_mut().enumerate() {
            v[field] = normalize_code(row.text_in(field, l, buf)?.1);
        }
        let mut findings = Vec::new();
        let mut bad = |field: usize, e: FieldError| {
            findings.push(Finding {
                code: e.code(),
                message: format!("{}: {}", l.fields[field].name, e.message()),
                expected: String::new(),
                actual: v[field].to_string(),
                difference: String::new(),
            });
        };
        let _ = InstitutionNumber::check(&v[c::INSTITUTION]).map_err(|e| bad(c::INSTITUTION, e));
        let _ = InsurerNumber::check(&v[c::INSURER]).map_err(|e| bad(c::INSURER, e));
        let ticket = v[c::TICKET].as_ref();
        if !(ticket.len() == 11 && ticket.bytes().all(|b| b.is_ascii_digit())) {
            bad(c::TICKET, if ticket.is_empty() { FieldError::Required } else { FieldError::Format });
        }
        if v[c::BANGO].is_empty() {
            bad(c::BANGO, FieldError::Required);
        }
        let date = parse_date(&v[c::DATE]).map_err(|e| bad(c::DATE, e)).ok();
        if v[c::KIND].is_empty() {
            bad(c::KIND, FieldError::Required);
        }
        let mut yen = |field: usize| parse_yen(&v[field]).and_then(non_negative).map_err(|e| bad(field, e)).ok();
        let base = yen(c::BASE);
        let detail_total = yen(c::DETAIL_TOTAL);
        let additional_total = yen(c::ADDITIONAL_TOTAL);
        let copay = yen(c::COPAY);
        let claim = yen(c::CLAIM);
        let detail_count = parse_count(&v[c::DETAIL_COUNT]).map_err(|e| bad(c::DETAIL_COUNT, e)).ok();
        let additional_count = parse_count(&v[c::ADDITIONAL_COUNT]).map_err(|e| bad(c::ADDITIONAL_COUNT, e)).ok();
        let codes = split_codes(&v[c::ADDITIONAL_CODES]).map_err(|e| bad(c::ADDITIONAL_CODES, e)).ok();
        // every value that failed above added a finding: a claim with none is fully valid
        let (
            true,
            Some(date),
            Some(base),
            Some(detail_total),
            Some(additional_total),
            Some(copay),
            Some(claim),
            Some(detail_count),
            Some(additional_count),
            Some(codes),
        ) = (
            findings.is_empty(),
            date,
            base,
            detail_total,
            additional_total,
            copay,
            claim,
            detail_count,
            additional_count,
            codes,
        )
        else {
            let raw = |f: usize| v[f].to_string();
            let shown_date = date.map(format_date).unwrap_or_else(|| raw(c::DATE));
            let shown = Shown::Raw(Box::new([raw(c::TICKET), raw(c::INSTITUTION), raw(c::INSURER), shown_date]));
            return Ok(Checked { line: row.line, shown, ticket: None, findings, pending: None, invalid: true });
        };
        // all validated as digits above: the numbers cannot fail to parse
        let ticket_no: u64 = ticket.parse().unwrap_or(0);
        let insurer = v[c::INSURER].as_ref();
        let shown = Shown::Valid {
            ticket: ticket_no,
            institution: v[c::INSTITUTION].parse().unwrap_or(0),
            insurer: insurer.parse().unwrap_or(0),
            insurer_digits: insurer.len() as u8,
            date,
        };
        let ticket = Some((ticket_no, claim));
        let fy = FiscalYear::of(date);
        // 受診券整理番号 = 年度(2) + 種別(1) + 連番(8) (DOMAIN.md): the year is a warning only
        let ticket_year = (ticket_no / 1_000_000_000) as i64;
        if ticket_year != i64::from(fy.0 % 100) {
            findings.push(amounts(Check::TicketYear, i64::from(fy.0 % 100), ticket_year));
        }
        // 請求金額 = 基本 + 詳細 + 追加 − 窓口負担, never below 0 (DOMAIN.md)
        let arithmetic = (base + detail_total + additional_total - copay).max(0);
        if claim != arithmetic {
            findings.push(amounts(Check::ClaimAmount, arithmetic, claim));
        }
        if !codes.is_empty() && codes.len() as u32 != additional_count {
            findings.push(amounts(Check::CountVsCodes, codes.len() as i64, i64::from(additional_count)));
        }
        let (institution_no, insurer_no) = (v[c::INSTITUTION].parse().unwrap_or(0), insurer.parse().unwrap_or(0));
        let Some(contract) = self.contracts.find(institution_no, insurer_no, &v[c::KIND], date) else {
            findings.push(text_finding(Check::NoContract, &claim.to_string()));
            return Ok(Checked { line: row.line, shown, ticket, findings, pending: None, invalid: false });
        };
        if base > contract.base {
            findings.push(amounts(Check::BaseAbove, contract.base, base));
        } else if base < contract.base {
            findings.push(amounts(Check::BaseBelow, contract.base, base));
        }
        let expected_detail = i64::from(detail_count) * contract.detail;
        if detail_total != expected_detail {
            findings.push(amounts(Check::DetailTotal, expected_detail, detail_total));
        }
        let expected_additional = i64::from(additional_count) * contract.additional;
        if additional_total != expected_additional {
            findings.push(amounts(Check::AdditionalTotal, expected_additional, additional_total));
        }
        if additional_count > contract.max_additional {
            findings.push(amounts(
                Check::TooManyAdditional,
                i64::from(contract.max_additional),
                i64::from(additional_count),
            ));
        }
        if let Some(covered) = &contract.codes {
            for code in codes.iter().filter(|code| Code::new(code).is_none_or(|c| !covered.contains(&c))) {
                findings.push(text_finding(Check::NotCovered, code));
            }
        }
        // the co-payment applies to the 基本 price of the contract; a 非課税 household pays
        // nothing where the contract says so
        let taxed = expected_copayment(contract.copay, contract.base, 0, contract.unit);
        let mut pending = None;
        if contract.exempt_low_income && self.exemption && taxed != 0 {
            let person = PersonKey::from_checked(insurer, &v[c::KIGO], &v[c::BANGO], &v[c::EDABAN]);
            pending = Some(PendingCopay { person, fy, taxed, claimed: copay, at: findings.len() });
        } else if copay != taxed {
            findings.push(amounts(Check::Copay, taxed, copay));
        }
        if let Some(results) = &self.results {
            let present = results.get(v[c::TICKET].as_ref());
            for code in &codes {
                if !present.is_some_and(|p| p.contains(*code)) {
                    findings.push(text_finding(Check::NoResult, code));
                }
            }
            if let (Some(covered), Some(present)) = (&contract.codes, present) {
                let mut missing: Vec<&String> = present
                    .iter()
                    .filter(|p| Code::new(p).is_some_and(|c| covered.contains(&c)) && !codes.contains(&p.as_str()))
                    .collect();
                missing.sort();
                for code in missing {
                    findings.push(text_finding(Check::NotClaimed, code));
                }
            }
        }
        Ok(Checked { line: row.line, shown, ticket, findings, pending, invalid: false })
    }
}

pub fn run(cli: &Cli) -> Result<u8> {
    let console = Console { tool: TOOL, quiet: cli.run.quiet };
    check_distinct_outputs(&[cli.output.output.as_deref(), cli.run.summary_json.as_deref()])?;
    let requested = cli.input.input_encoding()?;
    let mapping = cli.input.layout_file()?;
    let xlsx_path = cli.format.xlsx_path(cli.output.output.as_deref(), "--format xlsx", "-o")?;
    // everything the claims are checked against is read and checked first
    let contracts = Contracts::load(&cli.contracts, requested)?;
    let exemption = match (&cli.master, &cli.household) {
        (Some(m), Some(h)) => Some((m, h)),
        _ => {
            console.info("--master と --household がないため、非課税世帯の窓口負担免除は判定しません");
            None
        }
    };
    let results = cli.results.as_deref().map(|p| load_results(p, requested)).transpose()?;
    // read-only from here to the end of the run: not dropped at exit (freeing millions of keys
    // one by one costs more than the rest of the run's end; the OS takes the memory back at once)
    let reference: &'static Reference =
        Box::leak(Box::new(Reference { contracts, exemption: exemption.is_some(), results }));

    let mut input = CsvInput::open(cli.input.input.as_deref(), requested, &CLAIMS, mapping.as_ref())?;
    let in_enc = input.encoding();
    let out_enc = cli.output.output_encoding(in_enc)?;
    let crlf = cli.output.crlf(out_enc);
    let input_name = input.name().to_string();
    let progress = Progress::new(&console, cli.run.progress, "照合中");

    // the first line of each ticket, to flag later claims of the same ticket (in input order)
    let mut tickets: FxHashMap<u64, u64> = FxHashMap::default();
    // the claims with findings, or whose co-payment waits for their household
    let mut listed: Vec<Checked> = Vec::new();
    let mut claims = 0u64;
    let workers = (0..worker_count()).map(|_| Worker::default()).collect();
    for_each_batch(
        &mut input,
        workers,
        |w, ctx, chunk| {
            let mut out = Vec::new();
            ctx.parse_chunk(chunk, |row| {
                out.push(reference.check(w, &row)?);
                Ok(())
            })?;
            Ok(out)
        },
        |checked: Vec<Checked>| {
            for mut claim in checked {
                claims += 1;
                if let Some((ticket, amount)) = claim.ticket.take() {
                    if let Some(first) = tickets.get(&ticket) {
                        let mut f = amounts(Check::DuplicateTicket, 0, amount);
                        f.message = format!("{}(初回 {first}行目)", f.message);
                        claim.findings.push(f);
                    } else {
                        tickets.insert(ticket, claim.line);
                    }
                }
                if !claim.findings.is_empty() || claim.pending.is_some() {
                    listed.push(claim);
                }
            }
            progress.tick_to(claims);
            Ok(())
        },
    )?;
    progress.finish();
    drop(input);

    // 非課税 exemptions: the master is read once for just the claimants whose co-payment
    // depends on their household (a claim file is usually far smaller than the master)
    if let Some((master, household)) = exemption {
        let wanted: FxHashSet<&str> =
            listed.iter().filter_map(|c| c.pending.as_ref().map(|p| p.person.borrow())).collect();
        let households = Households::load(master, household, requested, &wanted)?;
        let copays: Vec<(usize, usize, Finding)> = listed
            .iter()
            .enumerate()
            .filter_map(|(i, claim)| {
                let p = claim.pending.as_ref()?;
                let expected = if households.exempt(p.person.borrow(), p.fy) { 0 } else { p.taxed };
                (p.claimed != expected).then(|| (i, p.at, amounts(Check::Copay, expected, p.claimed)))
            })
            .collect();
        for (i, at, finding) in copays {
            listed[i].findings.insert(at, finding);
        }
    }
    let invalid = listed.iter().filter(|c| c.invalid).count() as u64;
    let flagged = listed.iter().filter(|c| !c.invalid && !c.findings.is_empty()).count() as u64;
    let clean = claims - flagged - invalid;
    let mut rows: Vec<(u64, [String; 4], Finding)> = Vec::new();
    for claim in listed.into_iter().filter(|c| !c.findings.is_empty()) {
        let shown = claim.shown.texts();
        for f in claim.findings {
            rows.push((claim.line, shown.clone(), f));
        }
    }
    let table: Vec<Vec<String>> = rows
        .iter()
        .map(|(line, shown, f)| {
            vec![
                line.to_string(),
                shown[0].clone(),
                shown[1].clone(),
                shown[2].clone(),
                shown[3].clone(),
                f.code.to_string(),
                f.message.clone(),
                f.expected.clone(),
                f.actual.clone(),
                f.difference.clone(),
            ]
        })
        .collect();
    let replaced = match &xlsx_path {
        Some(path) => {
            use crate::io::xlsx::{Cell, write_sheet};
            let kinds = [Cell::Number, Cell::Text, Cell::Text, Cell::Text, Cell::Text, Cell::Text, Cell::Text]
                .into_iter()
                .chain([Cell::Number; 3])
                .collect::<Vec<_>>();
            write_sheet(path, "チェックリスト", &LIMIT_CHECKLIST, &kinds, &table)?;
            0
        }
        None => {
            let mut out = CsvOut::new(cli.output.output.as_deref(), out_enc, cli.output.replace_unmappable, crlf)?;
            out.write_header(&LIMIT_CHECKLIST)?;
            for row in &table {
                let line: u64 = row[0].parse().unwrap_or(0);
                out.write_texts(row, |i| Loc::cell(input_name.clone(), line, LIMIT_CHECKLIST[i]))?;
            }
            out.finish()?
        }
    };
    let findings = rows.iter().filter(|r| r.2.code.starts_with('L')).count() as u64;
    let errors = rows.len() as u64 - findings;
    let exit_code = u8::from(cli.run.strict && !rows.is_empty());
    console.replaced(replaced);
    console.info(format!(
        "請求 {} 件 = 指摘なし {} 件 + 指摘あり {} 件 + 値の誤り {} 件; 指摘 {} 行, エラー {} 行",
        thousands(claims),
        thousands(clean),
        thousands(flagged),
        thousands(invalid),
        thousands(findings),
        thousands(errors)
    ));
    if let Some(p) = &cli.run.summary_json {
        let mut by_code: BTreeMap<&'static str, u64> = BTreeMap::new();
        for (_, _, f) in &rows {
            *by_code.entry(f.code).or_default() += 1;
        }
        let mut extra = by_code;
        extra.insert("claims_clean", clean);
        extra.insert("claims_flagged", flagged);
        extra.insert("errors", errors);
        Summary {
            tool: TOOL,
            command: "check",
            exit_code,
            input_encoding: in_enc.id(),
            output_encoding: out_enc.id(),
            rows_in: claims,
            rows_out: rows.len() as u64,
            rows_rejected: invalid,
            findings,
            replaced_characters: replaced,
            extra,
        }
        .write_json(p)?;
    }
    Ok(exit_code)
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

    #[test]
    fn the_latest_status_of_a_year_decides() {
        let mut h = Households::default();
        let key = PersonKey::from_checked("130013", "1", "2", "01");
        h.of_person.insert(key.borrow(), "00130013\u{1F}H1".into());
        let day = |d| jiff::civil::date(2026, 4, d);
        h.status.insert(
            "00130013\u{1F}H1".into(),
            vec![
                (FiscalYear(2026), day(1), true),
                (FiscalYear(2026), day(20), false),
                (FiscalYear(2025), day(1), true),
            ],
        );
        let mut text = String::new();
        PersonKey::join_into("130013", "1", "2", "01", &mut text);
        assert!(!h.exempt(&text, FiscalYear(2026)), "課税 from 20 April");
        assert!(h.exempt(&text, FiscalYear(2025)));
        assert!(!h.exempt(&text, FiscalYear(2024)));
        // the same day: the later line wins
        h.status.get_mut("00130013\u{1F}H1").unwrap().push((FiscalYear(2026), day(20), true));
        assert!(h.exempt(&text, FiscalYear(2026)));
    }
}
