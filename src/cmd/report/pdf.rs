//! The 業務完了報告書's attached report as an A4 PDF: the period, the runs of the period (a
//! failed run and the re-run that resolved it), each step with its times, exit code and counts,
//! the backup made and its verification, the 定期点検's result, the counts per code and a bar
//! chart of findings per step. Counts, codes, times and file names only: no personal data. No
//! clock and no random ID: the same logs give the same bytes.

use krilla::Document;
use krilla::page::PageSettings;

use super::read::{Step, count, number};
use super::{Cli, Facts};
use crate::cmd::shared::runlog::{Outcome, Run};
use crate::error::{Error, Result};
use crate::io::pdf::{A4, Pen, Typeface, find_font};

const MARGIN: f32 = 45.0;
const BOTTOM: f32 = A4.1 - 50.0;
const ROW: f32 = 15.0;

/// The pages being laid out: what each holds, and the current baseline.
struct Sheet {
    y: f32,
    pages: Vec<Vec<Line>>,
}

/// What is drawn, laid out page by page first (the page count goes in each footer).
enum Line {
    Text { x: f32, size: f32, text: String, y: f32 },
    Right { x: f32, size: f32, text: String, y: f32 },
    Rule { y: f32 },
    Bar { x: f32, y: f32, w: f32 },
    Shade { y: f32 },
}

impl Sheet {
    fn room(&mut self, rows: f32) {
        if self.y + rows * ROW > BOTTOM {
            self.pages.push(Vec::new());
            self.y = MARGIN + 20.0;
        }
    }
    fn push(&mut self, l: Line) {
        if self.pages.is_empty() {
            self.pages.push(Vec::new());
        }
        self.pages.last_mut().expect("a page").push(l);
    }
    fn text(&mut self, x: f32, size: f32, text: impl Into<String>) {
        let y = self.y;
        self.push(Line::Text { x, size, text: text.into(), y });
    }
    fn right(&mut self, x: f32, size: f32, text: impl Into<String>) {
        let y = self.y;
        self.push(Line::Right { x, size, text: text.into(), y });
    }
    fn heading(&mut self, text: &str) {
        self.room(3.0);
        self.y += ROW * 0.6;
        self.text(MARGIN, 11.5, text);
        self.y += ROW * 1.1;
    }
}

/// The time of an ISO timestamp (`2026-05-01T09:00:05+09:00` → `09:00:05`).
fn clock(t: &str) -> &str {
    t.split_once('T').map_or(t, |(_, rest)| rest.get(..8).unwrap_or(rest))
}

/// The step columns: label, x, right-aligned.
const STEP_COLUMNS: [(&str, f32, bool); 10] = [
    ("#", MARGIN + 2.0, false),
    ("手順", MARGIN + 22.0, false),
    ("開始", MARGIN + 150.0, false),
    ("終了", MARGIN + 200.0, false),
    ("秒", MARGIN + 272.0, true),
    ("終了コード", MARGIN + 322.0, true),
    ("入力行", MARGIN + 370.0, true),
    ("出力行", MARGIN + 415.0, true),
    ("却下行", MARGIN + 460.0, true),
    ("指摘", MARGIN + 505.0, true),
];

fn step_cells(s: &Step) -> [String; 10] {
    [
        s.no.clone(),
        s.name.clone(),
        clock(&s.start).to_string(),
        clock(&s.end).to_string(),
        s.seconds.clone(),
        s.exit.clone(),
        number(&s.summary, "rows_in"),
        number(&s.summary, "rows_out"),
        number(&s.summary, "rows_rejected"),
        number(&s.summary, "findings"),
    ]
}

