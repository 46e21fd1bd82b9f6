//! `guidance`: a 利用券 for every person whose first checkup of the fiscal year kk-stratify put
//! in 積極的支援 (種別 2) or 動機付け支援 (種別 3). The person's details come from the master; a
//! person whose 受診券 number has kind digit 5 (初回面接 on the checkup day) keeps that number.

use std::collections::BTreeMap;

use jiff::civil::Date;
use rustc_hash::FxHashMap;

use super::data::{GUIDANCE_COLUMNS, Level, Person, Ticket};
use super::issue::{person, used_up};
use super::ledger::{Holder, Ledger, Sort};
use super::{GuidanceArgs, Outputs, TOOL, finish};
use crate::cmd::shared::reference::{date_field, person_key};
use crate::cmd::shared::{code_text, parse_date_option, parse_fy, read_input, read_rows, reference_error};
use crate::console::{Tally, thousands};
use crate::domain::{PersonKey, TicketKind, TicketNumber};
use crate::error::{Error, FieldError, Loc, Result};
use crate::io::CsvInput;
use crate::layout::{INSURED, LEVELS, insured as f};

/// A person's first checkup of the year with a guidance level.
struct Wanted {
    line: u64,
    level: Level,
    checkup_number: Option<TicketNumber>,
}

pub fn guidance(args: &GuidanceArgs) -> Result<u8> {
    let c = &args.common;
    let console = c.console();
    c.check_outputs()?;
    let fy = parse_fy(&c.fy)?;
    let issue_date = parse_date_option(&c.issue_date, "--issue-date")?;
    let config = c.config()?;
    let requested = c.encoding.resolve()?;
    let levels_name = args.levels.display().to_string();

    // the levels: per person the earliest checkup of the year (ties: the first line)
    let what = "階層化結果";
    let l = &LEVELS;
    let mut level_rows = 0u64;
    let mut other_years = 0u64;
    let mut firsts: BTreeMap<PersonKey, (Date, u64, Option<Level>, Option<TicketNumber>)> = BTreeMap::new();
    read_rows(
        &args.levels,
        requested,
        l,
        |row, _| {
            let key = person_key(row, l, what)?;
            let day = date_field(row, l, 4, what)?.unwrap_or(fy.first_day());
            let number = code_text(row, l, 5)?;
            let checkup_number = if number.is_empty() {
                None
            } else {
                Some(number.parse::<TicketNumber>().map_err(|e| reference_error(row, l, 5, what, e))?)
            };
            let level = match code_text(row, l, 6)?.as_ref() {
                "1" => Some(Level::Active),
                "2" => Some(Level::Motivational),
                "3" | "4" => None,
                "" => return Err(reference_error(row, l, 6, what, FieldError::Required)),
                _ => return Err(reference_error(row, l, 6, what, FieldError::Code)),
            };
            Ok(Some((key, day, row.line, level, checkup_number)))
        },
        |(key, day, line, level, checkup_number)| {
            level_rows += 1;
            if !fy.contains(day) {
                other_years += 1;
                return;
            }
            match firsts.get(&key) {
                Some(first) if (first.0, first.1) <= (day, line) => {}
                _ => {
                    firsts.insert(key, (day, line, level, checkup_number));
                }
            }
        },
    )?;
    // the earliest checkup decides, whatever its level
    let wanted: BTreeMap<PersonKey, Wanted> = firsts
        .into_iter()
        .filter_map(|(key, (_, line, level, checkup_number))| {
            level.map(|level| (key, Wanted { line, level, checkup_number }))
        })
        .collect();

    // the persons from the master
    let mut master = CsvInput::open(Some(&c.master), requested, &INSURED, None)?;
    let master_name = master.name().to_string();
    let mut persons: FxHashMap<PersonKey, Person> = FxHashMap::default();
    read_input(
        &mut master,
        |row, _| {
            let key = person_key(row, &INSURED, "被保険者マスタ")?;
            if !wanted.contains_key(&key) {
                return Ok(None);
            }
            let birth = date_field(row, &INSURED, f::BIRTH, "被保険者マスタ")?.unwrap_or(fy.first_day());
            Ok(Some((key, person(row, &INSURED, birth)?)))
        },
        |(key, p)| {
            persons.entry(key).or_insert(p);
        },
    )?;
    let master_enc = master.encoding();
    drop(master);

    let mut ledger = Ledger::read(&c.ledger, requested, master_enc)?;
    let before = ledger.read;
    let mut numbered = Vec::with_capacity(wanted.len());
    let mut fresh = 0u64;
    for (key, w) in &wanted {
        let Some(p) = persons.get(key) else {
            return Err(Error::InvalidReference {
                loc: Loc::cell(levels_name.as_str(), w.line, "被保険者証番号"),
                what,
                code: FieldError::UnknownPerson.code(),
                message: FieldError::UnknownPerson.message(),
            });
        };
        let settings = config
            .insurer(&p.key[0])
            .ok_or_else(|| Error::TicketInsurer { loc: Loc::cell(master_name.as_str(), p.line, "保険者番号") })?;
        let sort = match w.level {
            Level::Active => Sort::Active,
            Level::Motivational => Sort::Motivational,
        };
        let checkup_number = w.checkup_number.or_else(|| ledger.find(key, fy, Sort::Checkup).map(|e| e.number));
        let (number, issued, new) = match ledger.find(key, fy, sort) {
            Some(e) => (e.number, e.issued, false),
            None => {
                let holder = Holder { key_texts: &p.key, key, fy, sort, issued: issue_date };
                let number = match checkup_number {
                    // 初回面接 on the checkup day: the 受診券 number serves
                    Some(n) if n.kind() == Some(TicketKind::SameDay) && n.is_of_year(fy) => {
                        ledger.add(holder, n);
                        n
                    }
                    _ => ledger.issue(holder, sort.kind(false), settings.serials).ok_or_else(|| used_up(&config, p))?,
                };
                fresh += 1;
                (number, issue_date, true)
            }
        };
        numbered.push((new, p, settings, number, issued, checkup_number, w.level));
    }
    let tickets: Vec<Ticket<'_>> = numbered
        .iter()
        .filter(|n| !c.only_new || n.0)
        .map(|&(_, person, settings, number, issued, checkup_number, level)| Ticket {
            number,
            checkup_number,
            level: Some(level),
            fy,
            issued,
            valid_until: settings.valid_until(fy, true),
            person,
            settings,
        })
        .collect();
    let outputs = Outputs {
        common: c,
        config: &config,
        layout: config.config.guidance_output.as_ref(),
        default_columns: &GUIDANCE_COLUMNS,
        master_name: &master_name,
        master_enc,
        pdf_title: "特定保健指導利用券",
    };
    let (out_enc, replaced) = outputs.write(&tickets, &ledger)?;

    let count = |level| wanted.values().filter(|w| w.level == level).count() as u64;
    let (active, motivational) = (count(Level::Active), count(Level::Motivational));
    let mut tally = Tally::new(TOOL, "guidance", master_enc, out_enc);
    tally.rows_in = level_rows;
    tally.replaced = replaced;
    let persons_n = wanted.len() as u64;
    tally
        .set("level_rows", level_rows)
        .set("other_years", other_years)
        .set("active", active)
        .set("motivational", motivational)
        .set("numbers_kept", persons_n - fresh)
        .set("numbers_new", fresh)
        .set("ledger_before", before as u64)
        .set("written", tickets.len() as u64);
    let line = format!(
        "{}年度: 階層化結果 {} 行 (他の年度 {} 行) → 利用券の対象 {} 人 (積極的支援 {}・動機付け支援 {}) → 利用券 {} 枚を書き出し \
         (番号: 台帳どおり {}・新規 {}); 台帳 {} → {} 件",
        fy,
        thousands(level_rows),
        thousands(other_years),
        thousands(persons_n),
        thousands(active),
        thousands(motivational),
        thousands(tickets.len() as u64),
        thousands(persons_n - fresh),
        thousands(fresh),
        thousands(before as u64),
        thousands(before as u64 + fresh),
    );
    finish(&console, tally, line, c)
}
