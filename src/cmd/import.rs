//! kk-import — 被保険者マスタ管理 (SPEC §3 kk-import).
//!
//! `master` validates and normalizes an insured file, or applies an insured-diff to `--base`,
//! and writes the master (input order; sorted by person key with `--base`), the 連携エラーリスト
//! and the 重複リスト.
//! `tax` keeps the latest 世帯課税状況 per household and fiscal year.
//!
//! Every row read is either written or rejected (listed with its reason); the counts are
//! checked before anything is committed (E900, exit 3, if they ever disagree).

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::BuildHasher;
use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand};
use csv::ByteRecord;
use hashbrown::HashTable;
use hashbrown::hash_table::Entry;
use jiff::civil::Date;
use rustc_hash::{FxBuildHasher, FxHashMap};

use super::{InputArgs, OutputArgs, RunArgs, check_distinct_outputs};
use crate::domain::text::{
    char_count, is_kana_name, kana_for_matching, normalize_code, normalize_name, normalize_text,
};
use crate::domain::{FiscalYear, InsurerNumber, PersonKey, format_date, parse_date, qualified_on};
use crate::error::{Error, FieldError, Loc, Result};
use crate::io::{
    CsvInput, CsvOut, Encoding, InputEncoding, Row, RowRef, RowStore, TextEncoder, for_each_batch, push_field,
    worker_count,
};
use crate::layout::{
    self, DUPLICATE_LIST, ERROR_LIST, INSURED, INSURED_DIFF, Layout, household_tax as ht, insured as f,
};
use crate::report::{Console, Progress, Summary, thousands};

pub const TOOL: &str = "kk-import";

const EXAMPLES: &str = "\
例:
  # 全件ファイルを検証・正規化し、エラーリストと重複リストも出す
  kk-import master -i hihokensha.csv -o master.csv --errors errors.csv --duplicates dups.csv

  # 現在のマスタに今月の異動データを反映する (同じファイルへの上書きも安全)
  kk-import master --base master.csv < idou_202604.csv > master_new.csv

  # 世帯課税状況を登録更新する
  kk-import tax --master master.csv < kazei.csv > household.csv

終了コード: 0 完了 / 1 --strict で却下行・重複あり / 2 入力を処理できない / 3 整合性チェック失敗";

/// 被保険者マスタの取込・検証と世帯課税状況の登録更新
#[derive(Debug, Parser)]
#[command(name = "kk-import", version, after_help = EXAMPLES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// 被保険者ファイルを検証・正規化してマスタを書く (--base で異動データを反映)
    #[command(after_help = "\
例:
  kk-import master < hihokensha.csv > master.csv
  kk-import master --base master.csv --errors errors.csv --duplicates dups.csv < idou.csv > new.csv
  kk-import master --as-of 2026-04-01 --strict --summary-json s.json -i full.csv -o master.csv

同じキー(保険者番号+記号+番号+枝番)が入力に2回以上ある行は、全行を出力せずエラー(E201)と
重複種別1に載せます。重複種別2(同一保険者内の同一人物)・3(保険者間の資格重複)は警告で、行は出力します。")]
    Master(MasterArgs),

    /// 世帯課税状況を登録更新する (保険者番号・世帯番号・年度ごとに更新日が最新の行を残す)
    #[command(after_help = "\
例:
  kk-import tax --master master.csv < kazei.csv > household.csv
  kk-import tax --master master.csv --errors tax_errors.csv -i kazei.csv -o household.csv")]
    Tax(TaxArgs),
}

#[derive(Debug, clap::Args)]
pub struct MasterArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub output: OutputArgs,

    /// 現在のマスタ。指定すると入力を異動データ(異動区分 1 新規/2 変更/3 喪失、異動日)として反映する
    #[arg(long, value_name = "CURRENT.csv")]
    pub base: Option<PathBuf>,

    /// 連携エラーリストの出力先
    #[arg(long, value_name = "FILE")]
    pub errors: Option<PathBuf>,

    /// 重複リストの出力先
    #[arg(long, value_name = "FILE")]
    pub duplicates: Option<PathBuf>,

    /// 基準日。生年月日がこれより後ならエラー、重複種別2・3はこの日に資格のある者どうしで判定
    /// (省略時は資格期間が重なる者どうし)
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,

    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, clap::Args)]
pub struct TaxArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub output: OutputArgs,

    /// 被保険者マスタ (世帯番号の存在確認に使う)
    #[arg(long, value_name = "MASTER.csv")]
    pub master: PathBuf,

    /// 連携エラーリストの出力先
    #[arg(long, value_name = "FILE")]
    pub errors: Option<PathBuf>,

    #[command(flatten)]
    pub run: RunArgs,
}

pub fn run(cli: &Cli) -> Result<u8> {
    match &cli.command {
        Command::Master(a) => master(a),
        Command::Tax(a) => tax(a),
    }
}

