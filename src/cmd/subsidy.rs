//! kk-subsidy — 補助金対象者リスト (SPEC §3 kk-subsidy).
//!
//! The persons who received additional checkup items the prefecture subsidises: one row per item
//! received (`-o`) and a summary per insurer × item with counts and amounts (`--summary`). Items are
//! matched on the 17-character code. A person with the same item twice in one fiscal year is
//! counted once: the later row is listed with 集計 = `0 同一年度の重複` and left out of the summary.

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::Parser;
use rustc_hash::{FxHashMap, FxHashSet};

use std::sync::atomic::{AtomicU64, Ordering};

use super::{
    InputArgs, ListFormat, OutputArgs, RunArgs, check_distinct_outputs, code_text, parse_fy, read_input, read_rows,
    reference_error,
};
use crate::domain::{FiscalYear, InstitutionNumber, InsurerNumber, PersonKey, format_date, parse_date, parse_yen};
use crate::error::{Error, FieldError, Loc, Result};
use crate::io::xlsx::{Cell, write_sheet};
use crate::io::{CsvInput, CsvOut};
use crate::layout::{RESULT_ITEMS_FULL, SUBSIDY_ITEMS, SUBSIDY_LIST, SUBSIDY_SUMMARY};
use crate::report::{Console, Summary, thousands};

pub const TOOL: &str = "kk-subsidy";

/// 補助金対象者リスト: 補助対象の追加健診項目を受けた人と、保険者 × 項目の集計
#[derive(Debug, Parser)]
#[command(
    name = "kk-subsidy",
    version,
    after_help = "\
例:
  kk-subsidy --items subsidy-items.csv < results.csv > subsidy.csv
  kk-subsidy --items subsidy-items.csv --fy 2026 -i results.csv -o subsidy.csv --summary subsidy_summary.csv
  kk-subsidy --items subsidy-items.csv -i results.csv -o subsidy.csv --summary summary.xlsx --summary-format xlsx

同じ人が同じ年度に同じ項目を2回受けたときは1回として数えます(2回目は 集計 = 0 で一覧に載ります)。
項目コードは17桁で照合します。17桁でない項目コードがあれば、その行番号を示して何も書きません。"
)]
pub struct Cli {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub output: OutputArgs,

    /// 補助対象項目 (項目コード, 項目名, 補助区分, 補助単価)
    #[arg(long, value_name = "FILE")]
    pub items: PathBuf,

    /// 年度 (省略時はすべての受診日。年度ごとに重複を判定)
    #[arg(long, value_name = "YEAR")]
    pub fy: Option<String>,

    /// 保険者 × 項目の集計の出力先
    #[arg(long, value_name = "FILE")]
    pub summary: Option<PathBuf>,

    /// 集計の出力形式: csv、または xlsx (Excel。件数・単価・金額は数値)
    #[arg(long, value_enum, default_value = "csv", requires = "summary")]
    pub summary_format: ListFormat,

    #[command(flatten)]
    pub run: RunArgs,
}

/// One subsidised item.
#[derive(Debug, Clone)]
struct Item {
    name: String,
    kind: String,
    price: i64,
}

/// A result row for a subsidised item, or a malformed item code.
enum Found {
    Row { line: u64, key: PersonKey, fy: FiscalYear, shown: [String; 6], code: String },
    BadCode(u64),
}

fn is_item_code(code: &str) -> bool {
    code.len() == 17 && code.bytes().all(|b| b.is_ascii_alphanumeric())
}

