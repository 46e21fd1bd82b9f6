//! kk-anonymize — データ匿名化・圧縮 (SPEC §3 kk-anonymize, DOMAIN.md "Anonymization").
//!
//! Every input column is known and has an action, or the run is refused before anything is
//! written: an identifier cannot leave by accident. The person is replaced by keyed IDs:
//! ID1 = HMAC-SHA256(key, 保険者番号 (8 digits) ␟ 記号 ␟ 番号 ␟ 枝番) and, when the file has
//! 氏名カナ, ID2 = HMAC-SHA256(key, 氏名カナ ␟ 生年月日 ␟ 性別), each field NFKC-normalized and
//! trimmed, 氏名カナ as full-width katakana without spaces, 生年月日 as YYYYMMDD, the digest as
//! 64 uppercase hex characters. Rows stream through the worker pipeline; memory stays bounded
//! whatever the file size.

use std::borrow::Cow;
use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand, ValueEnum};
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use unicode_normalization::UnicodeNormalization;

use super::{OutputArgs, RunArgs, check_distinct_outputs, code_at, resolve_input_encoding};
use crate::domain::{InsurerNumber, parse_date};
use crate::error::{Error, FieldError, Loc, Result};
use crate::io::archive::{Seal, ZipOut, hex, read_secret};
use crate::io::encoding::UTF8_BOM;
use crate::io::{
    CsvInput, Encoding, InputEncoding, Row, RowStore, Sink, TextEncoder, for_each_batch, text_row, worker_count,
};
use crate::layout::{Field, Layout};
use crate::report::{Console, Progress, Summary, thousands};

pub const TOOL: &str = "kk-anonymize";

/// データ匿名化・圧縮: 被保険者を鍵付きハッシュの ID に置き換え、識別情報を削除する
#[derive(Debug, Parser)]
#[command(
    name = "kk-anonymize",
    version,
    args_conflicts_with_subcommands = true,
    after_help = "\
例:
  kk-anonymize keygen > anon.key && chmod 600 anon.key
  kk-anonymize --key anon.key < results.csv > anonymized.csv
  kk-anonymize --key anon.key --zip houkoku.zip --recipient age1... --manifest MANIFEST.csv results.csv jogaisha.csv
  kk-anonymize --key anon.key --zip houkoku.zip --passphrase-file pass.txt results.csv

出力の列: ID1、(氏名カナがあれば) ID2、残す列 (入力の順)。
既定の扱い: 保険者番号・性別・郵便番号・健診機関番号・受診日・項目コード・項目名・結果値・単位などは残す /
被保険者証記号・被保険者証番号・枝番・氏名カナは ID に使って削除 / 氏名・住所・世帯番号・受診券整理番号・
利用券整理番号は削除 / 生年月日は --birth (既定 ym = 生年月)。
規則にない列があると何も書かずに終了します (終了コード2)。--pass 列名 (残す) か --drop 列名 (削除) を指定してください。
鍵ファイルとパスフレーズファイルは権限 600 (所有者だけが読める) でなければ使えません。
--zip: 匿名化した各ファイルと MANIFEST.csv (ファイル名, 件数, SHA-256) を zip にまとめます。
--recipient か --passphrase-file を付けると age で暗号化して OUT.zip.age に書きます (平文の zip は作りません)。
終了コード: 0 完了 / 2 入力・鍵・列の誤り (出力なし)"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// 鍵ファイル (16バイト以上、権限 600)。keygen で作れます
    #[arg(long, value_name = "FILE")]
    pub key: Option<PathBuf>,

    /// 入力ファイル (省略または - で標準入力。--zip のときは FILES で指定)
    #[arg(short = 'i', long = "input", value_name = "FILE")]
    pub input: Option<PathBuf>,

    /// 入力の文字コード: auto, sjis, utf8 (既定値は KK_ENCODING、なければ auto)
    #[arg(long = "encoding", value_name = "ENC")]
    pub encoding: Option<InputEncoding>,

    #[command(flatten)]
    pub output: OutputArgs,

    /// 生年月日の扱い: ym (生年月 YYYYMM)、year (生年 YYYY)、keep (そのまま)、drop (削除)
    #[arg(long, value_enum, default_value = "ym")]
    pub birth: BirthMode,

    /// 規則にない列を残す (複数回指定可)。識別情報の列には使えません
    #[arg(long = "pass", value_name = "COLUMN")]
    pub pass: Vec<String>,

    /// 列を削除する (複数回指定可)
    #[arg(long = "drop", value_name = "COLUMN")]
    pub drop: Vec<String>,

    /// 匿名化したファイルを MANIFEST.csv と一緒に zip にまとめる
    #[arg(long, value_name = "OUT.zip", requires = "files", conflicts_with_all = ["input", "output"])]
    pub zip: Option<PathBuf>,

    /// zip を age で暗号化する公開鍵 (age1…、複数可)
    #[arg(long, value_name = "AGE_PUBKEY", requires = "zip")]
    pub recipient: Vec<String>,

    /// zip を age のパスフレーズで暗号化する (パスフレーズを書いた権限 600 のファイル)
    #[arg(long, value_name = "FILE", requires = "zip", conflicts_with = "recipient")]
    pub passphrase_file: Option<PathBuf>,

    /// MANIFEST.csv の写しを zip の外にも書く (kk-statutory reconcile 用。個人情報は含みません)
    #[arg(long, value_name = "FILE", requires = "zip")]
    pub manifest: Option<PathBuf>,

    /// --zip に入れる入力ファイル
    #[arg(value_name = "FILES", requires = "zip")]
    pub files: Vec<PathBuf>,

    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// 新しい鍵 (32バイトの乱数を16進64文字) を標準出力に書く
    Keygen,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BirthMode {
    Ym,
    Year,
    Keep,
    Drop,
}

