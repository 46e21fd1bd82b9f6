//! `prune`: keep the newest N generations, by the date in the archives' names.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::PruneArgs;
use crate::console::Console;
use crate::error::{Error, Result};

/// The date in an archive's name: the first run of digits that is a date as YYYYMMDD,
/// YYYY-MM-DD or YYYYMM (a month's archive sorts before the days of that month).
pub fn name_date(name: &str) -> Option<(u16, u8, u8)> {
    let b = name.as_bytes();
    let run_at = |i: usize| b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
    let num = |i: usize, n: usize| -> u16 { b[i..i + n].iter().fold(0, |acc, d| acc * 10 + u16::from(d - b'0')) };
    let date = |y: u16, m: u16, d: u16| {
        let real = (1990..=2200).contains(&y)
            && (1..=12).contains(&m)
            && (d == 0 || jiff::civil::Date::new(y as i16, m as i8, d as i8).is_ok());
        real.then_some((y, m as u8, d as u8))
    };
    let mut i = 0;
    while i < b.len() {
        let run = run_at(i);
        if run == 0 {
            i += 1;
            continue;
        }
        let found = match run {
            8 => date(num(i, 4), num(i + 4, 2), num(i + 6, 2)),
            6 => date(num(i, 4), num(i + 4, 2), 0),
            4 if b.get(i + 4) == Some(&b'-')
                && run_at(i + 5) == 2
                && b.get(i + 7) == Some(&b'-')
                && i + 8 < b.len()
                && run_at(i + 8) == 2 =>
            {
                date(num(i, 4), num(i + 5, 2), num(i + 8, 2))
            }
            _ => None,
        };
        if found.is_some() {
            return found;
        }
        i += run;
    }
    None
}

/// The generations in `dir`: its archives (`*.zip.age` files whose name holds a date, by
/// [`name_date`]), by that date, oldest first. What prune keeps and kk-doctor counts.
pub fn generations(dir: &Path) -> Result<BTreeMap<(u16, u8, u8), Vec<PathBuf>>> {
    let mut by_date: BTreeMap<(u16, u8, u8), Vec<PathBuf>> = BTreeMap::new();
    for entry in std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let is_file = entry.file_type().is_ok_and(|t| t.is_file());
        if !is_file || !name.ends_with(".zip.age") {
            continue;
        }
        if let Some(date) = name_date(&name) {
            by_date.entry(date).or_default().push(entry.path());
        }
    }
    Ok(by_date)
}

pub fn prune(a: &PruneArgs, console: &Console) -> Result<u8> {
    let by_date = generations(&a.dir)?;
    let generations = by_date.len();
    let old = generations.saturating_sub(a.keep as usize);
    let mut removed = 0usize;
    for (_, mut files) in by_date.into_iter().take(old) {
        files.sort();
        for f in files {
            if a.dry_run {
                console.error(format!("削除予定: {}", f.display()));
            } else {
                std::fs::remove_file(&f).map_err(|e| Error::io(&f, e))?;
                console.info(format!("削除しました: {}", f.display()));
            }
            removed += 1;
        }
    }
    console.info(format!(
        "{generations} 世代中 {} 世代を残し、{removed} ファイルを{}",
        generations.min(a.keep as usize),
        if a.dry_run { "削除予定です (--dry-run)" } else { "削除しました" }
    ));
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_archive_names() {
        assert_eq!(name_date("kk-20260430.zip.age"), Some((2026, 4, 30)));
        assert_eq!(name_date("kk-2026-04-30.zip.age"), Some((2026, 4, 30)));
        assert_eq!(name_date("kk-202604.zip.age"), Some((2026, 4, 0)));
        assert_eq!(name_date("kk-20260431.zip.age"), None, "no 31 April");
        assert_eq!(name_date("backup-v2-20260501-1230.zip.age"), Some((2026, 5, 1)));
        assert_eq!(name_date("kk-123456789.zip.age"), None, "a longer number is not a date");
        assert_eq!(name_date("notes.zip.age"), None);
    }
}