pub fn run(cli: &Cli) -> Result<u8> {
    let console = Console { tool: TOOL, quiet: cli.run.quiet };
    check_distinct_outputs(&[cli.output.output.as_deref(), cli.summary.as_deref(), cli.run.summary_json.as_deref()])?;
    let summary_xlsx = cli.summary_format.xlsx_path(cli.summary.as_deref(), "--summary-format xlsx", "--summary")?;
    let requested = cli.input.input_encoding()?;
    let fy_only: Option<FiscalYear> = cli.fy.as_ref().map(|s| parse_fy(s)).transpose()?;

    // the subsidised items
    let l = &SUBSIDY_ITEMS;
    let mut items: FxHashMap<String, Item> = FxHashMap::default();
    read_rows(
        &cli.items,
        requested,
        l,
        |row, _| {
            let code = code_text(row, l, 0)?.into_owned();
            if !is_item_code(&code) {
                return Err(reference_error(row, l, 0, "補助対象項目", FieldError::Format));
            }
            let price = parse_yen(&code_text(row, l, 3)?).map_err(|e| reference_error(row, l, 3, "補助対象項目", e))?;
            let name = row.text(1, l)?.trim().to_string();
            Ok(Some((code, Item { name, kind: code_text(row, l, 2)?.into_owned(), price })))
        },
        |(code, item)| {
            items.insert(code, item);
        },
    )?;

    // the results, streamed: rows of subsidised items kept
    let l = &RESULT_ITEMS_FULL;
    let mut input = CsvInput::open(cli.input.input.as_deref(), requested, l, cli.input.layout_file()?.as_ref())?;
    let in_enc = input.encoding();
    let input_name = input.name().to_string();
    let mut found: Vec<Found> = Vec::new();
    let rows_read = AtomicU64::new(0);
    read_input(
        &mut input,
        |row, _| {
            rows_read.fetch_add(1, Ordering::Relaxed);
            let code = code_text(row, l, 6)?;
            if !is_item_code(&code) {
                return Ok(Some(Found::BadCode(row.line)));
            }
            if !items.contains_key(code.as_ref()) {
                return Ok(None);
            }
            let insurer = code_text(row, l, 0)?;
            InsurerNumber::check(&insurer).map_err(|e| reference_error(row, l, 0, "健診結果", e))?;
            let day = parse_date(&code_text(row, l, 4)?).map_err(|e| reference_error(row, l, 4, "健診結果", e))?;
            let institution = code_text(row, l, 5)?;
            InstitutionNumber::check(&institution).map_err(|e| reference_error(row, l, 5, "健診結果", e))?;
            let (kigo, bango, edaban) = (code_text(row, l, 1)?, code_text(row, l, 2)?, code_text(row, l, 3)?);
            let shown = [
                insurer.to_string(),
                kigo.to_string(),
                bango.to_string(),
                edaban.to_string(),
                format_date(day),
                institution.into_owned(),
            ];
            Ok(Some(Found::Row {
                line: row.line,
                key: PersonKey::from_checked(&insurer, &kigo, &bango, &edaban),
                fy: FiscalYear::of(day),
                shown,
                code: code.into_owned(),
            }))
        },
        |f: Found| found.push(f),
    )?;
    drop(input);
    let rows_in = rows_read.into_inner();

    let bad: Vec<u64> =
        found.iter().filter_map(|f| if let Found::BadCode(line) = f { Some(*line) } else { None }).collect();
    if !bad.is_empty() {
        let lines = bad.iter().take(20).map(u64::to_string).collect::<Vec<_>>().join("、");
        let more = if bad.len() > 20 { format!(" ほか {} 行", bad.len() - 20) } else { String::new() };
        return Err(Error::InvalidValue {
            loc: Loc::cell(input_name.clone(), bad[0], format!("項目コード ({lines}行目{more})")),
            code: FieldError::Format.code(),
            message: "項目コードは17桁の英数字です",
        });
    }

    // list and summary; the same person, year and item counts once
    let mut seen: FxHashSet<(PersonKey, FiscalYear, String)> = FxHashSet::default();
    let mut list: Vec<[String; 12]> = Vec::new();
    let mut summary: BTreeMap<(String, String), (String, i64)> = BTreeMap::new();
    let (mut counted, mut repeats) = (0u64, 0u64);
    for f in found {
        let Found::Row { line, key, fy, shown, code } = f else { continue };
        if fy_only.is_some_and(|only| only != fy) {
            continue;
        }
        let item = &items[&code];
        let first = seen.insert((key.clone(), fy, code.clone()));
        if first {
            counted += 1;
            let e = summary.entry((key.insurer8().to_string(), code.clone())).or_insert((shown[0].clone(), 0));
            e.1 += 1;
        } else {
            repeats += 1;
        }
        let [ins, kigo, bango, edaban, day, inst] = shown;
        list.push([
            line.to_string(),
            ins,
            kigo,
            bango,
            edaban,
            day,
            inst,
            code,
            item.name.clone(),
            item.kind.clone(),
            item.price.to_string(),
            if first { "1".into() } else { "0 同一年度の重複".into() },
        ]);
    }

    let out_enc = cli.output.output_encoding(in_enc)?;
    let crlf = cli.output.crlf(out_enc);
    let mut out = CsvOut::new(cli.output.output.as_deref(), out_enc, cli.output.replace_unmappable, crlf)?;
    out.write_header(&SUBSIDY_LIST)?;
    for r in &list {
        let line: u64 = r[0].parse().unwrap_or(0);
        out.write_texts(r, |i| Loc::cell(input_name.clone(), line, SUBSIDY_LIST[i]))?;
    }
    let mut total = 0i64;
    let summary_rows: Vec<Vec<String>> = summary
        .iter()
        .map(|((_, code), (insurer, count))| {
            let item = &items[code];
            let amount = count * item.price;
            total += amount;
            vec![
                insurer.clone(),
                code.clone(),
                item.name.clone(),
                item.kind.clone(),
                count.to_string(),
                item.price.to_string(),
                amount.to_string(),
            ]
        })
        .collect();
    let summary_out = match (&cli.summary, &summary_xlsx) {
        (_, Some(path)) => {
            let kinds = [Cell::Text, Cell::Text, Cell::Text, Cell::Text, Cell::Number, Cell::Number, Cell::Number];
            write_sheet(path, "補助金集計", &SUBSIDY_SUMMARY, &kinds, &summary_rows)?;
            None
        }
        (Some(p), None) => {
            let mut s = CsvOut::new(Some(p), out_enc, cli.output.replace_unmappable, crlf)?;
            s.write_header(&SUBSIDY_SUMMARY)?;
            for fields in &summary_rows {
                s.write_texts(fields, |i| Loc::cell(p.display().to_string(), 0, SUBSIDY_SUMMARY[i]))?;
            }
            Some(s)
        }
        (None, _) => None,
    };
    let mut replaced = out.finish()?;
    if let Some(s) = summary_out {
        replaced += s.finish()?;
    }
    console.replaced(replaced);
    console.info(format!(
        "補助対象 {} 行 = 集計 {} 件 + 同一年度の重複 {} 件; 保険者 × 項目 {} 組, 補助額 {} 円",
        thousands(list.len() as u64),
        thousands(counted),
        thousands(repeats),
        summary.len(),
        thousands(total.max(0) as u64)
    ));
    if let Some(p) = &cli.run.summary_json {
        Summary {
            tool: TOOL,
            command: "list",
            exit_code: 0,
            input_encoding: in_enc.id(),
            output_encoding: out_enc.id(),
            rows_in,
            rows_out: list.len() as u64,
            rows_rejected: 0,
            findings: repeats,
            replaced_characters: replaced,
            extra: BTreeMap::from([("counted", counted), ("amount_yen", total.max(0) as u64)]),
        }
        .write_json(p)?;
    }
    Ok(0)
}