/// What a known column becomes by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rule {
    /// Not identifying: kept as it is.
    Keep,
    /// Part of ID1 or ID2, then dropped.
    Hash,
    /// Identifying: dropped.
    Drop,
    /// 生年月日: per `--birth`.
    Birth,
}

/// Every column name kk knows, with its default rule. Identifying columns can only be hashed,
/// dropped or cut; `--pass` cannot keep them.
const KNOWN: &[(&str, Rule)] = &[
    ("保険者番号", Rule::Keep),
    ("性別", Rule::Keep),
    ("郵便番号", Rule::Keep),
    ("健診機関番号", Rule::Keep),
    ("受診日", Rule::Keep),
    ("項目コード", Rule::Keep),
    ("項目名", Rule::Keep),
    ("結果値", Rule::Keep),
    ("単位", Rule::Keep),
    ("被保険者証記号", Rule::Hash),
    ("被保険者証番号", Rule::Hash),
    ("枝番", Rule::Hash),
    ("氏名カナ", Rule::Hash),
    ("氏名", Rule::Drop),
    ("住所", Rule::Drop),
    ("世帯番号", Rule::Drop),
    ("受診券整理番号", Rule::Drop),
    ("利用券整理番号", Rule::Drop),
    ("生年月日", Rule::Birth),
    // other result and report columns of the canonical layouts (SPEC §2) and of kk's lists
    ("資格取得日", Rule::Keep),
    ("資格喪失日", Rule::Keep),
    ("異動区分", Rule::Keep),
    ("異動日", Rule::Keep),
    ("年度", Rule::Keep),
    ("課税区分", Rule::Keep),
    ("更新日", Rule::Keep),
    ("除外事由", Rule::Keep),
    ("開始日", Rule::Keep),
    ("終了日", Rule::Keep),
    ("資格状態", Rule::Keep),
    ("結果登録状態", Rule::Keep),
    ("基準日", Rule::Keep),
    ("処理年月", Rule::Keep),
    ("契約区分", Rule::Keep),
    ("基本単価", Rule::Keep),
    ("詳細項目数", Rule::Keep),
    ("詳細単価合計", Rule::Keep),
    ("追加項目数", Rule::Keep),
    ("追加項目コード", Rule::Keep),
    ("追加単価合計", Rule::Keep),
    ("窓口負担額", Rule::Keep),
    ("請求金額", Rule::Keep),
    ("年度末年齢", Rule::Keep),
    ("年齢階級", Rule::Keep),
    ("除外事由コード", Rule::Keep),
    ("除外事由名", Rule::Keep),
    ("告示区分", Rule::Keep),
    ("除外開始日", Rule::Keep),
    ("除外終了日", Rule::Keep),
    ("行番号", Rule::Keep),
    ("対象者数", Rule::Keep),
    ("受診者数", Rule::Keep),
    ("受診率", Rule::Keep),
];

