//! `guidance`: a 利用券 for every person whose first checkup of the fiscal year kk-stratify put
//! in 積極的支援 (種別 2) or 動機付け支援 (種別 3). The person's details come from the master; a
//! person whose 受診券 number has kind digit 5 (初回面接 on the checkup day) keeps that number.

use std::collections::BTreeMap;
use std::path::Path;

use jiff::civil::Date;
use rustc_hash::FxHashMap;

use super::data::{GUIDANCE_COLUMNS, Level, Person, Ticket};
use super::issue::person;
use super::ledger::{Ledger, Sort};
use super::{GuidanceArgs, Numbering, Outputs, TOOL, finish};
use crate::cmd::shared::reference::{date_field, key_texts, person_key};
use crate::cmd::shared::{
    code_text, leave_to_exit, parse_date_option, parse_fy, read_input, read_rows, reference_error,
};
use crate::console::{Tally, thousands};
use crate::domain::{FiscalYear, PersonKey, TicketKind, TicketNumber};
use crate::error::{Error, FieldError, Loc, Result};
use crate::io::{CsvInput, InputEncoding};
use crate::layout::{INSURED, LEVELS, insured as f};

const WHAT: &str = "階層化結果";

/// A person's first checkup of the year with a guidance level.
struct Wanted {
    line: u64,
    level: Level,
    checkup_number: Option<TicketNumber>,
}

/// The levels file read: its rows, those of other years, and the persons wanted.
struct Levels {
    rows: u64,
    other_years: u64,
    wanted: BTreeMap<PersonKey, Wanted>,
}

pub fn guidance(args: &GuidanceArgs) -> Result<u8> {
    let c = &args.common;
    let console = c.console();
    c.check_outputs()?;
    let fy = parse_fy(&c.fy)?;
    let issue_date = parse_date_option(&c.issue_date, "--issue-date")?;
    let config = c.config()?;
    let requested = c.encoding.resolve()?;
    let levels = read_levels(&args.levels, requested, fy)?;
    let mut master = CsvInput::open(Some(&c.master), requested, &INSURED, None)?;
    let persons = read_persons(&mut master, &levels.wanted, fy)?;
    let (master_name, master_enc) = (master.name().to_string(), master.encoding());
    drop(master);

    let mut ledger = Ledger::read(&c.ledger, requested)?;
    let mut numbering =
        Numbering { ledger: &mut ledger, config: &config, master: &master_name, fy, issue_date, fresh: 0 };
    let levels_name = args.levels.display().to_string();
    let mut tickets = Vec::with_capacity(levels.wanted.len());
    for (key, w) in &levels.wanted {
        let p = persons.get(key).ok_or_else(|| Error::InvalidReference {
            loc: Loc::cell(levels_name.as_str(), w.line, "被保険者証番号"),
            what: WHAT,
            code: FieldError::UnknownPerson.code(),
            message: FieldError::UnknownPerson.message(),
        })?;
        let sort = match w.level {
            Level::Active => Sort::Active,
            Level::Motivational => Sort::Motivational,
        };
        let checkup_number =
            w.checkup_number.or_else(|| numbering.ledger.find(key, fy, Sort::Checkup).map(|e| e.number));
        // 初回面接 on the checkup day: the 受診券 number serves
        let shared = checkup_number.filter(|n| n.kind() == Some(TicketKind::SameDay) && n.is_of_year(fy));
        let (number, issued, new, settings) = numbering.number(key, p, sort, shared)?;
        if !c.only_new || new {
            let valid_until = settings.valid_until(fy, true);
            let level = Some(w.level);
            tickets.push(Ticket { number, checkup_number, level, fy, issued, valid_until, person: p, settings });
        }
    }
    let fresh = numbering.fresh;
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
    let mut tally = Tally::new(TOOL, "guidance", master_enc, out_enc);
    tally.replaced = replaced;
    let line = closing(&mut tally, &levels, fy, [tickets.len() as u64, fresh, ledger.read as u64]);
    leave_to_exit((tickets, ledger));
    leave_to_exit((persons, levels));
    finish(&console, tally, line, c)
}

