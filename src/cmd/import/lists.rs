//! The 連携エラーリスト and the 重複リスト, and the first problems shown on stderr (codes and
//! places only, never values).

use csv::ByteRecord;

use super::check::{Checked, MAX_FIELDS, Problem};
use crate::console::{Console, thousands};
use crate::error::{Loc, Result};
use crate::io::{CsvOut, OutputSpec, RowRef, RowStore};
use crate::layout::{DUPLICATE_LIST, ERROR_LIST, insured as f};
use crate::parallel::{each_on_thread, ranges};

/// A rejected row as the error list shows it: line, the person-key columns as written (the
/// first four fields of `key`), problems.
pub struct Rejected<'a> {
    pub line: u64,
    pub key: ByteRecord,
    pub problems: &'a [Problem],
}

/// A member of a duplicate group as the 重複リスト shows it: its line and its columns, taken
/// from its row once (the rows of a large master are scattered in memory: reading each again in
/// list order would cost more than the list).
#[derive(Clone, Copy)]
pub struct Listed {
    pub line: u64,
    /// which [`ListedRows`] holds the member's columns, and where
    part: u8,
    columns: RowRef,
}

/// The columns of the members of duplicate groups, as CSV rows (line ending included).
pub struct ListedRows {
    part: u8,
    rows: RowStore,
    line: Vec<u8>,
    /// the 元ファイル of a row of the input and of a row of `--base`, in the output encoding: as
    /// it is, and as a CSV field (quoted if need be)
    files: [(Vec<u8>, Vec<u8>); 2],
}

/// The columns of the insured layout the duplicate list shows, in its order.
const LISTED: [usize; 8] = [f::INSURER, f::KIGO, f::BANGO, f::EDABAN, f::KANA, f::BIRTH, f::SEX, f::LOST];

impl ListedRows {
    /// The `part`th of the [`ListedRows`] of a list; `capacity`: expected bytes; `files`: the
    /// names of the input and of the base, encoded.
    pub fn new(part: u8, crlf: bool, capacity: usize, files: &[Vec<u8>; 2]) -> ListedRows {
        let quoted = |name: &Vec<u8>| {
            let mut one = RowStore::new(false, 0);
            let r = one.push(&ByteRecord::from(vec![name.as_slice()]));
            let bytes = one.bytes(&r);
            (name.clone(), bytes[..bytes.len() - 1].to_vec())
        };
        let files = [quoted(&files[0]), quoted(&files[1])];
        ListedRows { part, rows: RowStore::new(crlf, capacity), line: Vec::new(), files }
    }

    /// Takes the listed columns of `r` from `store`. A row that needed no quoting (nearly all)
    /// has its fields copied as they stand, found by their commas.
    pub fn add(&mut self, r: &Checked, store: &RowStore) -> Listed {
        let columns = match store.plain(&r.row) {
            Some(plain) => {
                let mut bounds = [0usize; MAX_FIELDS + 1];
                let mut n = 1;
                for comma in memchr::memchr_iter(b',', plain).take(f::LOST + 1) {
                    bounds[n] = comma + 1;
                    n += 1;
                }
                bounds[n] = plain.len() + 1;
                let field = |c: usize| if c < n { &plain[bounds[c]..bounds[c + 1] - 1] } else { &[][..] };
                self.line.clear();
                for (k, c) in LISTED.into_iter().enumerate() {
                    if k > 0 {
                        self.line.push(b',');
                    }
                    self.line.extend_from_slice(field(c));
                }
                self.line.push(b',');
                self.line.extend_from_slice(&self.files[usize::from(r.from_base)].1);
                self.rows.csv_row(&self.line)
            }
            None => {
                let parsed = store.record(&r.row);
                for c in LISTED {
                    self.rows.field(parsed.get(c).unwrap_or_default());
                }
                self.rows.field(&self.files[usize::from(r.from_base)].0);
                self.rows.end_row()
            }
        };
        Listed { line: r.line, part: self.part, columns }
    }
}

/// Prints the first row problems on stderr (codes and places only: no values); the rest are in
/// the error list when `listed` (`--errors` was given), else the message says how to get it.
pub fn report_problems(console: &Console, file: &str, rows: &[Rejected<'_>], listed: bool) -> u64 {
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
        let rest = thousands(count - SHOWN);
        console.info(if listed {
            format!("ほか {rest} 件のエラーは --errors のファイルを見てください")
        } else {
            format!("ほか {rest} 件のエラーがあります (すべての一覧は --errors FILE で書き出せます)")
        });
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

/// Writes the 重複リスト: groups numbered from 1, kind 1 first, then 2, then 3. The rows are
/// put together on `threads` threads (a part of the groups each), then written in order.
pub fn write_duplicate_list(
    spec: &OutputSpec,
    groups: &[(u8, &[Listed])],
    listed: &[ListedRows],
    threads: usize,
) -> Result<CsvOut> {
    let mut out = CsvOut::create(spec)?;
    out.write_header(&DUPLICATE_LIST)?;
    let parts = each_on_thread(ranges(groups.len(), threads), |_, range| {
        let mut bytes = Vec::new();
        for n in range.clone() {
            let (kind, members) = groups[n];
            for m in members {
                for v in [(n + 1) as u64, u64::from(kind), m.line] {
                    bytes.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
                    bytes.push(b',');
                }
                bytes.extend_from_slice(listed[usize::from(m.part)].rows.bytes(&m.columns));
            }
        }
        bytes
    });
    for part in parts {
        out.write_raw(&part)?;
    }
    Ok(out)
}