/// The file has no fixed layout: every column is read by its position in the header.
static ANY: Layout = Layout { name: "匿名化の入力", fields: &[] as &[Field] };

/// What one output column is made of.
#[derive(Debug, Clone, Copy)]
enum Out {
    /// The input column's bytes (re-encoded when the output encoding differs).
    Column(usize),
    /// 生年月日 cut per `--birth`.
    Birth(usize),
}

/// How one file is anonymized, decided from its header before any row is read.
#[derive(Debug)]
struct Plan {
    /// Columns of 保険者番号, 記号, 番号, 枝番 (記号 and 枝番 may be absent).
    id1: [Option<usize>; 4],
    /// Columns of 氏名カナ, 生年月日, 性別, when the file has 氏名カナ.
    id2: Option<[usize; 3]>,
    out: Vec<Out>,
    header: Vec<String>,
    birth: BirthMode,
}

impl Plan {
    fn new(file: &str, header: &[String], cli: &Cli) -> Result<Plan> {
        if header.is_empty() {
            return Err(Error::Empty { file: file.into() });
        }
        let col = |name: &str| header.iter().position(|h| h == name);
        let required =
            |name: &str| col(name).ok_or_else(|| Error::MissingColumn { file: file.into(), column: name.into() });
        let id1 =
            [Some(required("保険者番号")?), col("被保険者証記号"), Some(required("被保険者証番号")?), col("枝番")];
        let id2 = match col("氏名カナ") {
            Some(kana) => Some([kana, required("生年月日")?, required("性別")?]),
            None => None,
        };
        let mut out_header = vec!["ID1".to_string()];
        if id2.is_some() {
            out_header.push("ID2".into());
        }
        let mut out = Vec::new();
        for (i, name) in header.iter().enumerate() {
            let known = KNOWN.iter().find(|(n, _)| n == name).map(|(_, r)| *r);
            let rule = if cli.drop.iter().any(|d| d == name) {
                Rule::Drop
            } else if cli.pass.iter().any(|p| p == name) {
                match known {
                    None | Some(Rule::Keep) => Rule::Keep,
                    Some(_) => {
                        return Err(Error::Usage {
                            option: "--pass",
                            detail: format!("「{name}」は識別情報の列なので残せません"),
                        });
                    }
                }
            } else {
                known.ok_or_else(|| Error::UnknownColumn {
                    file: file.into(),
                    column: if name.is_empty() { format!("{}列目 (見出しなし)", i + 1) } else { name.clone() },
                })?
            };
            match (rule, cli.birth) {
                (Rule::Keep, _) | (Rule::Birth, BirthMode::Keep) => {
                    out.push(Out::Column(i));
                    out_header.push(name.clone());
                }
                (Rule::Birth, BirthMode::Ym) => {
                    out.push(Out::Birth(i));
                    out_header.push("生年月".into());
                }
                (Rule::Birth, BirthMode::Year) => {
                    out.push(Out::Birth(i));
                    out_header.push("生年".into());
                }
                (Rule::Hash | Rule::Drop, _) | (Rule::Birth, BirthMode::Drop) => {}
            }
        }
        Ok(Plan { id1, id2, out, header: out_header, birth: cli.birth })
    }
}

/// Keyed HMAC-SHA256 as 64 uppercase hex characters.
#[derive(Clone)]
struct Hasher(Hmac<Sha256>);

impl Hasher {
    fn new(key: &[u8]) -> Hasher {
        // HMAC accepts a key of any length: the error case cannot happen
        Hasher(Hmac::<Sha256>::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC takes any key length")))
    }

    /// HMAC of `parts` joined by U+001F, as hex into `out`.
    fn id(&self, parts: &[&str], out: &mut [u8; 64]) {
        let mut mac = self.0.clone();
        for (i, p) in parts.iter().enumerate() {
            if i > 0 {
                mac.update("\u{1F}".as_bytes());
            }
            mac.update(p.as_bytes());
        }
        hex_upper(&mac.finalize().into_bytes(), out);
    }
}

fn hex_upper(bytes: &[u8], out: &mut [u8]) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for (i, b) in bytes.iter().enumerate() {
        out[2 * i] = HEX[usize::from(b >> 4)];
        out[2 * i + 1] = HEX[usize::from(b & 15)];
    }
}

