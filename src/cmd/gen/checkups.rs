//! The month's checkups: who was examined, claims.csv (with planted claim problems),
//! results.csv (one row per item) and decided.csv (totals per insurer × institution).

use std::collections::{BTreeMap, HashSet};

use jiff::civil::Date;

use super::Month;
use super::contracts::{ADDITIONAL_ITEMS, Contract, Terms, copayment};
use super::items;
use super::people::{Gen, Person};
use super::writer::Writer;
use crate::domain::stratify::Level;
use crate::domain::{TicketKind, TicketNumber, age_at_fiscal_year_end, expected_claim, format_date};
use crate::error::Result;
use crate::layout::{CLAIMS, DECIDED, GUIDANCE, RESULTS};

/// Examinees this month: targets of the fiscal year, qualified, about 1 in 12 (or `claims`
/// drawn from them with repeats).
pub fn examinees<'a>(g: &mut Gen, master: &'a [Person], claims: Option<usize>) -> Vec<&'a Person> {
    let (month, fy) = (g.month, g.fy);
    let eligible: Vec<&Person> = master
        .iter()
        .filter(|p| p.acquired <= month && p.lost.is_none_or(|l| month < l))
        .filter(|p| (40..=74).contains(&age_at_fiscal_year_end(p.birth, fy)))
        .collect();
    match claims {
        Some(n) if !eligible.is_empty() => (0..n).map(|_| eligible[g.rng.usize(..eligible.len())]).collect(),
        _ => eligible.into_iter().filter(|_| g.rng.u8(..12) == 0).collect(),
    }
}

/// Totals per (insurer, institution): (件数, 請求金額 before co-payment, 窓口負担額).
pub type Decided = BTreeMap<(String, String), (u64, i64, i64)>;

/// One examinee's checkup: where, when, which additional and detailed items.
struct Visit<'a> {
    person: &'a Person,
    institution: &'a str,
    contract: &'a Contract,
    day: Date,
    ticket: String,
    adds: Vec<&'static (&'static str, &'static str, &'static str, i64)>,
    n_detail: usize,
}

/// Writes claims.csv and results.csv (header only with `no_results`); returns the decided totals.
pub fn write_claims_and_results(
    g: &mut Gen,
    m: &mut Month,
    examinees: &[&Person],
    terms: &Terms,
    exempt: &HashSet<(usize, String)>,
    no_results: bool,
    mut xml: Option<&mut super::xml::XmlSide>,
) -> Result<Decided> {
    let mut claims = Writer::create(m.dir, "claims.csv", m.enc, &CLAIMS.names().collect::<Vec<_>>())?;
    let mut results = Writer::create(m.dir, "results.csv", m.enc, &RESULTS.names().collect::<Vec<_>>())?;
    let mut guidance = Writer::create(m.dir, "guidance.csv", m.enc, &GUIDANCE.names().collect::<Vec<_>>())?;
    let mut decided = Decided::new();
    let mut last_ticket = String::new();
    let every = (examinees.len() / 6).clamp(3, 50);
    for (n, p) in examinees.iter().enumerate() {
        let institution = &terms.institutions[g.rng.usize(..terms.institutions.len())];
        let contract = terms.contract_for(institution, &m.insurers[p.insurer].number);
        let day = g.days_between(g.month, g.month.last_of_month());
        let ticket =
            TicketNumber::new(g.fy, TicketKind::Checkup, n as u32 + 1).map(|t| t.to_string()).unwrap_or_default();
        let n_add = g.rng.usize(0..=contract.max_additional.min(2));
        let adds = ADDITIONAL_ITEMS.iter().take(n_add).collect();
        let n_detail = usize::from(g.rng.u8(..5) == 0);
        let visit = Visit { person: p, institution, contract, day, ticket, adds, n_detail };
        let planted = (!m.clean && n % every == every / 2 + 1).then_some((n / every) % 3);
        let claim = write_claim(m, &mut claims, &visit, exempt, planted, &last_ticket, &mut decided)?;
        if let Some(x) = xml.as_deref_mut() {
            x.claim(&claim, visit.contract.detail, visit.contract.additional)?;
            let key = [0, 1, 2, 3, 4, 5]
                .map(|i| [&visit.ticket, &claim[2], &p.kigo, &p.bango, &p.edaban, &claim[7]][i].clone());
            x.header(&key, p, institution, &claim[7])?;
        }
        last_ticket = visit.ticket.clone();
        let age = age_at_fiscal_year_end(p.birth, g.fy);
        // a planted edge case of 階層化 every `every` examinees, offset from the claim problems
        let edge =
            (!m.clean && n % every == every / 3).then(|| items::edge_case((n / every) % items::EDGE_CASES, p, age));
        let items = match &edge {
            Some((items, _, _)) => items.clone(),
            None => items::result_items(g, p, age),
        };
        if !no_results {
            write_guidance(g, m, &mut guidance, p, day, items::level_of(&items, p, age))?;
        }
        let adds_in_results = visit.adds.iter().map(|a| (a.0, a.1, (3 + g.rng.u8(..5)).to_string(), ""));
        if no_results {
            continue;
        }
        let required = if xml.is_some() { super::xml::required_items(&items, p, age) } else { Vec::new() };
        let all: Vec<items::Item> = items.into_iter().chain(adds_in_results).collect();
        for (i, (code, name, value, unit)) in all.iter().cloned().chain(required).enumerate() {
            let bad = value == "abc";
            let row = [
                visit.ticket.clone(),
                m.insurers[p.insurer].number.clone(),
                p.kigo.clone(),
                p.bango.clone(),
                p.edaban.clone(),
                p.sex.to_string(),
                format_date(p.birth),
                institution.clone(),
                format_date(day),
                code.into(),
                name.into(),
                value,
                unit.into(),
            ];
            if let Some(x) = xml.as_deref_mut() {
                x.result(&row)?;
            }
            if i >= all.len() {
                continue;
            }
            let line = results.row(&row)?;
            if let Some((_, expected, what)) = &edge {
                if i == 0 {
                    m.note("results.csv", line, "階層化", expected, what);
                }
                if bad {
                    m.note("results.csv", line, "結果値", "E113", "数値でない結果値");
                }
            }
        }
    }
    claims.finish()?;
    results.finish()?;
    guidance.finish()?;
    Ok(decided)
}

