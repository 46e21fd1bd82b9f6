//! kk-finance — 財務連動ファイル・請求書 (SPEC §3 kk-finance).
//!
//! From the month's 決定データ: the journal lines the federation's accounting system imports
//! (`--ledger`) and one invoice per insurer (`--invoices DIR`: a PDF each and `invoices.csv`). Every value is checked and the control totals — Σ保険者負担額
//! and Σ事務手数料 in = ledger = invoices, per insurer and overall — reconciled before anything is
//! written. Dates come from `--issue-date` or the month, never from the clock, so a re-run gives
//! the same bytes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clap::Parser;
use jiff::civil::Date;
use serde::Deserialize;

use super::{InputArgs, RunArgs};
use crate::domain::text::normalize_code;
use crate::domain::{
    FiscalYear, InstitutionNumber, InsurerNumber, end_of_next_month_business_day, format_date, parse_count, parse_date,
    parse_yen,
};
use crate::error::{Error, FieldError, Loc, Result};
use crate::io::{CsvInput, CsvOut, Encoding, RowStore, Sink, TextEncoder};
use crate::layout::{DECIDED, INSURERS, INVOICE_LIST, decided as d};
use crate::report::{Console, Summary, thousands};

pub const TOOL: &str = "kk-finance";

/// 財務連動ファイルと保険者への請求書を決定データから作る
#[derive(Debug, Parser)]
#[command(
    name = "kk-finance",
    version,
    after_help = "\
例:
  kk-finance --insurers insurers.csv --config finance.toml --ledger ledger.csv --invoices out/invoices < decided.csv
  kk-finance --insurers insurers.csv --config finance.toml --issue-date 2026-05-10 -i decided.csv --ledger ledger.txt

設定ファイル(finance.toml)の書き方は docs/finance.md、例は fixtures/finance.toml。
保険者負担額・事務手数料の合計が 入力 = 財務連動ファイル = 請求書 で一致しなければ終了コード3で何も書きません。
終了コード: 0 完了 / 2 入力を処理できない(保険者一覧にない保険者、金額の誤り、列の不足など) / 3 合計の不一致"
)]
pub struct Cli {
    #[command(flatten)]
    pub input: InputArgs,

    /// 保険者一覧
    #[arg(long, value_name = "FILE")]
    pub insurers: PathBuf,

    /// 設定ファイル (TOML)
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,

    /// 財務連動ファイルの出力先
    #[arg(long, value_name = "FILE")]
    pub ledger: Option<PathBuf>,

    /// 請求書の出力フォルダ (保険者ごとの PDF と一覧 invoices.csv を書く)
    #[arg(long, value_name = "DIR")]
    pub invoices: Option<PathBuf>,

    /// 請求書 PDF のフォント (TrueType/OpenType)。省略時は KK_FONT、次に IPAexゴシック・Noto Sans CJK の標準の場所
    #[arg(long, value_name = "FILE")]
    pub font: Option<PathBuf>,

    /// 発行日 (省略時は処理年月の末日)
    #[arg(long, value_name = "DATE")]
    pub issue_date: Option<String>,

    #[command(flatten)]
    pub run: RunArgs,
}

/// finance.toml (docs/finance.md).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub issuer: Issuer,
    pub ledger: LedgerConfig,
    pub invoice: InvoiceConfig,
}