/// 氏名カナ as hashed: NFKC (half-width kana become full-width, ideographic spaces become
/// spaces), hiragana as katakana, every space removed.
pub fn kana_for_id(s: &str) -> String {
    s.nfkc()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            // ぁ–ゖ and ゝゞ are katakana 0x60 higher
            '\u{3041}'..='\u{3096}' | '\u{309D}' | '\u{309E}' => char::from_u32(c as u32 + 0x60).unwrap_or(c),
            c => c,
        })
        .collect()
}

/// Per-worker state: the last person's IDs (result files hold many rows per person in a row),
/// scratch buffers.
struct Worker {
    hasher: Hasher,
    encoder: TextEncoder,
    last1: (Vec<u8>, [u8; 64]),
    last2: (Vec<u8>, [u8; 64]),
    key: Vec<u8>,
    bytes: Vec<u8>,
}

impl Worker {
    fn new(hasher: Hasher, out_enc: Encoding, replace: bool) -> Worker {
        Worker {
            hasher,
            encoder: TextEncoder::new(out_enc, replace),
            last1: (Vec::new(), [0; 64]),
            last2: (Vec::new(), [0; 64]),
            key: Vec::new(),
            bytes: Vec::new(),
        }
    }
}

/// The raw bytes of `cols` joined by U+001F's byte, to recognise the same person as the
/// previous row without normalizing again.
fn raw_key(row: &Row<'_>, cols: &[Option<usize>], out: &mut Vec<u8>) {
    out.clear();
    for c in cols {
        out.extend_from_slice(c.map_or(&b""[..], |c| row.raw_at(c)));
        out.push(0x1F);
    }
}

fn bad(row: &Row<'_>, col: usize, e: FieldError) -> Error {
    Error::InvalidValue { loc: row.loc_at(col), code: e.code(), message: e.message() }
}

/// 生年月日 as a date (any form SPEC accepts).
fn birth_date(row: &Row<'_>, col: usize) -> Result<jiff::civil::Date> {
    let text = code_at(row, col)?;
    if text.is_empty() {
        return Err(bad(row, col, FieldError::Required));
    }
    parse_date(&text).map_err(|e| bad(row, col, e))
}

/// Anonymizes one row into `store`.
fn anonymize_row(w: &mut Worker, plan: &Plan, row: &Row<'_>, store: &mut RowStore) -> Result<()> {
    // ID1: the same raw key as the previous row gives the same ID
    raw_key(row, &plan.id1, &mut w.key);
    if w.key != w.last1.0 {
        let [insurer, kigo, bango, edaban] = plan.id1;
        let insurer = insurer.unwrap_or(0);
        let ins = code_at(row, insurer)?;
        InsurerNumber::check(&ins).map_err(|e| bad(row, insurer, e))?;
        let bango_col = bango.unwrap_or(0);
        let number = code_at(row, bango_col)?;
        if number.is_empty() {
            return Err(bad(row, bango_col, FieldError::Required));
        }
        let opt = |c: Option<usize>| c.map_or(Ok(Cow::Borrowed("")), |c| code_at(row, c));
        let padded = format!("{ins:0>8}");
        w.hasher.id(&[&padded, &opt(kigo)?, &number, &opt(edaban)?], &mut w.last1.1);
        w.last1.0.clone_from(&w.key);
    }
    if let Some([kana, birth, sex]) = plan.id2 {
        raw_key(row, &[Some(kana), Some(birth), Some(sex)], &mut w.key);
        if w.key != w.last2.0 {
            let name = kana_for_id(&code_at(row, kana)?);
            if name.is_empty() {
                return Err(bad(row, kana, FieldError::Required));
            }
            let born = birth_date(row, birth)?;
            let sex_text = code_at(row, sex)?;
            if !matches!(sex_text.as_ref(), "1" | "2") {
                let e = if sex_text.is_empty() { FieldError::Required } else { FieldError::Code };
                return Err(bad(row, sex, e));
            }
            let ymd = born.strftime("%Y%m%d").to_string();
            w.hasher.id(&[&name, &ymd, &sex_text], &mut w.last2.1);
            w.last2.0.clone_from(&w.key);
        }
    }
    store.field(&w.last1.1);
    if plan.id2.is_some() {
        store.field(&w.last2.1);
    }
    let in_enc = row.encoding();
    for out in &plan.out {
        match *out {
            Out::Column(c) if in_enc.same_bytes_as(w.encoder.encoding) => store.field(row.raw_at(c)),
            Out::Column(c) => {
                let text = row.text_at(c)?;
                w.bytes.clear();
                w.encoder.encode(&text, &mut w.bytes).map_err(|u| Error::Unencodable {
                    loc: row.loc_at(c),
                    encoding: w.encoder.encoding.label(),
                    code: u32::from(u.0),
                })?;
                store.field(&w.bytes);
            }
            Out::Birth(c) => {
                if code_at(row, c)?.is_empty() {
                    store.field(b"");
                } else {
                    let born = birth_date(row, c)?;
                    let cut = match plan.birth {
                        BirthMode::Year => born.strftime("%Y").to_string(),
                        _ => born.strftime("%Y%m").to_string(),
                    };
                    store.field(cut.as_bytes());
                }
            }
        }
    }
    store.end_row();
    Ok(())
}