/// 異動区分.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    New,
    Update,
    Loss,
}

/// One problem of one row, for the error list.
#[derive(Debug, Clone)]
struct Problem {
    column: &'static str,
    error: FieldError,
    value: String,
}

/// An insured row after validation and normalization. Its 13 output columns are in the
/// [`RowStore`] at `row`.
#[derive(Debug, Clone)]
struct Checked {
    line: u64,
    key: Option<PersonKey>,
    row: RowRef,
    problems: Vec<Problem>,
    acquired: Option<Date>,
    lost: Option<Date>,
    /// 氏名カナ (spaces removed) + 生年月日 + 性別, for duplicate kinds 2 and 3.
    identity: String,
    change: Option<(Change, Date)>,
}

/// What checking a row needs besides the row.
struct RowChecker {
    layout: &'static Layout,
    /// Decoded text of each field, reused from row to row.
    bufs: [String; MAX_FIELDS],
    in_enc: Encoding,
    out: TextEncoder,
    scratch: Vec<u8>,
    as_of: Option<Date>,
    diff: bool,
}

fn field_normalizer(field: usize) -> fn(&str) -> Cow<'_, str> {
    match field {
        f::KANA | f::NAME => normalize_name,
        f::ADDRESS => normalize_text,
        _ => normalize_code,
    }
}

const MAX_FIELDS: usize = 15;

impl RowChecker {
    fn check(&mut self, row: &Row<'_>, store: &mut RowStore) -> Result<Checked> {
        let layout = self.layout;
        let n = layout.fields.len();
        let mut raw: [&[u8]; MAX_FIELDS] = [b""; MAX_FIELDS];
        let mut decoded: [&str; MAX_FIELDS] = [""; MAX_FIELDS];
        for (field, buf) in self.bufs.iter_mut().enumerate().take(n) {
            (raw[field], decoded[field]) = row.text_in(field, layout, buf)?;
        }
        let mut norm: [Cow<'_, str>; MAX_FIELDS] = Default::default();
        for field in 0..n {
            norm[field] = field_normalizer(field)(decoded[field]);
        }
        let mut problems = Vec::new();
        let mut bad = |field: usize, error: FieldError| {
            problems.push(Problem { column: layout.fields[field].name, error, value: decoded[field].to_string() });
        };

        let change = if self.diff {
            let kind = match norm[f::CHANGE_KIND].as_ref() {
                "1" => Some(Change::New),
                "2" => Some(Change::Update),
                "3" => Some(Change::Loss),
                "" => {
                    bad(f::CHANGE_KIND, FieldError::Required);
                    None
                }
                _ => {
                    bad(f::CHANGE_KIND, FieldError::Code);
                    None
                }
            };
            let date = parse_date(&norm[f::CHANGE_DATE]).map_err(|e| bad(f::CHANGE_DATE, e)).ok();
            kind.zip(date)
        } else {
            None
        };
        // A 喪失 row needs only its key and dates: the other columns are not used.
        let full_row = !matches!(change, Some((Change::Loss, _)));

        let insurer = InsurerNumber::check(&norm[f::INSURER]).map_err(|e| bad(f::INSURER, e)).is_ok();
        let mut key_ok = insurer;
        if char_count(&norm[f::KIGO]) > 20 {
            bad(f::KIGO, FieldError::TooLong);
            key_ok = false;
        }
        if norm[f::BANGO].is_empty() {
            bad(f::BANGO, FieldError::Required);
            key_ok = false;
        } else if char_count(&norm[f::BANGO]) > 20 {
            bad(f::BANGO, FieldError::TooLong);
            key_ok = false;
        }
        let edaban = norm[f::EDABAN].as_ref();
        if !(edaban.is_empty() || edaban.len() == 2 && edaban.bytes().all(|b| b.is_ascii_digit())) {
            bad(f::EDABAN, FieldError::Format);
            key_ok = false;
        }
        let key = key_ok
            .then(|| PersonKey::from_checked(&norm[f::INSURER], &norm[f::KIGO], &norm[f::BANGO], &norm[f::EDABAN]));

        let mut date_field = |field: usize, required: bool, norm: &mut [Cow<'_, str>]| -> Option<Date> {
            if norm[field].is_empty() && !required {
                return None;
            }
            match parse_date(&norm[field]) {
                Ok(d) => {
                    if !is_canonical_date(&norm[field]) {
                        norm[field] = Cow::Owned(format_date(d));
                    }
                    Some(d)
                }
                Err(e) => {
                    bad(field, e);
                    None
                }
            }
        };
        let lost = date_field(f::LOST, false, &mut norm);
        let mut acquired = None;
        if full_row {
            let birth = date_field(f::BIRTH, true, &mut norm);
            acquired = date_field(f::ACQUIRED, true, &mut norm);
            if norm[f::KANA].is_empty() {
                bad(f::KANA, FieldError::Required);
            } else if !is_kana_name(&norm[f::KANA]) {
                bad(f::KANA, FieldError::Kana);
            }
            if norm[f::NAME].is_empty() {
                bad(f::NAME, FieldError::Required);
            }
            match norm[f::SEX].as_ref() {
                "1" | "2" => {}
                "" => bad(f::SEX, FieldError::Required),
                _ => bad(f::SEX, FieldError::Code),
            }
            match normalize_postcode(&norm[f::POSTCODE]) {
                Ok(Some(p)) => norm[f::POSTCODE] = Cow::Owned(p),
                Ok(None) => {}
                Err(e) => bad(f::POSTCODE, e),
            }
            if let (Some(b), Some(a)) = (birth, acquired)
                && a < b
            {
                bad(f::ACQUIRED, FieldError::DateOrder);
            }
            if let (Some(b), Some(as_of)) = (birth, self.as_of)
                && b > as_of
            {
                bad(f::BIRTH, FieldError::Future);
            }
        }
        if let (Some(a), Some(l)) = (acquired, lost)
            && l < a
        {
            bad(f::LOST, FieldError::DateOrder);
        }

        // the error list shows a row's problems in column order (stable: cross-checks keep theirs)
        if problems.len() > 1 {
            problems.sort_by_key(|p| layout.fields.iter().position(|f| f.name == p.column));
        }
        for field in 0..INSURED.fields.len() {
            push_field(
                store,
                &mut self.out,
                &mut self.scratch,
                &norm[field],
                (raw[field], decoded[field], self.in_enc),
            )
            .map_err(|u| Error::Unencodable {
                loc: row.loc(layout.fields[field].name),
                encoding: self.out.encoding.label(),
                code: u32::from(u.0),
            })?;
        }
        let row_range = store.end_row();
        let identity = if problems.is_empty() && full_row {
            let mut id = String::with_capacity(norm[f::KANA].len() + 12);
            kana_for_matching(&norm[f::KANA], &mut id);
            for part in ["\u{1F}", &norm[f::BIRTH], "\u{1F}", &norm[f::SEX]] {
                id.push_str(part);
            }
            id
        } else {
            String::new()
        };
        Ok(Checked { line: row.line, key, row: row_range, problems, acquired, lost, identity, change })
    }
}

/// `YYYYMMDD` already: a parsed date in this form is written unchanged.
fn is_canonical_date(s: &str) -> bool {
    s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit())
}

