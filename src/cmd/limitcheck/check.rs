//! One claim against its contract: values validated (a bad value is an E-row, never a crash),
//! then each finding with the expected and actual amounts in yen.

use std::borrow::Cow;
use std::path::Path;

use jiff::civil::Date;
use rustc_hash::{FxHashMap, FxHashSet};

use super::contracts::{Code, Contracts, Lookup, non_negative, split_codes};
use crate::cmd::shared::{code_text, read_rows};
use crate::cmd::ticket::ledger::{Disagreement, TicketBook};
use crate::domain::text::normalize_code;
use crate::domain::{
    FiscalYear, InstitutionNumber, InsurerNumber, PersonKey, TicketNumber, expected_claim, expected_copayment,
    format_date, parse_count, parse_date,
};
use crate::error::{FieldError, Result};
use crate::io::{InputEncoding, Row};
use crate::layout::{self, CLAIMS, claims as c};

/// The items each ticket's results hold.
pub fn load_results(path: &Path, requested: InputEncoding) -> Result<FxHashMap<String, FxHashSet<String>>> {
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

crate::codes! {
    /// A finding of kk-limitcheck (docs/errors.md).
    pub enum Check {
        NoContract = "L101", "受診日に有効な契約がありません";
        BaseAbove = "L102", "基本単価が契約より高い";
        BaseBelow = "L103", "基本単価が契約より低い";
        DetailTotal = "L104", "詳細単価合計が 詳細項目数×契約の詳細単価 と違います";
        AdditionalTotal = "L105", "追加単価合計が 追加項目数×契約の追加単価 と違います";
        TooManyAdditional = "L106", "追加項目数が契約の上限を超えています";
        NotCovered = "L107", "契約の対象外の追加項目です";
        Copay = "L108", "窓口負担額が契約の窓口負担と違います";
        ClaimAmount = "L109", "請求金額が 基本+詳細+追加－窓口負担 と違います";
        DuplicateTicket = "L110", "同じ受診券整理番号の請求が先にあります";
        CountVsCodes = "L111", "追加項目数が追加項目コードの数と違います";
        NoResult = "L112", "請求した追加項目の結果がありません";
        NotClaimed = "L113", "結果にある契約対象の追加項目が請求されていません";
        TicketYear = "L114", "受診券整理番号の年度が受診日の年度と違います";
        AmbiguousContract = "L115", "契約区分がなく、同じ具体さの契約が複数あるため契約を特定できません";
        TicketUnknown = "L116", "受診券整理番号が整理番号台帳にありません";
        TicketOtherPerson = "L117", "受診券整理番号は整理番号台帳では別の人の番号です";
        TicketOtherYear = "L118", "受診券整理番号は整理番号台帳では別の年度の番号です";
    }
}

/// One row of the checklist.
#[derive(Debug, Clone)]
pub struct Finding {
    pub code: &'static str,
    pub message: String,
    pub expected: String,
    pub actual: String,
    pub difference: String,
}

pub fn amounts(check: Check, expected: i64, actual: i64) -> Finding {
    Finding {
        code: check.code(),
        message: check.message().to_string(),
        expected: expected.to_string(),
        actual: actual.to_string(),
        difference: (actual - expected).to_string(),
    }
}

/// L116–L118: the ledger disagrees with the claimed number; the ledger's line is named.
fn ticket_finding(d: Disagreement, ticket: TicketNumber, fy: FiscalYear) -> Finding {
    let (check, expected, line) = match d {
        Disagreement::Unknown => (Check::TicketUnknown, String::new(), None),
        Disagreement::OtherPerson(line) => (Check::TicketOtherPerson, String::new(), Some(line)),
        Disagreement::OtherYear(year, line) => (Check::TicketOtherYear, year.0.to_string(), Some(line)),
    };
    let mut message = check.message().to_string();
    if let Some(line) = line {
        message += &format!("(台帳 {line}行目)");
    }
    let actual = if check == Check::TicketOtherYear { fy.0.to_string() } else { ticket.to_string() };
    Finding { code: check.code(), message, expected, actual, difference: String::new() }
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
pub enum Shown {
    Valid { ticket: TicketNumber, institution: u64, insurer: u32, insurer_digits: u8, date: Date },
    Raw(Box<[String; 4]>),
}

impl Shown {
    pub fn texts(&self) -> [String; 4] {
        match self {
            Shown::Valid { ticket, institution, insurer, insurer_digits, date } => [
                ticket.to_string(),
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
pub struct Checked {
    pub line: u64,
    pub shown: Shown,
    /// The ticket and claimed amount of a valid claim, for the duplicate check.
    pub ticket: Option<(TicketNumber, i64)>,
    pub findings: Vec<Finding>,
    pub pending: Option<PendingCopay>,
    pub invalid: bool,
}

/// What workers share, read-only.
pub struct Reference {
    pub contracts: Contracts,
    /// `--master` and `--household` were given: co-payments that depend on a 非課税 household
    /// are decided after the claims, for just those claimants.
    pub exemption: bool,
    pub results: Option<FxHashMap<String, FxHashSet<String>>>,
    /// `--tickets`: the numbers issued (kk-ticket's ledger)
    pub tickets: Option<TicketBook>,
}

/// A co-payment check that waits for the claimant's household: the claimed amount, what the
/// contract gives a taxed household, and where in the claim's findings an L108 goes.
#[derive(Debug)]
pub struct PendingCopay {
    pub person: PersonKey,
    pub fy: FiscalYear,
    pub taxed: i64,
    pub claimed: i64,
    pub at: usize,
}

/// Per-worker scratch space, reused from claim to claim.
#[derive(Default)]
pub struct Worker {
    bufs: [String; 17],
}

/// A claim's values, all valid.
struct Claim<'a> {
    v: &'a [Cow<'a, str>; 17],
    ticket: TicketNumber,
    date: Date,
    base: i64,
    detail_total: i64,
    additional_total: i64,
    copay: i64,
    claim: i64,
    detail_count: u32,
    additional_count: u32,
    codes: Vec<&'a str>,
}

impl Reference {
    pub fn check(&self, w: &mut Worker, row: &Row<'_>) -> Result<Checked> {
        let Worker { bufs } = w;
        let mut v: [Cow<'_, str>; 17] = Default::default();
        for (field, buf) in bufs.iter_mut().enumerate() {
            v[field] = normalize_code(row.text_in(field, &CLAIMS, buf)?.1);
        }
        let mut findings = Vec::new();
        let Some(claim) = validate(&v, &mut findings) else {
            let raw = |f: usize| v[f].to_string();
            let date = parse_date(&v[c::DATE]).map(format_date).unwrap_or_else(|_| raw(c::DATE));
            let shown = Shown::Raw(Box::new([raw(c::TICKET), raw(c::INSTITUTION), raw(c::INSURER), date]));
            return Ok(Checked { line: row.line, shown, ticket: None, findings, pending: None, invalid: true });
        };
        // all validated as digits above: the numbers cannot fail to parse
        let (institution, insurer) = (v[c::INSTITUTION].parse().unwrap_or(0), v[c::INSURER].parse().unwrap_or(0));
        let shown = Shown::Valid {
            ticket: claim.ticket,
            institution,
            insurer,
            insurer_digits: v[c::INSURER].len() as u8,
            date: claim.date,
        };
        let pending = self.compare(&claim, (institution, insurer), &mut findings);
        let ticket = Some((claim.ticket, claim.claim));
        Ok(Checked { line: row.line, shown, ticket, findings, pending, invalid: false })
    }

    /// The findings of a valid claim against its contract (and the results, with `--results`);
    /// the co-payment check that waits for the household, if any.
    fn compare(
        &self,
        claim: &Claim<'_>,
        (institution, insurer): (u64, u32),
        findings: &mut Vec<Finding>,
    ) -> Option<PendingCopay> {
        let v = claim.v;
        let fy = FiscalYear::of(claim.date);
        // 受診券整理番号 = 年度(2) + 種別(1) + 連番(8) (domain::ticket): the year is a warning only
        if !claim.ticket.is_of_year(fy) {
            findings.push(amounts(Check::TicketYear, i64::from(fy.0 % 100), i64::from(claim.ticket.year_digits())));
        }
        if let Some(book) = &self.tickets {
            let person = PersonKey::from_checked(&v[c::INSURER], &v[c::KIGO], &v[c::BANGO], &v[c::EDABAN]);
            findings.extend(book.disagreement(claim.ticket, &person, fy).map(|d| ticket_finding(d, claim.ticket, fy)));
        }
        let arithmetic = expected_claim(claim.base + claim.detail_total + claim.additional_total, claim.copay, 0);
        if claim.claim != arithmetic {
            findings.push(amounts(Check::ClaimAmount, arithmetic, claim.claim));
        }
        if !claim.codes.is_empty() && claim.codes.len() as u32 != claim.additional_count {
            findings.push(amounts(Check::CountVsCodes, claim.codes.len() as i64, i64::from(claim.additional_count)));
        }
        let contract = match self.contracts.find(institution, insurer, &v[c::KIND], claim.date) {
            Lookup::Found(contract) => contract,
            Lookup::Missing => {
                findings.push(text_finding(Check::NoContract, &claim.claim.to_string()));
                return None;
            }
            Lookup::Ambiguous(a, b) => {
                let mut f = text_finding(Check::AmbiguousContract, &claim.claim.to_string());
                f.message = format!("{}(契約 {}行目と{}行目)", f.message, a.line, b.line);
                findings.push(f);
                return None;
            }
        };
        if claim.base > contract.base {
            findings.push(amounts(Check::BaseAbove, contract.base, claim.base));
        } else if claim.base < contract.base {
            findings.push(amounts(Check::BaseBelow, contract.base, claim.base));
        }
        let expected_detail = i64::from(claim.detail_count) * contract.detail;
        if claim.detail_total != expected_detail {
            findings.push(amounts(Check::DetailTotal, expected_detail, claim.detail_total));
        }
        let expected_additional = i64::from(claim.additional_count) * contract.additional;
        if claim.additional_total != expected_additional {
            findings.push(amounts(Check::AdditionalTotal, expected_additional, claim.additional_total));
        }
        if claim.additional_count > contract.max_additional {
            let (max, count) = (i64::from(contract.max_additional), i64::from(claim.additional_count));
            findings.push(amounts(Check::TooManyAdditional, max, count));
        }
        if let Some(covered) = &contract.codes {
            for code in claim.codes.iter().filter(|code| Code::new(code).is_none_or(|c| !covered.contains(&c))) {
                findings.push(text_finding(Check::NotCovered, code));
            }
        }
        // the co-payment applies to the 基本 price of the contract; a 非課税 household pays
        // nothing where the contract says so
        let taxed = expected_copayment(contract.copay, contract.base, 0, contract.unit);
        let mut pending = None;
        if contract.exempt_low_income && self.exemption && taxed != 0 {
            let person = PersonKey::from_checked(&v[c::INSURER], &v[c::KIGO], &v[c::BANGO], &v[c::EDABAN]);
            pending = Some(PendingCopay { person, fy, taxed, claimed: claim.copay, at: findings.len() });
        } else if claim.copay != taxed {
            findings.push(amounts(Check::Copay, taxed, claim.copay));
        }
        if let Some(results) = &self.results {
            compare_results(claim, contract.codes.as_deref(), results, findings);
        }
        pending
    }
}

/// `--results`: the additional items claimed against the items the ticket's results hold.
fn compare_results(
    claim: &Claim<'_>,
    covered: Option<&[Code]>,
    results: &FxHashMap<String, FxHashSet<String>>,
    findings: &mut Vec<Finding>,
) {
    let present = results.get(claim.v[c::TICKET].as_ref());
    for code in &claim.codes {
        if !present.is_some_and(|p| p.contains(*code)) {
            findings.push(text_finding(Check::NoResult, code));
        }
    }
    if let (Some(covered), Some(present)) = (covered, present) {
        let mut missing: Vec<&String> = present
            .iter()
            .filter(|p| Code::new(p).is_some_and(|c| covered.contains(&c)) && !claim.codes.contains(&p.as_str()))
            .collect();
        missing.sort();
        for code in missing {
            findings.push(text_finding(Check::NotClaimed, code));
        }
    }
}

/// Every value of a claim checked: each one that fails adds an E-row finding; a claim with none
/// is fully valid and comes back as a [`Claim`].
fn validate<'a>(v: &'a [Cow<'a, str>; 17], findings: &mut Vec<Finding>) -> Option<Claim<'a>> {
    let mut bad = |field: usize, e: FieldError| {
        findings.push(Finding {
            code: e.code(),
            message: format!("{}: {}", CLAIMS.fields[field].name, e.message()),
            expected: String::new(),
            actual: v[field].to_string(),
            difference: String::new(),
        });
    };
    let _ = InstitutionNumber::check(&v[c::INSTITUTION]).map_err(|e| bad(c::INSTITUTION, e));
    let _ = InsurerNumber::check(&v[c::INSURER]).map_err(|e| bad(c::INSURER, e));
    let ticket = v[c::TICKET].parse::<TicketNumber>().map_err(|e| bad(c::TICKET, e)).ok();
    if v[c::BANGO].is_empty() {
        bad(c::BANGO, FieldError::Required);
    }
    let date = parse_date(&v[c::DATE]).map_err(|e| bad(c::DATE, e)).ok();
    let mut yen =
        |field: usize| crate::domain::parse_yen(&v[field]).and_then(non_negative).map_err(|e| bad(field, e)).ok();
    let base = yen(c::BASE);
    let detail_total = yen(c::DETAIL_TOTAL);
    let additional_total = yen(c::ADDITIONAL_TOTAL);
    let copay = yen(c::COPAY);
    let claim = yen(c::CLAIM);
    let detail_count = parse_count(&v[c::DETAIL_COUNT]).map_err(|e| bad(c::DETAIL_COUNT, e)).ok();
    let additional_count = parse_count(&v[c::ADDITIONAL_COUNT]).map_err(|e| bad(c::ADDITIONAL_COUNT, e)).ok();
    let codes = split_codes(&v[c::ADDITIONAL_CODES]).map_err(|e| bad(c::ADDITIONAL_CODES, e)).ok();
    if !findings.is_empty() {
        return None;
    }
    Some(Claim {
        v,
        ticket: ticket?,
        date: date?,
        base: base?,
        detail_total: detail_total?,
        additional_total: additional_total?,
        copay: copay?,
        claim: claim?,
        detail_count: detail_count?,
        additional_count: additional_count?,
        codes: codes?,
    })
}