/// The federation, as invoices show it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Issuer {
    pub name: String,
    #[serde(default)]
    pub postal_code: String,
    pub address: String,
    pub phone: String,
    /// 適格請求書発行事業者登録番号 (T + 13 digits), if registered.
    #[serde(default)]
    pub registration_number: String,
    pub bank: Bank,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bank {
    pub name: String,
    pub branch: String,
    /// 普通 / 当座
    pub kind: String,
    pub number: String,
    pub holder: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LedgerFormat {
    Csv,
    Fixed,
}

/// What a ledger column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum LedgerField {
    #[serde(rename = "伝票日付")]
    Date,
    #[serde(rename = "勘定科目")]
    Account,
    #[serde(rename = "補助科目")]
    SubAccount,
    #[serde(rename = "金額")]
    Amount,
    #[serde(rename = "摘要")]
    Description,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LedgerColumn {
    pub field: LedgerField,
    /// The header written for this column (CSV with `header = true`); default: the field name.
    #[serde(default)]
    pub header: Option<String>,
    /// Fixed format: width in bytes of the output encoding.
    #[serde(default)]
    pub width: Option<usize>,
    /// Fixed format: `right` aligns (amounts), else left.
    #[serde(default)]
    pub align: Option<String>,
    /// Fixed format: the padding character, `" "` or `"0"`.
    #[serde(default)]
    pub pad: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LedgerConfig {
    pub format: LedgerFormat,
    /// sjis (default), utf8, utf8-bom
    #[serde(default)]
    pub encoding: Option<String>,
    /// `%Y`, `%m`, `%d` replaced; default `%Y%m%d`
    #[serde(default)]
    pub date_format: Option<String>,
    /// CSV: write a header row
    #[serde(default)]
    pub header: bool,
    pub columns: Vec<LedgerColumn>,
    pub accounts: Accounts,
    /// 摘要: `{yyyymm}`, `{insurer}`, `{insurer_name}`, `{account_name}` replaced
    pub description: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Accounts {
    /// 勘定科目 of 保険者負担額
    pub insurer_share: String,
    /// 勘定科目 of 事務手数料
    pub fee: String,
    /// 勘定科目 of the consumption tax on the fee (needed when `fee_tax_percent` > 0)
    #[serde(default)]
    pub fee_tax: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InvoiceConfig {
    /// `{fy}`, `{insurer}`, `{yyyymm}` replaced
    pub number: String,
    /// `end_of_next_month`: the last day of the next month, moved back over weekends and holidays
    pub due: String,
    /// Holidays (YYYY-MM-DD) a due date must not fall on
    #[serde(default)]
    pub holidays: Vec<String>,
    /// Consumption tax on the 事務手数料 in percent (0 = not taxed), rounded down per invoice
    #[serde(default)]
    pub fee_tax_percent: u32,
    #[serde(default)]
    pub notes: Vec<String>,
}

impl Config {
    pub fn load(path: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let bad = |detail: String| Error::Config { path: path.into(), detail };
        let config: Config = toml::from_str(&text).map_err(|e| {
            let mut detail = e.to_string().trim_end().replace('\n', " ");
            if detail.contains("unquoted key") {
                detail.insert_str(0, "日本語のキーは引用符で囲んでください: ");
            }
            bad(detail)
        })?;
        if config.ledger.columns.is_empty() {
            return Err(bad("ledger.columns が空です".into()));
        }
        if config.ledger.format == LedgerFormat::Fixed && config.ledger.columns.iter().any(|c| c.width.is_none()) {
            return Err(bad("format = \"fixed\" では各列に width が必要です".into()));
        }
        if config.invoice.due != "end_of_next_month" {
            return Err(bad(format!("invoice.due = \"{}\" は使えません (end_of_next_month)", config.invoice.due)));
        }
        if config.invoice.fee_tax_percent > 0 && config.ledger.accounts.fee_tax.is_none() {
            return Err(bad("fee_tax_percent を指定したときは ledger.accounts.fee_tax が必要です".into()));
        }
        if config.invoice.fee_tax_percent > 100 {
            return Err(bad("fee_tax_percent は 0〜100 です".into()));
        }
        Ok(config)
    }

    fn holidays(&self, path: &Path) -> Result<Vec<Date>> {
        self.invoice
            .holidays
            .iter()
            .map(|h| {
                parse_date(&normalize_code(h)).map_err(|_| Error::Config {
                    path: path.into(),
                    detail: format!("holidays の日付「{h}」が読めません"),
                })
            })
            .collect()
    }

    fn ledger_encoding(&self, path: &Path) -> Result<Encoding> {
        match &self.ledger.encoding {
            None => Ok(Encoding::Sjis),
            Some(e) => e.parse().map_err(|detail| Error::Config { path: path.into(), detail }),
        }
    }
}

/// One insurer's month, summed from the decided rows.
#[derive(Debug, Clone, Default)]
pub struct InsurerMonth {
    /// as written in insurers.csv
    pub insurer: String,
    pub name: String,
    pub postal_code: String,
    pub address: String,
    pub department: String,
    pub count: i64,
    pub insurer_share: i64,
    pub fee: i64,
    /// (区分, 健診機関番号) → (件数, 請求金額, 窓口負担額, 保険者負担額, 事務手数料)
    pub breakdown: BTreeMap<(u8, String), [i64; 5]>,
}

/// One invoice, as invoices.csv and the PDFs show it.
#[derive(Debug, Clone)]
pub struct Invoice {
    pub number: String,
    pub issue: Date,
    pub due: Date,
    pub month: InsurerMonth,
    pub fee_tax: i64,
}

impl Invoice {
    pub fn total(&self) -> i64 {
        self.month.insurer_share + self.month.fee + self.fee_tax
    }
}

/// The decided rows, checked, summed per insurer (8-digit order); and the 処理年月.
fn read_decided(
    cli: &Cli,
    insurers: &BTreeMap<String, InsurerMonth>,
) -> Result<(String, BTreeMap<String, InsurerMonth>)> {
    let requested = cli.input.input_encoding()?;
    let mapping = cli.input.layout_file()?;
    let l = &DECIDED;
    let mut input = CsvInput::open(cli.input.input.as_deref(), requested, l, mapping.as_ref())?;
    let mut month: Option<String> = None;
    let mut out: BTreeMap<String, InsurerMonth> = BTreeMap::new();
    while let Some(row) = input.next_row()? {
        let mut v = Vec::with_capacity(l.fields.len());
        for f in 0..l.fields.len() {
            v.push(normalize_code(&row.text(f, l)?).into_owned());
        }
        let fail = |field: usize, e: FieldError| Error::InvalidValue {
            loc: row.loc(l.fields[field].name),
            code: e.code(),
            message: e.message(),
        };
        let m = &v[d::MONTH];
        if !(m.len() == 6 && m.bytes().all(|b| b.is_ascii_digit()) && parse_date(&format!("{m}01")).is_ok()) {
            return Err(fail(d::MONTH, FieldError::Format));
        }
        match &month {
            Some(first) if first != m => return Err(Error::MixedMonths { loc: row.loc(l.fields[d::MONTH].name) }),
            Some(_) => {}
            None => month = Some(m.clone()),
        }
        let insurer = v[d::INSURER].parse::<InsurerNumber>().map_err(|e| fail(d::INSURER, e))?;
        InstitutionNumber::check(&v[d::INSTITUTION]).map_err(|e| fail(d::INSTITUTION, e))?;
        let category: u8 = match v[d::CATEGORY].as_str() {
            "1" => 1,
            "2" => 2,
            "" => return Err(fail(d::CATEGORY, FieldError::Required)),
            _ => return Err(fail(d::CATEGORY, FieldError::Code)),
        };
        // negative amounts are corrections (過誤調整): carried, not dropped
        let count = parse_signed_count(&v[d::COUNT]).map_err(|e| fail(d::COUNT, e))?;
        let yen = |f: usize| parse_yen(&v[f]).map_err(|e| fail(f, e));
        let amounts = [count, yen(d::BILLED)?, yen(d::COPAY)?, yen(d::INSURER_SHARE)?, yen(d::FEE)?];
        let key = insurer.padded8();
        let Some(known) = insurers.get(&key) else {
            return Err(Error::UnknownInsurer { loc: row.loc(l.fields[d::INSURER].name) });
        };
        let entry = out.entry(key).or_insert_with(|| known.clone());
        entry.count += amounts[0];
        entry.insurer_share += amounts[3];
        entry.fee += amounts[4];
        let line = entry.breakdown.entry((category, v[d::INSTITUTION].clone())).or_insert([0; 5]);
        for (sum, a) in line.iter_mut().zip(amounts) {
            *sum += a;
        }
    }
    let month = month.ok_or_else(|| Error::Empty { file: input.name().to_string() })?;
    Ok((month, out))
}

/// 件数: digits, or a negative count on a correction row.
fn parse_signed_count(s: &str) -> std::result::Result<i64, FieldError> {
    match s.strip_prefix('-') {
        Some(rest) => parse_count(rest).map(|n| -i64::from(n)),
        None => parse_count(s).map(i64::from),
    }
}

fn read_insurers(path: &Path, cli: &Cli) -> Result<BTreeMap<String, InsurerMonth>> {
    let l = &INSURERS;
    let mut input = CsvInput::open(Some(path), cli.input.input_encoding()?, l, None)?;
    let mut out = BTreeMap::new();
    while let Some(row) = input.next_row()? {
        let text = |f: usize| -> Result<String> { Ok(normalize_code(&row.text(f, l)?).into_owned()) };
        let number = text(0)?;
        let insurer = number.parse::<InsurerNumber>().map_err(|e| Error::InvalidReference {
            loc: row.loc(l.fields[0].name),
            what: "保険者一覧",
            code: e.code(),
            message: e.message(),
        })?;
        let m = InsurerMonth {
            insurer: number,
            name: text(1)?,
            postal_code: text(2)?,
            address: text(3)?,
            department: text(4)?,
            ..InsurerMonth::default()
        };
        out.insert(insurer.padded8(), m);
    }
    Ok(out)
}

fn fill(template: &str, values: &[(&str, &str)]) -> String {
    values.iter().fold(template.to_string(), |t, (k, v)| t.replace(&format!("{{{k}}}"), v))
}

/// One journal line of the ledger.
#[derive(Debug, Clone)]
struct LedgerLine {
    insurer8: String,
    account: String,
    sub_account: String,
    amount: i64,
    description: String,
}

pub fn run(cli: &Cli) -> Result<u8> {
    let console = Console { tool: TOOL, quiet: cli.run.quiet };
    let config = Config::load(&cli.config)?;
    let holidays = config.holidays(&cli.config)?;
    let ledger_enc = config.ledger_encoding(&cli.config)?;
    let insurers = read_insurers(&cli.insurers, cli)?;
    let (month, months) = read_decided(cli, &insurers)?;
    let first_day = parse_date(&format!("{month}01")).map_err(|_| Error::Integrity { detail: month.clone() })?;
    let issue = match &cli.issue_date {
        Some(s) => parse_date(&normalize_code(s))
            .map_err(|e| Error::Usage { option: "--issue-date", detail: e.message().to_string() })?,
        None => first_day.last_of_month(),
    };
    let due = end_of_next_month_business_day(issue, &holidays);
    let fy = FiscalYear::of(first_day);

    // invoices, one per insurer
    let invoices: Vec<Invoice> = months
        .values()
        .map(|m| {
            let number =
                fill(&config.invoice.number, &[("fy", &fy.to_string()), ("insurer", &m.insurer), ("yyyymm", &month)]);
            // consumption tax on the fee, rounded down (a negative fee gives a negative tax)
            let fee_tax = m.fee * i64::from(config.invoice.fee_tax_percent) / 100;
            Invoice { number, issue, due, month: m.clone(), fee_tax }
        })
        .collect();

    // the ledger: one line per insurer × account
    let date_text = fill_date(config.ledger.date_format.as_deref().unwrap_or("%Y%m%d"), issue);
    let mut ledger: Vec<LedgerLine> = Vec::new();
    for inv in &invoices {
        let m = &inv.month;
        let mut lines = vec![
            ("保険者負担額", &config.ledger.accounts.insurer_share, m.insurer_share),
            ("事務手数料", &config.ledger.accounts.fee, m.fee),
        ];
        if let Some(tax_account) = &config.ledger.accounts.fee_tax
            && config.invoice.fee_tax_percent > 0
        {
            lines.push(("消費税", tax_account, inv.fee_tax));
        }
        for (account_name, account, amount) in lines {
            let description = fill(
                &config.ledger.description,
                &[
                    ("yyyymm", &month),
                    ("insurer", &m.insurer),
                    ("insurer_name", &m.name),
                    ("account_name", account_name),
                ],
            );
            ledger.push(LedgerLine {
                insurer8: format!("{:0>8}", m.insurer),
                account: account.clone(),
                sub_account: m.insurer.clone(),
                amount,
                description,
            });
        }
    }

    check_control_totals(&months, &ledger, &invoices, &config)?;

    // every PDF is made before anything is written
    let pdfs: Vec<(String, Vec<u8>)> = match &cli.invoices {
        Some(_) => {
            let face = super::invoice_pdf::Typeface::load(&super::invoice_pdf::find_font(cli.font.as_deref())?)?;
            invoices
                .iter()
                .map(|inv| Ok((pdf_name(&inv.number), super::invoice_pdf::render(inv, &config, &month, &face)?)))
                .collect::<Result<_>>()?
        }
        None => Vec::new(),
    };

    // write everything, then commit
    let mut outputs: Vec<Sink> = Vec::new();
    if let Some(path) = &cli.ledger {
        outputs.push(write_ledger(path, &config, ledger_enc, &ledger, &date_text)?);
    }
    if let Some(dir) = &cli.invoices {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        for (name, bytes) in &pdfs {
            let path = dir.join(name);
            let mut sink = Sink::create(Some(&path))?;
            std::io::Write::write_all(&mut sink, bytes).map_err(|e| Error::io(&path, e))?;
            outputs.push(sink);
        }
        let mut out = CsvOut::new(Some(&dir.join("invoices.csv")), Encoding::Sjis, false, true)?;
        out.write_header(&INVOICE_LIST)?;
        for inv in &invoices {
            let m = &inv.month;
            let fields = [
                inv.number.clone(),
                m.insurer.clone(),
                m.name.clone(),
                month.clone(),
                format_date(inv.issue),
                format_date(inv.due),
                m.count.to_string(),
                m.insurer_share.to_string(),
                m.fee.to_string(),
                inv.fee_tax.to_string(),
                inv.total().to_string(),
            ];
            out.write_texts(&fields, |i| {
                Loc::cell(dir.join("invoices.csv").display().to_string(), 0, INVOICE_LIST[i])
            })?;
        }
        out.finish()?;
    }
    for sink in outputs {
        sink.commit()?;
    }

    let total: i64 = invoices.iter().map(Invoice::total).sum();
    console.info(format!(
        "処理年月 {month}: 保険者 {} 件, 保険者負担額 {} 円 + 事務手数料 {} 円 (消費税 {} 円) = 請求額 {} 円; 財務連動 {} 行",
        invoices.len(),
        thousands_signed(invoices.iter().map(|i| i.month.insurer_share).sum()),
        thousands_signed(invoices.iter().map(|i| i.month.fee).sum()),
        thousands_signed(invoices.iter().map(|i| i.fee_tax).sum()),
        thousands_signed(total),
        ledger.len()
    ));
    if let Some(p) = &cli.run.summary_json {
        let extra = BTreeMap::from([("insurers", invoices.len() as u64), ("ledger_lines", ledger.len() as u64)]);
        Summary {
            tool: TOOL,
            command: "finance",
            exit_code: 0,
            input_encoding: "",
            output_encoding: ledger_enc.id(),
            rows_in: months.values().map(|m| m.breakdown.len() as u64).sum(),
            rows_out: ledger.len() as u64,
            rows_rejected: 0,
            findings: 0,
            replaced_characters: 0,
            extra,
        }
        .write_json(p)?;
    }
    Ok(0)
}

/// `請求書_<number>.pdf`, with characters Windows cannot have in a file name replaced.
fn pdf_name(number: &str) -> String {
    let safe: String = number
        .chars()
        .map(|c| if matches!(c, '\\' | '/' | ':' | '*' | '?' | '"' | '<' | '>' | '|') { '_' } else { c })
        .collect();
    format!("請求書_{safe}.pdf")
}

fn thousands_signed(n: i64) -> String {
    if n < 0 { format!("-{}", thousands(n.unsigned_abs())) } else { thousands(n as u64) }
}

fn fill_date(format: &str, d: Date) -> String {
    format
        .replace("%Y", &format!("{:04}", d.year()))
        .replace("%m", &format!("{:02}", d.month()))
        .replace("%d", &format!("{:02}", d.day()))
}

/// Σ保険者負担額 and Σ事務手数料 of the input = of the ledger = of the invoices, per insurer
/// and overall (SPEC: exit 3 and nothing written on a mismatch).
fn check_control_totals(
    months: &BTreeMap<String, InsurerMonth>,
    ledger: &[LedgerLine],
    invoices: &[Invoice],
    config: &Config,
) -> Result<()> {
    let accounts = &config.ledger.accounts;
    let mut overall = [[0i64; 2]; 3];
    for (key, m) in months {
        // three sums made separately: the input rows, the ledger lines, the invoice
        let input = m.breakdown.values().fold([0i64; 2], |t, l| [t[0] + l[3], t[1] + l[4]]);
        let in_ledger = ledger.iter().filter(|l| &l.insurer8 == key).fold([0i64; 2], |t, l| {
            let share = if l.account == accounts.insurer_share { l.amount } else { 0 };
            let fee = if l.account == accounts.fee { l.amount } else { 0 };
            [t[0] + share, t[1] + fee]
        });
        let invoice = invoices
            .iter()
            .find(|i| format!("{:0>8}", i.month.insurer) == *key)
            .map(|i| [i.month.insurer_share, i.month.fee]);
        if Some(input) != invoice || input != in_ledger {
            return Err(Error::Integrity {
                detail: format!("保険者 {key}: 入力 {input:?} / 財務連動 {in_ledger:?} / 請求書 {invoice:?}"),
            });
        }
        for (o, t) in overall.iter_mut().zip([input, in_ledger, invoice.unwrap_or_default()]) {
            o[0] += t[0];
            o[1] += t[1];
        }
    }
    if invoices.len() != months.len() || overall[0] != overall[1] || overall[1] != overall[2] {
        return Err(Error::Integrity { detail: format!("合計: {overall:?}") });
    }
    Ok(())
}

fn write_ledger(path: &Path, config: &Config, enc: Encoding, lines: &[LedgerLine], date: &str) -> Result<Sink> {
    let cols = &config.ledger.columns;
    let crlf = enc.is_sjis();
    let value = |l: &LedgerLine, f: LedgerField| -> String {
        match f {
            LedgerField::Date => date.to_string(),
            LedgerField::Account => l.account.clone(),
            LedgerField::SubAccount => l.sub_account.clone(),
            LedgerField::Amount => l.amount.to_string(),
            LedgerField::Description => l.description.clone(),
        }
    };
    let mut sink = Sink::create(Some(path))?;
    let name = path.display().to_string();
    let mut encoder = TextEncoder::new(enc, false);
    let mut bytes = Vec::new();
    let unencodable = |u: crate::io::Unmappable, column: &str| Error::Unencodable {
        loc: Loc::cell(name.clone(), 0, column),
        encoding: enc.label(),
        code: u32::from(u.0),
    };
    match config.ledger.format {
        LedgerFormat::Csv => {
            let mut store = RowStore::new(crlf, 0);
            let mut scratch = Vec::new();
            let mut rows: Vec<Vec<String>> = Vec::new();
            if config.ledger.header {
                rows.push(
                    cols.iter().map(|c| c.header.clone().unwrap_or_else(|| field_name(c.field).to_string())).collect(),
                );
            }
            rows.extend(lines.iter().map(|l| cols.iter().map(|c| value(l, c.field)).collect()));
            for row in &rows {
                for (text, c) in row.iter().zip(cols) {
                    scratch.clear();
                    encoder.encode(text, &mut scratch).map_err(|u| unencodable(u, field_name(c.field)))?;
                    store.field(&scratch);
                }
                let r = store.end_row();
                bytes.extend_from_slice(store.bytes(&r));
            }
        }
        LedgerFormat::Fixed => {
            for l in lines {
                for c in cols {
                    let width = c.width.unwrap_or(0);
                    let mut field = Vec::new();
                    encoder.encode(&value(l, c.field), &mut field).map_err(|u| unencodable(u, field_name(c.field)))?;
                    if field.len() > width {
                        return Err(Error::Config {
                            path: path.into(),
                            detail: format!(
                                "列「{}」の値が固定長 {width} バイトを超えます ({} バイト)",
                                field_name(c.field),
                                field.len()
                            ),
                        });
                    }
                    let pad = if c.pad.as_deref() == Some("0") { b'0' } else { b' ' };
                    let padding = std::iter::repeat_n(pad, width - field.len());
                    if c.align.as_deref() == Some("right") {
                        // zero padding goes after the sign: -0001100, not 000-1100
                        let sign = pad == b'0' && field.first() == Some(&b'-');
                        if sign {
                            bytes.push(b'-');
                        }
                        bytes.extend(padding);
                        bytes.extend_from_slice(&field[usize::from(sign)..]);
                    } else {
                        bytes.extend_from_slice(&field);
                        bytes.extend(padding);
                    }
                }
                bytes.extend_from_slice(if crlf { b"\r\n" } else { b"\n" });
            }
        }
    }
    if enc == Encoding::Utf8Bom {
        bytes.splice(0..0, crate::io::encoding::UTF8_BOM.iter().copied());
    }
    std::io::Write::write_all(&mut sink, &bytes).map_err(|e| Error::io(path, e))?;
    Ok(sink)
}

fn field_name(f: LedgerField) -> &'static str {
    match f {
        LedgerField::Date => "伝票日付",
        LedgerField::Account => "勘定科目",
        LedgerField::SubAccount => "補助科目",
        LedgerField::Amount => "金額",
        LedgerField::Description => "摘要",
    }
}