/// The levels, per person the earliest checkup of the year (ties: the first line): a person
/// whose earliest checkup has no guidance level gets no 利用券.
fn read_levels(path: &Path, requested: InputEncoding, fy: FiscalYear) -> Result<Levels> {
    let l = &LEVELS;
    let mut levels = Levels { rows: 0, other_years: 0, wanted: BTreeMap::new() };
    let mut firsts: BTreeMap<PersonKey, (Date, u64, Option<Level>, Option<TicketNumber>)> = BTreeMap::new();
    read_rows(
        path,
        requested,
        l,
        |row, _| {
            let key = person_key(row, l, WHAT)?;
            let day = date_field(row, l, 4, WHAT)?.unwrap_or(fy.first_day());
            let number = code_text(row, l, 5)?;
            let checkup_number = if number.is_empty() {
                None
            } else {
                Some(number.parse::<TicketNumber>().map_err(|e| reference_error(row, l, 5, WHAT, e))?)
            };
            let level = match code_text(row, l, 6)?.as_ref() {
                "1" => Some(Level::Active),
                "2" => Some(Level::Motivational),
                "3" | "4" => None,
                "" => return Err(reference_error(row, l, 6, WHAT, FieldError::Required)),
                _ => return Err(reference_error(row, l, 6, WHAT, FieldError::Code)),
            };
            Ok(Some((key, day, row.line, level, checkup_number)))
        },
        |(key, day, line, level, checkup_number)| {
            levels.rows += 1;
            if !fy.contains(day) {
                levels.other_years += 1;
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
    levels.wanted = firsts
        .into_iter()
        .filter_map(|(key, (_, line, level, checkup_number))| {
            level.map(|level| (key, Wanted { line, level, checkup_number }))
        })
        .collect();
    Ok(levels)
}

/// The master's details of the persons wanted (the first row of a key).
fn read_persons(
    master: &mut CsvInput,
    wanted: &BTreeMap<PersonKey, Wanted>,
    fy: FiscalYear,
) -> Result<FxHashMap<PersonKey, Person>> {
    let mut persons: FxHashMap<PersonKey, Person> = FxHashMap::default();
    read_input(
        master,
        |row, scratch| {
            let parts = key_texts(row, &INSURED, "被保険者マスタ")?;
            let key = PersonKey::from_checked(&parts[0], &parts[1], &parts[2], &parts[3]);
            if !wanted.contains_key(&key) {
                return Ok(None);
            }
            let birth = date_field(row, &INSURED, f::BIRTH, "被保険者マスタ")?.unwrap_or(fy.first_day());
            Ok(Some((key, person(row, &INSURED, parts, birth, scratch)?)))
        },
        |(key, p)| {
            persons.entry(key).or_insert(p);
        },
    )?;
    Ok(persons)
}

/// The closing line (and `--summary-json`). `n` = tickets written, numbers new, ledger lines
/// before.
fn closing(tally: &mut Tally, levels: &Levels, fy: FiscalYear, n: [u64; 3]) -> String {
    let [written, fresh, before] = n;
    let count = |level| levels.wanted.values().filter(|w| w.level == level).count() as u64;
    let (active, motivational) = (count(Level::Active), count(Level::Motivational));
    let persons = levels.wanted.len() as u64;
    tally.rows_in = levels.rows;
    tally
        .set("level_rows", levels.rows)
        .set("other_years", levels.other_years)
        .set("active", active)
        .set("motivational", motivational)
        .set("numbers_kept", persons - fresh)
        .set("numbers_new", fresh)
        .set("ledger_before", before)
        .set("written", written);
    tally.rows_out = written;
    format!(
        "{}年度: 階層化結果 {} 行 (他の年度 {} 行) → 利用券の対象 {} 人 (積極的支援 {}・動機付け支援 {}) → 利用券 {} 枚を書き出し \
         (番号: 台帳どおり {}・新規 {}); 台帳 {} → {} 件",
        fy,
        thousands(levels.rows),
        thousands(levels.other_years),
        thousands(persons),
        thousands(active),
        thousands(motivational),
        thousands(written),
        thousands(persons - fresh),
        thousands(fresh),
        thousands(before),
        thousands(before + fresh),
    )
}
