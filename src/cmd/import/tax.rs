//! `tax`: 世帯課税状況の登録更新 — the latest status per (保険者番号, 世帯番号, 年度), checked
//! against the master's households.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::path::Path;

use csv::ByteRecord;
use jiff::civil::Date;

use super::check::Problem;
use super::lists::{Rejected, report_problems, write_error_list};
use super::{TOOL, TaxArgs};
use crate::cmd::shared::check_outputs;
use crate::console::{Console, Progress, Tally, thousands};
use crate::domain::text::normalize_code;
use crate::domain::{FiscalYear, InsurerNumber, format_date, parse_date};
use crate::error::{Error, FieldError, Result};
use crate::io::{CsvInput, CsvOut, InputEncoding, OutputSpec, RowRef, RowStore, push_field};
use crate::layout::{self, household_tax as ht};

/// One accepted 世帯課税状況 row.
struct TaxRow {
    line: u64,
    row: RowRef,
    key: (String, String, FiscalYear),
    updated: Date,
}

/// The rows kept (the latest of each household and year), the rows rejected and how many were
/// superseded by a later one.
struct Registered {
    latest: HashMap<(String, String, FiscalYear), TaxRow>,
    rejected: Vec<(u64, RowRef, Vec<Problem>)>,
    superseded: u64,
    replaced: u64,
}

pub fn tax(args: &TaxArgs) -> Result<u8> {
    let console = Console { tool: TOOL, quiet: args.run.quiet };
    check_outputs(&[args.output.output.as_deref(), args.errors.as_deref(), args.run.summary_json.as_deref()])?;
    let requested = args.input.input_encoding()?;
    let mapping = args.input.layout_file()?;
    let households = read_households(&args.master, requested)?;
    let l = &layout::HOUSEHOLD_TAX;
    let mut input = CsvInput::open(args.input.input.as_deref(), requested, l, mapping.as_ref())?;
    let spec = args.output.spec(input.encoding())?;
    let input_name = input.name().to_string();
    let progress = Progress::new(&console, args.run.progress, "読込中");
    progress.follow(&mut input, args.input.input.as_deref());
    let mut store = RowStore::new(spec.crlf, CsvInput::file_size(args.input.input.as_deref()));
    let mut tally = Tally::new(TOOL, "tax", input.encoding(), spec.encoding);
    let reg = register(&mut input, &households, &spec, &mut store, &mut tally, &progress)?;
    progress.finish();
    drop(input);
    let mut kept: Vec<TaxRow> = reg.latest.into_values().collect();
    kept.sort_unstable_by(|a, b| a.key.cmp(&b.key).then(a.line.cmp(&b.line)));
    (tally.rows_out, tally.rows_rejected) = (kept.len() as u64, reg.rejected.len() as u64);
    tally.balance(&[("出力", tally.rows_out), ("却下", tally.rows_rejected), ("更新により置換", reg.superseded)])?;

    let mut out = CsvOut::create(&spec)?;
    out.write_header(&l.names().collect::<Vec<_>>())?;
    for r in &kept {
        out.write_raw(store.bytes(&r.row))?;
    }
    let rejected: Vec<Rejected<'_>> = reg
        .rejected
        .iter()
        .map(|(line, row, problems)| Rejected {
            line: *line,
            key: ByteRecord::from(vec![&store.record(row)[ht::INSURER], b"", b"", b""]),
            problems,
        })
        .collect();
    let errors = args.errors.as_deref().map(|p| write_error_list(&spec.to(p), &rejected, &input_name)).transpose()?;
    let problems = report_problems(&console, &input_name, &rejected, args.errors.is_some());
    tally.replaced = reg.replaced;
    if let Some(e) = errors {
        tally.replaced += e.finish()?;
    }
    tally.replaced += out.finish()?;
    let exit_code = u8::from(args.run.strict && tally.rows_rejected > 0);
    tally.set("errors", problems).set("superseded", reg.superseded);
    let line = format!(
        "入力 {} 行 = 出力 {} 行 + 却下 {} 行 (エラー {} 件) + 新しい更新日の行で置換 {} 行",
        thousands(tally.rows_in),
        thousands(tally.rows_out),
        thousands(tally.rows_rejected),
        thousands(problems),
        thousands(reg.superseded)
    );
    tally.finish(&console, line, args.run.summary_json.as_deref(), exit_code)
}

