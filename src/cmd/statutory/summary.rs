//! `summary`: 対象者数・受診者数・受診率 per insurer × sex × age band, with subtotals and 全体;
//! beside them the 特定保健指導 targets (積極的支援, 動機付け支援, their sum) by `domain::stratify`,
//! and with `--guidance` the persons who completed guidance (終了者数) and 実施率.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::year::{Counts, Year, master_person, tally, tally_line};
use super::{SummaryArgs, TOOL};
use crate::cmd::shared::reference::examined_in;
use crate::cmd::shared::{check_outputs, read_input};
use crate::console::{Console, thousands};
use crate::domain::statutory::{AGE_BANDS, Reason, age_band, format_rate, rate_tenths, report_age};
use crate::domain::stratify::Level;
use crate::error::{Error, Loc, Result};
use crate::io::{CsvInput, CsvOut};
use crate::layout::{INSURED, STATUTORY_SUMMARY};

pub fn summary(a: &SummaryArgs) -> Result<u8> {
    let console = Console { tool: TOOL, quiet: a.run.quiet };
    check_outputs(&[a.output.output.as_deref(), a.xlsx.as_deref(), a.run.summary_json.as_deref()])?;
    let xlsx_path = a.format.xlsx_path(a.output.output.as_deref(), "--format xlsx", "-o")?;
    let year = Year::load(&a.year)?;
    let fy = year.fy;
    let (examined, result_rows) = examined_in(&a.results, year.requested, fy)?;
    let levels = super::guidance::levels(&a.results, year.requested, fy)?;
    let completed = a.guidance.as_ref().map(|p| super::guidance::completed(p, year.requested)).transpose()?;
    let mut master = CsvInput::open(Some(&a.year.master), year.requested, &INSURED, None)?;
    let spec = a.output.spec(master.encoding())?;
    let mut cells: BTreeMap<(String, u8, i16), Cell> = BTreeMap::new();
    let mut counts = Counts::new();
    let mut rows_in = 0u64;
    // every insurer of the master has its rows, zeros included
    let mut insurers: BTreeSet<String> = BTreeSet::new();
    read_input(
        &mut master,
        |row, _| {
            let p = master_person(row)?;
            let st = year.standing(&p);
            let cell = st.is_ok().then(|| {
                let band = age_band(report_age(p.birth, fy).unwrap_or(40));
                let seen = examined.contains(&p.key);
                let level = if seen { levels.levels.get(&p.key).copied() } else { None };
                let done =
                    level.is_some_and(Level::is_target) && completed.as_ref().is_some_and(|c| c.contains(&p.key));
                ((p.key.insurer8().to_string(), p.sex, band), Cell::of(seen, level, done))
            });
            Ok(Some((st.err().map_or("denominator", Reason::code), cell, p.key.insurer8().to_string())))
        },
        |(code, cell, insurer)| {
            rows_in += 1;
            insurers.insert(insurer);
            *counts.entry(code).or_default() += 1;
            if let Some((key, one)) = cell {
                cells.entry(key).or_default().add(&one);
            }
        },
    )?;
    let guided = completed.is_some();
    let table = summary_table(&cells, &insurers, guided);
    let width = if guided { STATUTORY_SUMMARY.len() } else { STATUTORY_SUMMARY.len() - 2 };
    let targets: u64 = cells.values().map(|c| c.targets).sum();
    if targets != counts.get("denominator").copied().unwrap_or(0) {
        return Err(Error::Integrity { detail: format!("分母 {targets} ≠ {counts:?}") });
    }
    let replaced = write_table(a, &spec, xlsx_path.as_deref(), &table, width, master.name())?;
    let total = cells.values().fold(Cell::default(), |mut t, c| {
        t.add(c);
        t
    });
    let examined_n = total.examined;
    let guidance_line = total.guidance_line(guided, levels.bad_values);
    let lines = [
        tally_line(fy, rows_in, &counts),
        format!(
            "対象者 {} 人、受診者 {} 人、受診率 {}% (結果 {} 行)",
            thousands(targets),
            thousands(examined_n),
            rate_tenths(examined_n, targets).map(format_rate).unwrap_or_else(|| "-".into()),
            thousands(result_rows)
        ),
        guidance_line,
    ];
    counts.insert("targets", targets);
    counts.insert("examined", examined_n);
    counts.insert("guidance_active", total.active);
    counts.insert("guidance_motivational", total.motivational);
    counts.insert("guidance_undetermined", total.undetermined);
    if guided {
        counts.insert("guidance_completed", total.completed);
    }
    let n = table.len() as u64;
    let mut t = tally("summary", (master.encoding(), spec.encoding), (rows_in, n, 0), counts);
    t.replaced = replaced;
    t.finish_lines(&console, lines, a.run.summary_json.as_deref(), 0)
}