/// One file anonymized into `sink`: the data rows written and, when asked for, the SHA-256 of
/// every byte written (one thread hashes the whole stream: only `--zip` needs it).
struct Written {
    rows: u64,
    sha256: Option<[u8; 32]>,
    in_enc: Encoding,
    out_enc: Encoding,
    replaced: u64,
}

fn anonymize_file(
    input: &mut CsvInput,
    cli: &Cli,
    hasher: &Hasher,
    sink: &mut dyn Write,
    sink_name: &str,
    progress: &Progress,
    digest: bool,
) -> Result<Written> {
    let plan = Plan::new(input.name(), input.header(), cli)?;
    let in_enc = input.encoding();
    let out_enc = cli.output.output_encoding(in_enc)?;
    let crlf = cli.output.crlf(out_enc);
    let mut digest = digest.then(Sha256::new);
    let mut write = |bytes: &[u8]| -> Result<()> {
        if let Some(d) = &mut digest {
            d.update(bytes);
        }
        sink.write_all(bytes).map_err(|e| Error::io(sink_name, e))
    };
    if out_enc == Encoding::Utf8Bom {
        write(UTF8_BOM)?;
    }
    let mut head = RowStore::new(crlf, 256);
    let loc = Loc::line(input.name().to_string(), 1);
    text_row(&mut head, &mut TextEncoder::new(out_enc, false), &plan.header, &loc)?;
    for s in head.slices() {
        write(s)?;
    }
    let mut rows = 0u64;
    let workers = (0..worker_count()).map(|_| Worker::new(hasher.clone(), out_enc, cli.output.replace_unmappable));
    let workers = for_each_batch(
        input,
        workers.collect(),
        |w, ctx, chunk| {
            let mut store = RowStore::new(crlf, chunk.bytes.len() + chunk.bytes.len() / 2);
            let mut n = 0u64;
            ctx.parse_chunk(chunk, |row| {
                n += 1;
                anonymize_row(w, &plan, &row, &mut store)
            })?;
            Ok((n, store))
        },
        |(n, store): (u64, RowStore)| {
            rows += n;
            for s in store.slices() {
                write(s)?;
            }
            progress.tick_to(rows);
            Ok(())
        },
    )?;
    let replaced = workers.iter().map(|w| w.encoder.replaced).sum();
    Ok(Written { rows, sha256: digest.map(|d| d.finalize().into()), in_enc, out_enc, replaced })
}

