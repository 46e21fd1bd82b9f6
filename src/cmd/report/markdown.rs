//! The report as Markdown (log/report.md): steps, counts per code, the listed rows by input file
//! and line, the outputs' checksums. No personal data.

use super::read::number;
use super::{Cli, Facts};

pub fn render(cli: &Cli, f: &Facts) -> String {
    let mut md = String::new();
    md.push_str(&format!("# {}\n\n", cli.title));
    let steps = &f.steps;
    if let (Some(first), Some(last)) = (steps.first(), steps.last()) {
        md.push_str(&format!("- 実行: {} 〜 {}\n", first.start, last.end));
    }
    md.push_str(&format!("- 結果: **{}**\n- 手順: {} 件\n\n", f.verdict, steps.len()));
    md.push_str("## 手順\n\n| # | 手順 | 内容 | 開始 | 終了 | 秒 | 終了コード | 入力行 | 出力行 | 却下行 | 指摘 |\n");
    md.push_str("|---|---|---|---|---|---|---|---|---|---|---|\n");
    for s in steps {
        md.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            s.no,
            s.name,
            s.what,
            s.start,
            s.end,
            s.seconds,
            s.exit,
            number(&s.summary, "rows_in"),
            number(&s.summary, "rows_out"),
            number(&s.summary, "rows_rejected"),
            number(&s.summary, "findings"),
        ));
    }
    md.push_str("\n## コード別の件数 (一覧の行数)\n\n| 元ファイル | コード | 件数 |\n|---|---|---|\n");
    for ((source, code), n) in &f.by_code {
        md.push_str(&format!("| {source} | {code} | {n} |\n"));
    }
    md.push_str("\n## 明細 (元ファイルの行とコード)\n\n");
    for (source, file, (from, to)) in &f.lists {
        let rows: Vec<&(String, u64, String)> = f.items[*from..*to].iter().collect();
        md.push_str(&format!("### {source} ← {} ({} 件)\n\n", file.display(), rows.len()));
        if rows.is_empty() {
            md.push_str("なし\n\n");
            continue;
        }
        let shown: Vec<String> = rows
            .iter()
            .take(cli.max_items)
            .map(|(_, line, code)| if *line > 0 { format!("{line}行目 {code}") } else { code.clone() })
            .collect();
        md.push_str(&shown.join(" / "));
        if rows.len() > cli.max_items {
            md.push_str(&format!(" / ほか {} 件", rows.len() - cli.max_items));
        }
        md.push_str("\n\n");
    }
    md.push_str("## 出力ファイル\n\n| ファイル | バイト | SHA-256 |\n|---|---|---|\n");
    for (p, (size, sha)) in &f.checksums {
        md.push_str(&format!("| {} | {size} | `{sha}` |\n", p.display()));
    }
    md
}
