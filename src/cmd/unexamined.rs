//! kk-unexamined — 健診未受診者 (SPEC §3 kk-unexamined).
//!
//! `list`: the persons who are 特定健診 targets of the fiscal year and have no checkup in it, for
//! the information-provision system's reminders. A target (実施基準 第1条, DOMAIN.md): qualified
//! on the as-of date (取得日 ≤ date < 喪失日), reaching 40–75 by legal age during the fiscal
//! year and under 75 on the as-of date (`domain::is_tokutei_target`), and not excluded by a 告示
//! period overlapping the fiscal year. The results are streamed and only the examined persons
//! kept; the master is streamed and only the listed rows kept, then sorted by person key.
//! (`check`, the 未受診者のマスタ等チェックリスト, is the next step of issue 5.)

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::{Parser, Subcommand};
use csv::ByteRecord;
use jiff::civil::Date;
use rustc_hash::FxHashSet;

use super::{
    OutputArgs, RunArgs, check_distinct_outputs, code_text, read_rows, reference_error, resolve_input_encoding,
};
use crate::domain::text::normalize_code;
use crate::domain::{FiscalYear, InsurerNumber, PersonKey, age_at_fiscal_year_end, is_tokutei_target, parse_date};
use crate::error::{Error, FieldError, Loc, Result};
use crate::io::{CsvInput, CsvOut, InputEncoding, encoding};
use crate::layout::{EXCLUSIONS, INSURED, Layout, RESULT_PERSONS, insured as f};
use crate::report::{Console, Summary, thousands};

pub const TOOL: &str = "kk-unexamined";

/// 健診未受診者リスト
#[derive(Debug, Parser)]
#[command(name = "kk-unexamined", version)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// 年度の特定健診の対象者で、年度内に受診していない人の一覧 (情報提供票等データ管理システム取込用)
    #[command(after_help = "\
例:
  kk-unexamined list --fy 2026 --as-of 2026-11-01 --master master.csv --results results.csv > unexamined.csv
  kk-unexamined list --fy 2026 --as-of R8.11.1 --master master.csv --results results.csv --exclusions jogai.csv -o unexamined.csv

対象者: 基準日に資格があり(資格取得日 ≤ 基準日 < 資格喪失日)、年度末年齢(法定の年齢計算)が40〜75歳で、
基準日に75歳の誕生日より前の人。年度と重なる除外事由の期間がある人は除きます。
年度内(4月1日〜3月31日)の受診日の結果が1件でもあれば受診済みです。出力は被保険者マスタの列 + 年度末年齢、
被保険者キーの順。")]
    List(ListArgs),
}

#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// 年度 (西暦4桁、例 2026 = 2026年4月1日〜2027年3月31日)
    #[arg(long, value_name = "YEAR")]
    pub fy: String,

    /// 基準日 (この日に資格があり、75歳の誕生日より前の人が対象)
    #[arg(long, value_name = "DATE")]
    pub as_of: String,

    /// 被保険者マスタ
    #[arg(long, value_name = "FILE")]
    pub master: PathBuf,

    /// 健診結果
    #[arg(long, value_name = "FILE")]
    pub results: PathBuf,

    /// 除外事由 (告示の除外期間)
    #[arg(long, value_name = "FILE")]
    pub exclusions: Option<PathBuf>,

    /// 入力の文字コード: auto, sjis, utf8 (既定は KK_ENCODING、なければ auto)
    #[arg(long = "encoding", value_name = "ENC")]
    pub encoding: Option<InputEncoding>,

    #[command(flatten)]
    pub output: OutputArgs,

    #[command(flatten)]
    pub run: RunArgs,
}

pub fn run(cli: &Cli) -> Result<u8> {
    match &cli.command {
        Command::List(a) => list(a),
    }
}

/// A person key from the key columns of a reference row (its insurer number validated).
fn person_key(row: &crate::io::Row<'_>, l: &Layout, what: &'static str) -> Result<PersonKey> {
    let insurer = code_text(row, l, 0)?;
    InsurerNumber::check(&insurer).map_err(|e| reference_error(row, l, 0, what, e))?;
    if code_text(row, l, 2)?.is_empty() {
        return Err(reference_error(row, l, 2, what, FieldError::Required));
    }
    Ok(PersonKey::from_checked(&insurer, &code_text(row, l, 1)?, &code_text(row, l, 2)?, &code_text(row, l, 3)?))
}

