//! finance.toml (docs/finance.md): issuer, bank account, ledger layout and invoice settings.

use std::path::Path;

use jiff::civil::Date;
use serde::Deserialize;

use crate::domain::parse_date;
use crate::domain::text::normalize_code;
use crate::error::{Error, Result};
use crate::io::Encoding;
use crate::io::columns::{self, Column, Format};

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

/// A ledger column (io::columns).
pub type LedgerColumn = Column<LedgerField>;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LedgerConfig {
    pub format: Format,
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
        let bad = |detail: String| Error::Config { path: path.into(), detail };
        let config: Config = crate::io::toml_file(path, "日本語のキーは引用符で囲んでください: ", bad)?;
        if let Some(p) = columns::problem(config.ledger.format, &config.ledger.columns) {
            return Err(bad(format!("ledger.{p}")));
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

    pub fn holidays(&self, path: &Path) -> Result<Vec<Date>> {
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

    pub fn ledger_encoding(&self, path: &Path) -> Result<Encoding> {
        match &self.ledger.encoding {
            None => Ok(Encoding::Sjis),
            Some(e) => e.parse().map_err(|detail| Error::Config { path: path.into(), detail }),
        }
    }
}
