//! 財務連動ファイル: one journal line per insurer and account, written as CSV or fixed width in
//! the layout finance.toml gives.

use std::path::Path;

use jiff::civil::Date;

use super::config::{Config, LedgerField};
use super::invoices::{Invoice, fill};
use crate::error::{Error, Loc, Result};
use crate::io::columns::{ColumnWriter, TooWide};
use crate::io::{Encoding, Sink, TextEncoder};

/// The ledger: one line per insurer × account (保険者負担額, 事務手数料, and 消費税 when taxed).
pub fn lines(invoices: &[Invoice], config: &Config, month: &str) -> Vec<LedgerLine> {
    let mut ledger = Vec::new();
    for inv in invoices {
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
                    ("yyyymm", month),
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
    ledger
}

/// One journal line of the ledger.
#[derive(Debug, Clone)]
pub struct LedgerLine {
    pub insurer8: String,
    pub account: String,
    pub sub_account: String,
    pub amount: i64,
    pub description: String,
}

pub fn write_ledger(path: &Path, config: &Config, enc: Encoding, lines: &[LedgerLine], date: &str) -> Result<Sink> {
    let cols = &config.ledger.columns;
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
    let mut writer = ColumnWriter::new(config.ledger.format, cols, TextEncoder::new(enc, false), enc.is_sjis());
    let mut bytes = Vec::new();
    let loc = |i: usize| Loc::cell(name.clone(), 0, field_name(cols[i].field));
    let too_wide = |w: TooWide| Error::Config {
        path: path.into(),
        detail: format!(
            "列「{}」の値が固定長 {} バイトを超えます ({} バイト)",
            field_name(cols[w.column].field),
            w.width,
            w.len
        ),
    };
    writer.start(config.ledger.header, field_name, &mut bytes)?;
    for l in lines {
        let values: Vec<String> = cols.iter().map(|c| value(l, c.field)).collect();
        writer.row(&values, &mut bytes, loc, too_wide)?;
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

pub fn fill_date(format: &str, d: Date) -> String {
    format
        .replace("%Y", &format!("{:04}", d.year()))
        .replace("%m", &format!("{:02}", d.month()))
        .replace("%d", &format!("{:02}", d.day()))
}
