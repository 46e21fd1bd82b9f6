//! `master`: an insured file validated and normalized into the master, or an insured-diff
//! applied to `--base`, with the error and duplicate lists.

use jiff::civil::Date;

use super::check::{Checked, RowChecker};
use super::diff::{Applied, apply_diff};
use super::lists::{Rejected, report_problems, write_duplicate_list, write_error_list};
use super::read::{expected_rows, read_all, read_base, withhold_repeated};
use super::{MasterArgs, TOOL};
use crate::cmd::shared::{check_distinct_outputs, parse_date_option};
use crate::console::{Console, Progress, Tally, thousands};
use crate::domain::duplicates::identity_duplicates;
use crate::error::{Error, Result};
use crate::io::{CsvInput, CsvOut, OutputSpec, RowStore, worker_count};
use crate::layout::{INSURED, INSURED_DIFF, Layout};

pub fn master(args: &MasterArgs) -> Result<u8> {
    let console = Console { tool: TOOL, quiet: args.run.quiet };
    check_distinct_outputs(&[
        args.output.output.as_deref(),
        args.errors.as_deref(),
        args.duplicates.as_deref(),
        args.run.summary_json.as_deref(),
    ])?;
    let as_of = args.as_of.as_deref().map(|s| parse_date_option(s, "--as-of")).transpose()?;
    let requested = args.input.input_encoding()?;
    let mapping = args.input.layout_file()?;
    let diff = args.base.is_some();
    let layout: &'static Layout = if diff { &INSURED_DIFF } else { &INSURED };

    let mut input = CsvInput::open(args.input.input.as_deref(), requested, layout, mapping.as_ref())?;
    let in_enc = input.encoding();
    let spec = args.output.spec(in_enc)?;
    if !input.unused_columns().is_empty() {
        console.info(format!("{}: 使わない列を無視します: {}", input.name(), input.unused_columns().join("、")));
    }
    let input_name = input.name().to_string();
    let progress = Progress::new(&console, args.run.progress, "読込中");
    let mut store = RowStore::new(spec.crlf, 0);
    let workers = (0..worker_count()).map(|_| RowChecker::new(layout, in_enc, &spec, as_of, diff)).collect();
    let expected_rows = expected_rows(args.input.input.as_deref());
    let (mut rows, index, mut replaced) = read_all(&mut input, workers, &mut store, &progress, expected_rows)?;
    drop(input);
    let mut tally = Tally::new(TOOL, "master", in_enc, spec.encoding);
    tally.rows_in = rows.len() as u64;
    let same_key_groups = withhold_repeated(&index, &mut rows);
    drop(index);

    // The new master: the accepted rows in input order, or the base with the accepted diff
    // rows applied, sorted by person key (stable: the base is already in that order).
    let mut base = Vec::new();
    let mut applied = Applied { added: 0, updated: 0, lost: 0 };
    if let Some(base_path) = &args.base {
        let (base_rows, mut base_index, base_replaced) = read_base(base_path, requested, &spec, &mut store, &progress)?;
        base = base_rows;
        replaced += base_replaced;
        applied = apply_diff(&mut base, &mut base_index, &mut rows, &mut store);
        base.sort_by(|a, b| a.key.cmp(&b.key));
    }
    let base_rows = base.len() as u64 - applied.added;
    progress.finish();
    let master: Vec<&Checked> =
        if diff { base.iter().collect() } else { rows.iter().filter(|r| r.problems.is_empty()).collect() };
    let rejected: Vec<Rejected<'_>> = rows
        .iter()
        .filter(|r| !r.problems.is_empty())
        .map(|r| Rejected { line: r.line, key: store.record(&r.row), problems: &r.problems })
        .collect();
    (tally.rows_out, tally.rows_rejected) = (master.len() as u64, rejected.len() as u64);

    // Rows in = rows out + rows rejected (SPEC §1), checked before anything is written.
    let accepted = if diff { applied.added + applied.updated + applied.lost } else { tally.rows_out };
    tally.balance(&[("反映", accepted), ("却下", tally.rows_rejected)])?;
    if diff && tally.rows_out != base_rows + applied.added {
        return Err(Error::Integrity {
            detail: format!("ベース {base_rows} 行 + 新規 {} 行 ≠ 出力 {} 行", applied.added, tally.rows_out),
        });
    }

    let lists = Lists { spec: &spec, store: &store, rejected: &rejected, input_name: &input_name };
    let (outputs, kind2, kind3) = write_lists(args, &lists, &master, as_of, &same_key_groups, &rows)?;
    let problems = report_problems(&console, &input_name, &rejected);
    for out in outputs {
        replaced += out.finish()?;
    }
    tally.replaced = replaced;
    tally.findings = (kind2 + kind3) as u64;
    let exit_code = u8::from(args.run.strict && (tally.rows_rejected > 0 || tally.findings > 0));
    let counts = Counts {
        accepted,
        problems,
        base_rows,
        applied: diff.then_some(&applied),
        groups: [same_key_groups.len(), kind2, kind3],
    };
    let line = closing_line(&mut tally, &counts);
    tally.finish(&console, line, args.run.summary_json.as_deref(), exit_code)
}