/// 郵便番号: empty, `NNN-NNNN`, or 7 digits (rewritten as `NNN-NNNN`).
fn normalize_postcode(s: &str) -> std::result::Result<Option<String>, FieldError> {
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if s.is_empty() || (s.len() == 8 && &s[3..4] == "-" && digits(&s[..3]) && digits(&s[4..])) {
        Ok(None)
    } else if s.len() == 7 && digits(s) {
        Ok(Some(format!("{}-{}", &s[..3], &s[3..])))
    } else {
        Err(FieldError::Format)
    }
}

/// Reads every row of `input` into `store`, checked by `checkers` (one per worker thread).
/// Returns the rows in input order and the checkers, for what they counted.
fn read_all(
    input: &mut CsvInput,
    checkers: Vec<RowChecker>,
    store: &mut RowStore,
    progress: &Progress,
    expected_rows: usize,
) -> Result<(Vec<Checked>, KeyIndex, Vec<RowChecker>)> {
    let crlf = store.crlf();
    let mut rows: Vec<Checked> = Vec::with_capacity(expected_rows.max(1 << 12));
    let mut index = KeyIndex::default();
    index.first.reserve(expected_rows, |_| 0);
    let checkers = for_each_batch(
        input,
        checkers,
        |checker, ctx, chunk| {
            let mut part = RowStore::new(crlf, chunk.bytes.len() + chunk.bytes.len() / 8);
            let mut checked = Vec::with_capacity(chunk.bytes.len() / 100);
            ctx.parse_chunk(chunk, |row| {
                checked.push(checker.check(&row, &mut part)?);
                Ok(())
            })?;
            Ok((checked, part))
        },
        |(checked, part)| {
            let offset = store.append(part);
            let from = rows.len();
            rows.extend(checked.into_iter().map(|mut c| {
                c.row = c.row.moved(offset);
                c
            }));
            for i in from..rows.len() {
                index.add(&rows, i);
            }
            progress.tick_to(rows.len() as u64);
            Ok(())
        },
    )?;
    Ok((rows, index, checkers))
}

/// A generous guess at the rows of an insured file (about 120 bytes a row), to size buffers once.
fn expected_rows(path: Option<&Path>) -> usize {
    CsvInput::file_size(path) / 80
}

/// Rows by person key, built as rows arrive (on the reading thread, while workers check the
/// next chunks): the first row of each key, and the groups of rows that repeat a key.
#[derive(Default)]
struct KeyIndex {
    first: HashTable<usize>,
    /// first row → every row of that key, for keys seen more than once
    repeats: BTreeMap<usize, Vec<usize>>,
}