/// The report as PDF bytes, in the font `--font`/`KK_FONT`/the standard paths give.
pub fn render(cli: &Cli, f: &Facts, runs: &[Run], doctor: Option<&str>) -> Result<Vec<u8>> {
    let face = Typeface::load(&find_font(cli.font.as_deref())?)?;
    let mut doc = Document::new();
    doc.set_metadata(
        krilla::metadata::Metadata::new()
            .title(format!("業務完了報告書 {}", cli.title))
            .language("ja".to_string())
            .creator("kenshin-kit kk-report".to_string()),
    );
    let mut sheet = Sheet { y: MARGIN + 20.0, pages: Vec::new() };
    let s = &mut sheet;
    s.text(MARGIN, 16.0, "業務完了報告書 (添付: 実行報告)");
    s.y += ROW * 1.6;
    s.text(MARGIN, 11.0, format!("業務: {}", cli.title));
    s.y += ROW;
    if let (Some(first), Some(last)) = (f.steps.first(), f.steps.last()) {
        s.text(MARGIN, 10.0, format!("期間: {} 〜 {}", first.start, last.end));
        s.y += ROW;
    }
    s.text(MARGIN, 10.0, format!("結果: {}", f.verdict));
    s.y += ROW;
    if let Some(d) = doctor {
        s.text(MARGIN, 10.0, format!("定期点検 (kk-doctor): {d}"));
        s.y += ROW;
    }
    backup_lines(s, &f.steps);

    s.heading("実行の履歴");
    if runs.is_empty() {
        s.text(MARGIN + 8.0, 9.5, "記録なし");
        s.y += ROW;
    }
    for (i, r) in runs.iter().enumerate() {
        let outcome = match &r.outcome {
            Outcome::Ended => "正常終了".to_string(),
            Outcome::Stopped(what) => format!("中断: {what}"),
            Outcome::Open => "終わっていない (強制終了?)".to_string(),
        };
        s.room(1.0);
        s.text(MARGIN + 8.0, 9.5, format!("{}. {} 開始 — {outcome}", i + 1, r.started));
        s.y += ROW;
    }
    let resolved = runs.last().is_some_and(|r| r.outcome == Outcome::Ended);
    if resolved && runs.iter().any(|r| matches!(r.outcome, Outcome::Stopped(_))) {
        s.text(MARGIN + 8.0, 9.5, "中断した実行は、原因を直したあとの再実行 (最後の実行) で正常に終わりました。");
        s.y += ROW;
    }

    s.heading("手順");
    s.room(2.0);
    s.push(Line::Shade { y: s.y });
    for (label, x, right) in STEP_COLUMNS {
        if right { s.right(x, 8.5, label) } else { s.text(x, 8.5, label) }
    }
    s.y += ROW;
    for step in &f.steps {
        s.room(1.0);
        for ((_, x, right), cell) in STEP_COLUMNS.iter().zip(step_cells(step)) {
            if *right { s.right(*x, 8.5, cell) } else { s.text(*x, 8.5, cell) }
        }
        let y = s.y;
        s.push(Line::Rule { y: y + 4.0 });
        s.y += ROW;
    }

    findings_chart(s, &f.steps);

    s.heading("コード別の件数 (一覧の行数)");
    if f.by_code.is_empty() {
        s.text(MARGIN + 8.0, 9.5, "なし");
        s.y += ROW;
    }
    for ((source, code), n) in &f.by_code {
        s.room(1.0);
        s.text(MARGIN + 8.0, 9.0, source.as_str());
        s.text(MARGIN + 200.0, 9.0, code.as_str());
        s.right(MARGIN + 320.0, 9.0, n.to_string());
        s.y += ROW * 0.9;
    }
    draw(&mut doc, &face, sheet.pages, &cli.title)?;
    doc.finish().map_err(|e| Error::Integrity { detail: format!("PDF: {e:?}") })
}

/// The backup generation the run made and whether it verified (from the backup steps).
fn backup_lines(s: &mut Sheet, steps: &[Step]) {
    let made = steps.iter().find(|x| x.name == "backup");
    let verified = steps.iter().find(|x| x.name == "backup_verify");
    let text = match (made, verified) {
        (None, _) => return,
        (Some(b), _) if b.exit != "0" => format!("バックアップ: 失敗 (終了コード {})", b.exit),
        (Some(b), Some(v)) if v.exit == "0" => format!("バックアップ: {} — 検証済み", b.what),
        (Some(b), Some(v)) => format!("バックアップ: {} — 検証で問題 (終了コード {})", b.what, v.exit),
        (Some(b), None) => format!("バックアップ: {} — 検証なし", b.what),
    };
    s.text(MARGIN, 10.0, text);
    s.y += ROW;
}

/// Findings per step as horizontal bars (steps with findings only).
fn findings_chart(s: &mut Sheet, steps: &[Step]) {
    let counts: Vec<(String, u64)> = steps
        .iter()
        .filter_map(|x| {
            let n = count(&x.summary, "findings")?;
            (n > 0).then(|| (format!("{} {}", x.no, x.name), n))
        })
        .collect();
    s.heading("手順ごとの指摘の件数");
    let Some(max) = counts.iter().map(|c| c.1).max() else {
        s.text(MARGIN + 8.0, 9.5, "指摘はありません");
        s.y += ROW;
        return;
    };
    let width = 300.0;
    for (label, n) in counts {
        s.room(1.0);
        s.text(MARGIN + 8.0, 9.0, label);
        let w = (width * n as f32 / max as f32).max(1.0);
        let y = s.y;
        s.push(Line::Bar { x: MARGIN + 150.0, y: y - 9.0, w });
        s.text(MARGIN + 156.0 + w, 9.0, n.to_string());
        s.y += ROW;
    }
}

fn draw(doc: &mut Document, face: &Typeface, pages: Vec<Vec<Line>>, title: &str) -> Result<()> {
    let n = pages.len();
    for (k, lines) in pages.into_iter().enumerate() {
        let settings = PageSettings::from_wh(A4.0, A4.1).ok_or_else(|| Error::Integrity { detail: "用紙".into() })?;
        let mut page = doc.start_page_with(settings);
        let mut surface = page.surface();
        let mut p = Pen { s: &mut surface, t: face };
        for l in lines {
            match l {
                Line::Text { x, size, text, y } => p.text(x, y, size, &text),
                Line::Right { x, size, text, y } => p.right(x, y, size, &text),
                Line::Rule { y } => p.hline(MARGIN, A4.0 - MARGIN, y, 0.3),
                Line::Bar { x, y, w } => p.rect(x, y, w, 10.0, Some((0x5B, 0x9B, 0xD5)), 0.0),
                Line::Shade { y } => p.rect(MARGIN, y - 11.0, A4.0 - 2.0 * MARGIN, ROW, Some((0xDD, 0xE6, 0xF1)), 0.0),
            }
        }
        p.centre(A4.0 / 2.0, A4.1 - 25.0, 8.0, &format!("{title} — {} / {n}", k + 1));
        surface.finish();
        page.finish();
    }
    Ok(())
}