fn date_field(row: &crate::io::Row<'_>, l: &Layout, field: usize, what: &'static str) -> Result<Option<Date>> {
    let text = code_text(row, l, field)?;
    if text.is_empty() && !l.fields[field].required {
        return Ok(None);
    }
    parse_date(&text).map(Some).map_err(|e| reference_error(row, l, field, what, e))
}

/// 告示 exclusion codes (DOMAIN.md).
const EXCLUSION_CODES: [&str; 7] = ["1", "2", "3", "4", "5", "6", "9"];

fn list(args: &ListArgs) -> Result<u8> {
    let console = Console { tool: TOOL, quiet: args.run.quiet };
    check_distinct_outputs(&[args.output.output.as_deref(), args.run.summary_json.as_deref()])?;
    let fy: FiscalYear = normalize_code(&args.fy)
        .parse()
        .map_err(|e: FieldError| Error::Usage { option: "--fy", detail: e.message().to_string() })?;
    let as_of = parse_date(&normalize_code(&args.as_of))
        .map_err(|e| Error::Usage { option: "--as-of", detail: e.message().to_string() })?;
    let requested = resolve_input_encoding(args.encoding)?;

    // the persons examined in the fiscal year (streamed; only their keys kept)
    let mut examined: FxHashSet<PersonKey> = FxHashSet::default();
    let mut result_rows = 0u64;
    read_rows(
        &args.results,
        requested,
        &RESULT_PERSONS,
        |row, _| {
            let key = person_key(row, &RESULT_PERSONS, "健診結果")?;
            let day = date_field(row, &RESULT_PERSONS, 4, "健診結果")?;
            Ok(Some(day.is_some_and(|d| fy.contains(d)).then_some(key)))
        },
        |key| {
            result_rows += 1;
            examined.extend(key);
        },
    )?;

    // the persons with a 告示 exclusion period overlapping the fiscal year
    let mut excluded: FxHashSet<PersonKey> = FxHashSet::default();
    if let Some(path) = &args.exclusions {
        let l = &EXCLUSIONS;
        read_rows(
            path,
            requested,
            l,
            |row, _| {
                let key = person_key(row, l, "除外事由")?;
                let code = code_text(row, l, 4)?;
                if !EXCLUSION_CODES.contains(&code.as_ref()) {
                    let e = if code.is_empty() { FieldError::Required } else { FieldError::Code };
                    return Err(reference_error(row, l, 4, "除外事由", e));
                }
                let start = date_field(row, l, 5, "除外事由")?.unwrap_or(fy.first_day());
                let end = date_field(row, l, 6, "除外事由")?;
                if end.is_some_and(|e| e < start) {
                    return Err(reference_error(row, l, 6, "除外事由", FieldError::DateOrder));
                }
                Ok(Some(excludes(start, end, fy).then_some(key)))
            },
            |key: Option<PersonKey>| excluded.extend(key),
        )?;
    }

    // the master, streamed: the targets not examined and not excluded
    let master_enc = CsvInput::open(Some(&args.master), requested, &INSURED, None)?.encoding();
    let out_enc = args.output.output_encoding(master_enc)?;
    let mut counts =
        BTreeMap::from([("master_rows", 0u64), ("qualified", 0), ("targets", 0), ("excluded", 0), ("examined", 0)]);
    let mut listed: Vec<(PersonKey, ByteRecord)> = Vec::new();
    read_rows(
        &args.master,
        requested,
        &INSURED,
        |row, _| {
            let l = &INSURED;
            let key = person_key(row, l, "被保険者マスタ")?;
            let birth = date_field(row, l, f::BIRTH, "被保険者マスタ")?.unwrap_or(as_of);
            let acquired = date_field(row, l, f::ACQUIRED, "被保険者マスタ")?.unwrap_or(as_of);
            let lost = date_field(row, l, f::LOST, "被保険者マスタ")?;
            let qualified = acquired <= as_of && lost.is_none_or(|l| as_of < l);
            let target = qualified && is_tokutei_target(birth, fy, as_of);
            let status = match (qualified, target, excluded.contains(&key), examined.contains(&key)) {
                (false, _, _, _) => Status::NotQualified,
                (true, false, _, _) => Status::NotTarget,
                (true, true, true, _) => Status::Excluded,
                (true, true, false, true) => Status::Examined,
                (true, true, false, false) => Status::Listed,
            };
            let record = (status == Status::Listed).then(|| {
                let mut rec: ByteRecord = (0..INSURED.fields.len()).map(|i| row.raw(i)).collect();
                rec.push_field(age_at_fiscal_year_end(birth, fy).to_string().as_bytes());
                (key, rec)
            });
            Ok(Some((status, record)))
        },
        |(status, record)| {
            for (name, hit) in [
                ("master_rows", true),
                ("qualified", status != Status::NotQualified),
                ("targets", matches!(status, Status::Excluded | Status::Examined | Status::Listed)),
                ("excluded", status == Status::Excluded),
                ("examined", status == Status::Examined),
            ] {
                *counts.entry(name).or_default() += u64::from(hit);
            }
            listed.extend(record);
        },
    )?;
    listed.sort_by(|a, b| a.0.cmp(&b.0));

    let mut header: Vec<&str> = INSURED.names().collect();
    header.push("年度末年齢");
    let crlf = args.output.crlf(out_enc);
    let mut out = CsvOut::new(args.output.output.as_deref(), out_enc, args.output.replace_unmappable, crlf)?;
    out.write_header(&header)?;
    let master_name = args.master.display().to_string();
    for (_, rec) in &listed {
        if master_enc.same_bytes_as(out_enc) {
            out.write_record(rec)?;
        } else {
            let texts = rec
                .iter()
                .map(|b| encoding::decode(master_enc, b).map(|t| t.into_owned()))
                .collect::<Option<Vec<String>>>()
                .ok_or_else(|| Error::Undecodable {
                    loc: Loc::file(master_name.clone()),
                    encoding: master_enc.label(),
                })?;
            out.write_texts(&texts, |i| Loc::cell(master_name.clone(), 0, header[i]))?;
        }
    }
    let replaced = out.finish()?;
    console.replaced(replaced);
    counts.insert("listed", listed.len() as u64);
    counts.insert("result_rows", result_rows);
    console.info(format!(
        "{}年度 基準日 {}: マスタ {} 行 → 資格あり {} 人 → 対象者 {} 人 = 除外 {} 人 + 受診済み {} 人 + 未受診 {} 人",
        fy,
        crate::domain::format_date(as_of),
        thousands(counts["master_rows"]),
        thousands(counts["qualified"]),
        thousands(counts["targets"]),
        thousands(counts["excluded"]),
        thousands(counts["examined"]),
        thousands(listed.len() as u64)
    ));
    if counts["targets"] != counts["excluded"] + counts["examined"] + listed.len() as u64 {
        return Err(Error::Integrity { detail: format!("{counts:?}") });
    }
    if let Some(p) = &args.run.summary_json {
        Summary {
            tool: TOOL,
            command: "list",
            exit_code: 0,
            input_encoding: master_enc.id(),
            output_encoding: out_enc.id(),
            rows_in: counts["master_rows"],
            rows_out: listed.len() as u64,
            rows_rejected: 0,
            findings: 0,
            replaced_characters: replaced,
            extra: counts,
        }
        .write_json(p)?;
    }
    Ok(0)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    NotQualified,
    NotTarget,
    Excluded,
    Examined,
    Listed,
}

/// An exclusion period [start, end] (end empty = open) excludes a person for a fiscal year
/// when it overlaps the year. [I] DOMAIN.md: the rule is an inference, kept in this one place.
pub fn excludes(start: Date, end: Option<Date>, fy: FiscalYear) -> bool {
    start <= fy.last_day() && end.is_none_or(|e| e >= fy.first_day())
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn exclusion_periods_overlapping_the_year() {
        let fy = FiscalYear(2025);
        assert!(!excludes(date(2024, 4, 1), Some(date(2025, 3, 31)), fy), "ended the day before");
        assert!(excludes(date(2024, 4, 1), Some(date(2025, 4, 1)), fy), "one day in the year");
        assert!(excludes(date(2026, 3, 31), None, fy), "from the last day");
        assert!(!excludes(date(2026, 4, 1), None, fy), "from the next year");
        assert!(excludes(date(2020, 1, 1), None, fy), "open-ended");
    }
}