impl KeyIndex {
    fn hash(key: &PersonKey) -> u64 {
        FxBuildHasher.hash_one(key)
    }

    /// The row holding `key`, if any.
    fn find(&self, rows: &[Checked], key: &PersonKey) -> Option<usize> {
        self.first.find(Self::hash(key), |&j| rows[j].key.as_ref() == Some(key)).copied()
    }

    /// Indexes row `i` (rows without a valid key cannot take part).
    fn add(&mut self, rows: &[Checked], i: usize) {
        let Some(key) = &rows[i].key else { return };
        let rehash = |&j: &usize| rows[j].key.as_ref().map_or(0, Self::hash);
        match self.first.entry(Self::hash(key), |&j| rows[j].key.as_ref() == Some(key), rehash) {
            Entry::Occupied(e) => {
                let f = *e.get();
                self.repeats.entry(f).or_insert_with(|| vec![f]).push(i);
            }
            Entry::Vacant(e) => {
                e.insert(i);
            }
        }
    }

    /// Gives every row of a repeated key E201 and returns the groups (by first line).
    fn withhold_repeated(&self, rows: &mut [Checked]) -> Vec<Vec<usize>> {
        for members in self.repeats.values() {
            for &i in members {
                rows[i].problems.push(Problem {
                    column: KEY_COLUMN,
                    error: FieldError::DuplicateKey,
                    value: String::new(),
                });
            }
        }
        self.repeats.values().cloned().collect()
    }
}

/// The column name the error list gives a problem of the whole person key.
const KEY_COLUMN: &str = "被保険者キー";

/// Qualification periods [取得日, 喪失日) that overlap, grouped into connected runs. With
/// `as_of`, only records qualified on that day count, and they all overlap.
fn overlapping_runs(master: &[&Checked], mut idx: Vec<usize>, as_of: Option<Date>) -> Vec<Vec<usize>> {
    if let Some(d) = as_of {
        idx.retain(|&i| master[i].acquired.is_some_and(|a| qualified_on(a, master[i].lost, d)));
        return vec![idx];
    }
    idx.sort_by_key(|&i| (master[i].acquired, master[i].line));
    let mut runs: Vec<Vec<usize>> = Vec::new();
    // where the current run ends: None = open-ended (no 喪失日)
    let mut end: Option<Date> = None;
    for i in idx {
        let r = &master[i];
        let overlaps = !runs.is_empty() && end.is_none_or(|e| r.acquired.is_some_and(|a| a < e));
        if overlaps && let Some(run) = runs.last_mut() {
            run.push(i);
            end = end.zip(r.lost).map(|(e, l)| e.max(l));
        } else {
            runs.push(vec![i]);
            end = r.lost;
        }
    }
    runs
}

/// Duplicate kinds 2 (one identity under two keys of one insurer) and 3 (one identity at two
/// insurers at once), among the records of the new master.
fn identity_duplicates(master: &[&Checked], as_of: Option<Date>) -> (Vec<Vec<usize>>, Vec<Vec<usize>>) {
    let mut first: FxHashMap<&str, usize> = FxHashMap::default();
    first.reserve(master.len());
    let mut same: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, r) in master.iter().enumerate() {
        let f = *first.entry(r.identity.as_str()).or_insert(i);
        if f != i {
            same.entry(f).or_insert_with(|| vec![f]).push(i);
        }
    }
    drop(first);
    let insurer = |i: usize| master[i].key.as_ref().map(|k| k.insurer8());
    let (mut kind2, mut kind3) = (Vec::new(), Vec::new());
    for members in same.into_values() {
        let mut by_insurer: BTreeMap<Option<&str>, Vec<usize>> = BTreeMap::new();
        for &i in &members {
            by_insurer.entry(insurer(i)).or_default().push(i);
        }
        for idx in by_insurer.into_values().filter(|v| v.len() > 1) {
            kind2.extend(overlapping_runs(master, idx, as_of).into_iter().filter(|run| run.len() > 1));
        }
        for run in overlapping_runs(master, members, as_of) {
            let insurers: HashSet<_> = run.iter().map(|&i| insurer(i)).collect();
            if insurers.len() > 1 {
                kind3.push(run);
            }
        }
    }
    let order = |&a: &usize, &b: &usize| (&master[a].key, master[a].line).cmp(&(&master[b].key, master[b].line));
    for g in kind2.iter_mut().chain(kind3.iter_mut()) {
        g.sort_by(order);
    }
    let first_key = |g: &Vec<usize>| (master[g[0]].key.clone(), master[g[0]].line);
    kind2.sort_by_key(first_key);
    kind3.sort_by_key(first_key);
    (kind2, kind3)
}

