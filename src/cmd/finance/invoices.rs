//! The invoices: one per insurer, numbered from finance.toml, their control totals checked
//! against the input and the ledger, and the list invoices.csv.

use std::collections::BTreeMap;

use jiff::civil::Date;

use super::config::Config;
use super::decided::InsurerMonth;
use super::ledger::LedgerLine;
use std::path::Path;

use crate::domain::{FiscalYear, format_date};
use crate::error::{Error, Loc, Result};
use crate::io::{CsvOut, Encoding, OutputSpec, Sink};
use crate::layout::INVOICE_LIST;

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

pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    values.iter().fold(template.to_string(), |t, (k, v)| t.replace(&format!("{{{k}}}"), v))
}

/// Σ保険者負担額 and Σ事務手数料 of the input = of the ledger = of the invoices, per insurer
/// and overall (SPEC: exit 3 and nothing written on a mismatch).
pub fn check_control_totals(
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

/// One invoice per insurer, numbered by finance.toml's template, with the consumption tax on the
/// fee rounded down (a negative fee gives a negative tax).
pub fn make(
    months: &BTreeMap<String, InsurerMonth>,
    config: &Config,
    month: &str,
    fy: FiscalYear,
    (issue, due): (Date, Date),
) -> Vec<Invoice> {
    months
        .values()
        .map(|m| {
            let number =
                fill(&config.invoice.number, &[("fy", &fy.to_string()), ("insurer", &m.insurer), ("yyyymm", month)]);
            let fee_tax = m.fee * i64::from(config.invoice.fee_tax_percent) / 100;
            Invoice { number, issue, due, month: m.clone(), fee_tax }
        })
        .collect()
}

/// The invoice PDFs and invoices.csv in `dir`, written but not committed.
pub fn write(dir: &Path, invoices: &[Invoice], pdfs: &[(String, Vec<u8>)], month: &str) -> Result<Vec<Sink>> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let mut outputs = Vec::new();
    for (name, bytes) in pdfs {
        let path = dir.join(name);
        let mut sink = Sink::create(Some(&path))?;
        std::io::Write::write_all(&mut sink, bytes).map_err(|e| Error::io(&path, e))?;
        outputs.push(sink);
    }
    let list = dir.join("invoices.csv");
    let spec = OutputSpec { path: Some(list.clone()), encoding: Encoding::Sjis, replace: false, crlf: true };
    let mut out = CsvOut::create(&spec)?;
    out.write_header(&INVOICE_LIST)?;
    for inv in invoices {
        let m = &inv.month;
        let fields = [
            inv.number.clone(),
            m.insurer.clone(),
            m.name.clone(),
            month.to_string(),
            format_date(inv.issue),
            format_date(inv.due),
            m.count.to_string(),
            m.insurer_share.to_string(),
            m.fee.to_string(),
            inv.fee_tax.to_string(),
            inv.total().to_string(),
        ];
        out.write_texts(&fields, |i| Loc::cell(list.display().to_string(), 0, INVOICE_LIST[i]))?;
    }
    out.finish()?;
    Ok(outputs)
}

/// `請求書_<number>.pdf`, with characters Windows cannot have in a file name replaced.
pub fn pdf_name(number: &str) -> String {
    let safe: String = number
        .chars()
        .map(|c| if matches!(c, '\\' | '/' | ':' | '*' | '?' | '"' | '<' | '>' | '|') { '_' } else { c })
        .collect();
    format!("請求書_{safe}.pdf")
}