/// What the closing line and `--summary-json` report beyond rows in, out and rejected.
struct Counts<'a> {
    accepted: u64,
    problems: u64,
    base_rows: u64,
    /// with `--base`
    applied: Option<&'a Applied>,
    /// groups of duplicate kinds 1, 2 and 3
    groups: [usize; 3],
}

/// The closing line; the counts also go to the tally for `--summary-json`.
fn closing_line(tally: &mut Tally, c: &Counts<'_>) -> String {
    let [same_key, kind2, kind3] = c.groups;
    tally.set("errors", c.problems);
    tally.set("duplicate_groups_same_key", same_key as u64);
    tally.set("duplicate_groups_same_person", kind2 as u64).set("duplicate_groups_cross_insurer", kind3 as u64);
    let mut line = format!(
        "入力 {} 行 = 反映 {} 行 + 却下 {} 行 (エラー {} 件); 出力 {} 行",
        thousands(tally.rows_in),
        thousands(c.accepted),
        thousands(tally.rows_rejected),
        thousands(c.problems),
        thousands(tally.rows_out)
    );
    if let Some(applied) = c.applied {
        line += &format!(
            " (ベース {} 行, 新規 {}・変更 {}・喪失 {})",
            thousands(c.base_rows),
            thousands(applied.added),
            thousands(applied.updated),
            thousands(applied.lost)
        );
        tally.set("base_rows", c.base_rows).set("added", applied.added);
        tally.set("updated", applied.updated).set("lost", applied.lost);
    }
    line + &format!("; 重複: 同一キー {same_key} 組, 同一保険者内の同一人物 {kind2} 組, 保険者間の資格重複 {kind3} 組")
}

/// What the lists are written from.
struct Lists<'a> {
    spec: &'a OutputSpec,
    store: &'a RowStore,
    rejected: &'a [Rejected<'a>],
    input_name: &'a str,
}

/// Writes the master, the error list and the duplicate list (not yet committed), finding
/// duplicate kinds 2 and 3 while the master is written (they do not change it). Returns the
/// outputs, to be committed together, and the numbers of kind 2 and kind 3 groups.
fn write_lists(
    args: &MasterArgs,
    lists: &Lists<'_>,
    master: &[&Checked],
    as_of: Option<Date>,
    same_key_groups: &[Vec<usize>],
    rows: &[Checked],
) -> Result<(Vec<CsvOut>, usize, usize)> {
    let Lists { spec, store, rejected, input_name } = *lists;
    let (written, (kind2, kind3)) = std::thread::scope(|scope| {
        let search = scope.spawn(|| identity_duplicates(master, as_of));
        let written = (|| -> Result<_> {
            let mut out = CsvOut::create(spec)?;
            out.write_header(&INSURED.names().collect::<Vec<_>>())?;
            store.write_rows(master.iter().map(|r| &r.row), |bytes| out.write_raw(bytes))?;
            let errors = match &args.errors {
                Some(p) => Some(write_error_list(&spec.to(p), rejected, input_name)?),
                None => None,
            };
            Ok((out, errors))
        })();
        (written, search.join().unwrap_or_default())
    });
    let (out, errors) = written?;
    let mut groups: Vec<(u8, Vec<&Checked>)> = Vec::new();
    groups.extend(same_key_groups.iter().map(|g| (1, g.iter().map(|&i| &rows[i]).collect())));
    groups.extend(kind2.iter().map(|g| (2, g.iter().map(|&i| master[i]).collect())));
    groups.extend(kind3.iter().map(|g| (3, g.iter().map(|&i| master[i]).collect())));
    let mut outputs: Vec<CsvOut> = errors.into_iter().collect();
    if let Some(p) = &args.duplicates {
        outputs.push(write_duplicate_list(&spec.to(p), &groups, store)?);
    }
    // the main output last: as before, the lists are committed first
    outputs.push(out);
    Ok((outputs, kind2.len(), kind3.len()))
}
