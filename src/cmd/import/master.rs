//! `master`: an insured file validated and normalized into the master, or an insured-diff
//! applied to `--base`, with the error and duplicate lists.

use jiff::civil::Date;

use super::check::{Checked, RowChecker, Table, Texts};
use super::diff::{Applied, apply_diff};
use super::lists::{Listed, ListedRows, Rejected, report_problems, write_duplicate_list, write_error_list};
use super::read::{expected_rows, read_all, read_base, withhold_repeated};
use super::{MasterArgs, TOOL};
use crate::cmd::shared::{check_outputs, leave_to_exit, parse_date_option};
use crate::console::{Console, Progress, Tally, thousands};
use crate::domain::duplicates::{Groups, same_identity};
use crate::error::{Error, Result};
use crate::io::{CsvInput, CsvOut, OutputSpec, RowStore, file_label, worker_count};
use crate::layout::{INSURED, INSURED_DIFF, Layout};

pub fn master(args: &MasterArgs) -> Result<u8> {
    crate::console::trace("start");
    let console = Console { tool: TOOL, quiet: args.run.quiet };
    check_outputs(&[
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
    input.lenient();
    // the row checker decodes every column of the layout
    input.decodes_mapped();
    let in_enc = input.encoding();
    let spec = args.output.spec(in_enc)?;
    if !input.unused_columns().is_empty() {
        console.info(format!("{}: 使わない列を無視します: {}", input.name(), input.unused_columns().join("、")));
    }
    let input_name = input.name().to_string();
    let progress = Progress::new(&console, args.run.progress, "読込中");
    progress.follow(&mut input, args.input.input.as_deref());
    let mut store = RowStore::new(spec.crlf, 0);
    let mut texts = Texts::default();
    let workers = (0..worker_count()).map(|_| RowChecker::new(layout, in_enc, &spec, as_of, diff)).collect();
    let expected_rows = expected_rows(args.input.input.as_deref());
    let (mut rows, mut replaced) = read_all(&mut input, workers, (&mut store, &mut texts), &progress, expected_rows)?;
    crate::console::trace("read");
    drop(input);
    let mut tally = Tally::new(TOOL, "master", in_enc, spec.encoding);
    tally.rows_in = rows.len() as u64;
    let same_key = withhold_repeated(&mut rows, &texts);

    // The new master: the accepted rows in input order, or the base with the accepted diff
    // rows applied, sorted by person key (stable: the base is already in that order).
    let mut base = Vec::new();
    let mut applied = Applied { added: 0, updated: 0, lost: 0 };
    if let Some(base_path) = &args.base {
        let (base_rows, mut base_index, base_replaced) =
            read_base(base_path, requested, &spec, (&mut store, &mut texts), &progress)?;
        base = base_rows;
        replaced += base_replaced;
        applied = apply_diff(&mut base, &mut base_index, &mut rows, &mut store, &texts);
        base.sort_by(|a, b| texts.key(&a.text).cmp(&texts.key(&b.text)));
    }
    progress.finish();
    let accepted = if diff { applied.added + applied.updated + applied.lost } else { 0 };
    let base_rows = base.len() as u64 - applied.added;
    let run = Run {
        args,
        spec: &spec,
        store: &store,
        texts: &texts,
        rows: &rows,
        same_key: &same_key,
        base: diff.then_some((&base[..], base_rows, applied.added)),
        as_of,
    };
    let written = write_all(&run, &mut tally, &input_name, accepted)?;
    crate::console::trace("outputs written");
    for out in written.outputs {
        replaced += out.finish()?;
    }
    tally.replaced = replaced;
    let [kind2, kind3] = written.groups;
    tally.findings = (kind2 + kind3) as u64;
    let exit_code = u8::from(args.run.strict && (tally.rows_rejected > 0 || tally.findings > 0));
    let problems = report_problems(&console, &input_name, &written.rejected, args.errors.is_some());
    let counts = Counts {
        accepted: if diff { accepted } else { tally.rows_out },
        problems,
        base_rows,
        applied: diff.then_some(&applied),
        groups: [same_key.len(), kind2, kind3],
    };
    let line = closing_line(&mut tally, &counts);
    let code = tally.finish(&console, line, args.run.summary_json.as_deref(), exit_code);
    leave_to_exit((rows, base, store, texts));
    crate::console::trace("committed");
    code
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

/// What a run has read, for the outputs.
struct Run<'a> {
    args: &'a MasterArgs,
    spec: &'a OutputSpec,
    store: &'a RowStore,
    texts: &'a Texts,
    /// the input rows, in input order (kind 1 already withheld)
    rows: &'a [Checked],
    /// kind 1, as indices into `rows`
    same_key: &'a Groups<usize>,
    /// with `--base`: the base with the diff applied, sorted by key (else the master is the
    /// accepted rows), its rows before the diff and the rows the diff added
    base: Option<(&'a [Checked], u64, u64)>,
    as_of: Option<Date>,
}

/// The outputs written (none committed yet: the lists first, the master last), the rejected
/// rows, and the numbers of kind 2 and kind 3 groups.
struct Written<'a> {
    outputs: Vec<CsvOut>,
    rejected: Vec<Rejected<'a>>,
    groups: [usize; 2],
}

/// Writes the master and the error list, and — on another thread, from the moment the rows are
/// read, since they do not change the master — finds duplicate kinds 2 and 3 and writes the
/// duplicate list. Rows in = rows out + rows rejected (SPEC §1) is checked before anything is
/// written; `accepted` is a diff's rows applied.
fn write_all<'a>(run: &Run<'a>, tally: &mut Tally, input_name: &str, accepted: u64) -> Result<Written<'a>> {
    let Run { args, spec, store, texts, rows, same_key, base, as_of } = *run;
    // the 元ファイル of the duplicate list: the input's, or the base's for a row of the base (a
    // file name is no data: a character Shift_JIS lacks becomes 〓)
    let mut names = spec.encoder();
    names.replace = true;
    let files = &[file_label(args.input.input.as_deref()), file_label(args.base.as_deref())].map(|n| {
        let mut b = Vec::new();
        let _ = names.encode(&n, &mut b);
        b
    });
    // where the identities are searched: the master's rows (a row withheld is passed over)
    let records = Table { rows: base.map_or(rows, |b| b.0), texts };
    std::thread::scope(|scope| {
        let duplicates = scope.spawn(move || -> Result<_> {
            // the members' rows are read on as many threads as there are cores (the master is
            // being written on one of them, but it takes a fraction of the time)
            let threads = worker_count().min(8);
            let parts = (0..threads).map(|k| ListedRows::new(k as u8, spec.crlf, 1 << 20, files)).collect();
            let (same, mut listed) = same_identity(&records, parts, |l, i| l.add(&records.rows[i], store));
            // a row withheld (kind 1) is not in the master; any other rejected row has no
            // identity, so it was not gathered
            let mut withheld = vec![false; if base.is_some() { 0 } else { rows.len() }];
            for &i in same_key.iter().flatten() {
                if let Some(w) = withheld.get_mut(i) {
                    *w = true;
                }
            }
            let (kind2, kind3) =
                same.duplicates(&records, as_of, threads, |i| !withheld.get(i).copied().unwrap_or(false));
            crate::console::trace("duplicates found");
            let list = match &args.duplicates {
                Some(p) => {
                    let kind1: Vec<Vec<Listed>> =
                        same_key.iter().map(|g| g.iter().map(|&i| listed[0].add(&rows[i], store)).collect()).collect();
                    let groups: Vec<(u8, &[Listed])> = (kind1.iter().map(|g| (1, g.as_slice())))
                        .chain(kind2.iter().map(|g| (2, g)))
                        .chain(kind3.iter().map(|g| (3, g)))
                        .collect();
                    Some(write_duplicate_list(&spec.to(p), &groups, &listed, threads)?)
                }
                None => None,
            };
            crate::console::trace("duplicate list written");
            Ok((list, [kind2.len(), kind3.len()]))
        });
        let master: Vec<&Checked> = match base {
            Some((base, ..)) => base.iter().collect(),
            None => rows.iter().filter(|r| r.problems.is_empty()).collect(),
        };
        let rejected: Vec<Rejected<'a>> = (rows.iter())
            .filter(|r| !r.problems.is_empty())
            .map(|r| Rejected { line: r.line, key: store.record(&r.row), problems: &r.problems })
            .collect();
        (tally.rows_out, tally.rows_rejected) = (master.len() as u64, rejected.len() as u64);
        let written = (|| -> Result<_> {
            let accepted = if base.is_some() { accepted } else { tally.rows_out };
            tally.balance(&[("反映", accepted), ("却下", tally.rows_rejected)])?;
            if let Some((_, base_rows, added)) = base
                && tally.rows_out != base_rows + added
            {
                let detail = format!("ベース {base_rows} 行 + 新規 {added} 行 ≠ 出力 {} 行", tally.rows_out);
                return Err(Error::Integrity { detail });
            }
            let mut out = CsvOut::create(spec)?;
            out.write_header(&INSURED.names().collect::<Vec<_>>())?;
            store.write_rows(master.iter().map(|r| &r.row), |bytes| out.write_raw(bytes))?;
            crate::console::trace("master written");
            let errors = match &args.errors {
                Some(p) => Some(write_error_list(&spec.to(p), &rejected, input_name)?),
                None => None,
            };
            Ok((out, errors))
        })();
        let duplicates = duplicates.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
        let (out, errors) = written?;
        let (list, groups) = duplicates?;
        // the main output last: as before, the lists are committed first
        let outputs = errors.into_iter().chain(list).chain(std::iter::once(out)).collect();
        Ok(Written { outputs, rejected, groups })
    })
}
