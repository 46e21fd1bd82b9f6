//! `issue`: a 受診券 for every target of the fiscal year, in person-key order; a person the
//! ledger knows keeps their number (and its 交付日), a new target gets the next serial of their
//! insurer's range.

use std::collections::BTreeMap;

use super::config::Loaded;
use super::data::{CHECKUP_COLUMNS, Person, Ticket};
use super::ledger::{Ledger, Sort};
use super::{IssueArgs, Numbering, Outputs, TOOL, finish};
use crate::cmd::shared::reference::{date_field, exclusions_in, key_texts};
use crate::cmd::shared::{code_text, leave_to_exit, parse_date_option, parse_fy, read_input};
use crate::console::{Tally, thousands};
use crate::domain::{FiscalYear, PersonKey, TargetStatus, target_status};
use crate::error::{Error, Result};
use crate::io::{CsvInput, Encoding, InputEncoding, Row};
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
    // the ledger is read while the master is (a bad master is reported before a bad ledger)
    let (read, ledger) = std::thread::scope(|scope| {
        let ledger = scope.spawn(|| Ledger::read(&c.ledger, requested));
        let read = read_targets(args, requested, fy, as_of);
        (read, ledger.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
    });
    let (read, mut ledger) = (read?, ledger?);
    let mut numbering =
        Numbering { ledger: &mut ledger, config: &config, master: &read.name, fy, issue_date, fresh: 0 };
    let mut tickets = Vec::with_capacity(read.targets.len());
    for (key, person) in &read.targets {
        let (number, issued, new, settings) = numbering.number(key, person, Sort::Checkup, None)?;
        if !c.only_new || new {
            let valid_until = settings.valid_until(fy, false);
            let level = None;
            tickets.push(Ticket { number, checkup_number: None, level, fy, issued, valid_until, person, settings });
        }
    }
    let fresh = numbering.fresh;
    let outputs = Outputs {
        common: c,
        config: &config,
        layout: config.config.checkup_output.as_ref(),
        default_columns: &CHECKUP_COLUMNS,
        master_name: &read.name,
        master_enc: read.encoding,
        pdf_title: "特定健康診査受診券",
    };
    let (out_enc, replaced) = outputs.write(&tickets, &ledger)?;
    let mut tally = Tally::new(TOOL, "issue", read.encoding, out_enc);
    tally.replaced = replaced;
    let line = closing(&mut tally, &read, fy, as_of, [tickets.len() as u64, fresh, ledger.read as u64])?;
    leave_to_exit((tickets, ledger));
    leave_to_exit(read);
    finish(&console, tally, line, c)
}

/// The master read: its name and encoding, how many rows had each status, the targets by key.
struct Read {
    name: String,
    encoding: Encoding,
    counts: BTreeMap<TargetStatus, u64>,
    targets: Vec<(PersonKey, Person)>,
}

/// The master streamed: every row's status, the targets' details kept, sorted by key.
fn read_targets(args: &IssueArgs, requested: InputEncoding, fy: FiscalYear, as_of: jiff::civil::Date) -> Result<Read> {
    let excluded = match &args.exclusions {
        Some(path) => exclusions_in(path, requested, fy)?,
        None => Default::default(),
    };
    let mut master = CsvInput::open(Some(&args.common.master), requested, &INSURED, None)?;
    let mut counts: BTreeMap<TargetStatus, u64> = BTreeMap::new();
    let mut targets: Vec<(PersonKey, Person)> = Vec::new();
    read_input(
        &mut master,
        |row, scratch| {
            let l = &INSURED;
            // the key is checked on every row (a bad master row is fatal), built only for a target
            let parts = key_texts(row, l, "被保険者マスタ")?;
            let birth = date_field(row, l, f::BIRTH, "被保険者マスタ")?.unwrap_or(as_of);
            let acquired = date_field(row, l, f::ACQUIRED, "被保険者マスタ")?.unwrap_or(as_of);
            let lost = date_field(row, l, f::LOST, "被保険者マスタ")?;
            let is_excluded = !excluded.is_empty() && {
                PersonKey::join_into(&parts[0], &parts[1], &parts[2], &parts[3], scratch);
                excluded.contains_key(scratch.as_str())
            };
            let status = target_status(acquired, lost, birth, fy, as_of, is_excluded);
            let person = match status {
                TargetStatus::Target => {
                    let key = PersonKey::from_checked(&parts[0], &parts[1], &parts[2], &parts[3]);
                    Some((key, person(row, l, parts, birth, scratch)?))
                }
                _ => None,
            };
            Ok(Some((status, person)))
        },
        |(status, person)| {
            *counts.entry(status).or_default() += 1;
            targets.extend(person);
        },
    )?;
    // keys are unique in a master (kk-import withholds a repeated key)
    targets.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    Ok(Read { name: master.name().to_string(), encoding: master.encoding(), counts, targets })
}

