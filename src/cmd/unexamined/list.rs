//! `list`: the fiscal year's 特定健診 targets with no checkup in the year, in the layout the
//! information-provision system imports.

use std::collections::BTreeMap;

use csv::ByteRecord;

use super::{ListArgs, TOOL};
use crate::cmd::shared::reference::{date_field, examined_in, exclusions_in, person_key};
use crate::cmd::shared::{check_outputs, parse_date_option, parse_fy, read_input};
use crate::console::{Console, Tally, thousands};
use crate::domain::{PersonKey, TargetStatus, age_at_fiscal_year_end, target_status};
use crate::error::{Error, Loc, Result};
use crate::io::{CsvInput, CsvOut, Encoding, OutputSpec, encoding};
use crate::layout::{INSURED, insured as f};

pub fn list(args: &ListArgs) -> Result<u8> {
    let console = Console { tool: TOOL, quiet: args.run.quiet };
    check_outputs(&[args.output.output.as_deref(), args.run.summary_json.as_deref()])?;
    let fy = parse_fy(&args.fy)?;
    let as_of = parse_date_option(&args.as_of, "--as-of")?;
    let requested = args.encoding.resolve()?;
    let (examined, result_rows) = examined_in(&args.results, requested, fy)?;
    // the persons with a 告示 exclusion period overlapping the fiscal year
    let excluded = match &args.exclusions {
        Some(path) => exclusions_in(path, requested, fy)?,
        None => Default::default(),
    };
    // the master, streamed: the targets not examined and not excluded
    let mut master = CsvInput::open(Some(&args.master), requested, &INSURED, None)?;
    let mut counts =
        BTreeMap::from([("master_rows", 0u64), ("qualified", 0), ("targets", 0), ("excluded", 0), ("examined", 0)]);
    let mut listed: Vec<(PersonKey, ByteRecord, u64)> = Vec::new();
    read_input(
        &mut master,
        |row, _| {
            let l = &INSURED;
            let key = person_key(row, l, "被保険者マスタ")?;
            let birth = date_field(row, l, f::BIRTH, "被保険者マスタ")?.unwrap_or(as_of);
            let acquired = date_field(row, l, f::ACQUIRED, "被保険者マスタ")?.unwrap_or(as_of);
            let lost = date_field(row, l, f::LOST, "被保険者マスタ")?;
            let status = match target_status(acquired, lost, birth, fy, as_of, excluded.contains_key(&key)) {
                TargetStatus::NotQualified => Status::NotQualified,
                TargetStatus::NotTarget => Status::NotTarget,
                TargetStatus::Excluded => Status::Excluded,
                TargetStatus::Target if examined.contains(&key) => Status::Examined,
                TargetStatus::Target => Status::Listed,
            };
            let record = (status == Status::Listed).then(|| {
                let mut rec: ByteRecord = (0..INSURED.fields.len()).map(|i| row.raw(i)).collect();
                rec.push_field(age_at_fiscal_year_end(birth, fy).to_string().as_bytes());
                (key, rec, row.line)
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

    let master_enc = master.encoding();
    let spec = args.output.spec(master_enc)?;
    let mut tally = Tally::new(TOOL, "list", master_enc, spec.encoding);
    tally.replaced = write_list(&spec, &listed, master_enc, &args.master.display().to_string())?;
    counts.insert("listed", listed.len() as u64);
    counts.insert("result_rows", result_rows);
    if counts["targets"] != counts["excluded"] + counts["examined"] + listed.len() as u64 {
        return Err(Error::Integrity { detail: format!("{counts:?}") });
    }
    let line = format!(
        "{}年度 基準日 {}: マスタ {} 行 → 資格あり {} 人 → 対象者 {} 人 = 除外 {} 人 + 受診済み {} 人 + 未受診 {} 人",
        fy,
        crate::domain::format_date(as_of),
        thousands(counts["master_rows"]),
        thousands(counts["qualified"]),
        thousands(counts["targets"]),
        thousands(counts["excluded"]),
        thousands(counts["examined"]),
        thousands(listed.len() as u64)
    );
    tally.rows_in = counts["master_rows"];
    tally.rows_out = listed.len() as u64;
    tally.extra = counts;
    tally.finish(&console, line, args.run.summary_json.as_deref(), 0)
}

/// The list: the master's columns as read (re-encoded when the output encoding differs) and
/// 年度末年齢; returns the characters replaced by 〓.
fn write_list(
    spec: &OutputSpec,
    listed: &[(PersonKey, ByteRecord, u64)],
    master_enc: Encoding,
    master_name: &str,
) -> Result<u64> {
    let mut header: Vec<&str> = INSURED.names().collect();
    header.push("年度末年齢");
    let mut out = CsvOut::create(spec)?;
    out.write_header(&header)?;
    for (_, rec, line) in listed {
        if master_enc.same_bytes_as(spec.encoding) {
            out.write_record(rec)?;
        } else {
            // every field was checked to decode when it was read
            let texts: Vec<String> = rec
                .iter()
                .map(|b| encoding::decode(master_enc, b).map(|t| t.into_owned()).unwrap_or_default())
                .collect();
            // a character the output cannot hold is named where it was read: master line, column
            out.write_texts(&texts, |i| Loc::cell(master_name, *line, header[i]))?;
        }
    }
    out.finish()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    NotQualified,
    NotTarget,
    Excluded,
    Examined,
    Listed,
}