pub fn run(cli: &Cli) -> Result<u8> {
    let console = Console { tool: TOOL, quiet: cli.run.quiet };
    if let Some(Command::Keygen) = cli.command {
        return keygen();
    }
    let Some(key_path) = &cli.key else {
        return Err(Error::Usage {
            option: "--key",
            detail: "鍵ファイルを指定してください (作成は kk-anonymize keygen)".into(),
        });
    };
    let key = read_secret(key_path, "鍵ファイル", 16)?;
    let hasher = Hasher::new(&key);
    let requested = resolve_input_encoding(cli.encoding)?;
    let progress = Progress::new(&console, cli.run.progress, "匿名化中");
    let (summary, exit) = match &cli.zip {
        None => {
            check_distinct_outputs(&[cli.output.output.as_deref(), cli.run.summary_json.as_deref()])?;
            let mut input = CsvInput::open(cli.input.as_deref(), requested, &ANY, None)?;
            let mut sink = Sink::create(cli.output.output.as_deref())?;
            let name = sink.name();
            let w = anonymize_file(&mut input, cli, &hasher, &mut sink, &name, &progress, false)?;
            sink.commit()?;
            progress.finish();
            console.replaced(w.replaced);
            console.info(format!("{} 行を匿名化しました ({})", thousands(w.rows), input.name()));
            (summary("anonymize", w.in_enc, w.out_enc, w.rows, w.replaced), 0)
        }
        Some(zip) => {
            let seal = Seal::from_options(&cli.recipient, cli.passphrase_file.as_deref())?;
            let path = seal.file_name(zip);
            check_distinct_outputs(&[Some(&path), cli.manifest.as_deref(), cli.run.summary_json.as_deref()])?;
            let (rows, in_enc, out_enc, replaced) = pack(cli, &hasher, requested, &seal, &path, &progress, &console)?;
            progress.finish();
            console.replaced(replaced);
            console.info(format!(
                "{} ファイル {} 行を匿名化して {} に書きました{}",
                cli.files.len(),
                thousands(rows),
                path.display(),
                if seal.is_sealed() { " (age で暗号化)" } else { "" }
            ));
            (summary("zip", in_enc, out_enc, rows, replaced), 0)
        }
    };
    if let Some(p) = &cli.run.summary_json {
        summary.write_json(p)?;
    }
    Ok(exit)
}

/// Rows in = rows out: a value that cannot be anonymized stops the run instead.
fn summary(command: &'static str, in_enc: Encoding, out_enc: Encoding, rows: u64, replaced: u64) -> Summary {
    Summary {
        tool: TOOL,
        command,
        exit_code: 0,
        input_encoding: in_enc.id(),
        output_encoding: out_enc.id(),
        rows_in: rows,
        rows_out: rows,
        rows_rejected: 0,
        findings: 0,
        replaced_characters: replaced,
        extra: Default::default(),
    }
}

/// `--zip`: every file anonymized into the archive, then MANIFEST.csv.
fn pack(
    cli: &Cli,
    hasher: &Hasher,
    requested: InputEncoding,
    seal: &Seal,
    path: &Path,
    progress: &Progress,
    console: &Console,
) -> Result<(u64, Encoding, Encoding, u64)> {
    let mut names: Vec<String> = Vec::new();
    for f in &cli.files {
        let name = f.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if name.is_empty() || name.eq_ignore_ascii_case("MANIFEST.csv") || names.contains(&name) {
            return Err(Error::Usage {
                option: "FILES",
                detail: format!("zip の中で名前「{name}」が重なります (MANIFEST.csv も使えません)"),
            });
        }
        names.push(name);
    }
    // every file's header is checked before the archive is started: a refused column leaves nothing
    let mut inputs = Vec::new();
    for f in &cli.files {
        let input = CsvInput::open(Some(f), requested, &ANY, None)?;
        Plan::new(input.name(), input.header(), cli)?;
        inputs.push(input);
    }
    let mut zip = ZipOut::create(path, seal)?;
    let zip_name = path.display().to_string();
    let mut manifest: Vec<[String; 3]> = Vec::new();
    let (mut total, mut replaced) = (0u64, 0u64);
    let mut encodings = (Encoding::Utf8, Encoding::Utf8);
    for (input, name) in inputs.iter_mut().zip(&names) {
        zip.start_entry(name)?;
        let w = anonymize_file(input, cli, hasher, &mut zip, &zip_name, progress, true)?;
        console.info(format!("{name}: {} 行", thousands(w.rows)));
        manifest.push([name.clone(), w.rows.to_string(), hex(&w.sha256.unwrap_or_default())]);
        total += w.rows;
        replaced += w.replaced;
        encodings = (w.in_enc, w.out_enc);
    }
    // MANIFEST.csv in Shift_JIS (CRLF) when any input was, else as the first input (a file of
    // ASCII only reads as UTF-8), unless --output-encoding says otherwise
    let read = inputs.iter().map(CsvInput::encoding);
    let basis = if read.clone().any(Encoding::is_sjis) { Encoding::Sjis } else { inputs[0].encoding() };
    let out_enc = cli.output.output_encoding(basis)?;
    let mut store = RowStore::new(cli.output.crlf(out_enc), 1024);
    let mut enc = TextEncoder::new(out_enc, cli.output.replace_unmappable);
    let mut bytes = Vec::new();
    if out_enc == Encoding::Utf8Bom {
        bytes.extend_from_slice(UTF8_BOM);
    }
    let loc = Loc::file("MANIFEST.csv".to_string());
    for row in std::iter::once(MANIFEST_HEADER.map(String::from)).chain(manifest) {
        text_row(&mut store, &mut enc, &row, &loc)?;
    }
    for s in store.slices() {
        bytes.extend_from_slice(s);
    }
    zip.start_entry("MANIFEST.csv")?;
    zip.write_all(&bytes).map_err(|e| Error::io(path, e))?;
    zip.finish()?;
    if let Some(copy) = &cli.manifest {
        let mut sink = Sink::create(Some(copy))?;
        sink.write_all(&bytes).map_err(|e| Error::io(copy, e))?;
        sink.commit()?;
    }
    Ok((total, encodings.0, encodings.1, replaced + enc.replaced))
}