/// One claim, with the planted problem `planted` (0 基本単価 too low, 1 窓口負担 too high, 2 the
/// previous ticket claimed again), added to the decided totals.
fn write_claim(
    m: &mut Month,
    claims: &mut Writer,
    v: &Visit<'_>,
    exempt: &HashSet<(usize, String)>,
    planted: Option<usize>,
    last_ticket: &str,
    decided: &mut Decided,
) -> Result<Vec<String>> {
    let (p, contract) = (v.person, v.contract);
    let mut base = contract.base;
    let mut copay = if contract.exempt_low_income && exempt.contains(&(p.insurer, p.household.clone())) {
        0
    } else {
        copayment(contract, contract.base)
    };
    let detail_total = contract.detail * v.n_detail as i64;
    let add_total = contract.additional * v.adds.len() as i64;
    let mut ticket_written = v.ticket.clone();
    match planted {
        Some(0) => base -= 1100,
        Some(1) => copay += 500,
        Some(_) => ticket_written = last_ticket.to_string(),
        None => {}
    }
    let claim = expected_claim(base + detail_total + add_total, copay, 0);
    let insurer = m.insurers[p.insurer].number.clone();
    let row = [
        format!("{:04}{:02}", m.month.year(), m.month.month()),
        v.institution.to_string(),
        insurer.clone(),
        ticket_written,
        p.kigo.clone(),
        p.bango.clone(),
        p.edaban.clone(),
        format_date(v.day),
        "1".into(),
        base.to_string(),
        v.n_detail.to_string(),
        detail_total.to_string(),
        v.adds.len().to_string(),
        v.adds.iter().map(|a| a.0).collect::<Vec<_>>().join(";"),
        add_total.to_string(),
        copay.to_string(),
        claim.to_string(),
    ];
    let line = claims.row(&row)?;
    if let Some(kind) = planted {
        let (column, code, what) = match kind {
            0 => ("基本単価", "L103", "基本単価が契約より低い"),
            1 => ("窓口負担額", "L108", "窓口負担額が契約と違う"),
            _ => ("受診券整理番号", "L110", "同じ受診券整理番号の二重請求"),
        };
        m.note("claims.csv", line, column, code, what);
    }
    let e = decided.entry((insurer, v.institution.to_string())).or_default();
    e.0 += 1;
    e.1 += base + detail_total + add_total;
    e.2 += copay;
    Ok(row.to_vec())
}

/// guidance.csv: about a third of the guidance targets started guidance a month after the
/// checkup, and half of those completed it (実績評価日 three months later).
fn write_guidance(g: &mut Gen, m: &Month, w: &mut Writer, p: &Person, day: Date, level: Level) -> Result<()> {
    if !level.is_target() || g.rng.u8(..3) != 0 {
        return Ok(());
    }
    let first = day.checked_add(jiff::Span::new().days(30)).unwrap_or(day);
    let done = if g.rng.bool() {
        first.checked_add(jiff::Span::new().months(3)).map(format_date).unwrap_or_default()
    } else {
        String::new()
    };
    w.row(&[
        m.insurers[p.insurer].number.clone(),
        p.kigo.clone(),
        p.bango.clone(),
        p.edaban.clone(),
        level.code().to_string(),
        format_date(first),
        done,
    ])?;
    Ok(())
}

/// decided.csv: one row per insurer × institution, 事務手数料 110 yen a claim.
pub fn write_decided(m: &Month, decided: &Decided) -> Result<()> {
    let mut w = Writer::create(m.dir, "decided.csv", m.enc, &DECIDED.names().collect::<Vec<_>>())?;
    let processing = format!("{:04}{:02}", m.month.year(), m.month.month());
    for ((ins, inst), (count, total, copay)) in decided {
        w.row(&[
            processing.clone(),
            ins.clone(),
            inst.clone(),
            "1".into(),
            count.to_string(),
            total.to_string(),
            copay.to_string(),
            (total - copay).to_string(),
            (*count as i64 * 110).to_string(),
        ])?;
    }
    w.finish()
}