/// One cell's counts: 対象者, 受診者, and of those examined the guidance levels and completions.
#[derive(Debug, Default, Clone)]
struct Cell {
    targets: u64,
    examined: u64,
    active: u64,
    motivational: u64,
    undetermined: u64,
    completed: u64,
}

impl Cell {
    /// One target person: examined or not, the level of their checkup, guidance completed.
    fn of(examined: bool, level: Option<Level>, completed: bool) -> Cell {
        Cell {
            targets: 1,
            examined: u64::from(examined),
            active: u64::from(level == Some(Level::Active)),
            motivational: u64::from(level == Some(Level::Motivational)),
            undetermined: u64::from(level == Some(Level::Undetermined)),
            completed: u64::from(completed),
        }
    }

    fn add(&mut self, o: &Cell) {
        self.targets += o.targets;
        self.examined += o.examined;
        self.active += o.active;
        self.motivational += o.motivational;
        self.undetermined += o.undetermined;
        self.completed += o.completed;
    }

    /// The closing line on guidance (`guided`: with completions; `bad_values`: checkups with a
    /// value the rule could not read).
    fn guidance_line(&self, guided: bool, bad_values: u64) -> String {
        let targets = self.active + self.motivational;
        let mut line = format!(
            "特定保健指導 対象者 {} 人 (積極的支援 {} 人、動機付け支援 {} 人、判定不能 {} 人)",
            thousands(targets),
            thousands(self.active),
            thousands(self.motivational),
            thousands(self.undetermined)
        );
        if guided {
            let rate = rate_tenths(self.completed, targets).map(format_rate).unwrap_or_else(|| "-".into());
            line.push_str(&format!("、終了者 {} 人、実施率 {rate}%", thousands(self.completed)));
        }
        if bad_values > 0 {
            line.push_str(&format!(" (結果値の誤り {} 件: kk-stratify --errors で確認)", thousands(bad_values)));
        }
        line
    }

    /// The row's counts after the three key columns (`guided`: with 終了者数 and 実施率).
    fn columns(&self, guided: bool) -> Vec<String> {
        let guidance = self.active + self.motivational;
        let mut row = vec![
            self.targets.to_string(),
            self.examined.to_string(),
            rate_tenths(self.examined, self.targets).map(format_rate).unwrap_or_default(),
            self.active.to_string(),
            self.motivational.to_string(),
            guidance.to_string(),
        ];
        if guided {
            row.push(self.completed.to_string());
            row.push(rate_tenths(self.completed, guidance).map(format_rate).unwrap_or_default());
        }
        row
    }
}

/// Writes the table: to `-o` as CSV or a workbook (`xlsx`), and to `--xlsx` as well; returns the
/// characters replaced by 〓.
fn write_table(
    a: &SummaryArgs,
    spec: &crate::io::OutputSpec,
    xlsx: Option<&Path>,
    table: &[Vec<String>],
    width: usize,
    input_name: &str,
) -> Result<u64> {
    if let Some(path) = &a.xlsx {
        workbook(path, table, width)?;
    }
    if let Some(path) = xlsx {
        workbook(path, table, width)?;
        return Ok(0);
    }
    let mut out = CsvOut::create(spec)?;
    out.write_header(&STATUTORY_SUMMARY[..width])?;
    for row in table {
        out.write_texts(row, |_| Loc::file(input_name.to_string()))?;
    }
    out.finish()
}