/// The closing line (and `--summary-json`): master rows = not qualified + not a target +
/// excluded + targets, checked. `n` = tickets written, numbers new, ledger lines before.
fn closing(tally: &mut Tally, read: &Read, fy: FiscalYear, as_of: jiff::civil::Date, n: [u64; 3]) -> Result<String> {
    let [written, fresh, before] = n;
    let count = |s| read.counts.get(&s).copied().unwrap_or(0);
    let rows_in: u64 = read.counts.values().sum();
    let targets = read.targets.len() as u64;
    let (not_qualified, not_target, excluded) =
        (count(TargetStatus::NotQualified), count(TargetStatus::NotTarget), count(TargetStatus::Excluded));
    if count(TargetStatus::Target) != targets || rows_in != not_qualified + not_target + excluded + targets {
        return Err(Error::Integrity { detail: format!("{:?}", read.counts) });
    }
    tally.rows_in = rows_in;
    tally
        .set("master_rows", rows_in)
        .set("not_qualified", not_qualified)
        .set("not_target", not_target)
        .set("excluded", excluded)
        .set("targets", targets)
        .set("numbers_kept", targets - fresh)
        .set("numbers_new", fresh)
        .set("ledger_before", before)
        .set("written", written);
    tally.rows_out = written;
    Ok(format!(
        "{}年度 基準日 {}: マスタ {} 行 → 対象者 {} 人 (資格なし {}・年齢外 {}・除外 {} を除く) → 受診券 {} 枚を書き出し \
         (番号: 台帳どおり {}・新規 {}); 台帳 {} → {} 件",
        fy,
        crate::domain::format_date(as_of),
        thousands(rows_in),
        thousands(targets),
        thousands(not_qualified),
        thousands(not_target),
        thousands(excluded),
        thousands(written),
        thousands(targets - fresh),
        thousands(fresh),
        thousands(before),
        thousands(before + fresh),
    ))
}

/// The person columns of a master row (the master is kk-import's output: normalized), its key
/// columns already read; `buf` is scratch space for decoding.
pub fn person(
    row: &Row<'_>,
    l: &Layout,
    key: [std::borrow::Cow<'_, str>; 4],
    birth: jiff::civil::Date,
    buf: &mut String,
) -> Result<Person> {
    let mut p = Person::start(birth, row.line, row.raw(f::KANA).len() * 3 / 2 + row.raw(f::ADDRESS).len() * 3 / 2 + 48);
    for (i, k) in key.iter().enumerate() {
        p.push(i, k);
    }
    for (i, field) in [(4, f::KANA), (5, f::NAME)] {
        p.push(i, row.text_in(field, l, buf)?.1.trim());
    }
    p.push(6, &code_text(row, l, f::SEX)?);
    p.push(7, &code_text(row, l, f::POSTCODE)?);
    p.push(8, row.text_in(f::ADDRESS, l, buf)?.1.trim());
    Ok(p)
}

/// The serial range of a person's insurer is used up.
pub fn used_up(config: &Loaded, person: &Person) -> Error {
    let detail = format!("保険者 {} の整理番号の連番を使い切りました (serials を広げてください)", person.key()[0]);
    match &config.path {
        Some(path) => Error::Config { path: path.clone(), detail },
        None => Error::Integrity { detail },
    }
}
