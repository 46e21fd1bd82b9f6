//! kk-unexamined — 健診未受診者 (SPEC §3 kk-unexamined).
//!
//! `list`: the persons who are 特定健診 targets of the fiscal year and have no checkup in it, for
//! the information-provision system's reminders. A target (実施基準 第1条, DOMAIN.md): qualified
//! on the as-of date (取得日 ≤ date < 喪失日), reaching 40–75 by legal age during the fiscal
//! year and under 75 on the as-of date (`domain::is_tokutei_target`), and not excluded by a 告示
//! period overlapping the fiscal year. The results are streamed and only the examined persons
//! kept; the master is streamed and only the listed rows kept, then sorted by person key.
//!
//! `check`: the 未受診者のマスタ等チェックリスト, one row per disagreement between the
//! information-provision system's view (info-status) and the master and registered results.

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::{Parser, Subcommand};
use csv::ByteRecord;
use jiff::civil::Date;
use rustc_hash::FxHashSet;

use super::reference::{date_field, examined_in, exclusions_in, person_key};
use super::{
    ListFormat, OutputArgs, RunArgs, check_distinct_outputs, code_text, parse_fy, read_input, read_rows,
    resolve_input_encoding,
};
use crate::domain::text::normalize_code;
use crate::domain::{
    FiscalYear, InsurerNumber, PersonKey, age_at_fiscal_year_end, is_tokutei_target, parse_date, qualified_on,
};
use crate::error::{Error, FieldError, Loc, Result};
use crate::io::xlsx::{Cell, write_sheet};
use crate::io::{CsvInput, CsvOut, InputEncoding, encoding};
use crate::layout::{INSURED, insured as f};
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

    /// 情報提供票等データ管理システムの出力を、マスタと健診結果に照らして食い違いを一覧にする
    #[command(after_help = "\
例:
  kk-unexamined check --master master.csv --results results.csv < info-status.csv > checklist.csv
  kk-unexamined check --master master.csv --results results.csv --fy 2026 --as-of 2026-11-01 -i info.csv -o check.csv
  kk-unexamined check --master master.csv --results results.csv -i info.csv --format xlsx -o check.xlsx

チェック(コードは docs/errors.md): U101 有資格と表示だがマスタでは資格なし / U102 喪失と表示だが資格あり /
U103 未登録と表示だが年度内の結果あり / U104 登録済と表示だが結果なし / U105 マスタにない人 /
U106 カナ氏名の違い / U107 生年月日の違い / U108 対象者なのに連携先にない。値の誤りは E コードの行。
基準日は --as-of、なければ入力の基準日列。年度は --fy、なければ基準日の年度。")]
    Check(CheckArgs),
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub input: super::InputArgs,

    /// 被保険者マスタ
    #[arg(long, value_name = "FILE")]
    pub master: PathBuf,

    /// 健診結果
    #[arg(long, value_name = "FILE")]
    pub results: PathBuf,

    /// 年度 (省略時は基準日の年度)
    #[arg(long, value_name = "YEAR")]
    pub fy: Option<String>,

    /// 基準日 (省略時は入力の基準日列)
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,

    /// 出力形式: csv、または xlsx (Excel。見出し固定・フィルター付き。-o が必要)
    #[arg(long, value_enum, default_value = "csv")]
    pub format: ListFormat,

    #[command(flatten)]
    pub output: OutputArgs,

    #[command(flatten)]
    pub run: RunArgs,
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
        Command::Check(a) => check(a),
    }
}