/// How many diff rows of each kind were applied.
struct Applied {
    added: u64,
    updated: u64,
    lost: u64,
}

/// Applies checked diff rows to the base: 新規 adds, 変更 replaces, 喪失 sets 資格喪失日 (the
/// row's 資格喪失日, else its 異動日). A row that cannot apply gets its problem and is rejected.
fn apply_diff(master: &mut Vec<Checked>, index: &mut KeyIndex, diff: &mut [Checked], store: &mut RowStore) -> Applied {
    let mut n = Applied { added: 0, updated: 0, lost: 0 };
    for row in diff.iter_mut().filter(|r| r.problems.is_empty()) {
        let (Some(key), Some((change, date))) = (row.key.clone(), row.change) else { continue };
        let key_problem = |error| Problem { column: KEY_COLUMN, error, value: String::new() };
        match (change, index.find(master, &key)) {
            (Change::New, Some(_)) => row.problems.push(key_problem(FieldError::AlreadyExists)),
            (Change::Update | Change::Loss, None) => row.problems.push(key_problem(FieldError::NotFound)),
            (Change::New, None) => {
                master.push(row.clone());
                index.add(master, master.len() - 1);
                n.added += 1;
            }
            (Change::Update, Some(i)) => {
                master[i] = row.clone();
                n.updated += 1;
            }
            (Change::Loss, Some(i)) => {
                let target = &mut master[i];
                let lost_on = row.lost.unwrap_or(date);
                if target.lost.is_some() {
                    row.problems.push(Problem {
                        column: "資格喪失日",
                        error: FieldError::AlreadyLost,
                        value: String::new(),
                    });
                } else if target.acquired.is_some_and(|a| lost_on < a) {
                    let column = if row.lost.is_some() { "資格喪失日" } else { "異動日" };
                    row.problems.push(Problem { column, error: FieldError::DateOrder, value: format_date(lost_on) });
                } else {
                    let mut rec = store.record(&target.row);
                    let mut updated = ByteRecord::with_capacity(rec.as_slice().len() + 8, rec.len());
                    for (j, field) in rec.iter().enumerate() {
                        // a date is ASCII: the same bytes in every output encoding
                        let date = format_date(lost_on);
                        updated.push_field(if j == f::LOST { date.as_bytes() } else { field });
                    }
                    rec = updated;
                    target.row = store.push(&rec);
                    target.lost = Some(lost_on);
                    target.line = row.line;
                    n.lost += 1;
                }
            }
        }
    }
    n
}

fn parse_as_of(s: Option<&str>) -> Result<Option<Date>> {
    s.map(|s| {
        let norm = normalize_code(s);
        parse_date(&norm).map_err(|e| Error::Usage { option: "--as-of", detail: e.message().to_string() })
    })
    .transpose()
}

/// A rejected row as the error list shows it: line, the person-key columns as written (the
/// first four fields of `key`), problems.
struct Rejected<'a> {
    line: u64,
    key: ByteRecord,
    problems: &'a [Problem],
}

