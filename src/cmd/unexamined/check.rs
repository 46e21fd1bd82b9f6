//! `check`: the information-provision system's view of each person against the master and the
//! registered results, and the reverse (targets it does not hold).

use jiff::civil::Date;
use rustc_hash::{FxHashMap, FxHashSet};

use super::{CheckArgs, TOOL};
use crate::cmd::shared::reference::{date_field, examined_in, person_key};
use crate::cmd::shared::{check_outputs, code_text, parse_date_option, parse_fy, read_rows};
use crate::console::{Console, Tally, thousands};
use crate::domain::text::{kana_for_matching, normalize_name};
use crate::domain::{FiscalYear, InsurerNumber, PersonKey, TargetStatus, parse_date, qualified_on, target_status};
use crate::error::{Error, FieldError, Loc, Result};
use crate::io::xlsx::{Cell, write_sheet};
use crate::io::{CsvInput, CsvOut, InputEncoding, file_label};
use crate::layout::{INFO_STATUS, INSURED, UNEXAMINED_CHECKLIST, insured as f};

crate::codes! {
    /// A finding of the check (docs/errors.md).
    pub enum UCheck {
        ListedButLost = "U101", "有資格と表示されていますが、マスタでは基準日に資格がありません";
        LostButQualified = "U102", "喪失と表示されていますが、マスタでは基準日に資格があります";
        ResultsButUnregistered = "U103", "未登録と表示されていますが、年度内の健診結果があります";
        RegisteredButNoResults = "U104", "登録済と表示されていますが、年度内の健診結果がありません";
        Unknown = "U105", "マスタにない人です";
        Kana = "U106", "カナ氏名がマスタと違います";
        Birth = "U107", "生年月日がマスタと違います";
        MissingTarget = "U108", "対象者ですが、連携先のデータにありません";
    }
}