/// MANIFEST.csv's header (SPEC kk-anonymize `--zip`).
pub const MANIFEST_HEADER: [&str; 3] = ["ファイル名", "件数", "SHA-256"];

/// A new key: 32 random bytes as 64 hex characters on stdout.
fn keygen() -> Result<u8> {
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).map_err(|e| Error::io("<乱数>", std::io::Error::other(e.to_string())))?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", hex(&key)).map_err(|e| Error::io(crate::io::STDOUT_NAME, e))?;
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kana_is_full_width_katakana_without_spaces() {
        assert_eq!(kana_for_id("ﾔﾏﾀﾞ ﾀﾛｳ"), "ヤマダタロウ");
        assert_eq!(kana_for_id("ヤマダ　タロウ"), "ヤマダタロウ");
        assert_eq!(kana_for_id(" やまだ たろう "), "ヤマダタロウ");
        assert_eq!(kana_for_id("ｶﾞｯｺｳ"), "ガッコウ");
    }

    proptest::proptest! {
        /// The same katakana name hashes alike in hiragana, with any spaces, half- or full-width.
        #[test]
        fn kana_variants_give_one_form(
            name in proptest::collection::vec(proptest::sample::select(vec!['ア', 'カ', 'ガ', 'サ', 'タ', 'ナ', 'ハ', 'バ', 'パ', 'マ', 'ヤ', 'ラ', 'ワ', 'ン', 'ー', 'ッ']), 1..10),
            spaces in proptest::collection::vec(proptest::sample::select(vec!["", " ", "\u{3000}", "  "]), 10),
        ) {
            let full: String = name.iter().collect();
            let spaced: String = name.iter().zip(&spaces).map(|(c, s)| format!("{s}{c}")).collect();
            // hiragana where there is one (ー has none)
            let hira: String = full
                .chars()
                .map(|c| if ('ァ'..='ヶ').contains(&c) { char::from_u32(c as u32 - 0x60).unwrap() } else { c })
                .collect();
            let half: String = full.chars().map(|c| match c {
                'ア' => "ｱ", 'カ' => "ｶ", 'ガ' => "ｶﾞ", 'サ' => "ｻ", 'タ' => "ﾀ", 'ナ' => "ﾅ", 'ハ' => "ﾊ", 'バ' => "ﾊﾞ",
                'パ' => "ﾊﾟ", 'マ' => "ﾏ", 'ヤ' => "ﾔ", 'ラ' => "ﾗ", 'ワ' => "ﾜ", 'ン' => "ﾝ", 'ー' => "ｰ", _ => "ｯ",
            }).collect();
            let want = kana_for_id(&full);
            proptest::prop_assert_eq!(&want, &full);
            proptest::prop_assert_eq!(&kana_for_id(&spaced), &want);
            proptest::prop_assert_eq!(&kana_for_id(&hira), &want);
            proptest::prop_assert_eq!(&kana_for_id(&half), &want);
        }
    }

    #[test]
    fn hmac_matches_rfc_4231_case_2() {
        let mut out = [0u8; 64];
        Hasher::new(b"Jefe").id(&["what do ya want for nothing?"], &mut out);
        assert_eq!(
            std::str::from_utf8(&out).unwrap(),
            "5BDCC146BF60754E6A042426089575C75A003F089D2739839DEC58B964EC3843"
        );
    }

    #[test]
    fn every_known_column_has_one_rule() {
        for (i, (name, _)) in KNOWN.iter().enumerate() {
            assert!(!KNOWN[..i].iter().any(|(n, _)| n == name), "{name} twice");
        }
    }
}
