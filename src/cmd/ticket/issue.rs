//! `issue`: a 受診券 for every target of the fiscal year, in person-key order; a person the
//! ledger knows keeps their number (and its 交付日), a new target gets the next serial of their
//! insurer's range.

use std::collections::BTreeMap;

use super::config::Loaded;
use super::data::{CHECKUP_COLUMNS, Person, Ticket};
use super::ledger::{Holder, Ledger, Sort};
use super::{IssueArgs, Outputs, TOOL, finish};
use crate::cmd::shared::reference::{date_field, exclusions_in, person_key};
use crate::cmd::shared::{code_text, parse_date_option, parse_fy, read_input};
use crate::console::{Tally, thousands};
use crate::domain::{PersonKey, TargetStatus, target_status};
use crate::error::{Error, Loc, Result};
use crate::io::{CsvInput, Row};
use crate::layout::{INSURED, Layout, insured as f};

pub fn issue(args: &IssueArgs) -> Result<u8> {
    let c = &args.common;
    let console = c.console();
    c.check_outputs()?;
    let fy = parse_fy(&c.fy)?;
    let as_of = parse_date_option(&args.as_of, "--as-of")?;
    let issue_date = parse_date_option(&c.issue_date, "--issue-date")?;
    let config = c.config()?;
    let requested = c.encoding.resolve()?;
    let excluded = match &args.exclusions {
        Some(path) => exclusions_in(path, requested, fy)?,
        None => Default::default(),
    };
    let mut master = CsvInput::open(Some(&c.master), requested, &INSURED, None)?;
    let master_name = master.name().to_string();
    let mut counts: BTreeMap<TargetStatus, u64> = BTreeMap::new();
    let mut targets: Vec<(PersonKey, Person)> = Vec::new();
    read_input(
        &mut master,
        |row, _| {
            let l = &INSURED;
            let key = person_key(row, l, "被保険者マスタ")?;
            let birth = date_field(row, l, f::BIRTH, "被保険者マスタ")?.unwrap_or(as_of);
            let acquired = date_field(row, l, f::ACQUIRED, "被保険者マスタ")?.unwrap_or(as_of);
            let lost = date_field(row, l, f::LOST, "被保険者マスタ")?;
            let status = target_status(acquired, lost, birth, fy, as_of, excluded.contains_key(&key));
            let person = match status {
                TargetStatus::Target => Some((key, person(row, l, birth)?)),
                _ => None,
            };
            Ok(Some((status, person)))
        },
        |(status, person)| {
            *counts.entry(status).or_default() += 1;
            targets.extend(person);
        },
    )?;
    let master_enc = master.encoding();
    drop(master);
    targets.sort_by(|a, b| a.0.cmp(&b.0));

    let mut ledger = Ledger::read(&c.ledger, requested, master_enc)?;
    let before = ledger.read;
    let mut numbered = Vec::with_capacity(targets.len());
    let mut fresh = 0u64;
    for (key, person) in &targets {
        let settings = config.insurer(&person.key[0]).ok_or_else(|| Error::TicketInsurer {
            loc: Loc::cell(master_name.as_str(), person.line, "保険者番号"),
        })?;
        let (number, issued, new) = match ledger.find(key, fy, Sort::Checkup) {
            Some(e) => (e.number, e.issued, false),
            None => {
                let kind = Sort::Checkup.kind(settings.same_day);
                let holder = Holder { key_texts: &person.key, key, fy, sort: Sort::Checkup, issued: issue_date };
                let number = ledger.issue(holder, kind, settings.serials).ok_or_else(|| used_up(&config, person))?;
                fresh += 1;
                (number, issue_date, true)
            }
        };
        numbered.push((new, number, issued, settings));
    }
    let tickets: Vec<Ticket<'_>> = targets
        .iter()
        .zip(&numbered)
        .filter(|(_, (new, ..))| !c.only_new || *new)
        .map(|((_, person), &(_, number, issued, settings))| Ticket {
            number,
            checkup_number: None,
            level: None,
            fy,
            issued,
            valid_until: settings.valid_until(fy, false),
            person,
            settings,
        })
        .collect();
    let outputs = Outputs {
        common: c,
        config: &config,
        layout: config.config.checkup_output.as_ref(),
        default_columns: &CHECKUP_COLUMNS,
        master_name: &master_name,
        master_enc,
        pdf_title: "特定健康診査受診券",
    };
    let (out_enc, replaced) = outputs.write(&tickets, &ledger)?;

    let n = |s| counts.get(&s).copied().unwrap_or(0);
    let rows_in: u64 = counts.values().sum();
    let mut tally = Tally::new(TOOL, "issue", master_enc, out_enc);
    tally.rows_in = rows_in;
    tally.replaced = replaced;
    let target_count = targets.len() as u64;
    if n(TargetStatus::Target) != target_count
        || rows_in != n(TargetStatus::NotQualified) + n(TargetStatus::NotTarget) + n(TargetStatus::Excluded) + target_count
    {
        return Err(Error::Integrity { detail: format!("{counts:?}") });
    }
    tally
        .set("master_rows", rows_in)
        .set("not_qualified", n(TargetStatus::NotQualified))
        .set("not_target", n(TargetStatus::NotTarget))
        .set("excluded", n(TargetStatus::Excluded))
        .set("targets", target_count)
        .set("numbers_kept", target_count - fresh)
        .set("numbers_new", fresh)
        .set("ledger_before", before as u64)
        .set("written", tickets.len() as u64);
    let line = format!(
        "{}年度 基準日 {}: マスタ {} 行 → 対象者 {} 人 (資格なし {}・年齢外 {}・除外 {} を除く) → 受診券 {} 枚を書き出し \
         (番号: 台帳どおり {}・新規 {}); 台帳 {} → {} 件",
        fy,
        crate::domain::format_date(as_of),
        thousands(rows_in),
        thousands(target_count),
        thousands(n(TargetStatus::NotQualified)),
        thousands(n(TargetStatus::NotTarget)),
        thousands(n(TargetStatus::Excluded)),
        thousands(tickets.len() as u64),
        thousands(target_count - fresh),
        thousands(fresh),
        thousands(before as u64),
        thousands(before as u64 + fresh),
    );
    finish(&console, tally, line, c)
}

/// The person columns of a master row (the master is kk-import's output: normalized).
pub fn person(row: &Row<'_>, l: &Layout, birth: jiff::civil::Date) -> Result<Person> {
    let code = |i| code_text(row, l, i).map(|t| t.into_owned());
    let text = |i| row.text(i, l).map(|t| t.trim().to_string());
    Ok(Person {
        key: [code(f::INSURER)?, code(f::KIGO)?, code(f::BANGO)?, code(f::EDABAN)?],
        kana: text(f::KANA)?,
        name: text(f::NAME)?,
        sex: code(f::SEX)?,
        birth,
        postcode: code(f::POSTCODE)?,
        address: text(f::ADDRESS)?,
        line: row.line,
    })
}

/// The serial range of a person's insurer is used up.
pub fn used_up(config: &Loaded, person: &Person) -> Error {
    let detail = format!("保険者 {} の整理番号の連番を使い切りました (serials を広げてください)", person.key[0]);
    match &config.path {
        Some(path) => Error::Config { path: path.clone(), detail },
        None => Error::Integrity { detail },
    }
}