/// What the check needs of a master record.
struct MasterPerson {
    /// the master's line
    line: u64,
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

/// One row of the other system's file.
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

pub fn check(args: &CheckArgs) -> Result<u8> {
    let console = Console { tool: TOOL, quiet: args.run.quiet };
    check_outputs(&[args.output.output.as_deref(), args.run.summary_json.as_deref()])?;
    let xlsx_path = args.format.xlsx_path(args.output.output.as_deref(), "--format xlsx", "-o")?;
    let requested = args.input.input_encoding()?;
    let as_of_flag = args.as_of.as_deref().map(|s| parse_date_option(s, "--as-of")).transpose()?;
    let fy_flag: Option<FiscalYear> = args.fy.as_ref().map(|s| parse_fy(s)).transpose()?;

    // the other system's rows, read first: their 基準日 is the default as-of date
    let mapping = args.input.layout_file()?;
    let mut input = CsvInput::open(args.input.input.as_deref(), requested, &INFO_STATUS, mapping.as_ref())?;
    let (infos, first_base) = read_infos(&mut input)?;
    let (in_enc, input_name) = (input.encoding(), input.name().to_string());
    drop(input);
    let as_of = as_of_flag.or(first_base).ok_or_else(|| Error::Usage {
        option: "--as-of",
        detail: "基準日を --as-of か入力の基準日列で指定してください".into(),
    })?;
    let fy = fy_flag.unwrap_or(FiscalYear::of(as_of));
    let master = read_master(&args.master, requested, as_of)?;
    let (examined, _) = examined_in(&args.results, requested, fy)?;
    let mut list = compare(&infos, &master, &examined, as_of, fy);
    list.name_files(&file_label(args.input.input.as_deref()), &file_label(Some(&args.master)));
    let master_name = args.master.display().to_string();

    let spec = args.output.spec(in_enc)?;
    let mut tally = Tally::new(TOOL, "check", in_enc, spec.encoding);
    tally.replaced = match &xlsx_path {
        Some(path) => {
            let mut kinds = vec![Cell::Text; UNEXAMINED_CHECKLIST.len()];
            kinds[0] = Cell::Number;
            write_sheet(path, "チェックリスト", &UNEXAMINED_CHECKLIST, &kinds, &list.rows)?;
            0
        }
        None => {
            let mut out = CsvOut::create(&spec)?;
            out.write_header(&UNEXAMINED_CHECKLIST)?;
            for (n, r) in list.rows.iter().enumerate() {
                out.write_texts(r, |i| list.loc(n, i, &input_name, &master_name))?;
            }
            out.finish()?
        }
    };
    let line = format!(
        "{}年度 基準日 {}: 連携先 {} 行, マスタ {} 人; 指摘 {} 行, エラー {} 行",
        fy,
        crate::domain::format_date(as_of),
        thousands(infos.len() as u64),
        thousands(master.len() as u64),
        thousands(list.findings),
        thousands(list.errors)
    );
    (tally.rows_in, tally.rows_out, tally.rows_rejected) = (infos.len() as u64, list.rows.len() as u64, list.errors);
    tally.findings = list.findings;
    let exit = u8::from(args.run.strict && !list.rows.is_empty());
    tally.finish(&console, line, args.run.summary_json.as_deref(), exit)
}

/// The other system's rows, and the first 基準日 among them.
fn read_infos(input: &mut CsvInput) -> Result<(Vec<Info>, Option<Date>)> {
    let l = &INFO_STATUS;
    let mut infos: Vec<Info> = Vec::new();
    let mut as_of = None;
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
        let kana = matching_kana(&row.text(4, l)?);
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
    Ok((infos, as_of))
}

/// 氏名カナ as compared between the two systems: normalized, spaces removed.
fn matching_kana(raw: &str) -> String {
    let mut k = String::new();
    kana_for_matching(&normalize_name(raw), &mut k);
    k
}

/// The master, by person key.
fn read_master(
    path: &std::path::Path,
    requested: InputEncoding,
    as_of: Date,
) -> Result<FxHashMap<PersonKey, MasterPerson>> {
    let mut master: FxHashMap<PersonKey, MasterPerson> = FxHashMap::default();
    read_rows(
        path,
        requested,
        &INSURED,
        |row, _| {
            let l = &INSURED;
            let key = person_key(row, l, "被保険者マスタ")?;
            let key_texts = [0, 1, 2, 3].map(|f| code_text(row, l, f).map(|t| t.into_owned()).unwrap_or_default());
            let kana = matching_kana(&row.text(f::KANA, l)?);
            let birth = date_field(row, l, f::BIRTH, "被保険者マスタ")?.unwrap_or(as_of);
            let acquired = date_field(row, l, f::ACQUIRED, "被保険者マスタ")?.unwrap_or(as_of);
            let lost = date_field(row, l, f::LOST, "被保険者マスタ")?;
            Ok(Some((key, MasterPerson { line: row.line, key_texts, kana, birth, acquired, lost })))
        },
        |(key, person)| {
            master.insert(key, person);
        },
    )?;
    Ok(master)
}

/// The checklist's rows, with how many are findings and how many value errors.
struct Checklist {
    rows: Vec<[String; 10]>,
    /// where each row's values were read
    origins: Vec<Origin>,
    findings: u64,
    errors: u64,
}

/// Where a row's values came from, so that a character the output cannot hold is named in the
/// file, line and column it was read from (not the list's own column).
#[derive(Clone, Copy)]
struct Origin {
    /// the key columns: the other system's line, or the master's for U108
    keys: (Side, u64),
    /// 当システム値: the master's line and column
    ours: (u64, &'static str),
    /// 連携先値: the other system's line and column
    theirs: (u64, &'static str),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Info,
    Master,
}

impl Checklist {
    fn push(&mut self, row: [String; 10], origin: Origin) {
        self.rows.push(row);
        self.origins.push(origin);
    }

    /// Names the file each row's 行番号 is a line of: the other system's, or the master's (U108,
    /// whose line is then the master's).
    fn name_files(&mut self, info_file: &str, master_file: &str) {
        for (row, o) in self.rows.iter_mut().zip(&self.origins) {
            let (side, line) = o.keys;
            row[0] = if line > 0 { line.to_string() } else { String::new() };
            row[9] = if side == Side::Master { master_file } else { info_file }.to_string();
        }
    }

    /// Where column `i` of row `r` was read: (master?, line, column).
    fn loc(&self, r: usize, i: usize, info_file: &str, master_file: &str) -> Loc {
        let o = self.origins[r];
        let file = |side: Side| if side == Side::Master { master_file } else { info_file };
        match i {
            1..=4 => Loc::cell(file(o.keys.0), o.keys.1, INSURED.fields[i - 1].name),
            7 => Loc::cell(master_file, o.ours.0, o.ours.1),
            8 => Loc::cell(info_file, o.theirs.0, o.theirs.1),
            _ => Loc::cell(file(o.keys.0), o.keys.1, UNEXAMINED_CHECKLIST[i]),
        }
    }
}

/// The columns a finding's two values come from: (the master's, the other system's).
fn compared_columns(c: UCheck) -> (&'static str, &'static str) {
    match c {
        UCheck::ListedButLost | UCheck::LostButQualified => ("資格喪失日", "資格状態"),
        UCheck::ResultsButUnregistered | UCheck::RegisteredButNoResults => ("受診日", "結果登録状態"),
        UCheck::Kana => ("氏名カナ", "氏名カナ"),
        UCheck::Birth => ("生年月日", "生年月日"),
        UCheck::Unknown | UCheck::MissingTarget => ("被保険者証番号", "被保険者証番号"),
    }
}

fn row(line: String, k: &[String; 4], code: &str, message: &str, ours: String, theirs: String) -> [String; 10] {
    let [a, b, c, d] = k.clone();
    // 元ファイル is filled in by [`Checklist::name_files`]
    [line, a, b, c, d, code.into(), message.into(), ours, theirs, String::new()]
}

/// Every row of the other system against the master and the results, then the targets it lacks.
fn compare(
    infos: &[Info],
    master: &FxHashMap<PersonKey, MasterPerson>,
    examined: &FxHashSet<PersonKey>,
    as_of: Date,
    fy: FiscalYear,
) -> Checklist {
    let mut list = Checklist { rows: Vec::new(), origins: Vec::new(), findings: 0, errors: 0 };
    let mut seen: FxHashSet<PersonKey> = FxHashSet::default();
    for info in infos {
        let line = info.line.to_string();
        for (column, e, value) in &info.errors {
            list.errors += 1;
            let message = format!("{column}: {}", e.message());
            let origin = Origin { keys: (Side::Info, info.line), ours: (0, column), theirs: (info.line, column) };
            list.push(row(line.clone(), &info.key_texts, e.code(), &message, String::new(), value.clone()), origin);
        }
        let Some(key) = info.key.as_ref().filter(|_| info.errors.is_empty()) else { continue };
        seen.insert(key.clone());
        let master_line = master.get(key).map_or(0, |m| m.line);
        let mut found = |c: UCheck, ours: String, theirs: String| {
            list.findings += 1;
            let (ours_col, theirs_col) = compared_columns(c);
            let origin = Origin {
                keys: (Side::Info, info.line),
                ours: (master_line, ours_col),
                theirs: (info.line, theirs_col),
            };
            list.push(row(line.clone(), &info.key_texts, c.code(), c.message(), ours, theirs), origin);
        };
        let Some(m) = master.get(key) else {
            found(UCheck::Unknown, String::new(), String::new());
            continue;
        };
        compare_person(info, m, examined.contains(key), as_of, &mut found);
    }
    // the reverse: targets of the year that the other system does not hold
    let mut missing: Vec<(&PersonKey, &MasterPerson)> = master
        .iter()
        .filter(|(k, m)| {
            !seen.contains(*k) && target_status(m.acquired, m.lost, m.birth, fy, as_of, false) == TargetStatus::Target
        })
        .collect();
    missing.sort_by(|a, b| a.0.cmp(b.0));
    for (_, m) in missing {
        list.findings += 1;
        let c = UCheck::MissingTarget;
        let origin = Origin { keys: (Side::Master, m.line), ours: (m.line, "被保険者証番号"), theirs: (0, "") };
        list.push(row(String::new(), &m.key_texts, c.code(), c.message(), "対象者".into(), String::new()), origin);
    }
    list
}

/// One person as the other system shows them against the master: qualification, results, kana,
/// birth date.
fn compare_person(
    info: &Info,
    m: &MasterPerson,
    has_results: bool,
    as_of: Date,
    found: &mut impl FnMut(UCheck, String, String),
) {
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