/// A person key from the key columns of a reference row (its insurer number validated).
fn list(args: &ListArgs) -> Result<u8> {
    let console = Console { tool: TOOL, quiet: args.run.quiet };
    check_distinct_outputs(&[args.output.output.as_deref(), args.run.summary_json.as_deref()])?;
    let fy = parse_fy(&args.fy)?;
    let as_of = parse_date(&normalize_code(&args.as_of))
        .map_err(|e| Error::Usage { option: "--as-of", detail: e.message().to_string() })?;
    let requested = resolve_input_encoding(args.encoding)?;

    let (examined, result_rows) = examined_in(&args.results, requested, fy)?;

    // the persons with a 告示 exclusion period overlapping the fiscal year
    let excluded = match &args.exclusions {
        Some(path) => exclusions_in(path, requested, fy)?,
        None => Default::default(),
    };

    // the master, streamed: the targets not examined and not excluded
    let mut master_input = CsvInput::open(Some(&args.master), requested, &INSURED, None)?;
    let master_enc = master_input.encoding();
    let out_enc = args.output.output_encoding(master_enc)?;
    let mut counts =
        BTreeMap::from([("master_rows", 0u64), ("qualified", 0), ("targets", 0), ("excluded", 0), ("examined", 0)]);
    let mut listed: Vec<(PersonKey, ByteRecord)> = Vec::new();
    read_input(
        &mut master_input,
        |row, _| {
            let l = &INSURED;
            let key = person_key(row, l, "被保険者マスタ")?;
            let birth = date_field(row, l, f::BIRTH, "被保険者マスタ")?.unwrap_or(as_of);
            let acquired = date_field(row, l, f::ACQUIRED, "被保険者マスタ")?.unwrap_or(as_of);
            let lost = date_field(row, l, f::LOST, "被保険者マスタ")?;
            let qualified = qualified_on(acquired, lost, as_of);
            let target = qualified && is_tokutei_target(birth, fy, as_of);
            let status = match (qualified, target, excluded.contains_key(&key), examined.contains(&key)) {
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

/// What the check needs of a master record.
struct MasterPerson {
    /// 保険者番号, 記号, 番号, 枝番 as written
    key_texts: [String; 4],
    kana: String,
    birth: Date,
    acquired: Date,
    lost: Option<Date>,
}

impl MasterPerson {
    fn qualified(&self, on: Date) -> bool {
        qualified_on(self.acquired, self.lost, on)
    }
}

/// A stable U-code finding (docs/errors.md).
#[derive(Debug, Clone, Copy)]
enum UCheck {
    ListedButLost,
    LostButQualified,
    ResultsButUnregistered,
    RegisteredButNoResults,
    Unknown,
    Kana,
    Birth,
    MissingTarget,
}

impl UCheck {
    fn code(self) -> &'static str {
        match self {
            UCheck::ListedButLost => "U101",
            UCheck::LostButQualified => "U102",
            UCheck::ResultsButUnregistered => "U103",
            UCheck::RegisteredButNoResults => "U104",
            UCheck::Unknown => "U105",
            UCheck::Kana => "U106",
            UCheck::Birth => "U107",
            UCheck::MissingTarget => "U108",
        }
    }
    fn message(self) -> &'static str {
        match self {
            UCheck::ListedButLost => "有資格と表示されていますが、マスタでは基準日に資格がありません",
            UCheck::LostButQualified => "喪失と表示されていますが、マスタでは基準日に資格があります",
            UCheck::ResultsButUnregistered => "未登録と表示されていますが、年度内の健診結果があります",
            UCheck::RegisteredButNoResults => "登録済と表示されていますが、年度内の健診結果がありません",
            UCheck::Unknown => "マスタにない人です",
            UCheck::Kana => "カナ氏名がマスタと違います",
            UCheck::Birth => "生年月日がマスタと違います",
            UCheck::MissingTarget => "対象者ですが、連携先のデータにありません",
        }
    }
}

fn check(args: &CheckArgs) -> Result<u8> {
    use crate::domain::text::{kana_for_matching, normalize_name};
    use crate::layout::{INFO_STATUS, UNEXAMINED_CHECKLIST};
    let console = Console { tool: TOOL, quiet: args.run.quiet };
    check_distinct_outputs(&[args.output.output.as_deref(), args.run.summary_json.as_deref()])?;
    let xlsx_path = args.format.xlsx_path(args.output.output.as_deref(), "--format xlsx", "-o")?;
    let requested = args.input.input_encoding()?;
    let option_date = |v: &Option<String>, option: &'static str| -> Result<Option<Date>> {
        v.as_ref()
            .map(|s| {
                parse_date(&normalize_code(s)).map_err(|e| Error::Usage { option, detail: e.message().to_string() })
            })
            .transpose()
    };
    let mut as_of = option_date(&args.as_of, "--as-of")?;
    let fy_flag: Option<FiscalYear> = args.fy.as_ref().map(|s| parse_fy(s)).transpose()?;

    // the other system's rows, read first: their 基準日 is the default as-of date
    struct Info {
        line: u64,
        key_texts: [String; 4],
        key: Option<PersonKey>,
        kana: String,
        birth: String,
        listed: bool,
        registered: bool,
        errors: Vec<(&'static str, FieldError, String)>,
    }
    let l = &INFO_STATUS;
    let mapping = args.input.layout_file()?;
    let mut input = CsvInput::open(args.input.input.as_deref(), requested, l, mapping.as_ref())?;
    let in_enc = input.encoding();
    let input_name = input.name().to_string();
    let mut infos: Vec<Info> = Vec::new();
    while let Some(row) = input.next_row()? {
        let text = |f: usize| -> Result<String> { Ok(code_text(&row, l, f)?.into_owned()) };
        let key_texts = [text(0)?, text(1)?, text(2)?, text(3)?];
        let mut errors = Vec::new();
        let mut bad = |f: usize, e: FieldError, v: &str| errors.push((l.fields[f].name, e, v.to_string()));
        let key_ok = match InsurerNumber::check(&key_texts[0]) {
            Ok(()) if !key_texts[2].is_empty() => true,
            Ok(()) => {
                bad(2, FieldError::Required, "");
                false
            }
            Err(e) => {
                bad(0, e, &key_texts[0]);
                false
            }
        };
        let kana_raw = row.text(4, l)?;
        let kana = {
            let mut k = String::new();
            kana_for_matching(&normalize_name(&kana_raw), &mut k);
            k
        };
        let birth = text(5)?;
        if let Err(e) = parse_date(&birth) {
            bad(5, e, &birth);
        }
        // a two-valued code column: `yes`, `no`, or an error row (read as no)
        let mut flag = |field: usize, yes: &str, no: &str| -> Result<bool> {
            let code = text(field)?;
            if code != yes && code != no {
                bad(field, FieldError::Code, &code);
            }
            Ok(code == yes)
        };
        let listed = flag(6, "1", "2")?;
        let registered = flag(7, "1", "0")?;
        let base = text(8)?;
        if !base.is_empty() {
            match parse_date(&base) {
                Ok(d) => as_of = as_of.or(Some(d)),
                Err(e) => bad(8, e, &base),
            }
        }
        let key = key_ok.then(|| PersonKey::from_checked(&key_texts[0], &key_texts[1], &key_texts[2], &key_texts[3]));
        infos.push(Info { line: row.line, key_texts, key, kana, birth, listed, registered, errors });
    }
    drop(input);
    let as_of = as_of.ok_or_else(|| Error::Usage {
        option: "--as-of",
        detail: "基準日を --as-of か入力の基準日列で指定してください".into(),
    })?;
    let fy = fy_flag.unwrap_or(FiscalYear::of(as_of));

    // the master and the examined persons
    let mut master: rustc_hash::FxHashMap<PersonKey, MasterPerson> = rustc_hash::FxHashMap::default();
    read_rows(
        &args.master,
        requested,
        &INSURED,
        |row, _| {
            let l = &INSURED;
            let key = person_key(row, l, "被保険者マスタ")?;
            let key_texts = [0, 1, 2, 3].map(|f| code_text(row, l, f).map(|t| t.into_owned()).unwrap_or_default());
            let mut kana = String::new();
            kana_for_matching(&normalize_name(&row.text(f::KANA, l)?), &mut kana);
            let birth = date_field(row, l, f::BIRTH, "被保険者マスタ")?.unwrap_or(as_of);
            let acquired = date_field(row, l, f::ACQUIRED, "被保険者マスタ")?.unwrap_or(as_of);
            let lost = date_field(row, l, f::LOST, "被保険者マスタ")?;
            Ok(Some((key, MasterPerson { key_texts, kana, birth, acquired, lost })))
        },
        |(key, person)| {
            master.insert(key, person);
        },
    )?;
    let (examined, _) = examined_in(&args.results, requested, fy)?;

    let mut rows: Vec<[String; 9]> = Vec::new();
    let mut push = |line: String, k: &[String; 4], code: &str, message: &str, ours: String, theirs: String| {
        rows.push([
            line,
            k[0].clone(),
            k[1].clone(),
            k[2].clone(),
            k[3].clone(),
            code.into(),
            message.into(),
            ours,
            theirs,
        ]);
    };
    let mut seen: FxHashSet<PersonKey> = FxHashSet::default();
    let (mut findings, mut errors) = (0u64, 0u64);
    for info in &infos {
        let line = info.line.to_string();
        for (column, e, value) in &info.errors {
            errors += 1;
            push(
                line.clone(),
                &info.key_texts,
                e.code(),
                &format!("{column}: {}", e.message()),
                String::new(),
                value.clone(),
            );
        }
        let Some(key) = info.key.as_ref().filter(|_| info.errors.is_empty()) else { continue };
        seen.insert(key.clone());
        let mut found = |c: UCheck, ours: String, theirs: String| {
            findings += 1;
            push(line.clone(), &info.key_texts, c.code(), c.message(), ours, theirs);
        };
        let Some(m) = master.get(key) else {
            found(UCheck::Unknown, String::new(), String::new());
            continue;
        };
        let qualified = m.qualified(as_of);
        let shown = |listed: bool| if listed { "1 有資格".to_string() } else { "2 喪失".to_string() };
        let ours = || match m.lost {
            _ if qualified => "資格あり".to_string(),
            Some(l) if l <= as_of => format!("資格喪失日 {}", crate::domain::format_date(l)),
            _ => format!("資格取得日 {}", crate::domain::format_date(m.acquired)),
        };
        if info.listed && !qualified {
            found(UCheck::ListedButLost, ours(), shown(true));
        } else if !info.listed && qualified {
            found(UCheck::LostButQualified, ours(), shown(false));
        }
        let has_results = examined.contains(key);
        if has_results && !info.registered {
            found(UCheck::ResultsButUnregistered, "結果あり".into(), "0 未登録".into());
        } else if !has_results && info.registered {
            found(UCheck::RegisteredButNoResults, "結果なし".into(), "1 登録済".into());
        }
        if m.kana != info.kana {
            found(UCheck::Kana, m.kana.clone(), info.kana.clone());
        }
        let birth = crate::domain::format_date(m.birth);
        if parse_date(&info.birth).map(crate::domain::format_date).ok().as_deref() != Some(birth.as_str()) {
            found(UCheck::Birth, birth, info.birth.clone());
        }
    }
    // the reverse: targets of the year that the other system does not hold
    let mut missing: Vec<(&PersonKey, &MasterPerson)> = master
        .iter()
        .filter(|(k, m)| !seen.contains(*k) && m.qualified(as_of) && is_tokutei_target(m.birth, fy, as_of))
        .collect();
    missing.sort_by(|a, b| a.0.cmp(b.0));
    for (_, m) in missing {
        findings += 1;
        push(
            String::new(),
            &m.key_texts,
            UCheck::MissingTarget.code(),
            UCheck::MissingTarget.message(),
            "対象者".into(),
            String::new(),
        );
    }

    let out_enc = args.output.output_encoding(in_enc)?;
    let replaced = match &xlsx_path {
        Some(path) => {
            let mut kinds = vec![Cell::Text; UNEXAMINED_CHECKLIST.len()];
            kinds[0] = Cell::Number;
            write_sheet(path, "チェックリスト", &UNEXAMINED_CHECKLIST, &kinds, &rows)?;
            0
        }
        None => {
            let mut out = CsvOut::new(
                args.output.output.as_deref(),
                out_enc,
                args.output.replace_unmappable,
                args.output.crlf(out_enc),
            )?;
            out.write_header(&UNEXAMINED_CHECKLIST)?;
            for r in &rows {
                let line: u64 = r[0].parse().unwrap_or(0);
                out.write_texts(r, |i| Loc::cell(input_name.clone(), line, UNEXAMINED_CHECKLIST[i]))?;
            }
            out.finish()?
        }
    };
    console.replaced(replaced);
    console.info(format!(
        "{}年度 基準日 {}: 連携先 {} 行, マスタ {} 人; 指摘 {} 行, エラー {} 行",
        fy,
        crate::domain::format_date(as_of),
        thousands(infos.len() as u64),
        thousands(master.len() as u64),
        thousands(findings),
        thousands(errors)
    ));
    if let Some(p) = &args.run.summary_json {
        Summary {
            tool: TOOL,
            command: "check",
            exit_code: u8::from(args.run.strict && !rows.is_empty()),
            input_encoding: in_enc.id(),
            output_encoding: out_enc.id(),
            rows_in: infos.len() as u64,
            rows_out: rows.len() as u64,
            rows_rejected: errors,
            findings,
            replaced_characters: replaced,
            extra: BTreeMap::new(),
        }
        .write_json(p)?;
    }
    Ok(u8::from(args.run.strict && !rows.is_empty()))
}
