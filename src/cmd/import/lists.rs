//! The 連携エラーリスト and the 重複リスト, and the first problems shown on stderr (codes and
//! places only, never values).

use csv::ByteRecord;

use super::check::{Checked, Problem};
use crate::console::{Console, thousands};
use crate::error::{Loc, Result};
use crate::io::{CsvOut, OutputSpec, RowStore};
use crate::layout::{DUPLICATE_LIST, ERROR_LIST, insured as f};

/// A rejected row as the error list shows it: line, the person-key columns as written (the
/// first four fields of `key`), problems.
pub struct Rejected<'a> {
    pub line: u64,
    pub key: ByteRecord,
    pub problems: &'a [Problem],
}

/// Prints the first row problems on stderr (codes and places only: no values).
pub fn report_problems(console: &Console, file: &str, rows: &[Rejected<'_>]) -> u64 {
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
pub fn write_error_list(spec: &OutputSpec, rows: &[Rejected<'_>], input_name: &str) -> Result<CsvOut> {
    let mut out = CsvOut::create(spec)?;
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
                let loc = || Loc::cell(input_name, r.line, if column == "値" { p.column } else { column });
                let enc = out.encoding();
                out.encoder.encode(text, &mut scratch).map_err(|u| u.error(loc(), enc))?;
                rec.push_field(&scratch);
            }
            out.write_record(&rec)?;
        }
    }
    Ok(out)
}

/// Writes the 重複リスト: groups numbered from 1, kind 1 first, then 2, then 3.
pub fn write_duplicate_list(spec: &OutputSpec, groups: &[(u8, Vec<&Checked>)], store: &RowStore) -> Result<CsvOut> {
    let mut out = CsvOut::create(spec)?;
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
