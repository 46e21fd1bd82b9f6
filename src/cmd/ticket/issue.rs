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
use crate::domain::{FiscalYear, PersonKey, SortKey, TargetStatus, target_status};
use crate::error::{Error, Result};
use crate::io::{CsvInput, Encoding, InputEncoding, Row, TextEncoder};
use crate::layout::{INSURED, Layout, insured as f};

pub fn issue(args: &IssueArgs) -> Result<u8> {
    let c = &args.common;
    let console = c.console();
    c.check_outputs()?;
    let fy = parse_fy(&c.fy)?;
    let as_of = parse_date_option(&args.as_of, "--as-of")?;
    let issue_date = parse_date_option(&c.issue_date, "--issue-date")?;
    let config = c.config()?;
    crate::console::trace("start");
    let requested = c.encoding.resolve()?;
    // the ledger is read while the master is (a bad master is reported before a bad ledger)
    let (read, ledger) = std::thread::scope(|scope| {
        let ledger = scope.spawn(|| Ledger::read(&c.ledger, requested));
        let read = read_targets(args, requested, fy, as_of);
        (read, ledger.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
    });
    crate::console::trace("master and ledger read");
    let (read, mut ledger) = (read?, ledger?);
    let mut numbering =
        Numbering { ledger: &mut ledger, config: &config, master: &read.name, fy, issue_date, fresh: 0 };
    let mut tickets = Vec::with_capacity(read.targets.len());
    let keys: Vec<_> = read.order.iter().map(|&(k, i)| (k, &read.targets[i].0)).collect();
    let known = numbering.ledger.known_in_order(&keys, fy, Sort::Checkup);
    for (&(sort_key, i), known) in read.order.iter().zip(known) {
        let (key, person) = &read.targets[i];
        let (number, issued, new, settings) =
            numbering.number_known(known, (key, sort_key), person, Sort::Checkup, None)?;
        if !c.only_new || new {
            let valid_until = settings.valid_until(fy, false);
            let level = None;
            tickets.push(Ticket { number, checkup_number: None, level, fy, issued, valid_until, person, settings });
        }
    }
    crate::console::trace("numbered");
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
    crate::console::trace("outputs written");
    let mut tally = Tally::new(TOOL, "issue", read.encoding, out_enc);
    tally.replaced = replaced;
    let line = closing(&mut tally, &read, fy, as_of, [tickets.len() as u64, fresh, ledger.read as u64])?;
    leave_to_exit((tickets, ledger));
    leave_to_exit(read);
    finish(&console, tally, line, c)
}

/// The master read: its name and encoding, how many rows had each status, the targets (in the
/// master's order) and their order by key.
struct Read {
    name: String,
    encoding: Encoding,
    counts: BTreeMap<TargetStatus, u64>,
    targets: Vec<(PersonKey, Person)>,
    order: Vec<(SortKey, usize)>,
}

/// The master streamed: every row's status, the targets' details kept, ordered by key.
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
    crate::console::trace("master read");
    let order = PersonKey::order(&targets, |t| &t.0);
    Ok(Read { name: master.name().to_string(), encoding: master.encoding(), counts, targets, order })
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
    let capacity = key.iter().map(|k| k.len()).sum::<usize>()
        + [f::KANA, f::NAME, f::SEX, f::POSTCODE, f::ADDRESS].map(|field| row.raw(field).len()).iter().sum::<usize>();
    let mut p = Person::start(birth, row.line, row.encoding(), capacity);
    for (i, k) in key.iter().enumerate() {
        p.push(i, k.as_bytes());
    }
    for (i, field) in [(4, f::KANA), (5, f::NAME)] {
        push_text(&mut p, i, row, (l, field), buf)?;
    }
    p.push(6, code_text(row, l, f::SEX)?.as_bytes());
    p.push(7, code_text(row, l, f::POSTCODE)?.as_bytes());
    push_text(&mut p, 8, row, (l, f::ADDRESS), buf)?;
    Ok(p)
}

/// A text column of the master kept in the master's bytes, without blanks at either end:
/// kk-import's master has none, and then its bytes are taken as they stand, undecoded.
fn push_text(p: &mut Person, i: usize, row: &Row<'_>, (l, field): (&Layout, usize), buf: &mut String) -> Result<()> {
    let (enc, raw) = (row.encoding(), row.raw(field));
    if !has_blank_at_an_end(raw, enc) {
        p.push(i, raw);
        return Ok(());
    }
    let text = row.text_in(field, l, buf)?.1.trim();
    let mut bytes = Vec::with_capacity(raw.len());
    TextEncoder::new(enc, false).encode(text, &mut bytes).map_err(|u| u.error(row.loc(l.fields[field].name), enc))?;
    p.push(i, &bytes);
    Ok(())
}

/// Whether text in `enc` may start or end with a blank that `str::trim` removes: in CP932, an
/// ASCII blank or the ideographic space (81 40; a trail byte 81 before an ASCII `@` is taken for
/// one too, which only costs a decode).
fn has_blank_at_an_end(bytes: &[u8], enc: Encoding) -> bool {
    if !enc.is_sjis() {
        return std::str::from_utf8(bytes).map_or(true, |s| s.trim().len() != s.len());
    }
    let ascii_blank = |b: Option<&u8>| b.is_some_and(|b| b.is_ascii_whitespace() || *b == 0x0B);
    ascii_blank(bytes.first())
        || ascii_blank(bytes.last())
        || bytes.starts_with(&[0x81, 0x40])
        || bytes.ends_with(&[0x81, 0x40])
}

/// The serial range of a person's insurer is used up.
pub fn used_up(config: &Loaded, person: &Person) -> Error {
    let detail = format!("保険者 {} の整理番号の連番を使い切りました (serials を広げてください)", person.key()[0]);
    match &config.path {
        Some(path) => Error::Config { path: path.clone(), detail },
        None => Error::Integrity { detail },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blanks_at_an_end_are_found_in_either_encoding() {
        let sjis = |s: &str| {
            let mut b = Vec::new();
            TextEncoder::new(Encoding::Sjis, false).encode(s, &mut b).unwrap();
            b
        };
        for (text, blank) in
            [("山田　花子", false), ("　山田", true), ("山田　", true), (" 山田", true), ("山田\t", true), ("", false)]
        {
            assert_eq!(has_blank_at_an_end(&sjis(text), Encoding::Sjis), blank, "{text:?} CP932");
            assert_eq!(has_blank_at_an_end(text.as_bytes(), Encoding::Utf8), blank, "{text:?} UTF-8");
        }
        // a CP932 character whose trail byte is 81, then @: taken for a blank (only a decode more)
        assert!(has_blank_at_an_end(&[0x88, 0x81, 0x40], Encoding::Sjis));
        assert!(has_blank_at_an_end("山田\u{A0}".as_bytes(), Encoding::Utf8), "any Unicode blank in UTF-8");
    }
}