/// Prints the first row problems on stderr (codes and places only: no values).
fn report_problems(console: &Console, file: &str, rows: &[Rejected<'_>]) -> u64 {
    const SHOWN: u64 = 20;
    let mut count = 0;
    for r in rows {
        for p in r.problems {
            if count < SHOWN {
                console.info(format!(
                    "{} {}: {}",
                    p.error.code(),
                    Loc::cell(file, r.line, p.column),
                    p.error.message()
                ));
            }
            count += 1;
        }
    }
    if count > SHOWN {
        console.info(format!("ほか {} 件のエラーは --errors のファイルを見てください", thousands(count - SHOWN)));
    }
    count
}

/// Writes the 連携エラーリスト: one row per problem.
fn write_error_list(
    path: &Path,
    out_enc: Encoding,
    replace: bool,
    crlf: bool,
    rows: &[Rejected<'_>],
    input_name: &str,
) -> Result<CsvOut> {
    let mut out = CsvOut::new(Some(path), out_enc, replace, crlf)?;
    out.write_header(&ERROR_LIST)?;
    let mut rec = ByteRecord::new();
    let mut scratch = Vec::new();
    for r in rows {
        for p in r.problems {
            rec.clear();
            rec.push_field(r.line.to_string().as_bytes());
            for k in r.key.iter().take(4) {
                rec.push_field(k);
            }
            for (text, column) in [
                (p.column, "列名"),
                (p.error.code(), "エラーコード"),
                (p.error.message(), "エラー内容"),
                (&p.value, "値"),
            ] {
                scratch.clear();
                out.encoder.encode(text, &mut scratch).map_err(|u| Error::Unencodable {
                    loc: Loc::cell(input_name, r.line, if column == "値" { p.column } else { column }),
                    encoding: out.encoding().label(),
                    code: u32::from(u.0),
                })?;
                rec.push_field(&scratch);
            }
            out.write_record(&rec)?;
        }
    }
    Ok(out)
}

/// Writes the 重複リスト: groups numbered from 1, kind 1 first, then 2, then 3.
fn write_duplicate_list(
    path: &Path,
    out_enc: Encoding,
    replace: bool,
    crlf: bool,
    groups: &[(u8, Vec<&Checked>)],
    store: &RowStore,
) -> Result<CsvOut> {
    let mut out = CsvOut::new(Some(path), out_enc, replace, crlf)?;
    out.write_header(&DUPLICATE_LIST)?;
    let mut rec = ByteRecord::new();
    for (n, (kind, members)) in groups.iter().enumerate() {
        for r in members {
            let fields = store.record(&r.row);
            rec.clear();
            rec.push_field((n + 1).to_string().as_bytes());
            rec.push_field(kind.to_string().as_bytes());
            rec.push_field(r.line.to_string().as_bytes());
            for field in [f::INSURER, f::KIGO, f::BANGO, f::EDABAN, f::KANA, f::BIRTH, f::SEX, f::LOST] {
                rec.push_field(&fields[field]);
            }
            out.write_record(&rec)?;
        }
    }
    Ok(out)
}

fn master(args: &MasterArgs) -> Result<u8> {
    let console = Console { tool: TOOL, quiet: args.run.quiet };
    check_distinct_outputs(&[
        args.output.output.as_deref(),
        args.errors.as_deref(),
        args.duplicates.as_deref(),
        args.run.summary_json.as_deref(),
    ])?;
    let as_of = parse_as_of(args.as_of.as_deref())?;
    let requested = args.input.input_encoding()?;
    let mapping = args.input.layout_file()?;
    let diff = args.base.is_some();
    let layout: &'static Layout = if diff { &INSURED_DIFF } else { &INSURED };

    let mut input = CsvInput::open(args.input.input.as_deref(), requested, layout, mapping.as_ref())?;
    let in_enc = input.encoding();
    let out_enc = args.output.output_encoding(in_enc)?;
    let crlf = args.output.crlf(out_enc);
    let replace = args.output.replace_unmappable;
    if !input.unused_columns().is_empty() {
        console.info(format!("{}: 使わない列を無視します: {}", input.name(), input.unused_columns().join("、")));
    }
    let input_name = input.name().to_string();

    let progress = Progress::new(&console, args.run.progress, "読込中");
    let mut store = RowStore::new(crlf, 0);
    let checker = || RowChecker {
        layout,
        bufs: Default::default(),
        in_enc,
        out: TextEncoder::new(out_enc, replace),
        scratch: Vec::new(),
        as_of,
        diff,
    };
    let workers = (0..worker_count()).map(|_| checker()).collect();
    let expected_rows = expected_rows(args.input.input.as_deref());
    let (mut rows, index, checkers) = read_all(&mut input, workers, &mut store, &progress, expected_rows)?;
    let mut replaced: u64 = checkers.iter().map(|c| c.out.replaced).sum();
    drop(input);
    let rows_in = rows.len() as u64;
    let same_key_groups = index.withhold_repeated(&mut rows);
    drop(index);

    // The new master: the accepted rows in input order, or the base with the accepted diff
    // rows applied, sorted by person key (stable: the base is already in that order).
    let mut base = Vec::new();
    let mut applied = Applied { added: 0, updated: 0, lost: 0 };
    if let Some(base_path) = &args.base {
        let (base_rows, mut base_index, base_replaced) =
            read_base(base_path, requested, out_enc, replace, &mut store, &progress)?;
        base = base_rows;
        replaced += base_replaced;
        applied = apply_diff(&mut base, &mut base_index, &mut rows, &mut store);
    }
    let base_rows = base.len() as u64 - applied.added;
    if diff {
        base.sort_by(|a, b| a.key.cmp(&b.key));
    }
    progress.finish();
    let master: Vec<&Checked> =
        if diff { base.iter().collect() } else { rows.iter().filter(|r| r.problems.is_empty()).collect() };
    let rejected: Vec<Rejected<'_>> = rows
        .iter()
        .filter(|r| !r.problems.is_empty())
        .map(|r| Rejected { line: r.line, key: store.record(&r.row), problems: &r.problems })
        .collect();
    let (rows_out, rows_rejected) = (master.len() as u64, rejected.len() as u64);

    // Rows in = rows out + rows rejected (SPEC §1), checked before anything is written.
    let accepted = if diff { applied.added + applied.updated + applied.lost } else { rows_out };
    if rows_in != accepted + rows_rejected || (diff && rows_out != base_rows + applied.added) {
        return Err(Error::Integrity {
            detail: format!(
                "入力 {rows_in} 行 ≠ 反映 {accepted} 行 + 却下 {rows_rejected} 行 (ベース {base_rows} 行, 出力 {rows_out} 行)"
            ),
        });
    }

    // Duplicate kinds 2 and 3 do not change the master: find them while it is written.
    // Write everything, then commit: on any error no output file is left behind.
    let (written, (kind2, kind3)) = std::thread::scope(|scope| {
        let search = scope.spawn(|| identity_duplicates(&master, as_of));
        let written = (|| -> Result<_> {
            let mut out = CsvOut::new(args.output.output.as_deref(), out_enc, replace, crlf)?;
            out.write_header(&INSURED.names().collect::<Vec<_>>())?;
            store.write_rows(master.iter().map(|r| &r.row), |bytes| out.write_raw(bytes))?;
            let errors = match &args.errors {
                Some(p) => Some(write_error_list(p, out_enc, replace, crlf, &rejected, &input_name)?),
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
    let mut lists: Vec<CsvOut> = errors.into_iter().collect();
    if let Some(p) = &args.duplicates {
        lists.push(write_duplicate_list(p, out_enc, replace, crlf, &groups, &store)?);
    }
    let problems = report_problems(&console, &input_name, &rejected);
    for l in lists {
        replaced += l.finish()?;
    }
    replaced += out.finish()?;

    let findings = (kind2.len() + kind3.len()) as u64;
    let exit_code = u8::from(args.run.strict && (rows_rejected > 0 || findings > 0));
    console.replaced(replaced);
    let mut line = format!(
        "入力 {} 行 = 反映 {} 行 + 却下 {} 行 (エラー {} 件); 出力 {} 行",
        thousands(rows_in),
        thousands(accepted),
        thousands(rows_rejected),
        thousands(problems),
        thousands(rows_out)
    );
    if diff {
        line += &format!(
            " (ベース {} 行, 新規 {}・変更 {}・喪失 {})",
            thousands(base_rows),
            thousands(applied.added),
            thousands(applied.updated),
            thousands(applied.lost)
        );
    }
    line += &format!(
        "; 重複: 同一キー {} 組, 同一保険者内の同一人物 {} 組, 保険者間の資格重複 {} 組",
        same_key_groups.len(),
        kind2.len(),
        kind3.len()
    );
    console.info(line);
    if let Some(p) = &args.run.summary_json {
        let mut extra = BTreeMap::new();
        extra.insert("errors", problems);
        extra.insert("duplicate_groups_same_key", same_key_groups.len() as u64);
        extra.insert("duplicate_groups_same_person", kind2.len() as u64);
        extra.insert("duplicate_groups_cross_insurer", kind3.len() as u64);
        if diff {
            extra.insert("base_rows", base_rows);
            extra.insert("added", applied.added);
            extra.insert("updated", applied.updated);
            extra.insert("lost", applied.lost);
        }
        Summary {
            tool: TOOL,
            command: "master",
            exit_code,
            input_encoding: in_enc.id(),
            output_encoding: out_enc.id(),
            rows_in,
            rows_out,
            rows_rejected,
            findings,
            replaced_characters: replaced,
            extra,
        }
        .write_json(p)?;
    }
    Ok(exit_code)
}

/// Reads `--base`: it must be a clean master (our own output); any problem in it is fatal.
/// Returns its rows and how many characters were replaced by 〓.
fn read_base(
    path: &Path,
    requested: InputEncoding,
    out_enc: Encoding,
    replace: bool,
    store: &mut RowStore,
    progress: &Progress,
) -> Result<(Vec<Checked>, KeyIndex, u64)> {
    let mut input = CsvInput::open(Some(path), requested, &INSURED, None)?;
    let in_enc = input.encoding();
    let checker = || RowChecker {
        layout: &INSURED,
        bufs: Default::default(),
        in_enc,
        out: TextEncoder::new(out_enc, replace),
        scratch: Vec::new(),
        as_of: None,
        diff: false,
    };
    let workers = (0..worker_count()).map(|_| checker()).collect();
    let (mut rows, index, checkers) = read_all(&mut input, workers, store, progress, expected_rows(Some(path)))?;
    index.withhold_repeated(&mut rows);
    if let Some(r) = rows.iter().find(|r| !r.problems.is_empty()) {
        let p = &r.problems[0];
        return Err(Error::InvalidReference {
            loc: Loc::cell(input.name(), r.line, p.column),
            what: "ベースマスタ",
            code: p.error.code(),
            message: p.error.message(),
        });
    }
    Ok((rows, index, checkers.iter().map(|c| c.out.replaced).sum()))
}

/// One accepted 世帯課税状況 row.
struct TaxRow {
    line: u64,
    row: RowRef,
    key: (String, String, FiscalYear),
    updated: Date,
}

fn tax(args: &TaxArgs) -> Result<u8> {
    let console = Console { tool: TOOL, quiet: args.run.quiet };
    check_distinct_outputs(&[args.output.output.as_deref(), args.errors.as_deref(), args.run.summary_json.as_deref()])?;
    let requested = args.input.input_encoding()?;
    let mapping = args.input.layout_file()?;
    let households = read_households(&args.master, requested)?;

    let mut input = CsvInput::open(args.input.input.as_deref(), requested, &layout::HOUSEHOLD_TAX, mapping.as_ref())?;
    let in_enc = input.encoding();
    let out_enc = args.output.output_encoding(in_enc)?;
    let crlf = args.output.crlf(out_enc);
    let input_name = input.name().to_string();
    let l = &layout::HOUSEHOLD_TAX;
    let mut enc = TextEncoder::new(out_enc, args.output.replace_unmappable);
    let mut scratch = Vec::new();
    let progress = Progress::new(&console, args.run.progress, "読込中");

    let mut latest: HashMap<(String, String, FiscalYear), TaxRow> = HashMap::new();
    let mut store = RowStore::new(crlf, CsvInput::file_size(args.input.input.as_deref()));
    let mut rejected: Vec<(u64, RowRef, Vec<Problem>)> = Vec::new();
    let (mut rows_in, mut superseded) = (0u64, 0u64);
    while let Some(row) = input.next_row()? {
        rows_in += 1;
        progress.tick(rows_in);
        let mut decoded = Vec::with_capacity(l.fields.len());
        for field in 0..l.fields.len() {
            decoded.push(row.text(field, l)?);
        }
        let mut norm: Vec<Cow<'_, str>> = decoded.iter().map(|d| normalize_code(d)).collect();
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
        for field in 0..l.fields.len() {
            push_field(&mut store, &mut enc, &mut scratch, &norm[field], (row.raw(field), &decoded[field], in_enc))
                .map_err(|u| Error::Unencodable {
                    loc: row.loc(l.fields[field].name),
                    encoding: out_enc.label(),
                    code: u32::from(u.0),
                })?;
        }
        let record = store.end_row();
        match (insurer, year, updated) {
            (Some(i), Some(y), Some(updated)) if problems.is_empty() => {
                let key = (i.padded8(), household, y);
                let new = TaxRow { line: row.line, row: record, key: key.clone(), updated };
                match latest.get(&key) {
                    // the later 更新日 wins; on the same day the later line wins
                    Some(old) if old.updated > updated => superseded += 1,
                    Some(_) => {
                        superseded += 1;
                        latest.insert(key, new);
                    }
                    None => {
                        latest.insert(key, new);
                    }
                }
            }
            _ => rejected.push((row.line, record, problems)),
        }
    }
    progress.finish();
    drop(input);
    let mut kept: Vec<TaxRow> = latest.into_values().collect();
    kept.sort_unstable_by(|a, b| a.key.cmp(&b.key).then(a.line.cmp(&b.line)));
    let (rows_out, rows_rejected) = (kept.len() as u64, rejected.len() as u64);
    if rows_in != rows_out + rows_rejected + superseded {
        return Err(Error::Integrity {
            detail: format!(
                "入力 {rows_in} 行 ≠ 出力 {rows_out} 行 + 却下 {rows_rejected} 行 + 更新により置換 {superseded} 行"
            ),
        });
    }

    let mut out = CsvOut::new(args.output.output.as_deref(), out_enc, args.output.replace_unmappable, crlf)?;
    out.write_header(&l.names().collect::<Vec<_>>())?;
    for r in &kept {
        out.write_raw(store.bytes(&r.row))?;
    }
    let rejected: Vec<Rejected<'_>> = rejected
        .iter()
        .map(|(line, row, problems)| Rejected {
            line: *line,
            key: ByteRecord::from(vec![&store.record(row)[ht::INSURER], b"", b"", b""]),
            problems,
        })
        .collect();
    let errors = match &args.errors {
        Some(p) => Some(write_error_list(p, out_enc, args.output.replace_unmappable, crlf, &rejected, &input_name)?),
        None => None,
    };
    let problems = report_problems(&console, &input_name, &rejected);
    let mut replaced = enc.replaced;
    if let Some(e) = errors {
        replaced += e.finish()?;
    }
    replaced += out.finish()?;
    let exit_code = u8::from(args.run.strict && rows_rejected > 0);
    console.replaced(replaced);
    console.info(format!(
        "入力 {} 行 = 出力 {} 行 + 却下 {} 行 (エラー {} 件) + 新しい更新日の行で置換 {} 行",
        thousands(rows_in),
        thousands(rows_out),
        thousands(rows_rejected),
        thousands(problems),
        thousands(superseded)
    ));
    if let Some(p) = &args.run.summary_json {
        let extra = BTreeMap::from([("errors", problems), ("superseded", superseded)]);
        Summary {
            tool: TOOL,
            command: "tax",
            exit_code,
            input_encoding: in_enc.id(),
            output_encoding: out_enc.id(),
            rows_in,
            rows_out,
            rows_rejected,
            findings: 0,
            replaced_characters: replaced,
            extra,
        }
        .write_json(p)?;
    }
    Ok(exit_code)
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