/// The table as an Excel workbook (counts and rates as numbers), with a second sheet of charts
/// drawn from it: 受診率 and 特定保健指導対象者数 of 全体 by age band, men and women side by side.
fn workbook(path: &Path, table: &[Vec<String>], width: usize) -> Result<()> {
    use crate::io::xlsx::{Cell as Kind, write_sheet_and};
    let kinds: Vec<Kind> = (0..width).map(|i| if i < 3 { Kind::Text } else { Kind::Number }).collect();
    write_sheet_and(path, "集計表", &STATUTORY_SUMMARY[..width], &kinds, table, |book| charts(book, table.len()))
}

/// The chart sheet. 全体 is the table's last group: 3 sexes × (7 bands + 計) rows, so its men's
/// bands are the 24 rows before the end and its women's the 16 (sheet rows count the header).
fn charts(book: &mut rust_xlsxwriter::Workbook, rows: usize) -> std::result::Result<(), rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Chart, ChartType};
    let bands = AGE_BANDS.len() as u32;
    let Some(men) = (rows as u32).checked_sub(3 * (bands + 1)).map(|r| r + 1) else { return Ok(()) };
    let women = men + bands + 1;
    let ws = book.add_worksheet();
    ws.set_name("グラフ")?;
    for (k, (column, title, axis)) in [
        (5u16, "受診率 (全体、年齢階級・性別)", "受診率 (%)"),
        (8, "特定保健指導対象者数 (全体、年齢階級・性別)", "人"),
    ]
    .into_iter()
    .enumerate()
    {
        let mut chart = Chart::new(ChartType::Column);
        for (name, first) in [("男性", men), ("女性", women)] {
            chart.add_series().set_name(name).set_categories(("集計表", first, 2, first + bands - 1, 2)).set_values((
                "集計表",
                first,
                column,
                first + bands - 1,
                column,
            ));
        }
        chart.title().set_name(title);
        chart.y_axis().set_name(axis);
        chart.x_axis().set_name("年齢階級");
        ws.insert_chart(1 + 20 * k as u32, 1, &chart)?;
    }
    Ok(())
}

/// The headline table: per insurer (6-digit 国保 numbers shown as 6 digits), then 全体; within
/// each, 性別 1, 2, 計 × 年齢階級 40-44 … 70-74, 計. Every cell is listed, zeros included.
fn summary_table(
    cells: &BTreeMap<(String, u8, i16), Cell>,
    insurers: &BTreeSet<String>,
    guided: bool,
) -> Vec<Vec<String>> {
    let insurers: Vec<&str> = insurers.iter().map(String::as_str).collect();
    let mut table = Vec::new();
    let groups = insurers.iter().map(|i| Some(*i)).chain([None]);
    for insurer in groups {
        let shown = match insurer {
            Some(i) => crate::domain::number::shown_insurer(i).to_string(),
            None => "全体".to_string(),
        };
        for sex in [Some(1u8), Some(2), None] {
            for band in AGE_BANDS.iter().enumerate().map(|(i, b)| Some((40 + 5 * i as i16, *b))).chain([None]) {
                let mut sum = Cell::default();
                for ((i, s, b), c) in cells {
                    if insurer.is_none_or(|x| x == i)
                        && sex.is_none_or(|x| x == *s)
                        && band.is_none_or(|(x, _)| x == *b)
                    {
                        sum.add(c);
                    }
                }
                let mut row = vec![
                    shown.clone(),
                    sex.map_or("計".into(), |s| s.to_string()),
                    band.map_or("計".into(), |(_, label)| label.to_string()),
                ];
                row.extend(sum.columns(guided));
                table.push(row);
            }
        }
    }
    table
}