/// Reads every row: checked, normalized into `store`, and kept when it is the latest of its
/// household and year (the later 更新日 wins; on the same day the later line).
fn register(
    input: &mut CsvInput,
    households: &HashSet<(String, String)>,
    spec: &OutputSpec,
    store: &mut RowStore,
    tally: &mut Tally,
    progress: &Progress,
) -> Result<Registered> {
    let l = &layout::HOUSEHOLD_TAX;
    let in_enc = input.encoding();
    let mut enc = spec.encoder();
    let mut scratch = Vec::new();
    let mut reg = Registered { latest: HashMap::new(), rejected: Vec::new(), superseded: 0, replaced: 0 };
    while let Some(row) = input.next_row()? {
        tally.rows_in += 1;
        progress.tick(tally.rows_in);
        let mut decoded = Vec::with_capacity(l.fields.len());
        for field in 0..l.fields.len() {
            decoded.push(row.text(field, l)?);
        }
        let mut norm: Vec<Cow<'_, str>> = decoded.iter().map(|d| normalize_code(d)).collect();
        let (checked, problems) = check_tax_row(&decoded, &mut norm, households);
        for field in 0..l.fields.len() {
            push_field(store, &mut enc, &mut scratch, &norm[field], (row.raw(field), &decoded[field], in_enc))
                .map_err(|u| u.error(row.loc(l.fields[field].name), spec.encoding))?;
        }
        let record = store.end_row();
        let Some((key, updated)) = checked else {
            reg.rejected.push((row.line, record, problems));
            continue;
        };
        let new = TaxRow { line: row.line, row: record, key: key.clone(), updated };
        match reg.latest.get(&key) {
            Some(old) if old.updated > updated => reg.superseded += 1,
            Some(_) => {
                reg.superseded += 1;
                reg.latest.insert(key, new);
            }
            None => {
                reg.latest.insert(key, new);
            }
        }
    }
    reg.replaced = enc.replaced;
    Ok(reg)
}

/// One row's values: its key and 更新日 when every value is valid, and its problems.
#[allow(clippy::type_complexity)]
fn check_tax_row(
    decoded: &[Cow<'_, str>],
    norm: &mut [Cow<'_, str>],
    households: &HashSet<(String, String)>,
) -> (Option<((String, String, FiscalYear), Date)>, Vec<Problem>) {
    let l = &layout::HOUSEHOLD_TAX;
    let mut problems = Vec::new();
    let mut bad = |field: usize, error: FieldError| {
        problems.push(Problem { column: l.fields[field].name, error, value: decoded[field].to_string() });
    };
    let insurer = norm[ht::INSURER].parse::<InsurerNumber>().map_err(|e| bad(ht::INSURER, e)).ok();
    let household = norm[ht::HOUSEHOLD].to_string();
    if household.is_empty() {
        bad(ht::HOUSEHOLD, FieldError::Required);
    } else if let Some(i) = &insurer
        && !households.contains(&(i.padded8(), household.clone()))
    {
        bad(ht::HOUSEHOLD, FieldError::UnknownHousehold);
    }
    let year = norm[ht::YEAR].parse::<FiscalYear>().map_err(|e| bad(ht::YEAR, e)).ok();
    match norm[ht::STATUS].as_ref() {
        "1" | "2" => {}
        "" => bad(ht::STATUS, FieldError::Required),
        _ => bad(ht::STATUS, FieldError::Code),
    }
    let updated = match parse_date(&norm[ht::UPDATED]) {
        Ok(d) => {
            norm[ht::UPDATED] = Cow::Owned(format_date(d));
            Some(d)
        }
        Err(e) => {
            bad(ht::UPDATED, e);
            None
        }
    };
    let checked = match (insurer, year, updated) {
        (Some(i), Some(y), Some(updated)) if problems.is_empty() => Some(((i.padded8(), household, y), updated)),
        _ => None,
    };
    (checked, problems)
}

/// The (8-digit insurer, 世帯番号) pairs of a master. A bad insurer number in it is fatal.
fn read_households(path: &Path, requested: InputEncoding) -> Result<HashSet<(String, String)>> {
    let l = &layout::MASTER_HOUSEHOLDS;
    let mut input = CsvInput::open(Some(path), requested, l, None)?;
    let mut set = HashSet::new();
    while let Some(row) = input.next_row()? {
        let insurer =
            normalize_code(&row.text(0, l)?).parse::<InsurerNumber>().map_err(|e| Error::InvalidReference {
                loc: row.loc(l.fields[0].name),
                what: "被保険者マスタ",
                code: e.code(),
                message: e.message(),
            })?;
        let household = normalize_code(&row.text(1, l)?).into_owned();
        if !household.is_empty() {
            set.insert((insurer.padded8(), household));
        }
    }
    Ok(set)
}
