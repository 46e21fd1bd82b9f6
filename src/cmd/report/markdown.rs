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
    legend(&mut md, steps);
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
            .map(|(file, line, code)| {
                // a row of another file than the list's source says which
                let at = if file == source { String::new() } else { format!("{file} ") };
                if *line > 0 { format!("{at}{line}行目 {code}") } else { format!("{at}{code}") }
            })
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

/// What 入力行・出力行・却下行・指摘 count for each tool in the steps (from their summaries), once
/// per tool and command, in step order.
fn legend(md: &mut String, steps: &[super::read::Step]) {
    let text = |s: &super::read::Step, key: &str| super::read::text(&s.summary, key).to_string();
    let mut seen: Vec<(String, String)> = Vec::new();
    let mut lines = Vec::new();
    for s in steps {
        let id = (text(s, "tool"), text(s, "command"));
        if id.0.is_empty() || seen.contains(&id) {
            continue;
        }
        if let Some(meaning) = count_meaning(&id.0, &id.1) {
            lines.push(format!("- {} {}: {meaning}", id.0, id.1));
        }
        seen.push(id);
    }
    if lines.is_empty() {
        return;
    }
    md.push_str("\n件数の見方 (入力行 = 出力行 + 却下行 を各手順が確かめています):\n\n");
    md.push_str(&lines.join("\n"));
    md.push('\n');
}

/// What a tool's counts mean.
fn count_meaning(tool: &str, command: &str) -> Option<&'static str> {
    Some(match (tool, command) {
        ("kk-xml", "check") => "指摘 = アーカイブ全体の検査の指摘 (X2xx) の件数",
        ("kk-xml", "read") => {
            "入力行・出力行 = 健診結果の行 (1行 = 1検査項目)、指摘 = スキーマが検査しない点の指摘 (X1xx) の件数"
        }
        ("kk-import", "master") => {
            "入力行 = 被保険者ファイルの行、出力行 = マスタの行、却下行 = エラー (E1xx・E2xx) で反映しなかった行、指摘 = 重複グループ (同一保険者内の同一人物・保険者間の資格重複) の数"
        }
        ("kk-import", "tax") => "入力行 = 世帯課税状況の行、出力行 = 登録した世帯の行、却下行 = エラーの行",
        ("kk-limitcheck", _) => {
            "入力行 = 請求、出力行 = チェックリストの行、指摘 = 契約との食い違い (L1xx) の件数 (残りはエラー行)"
        }
        ("kk-finance", _) => "入力行 = 決定データの行、出力行 = 財務連動ファイルの行",
        ("kk-subsidy", _) => {
            "入力行 = 健診結果の行、出力行 = 補助金対象者リストの行、指摘 = 同じ年度に2回目以降の受診で集計しない行"
        }
        ("kk-unexamined", "list") => "入力行 = マスタの行、出力行 = 未受診者",
        ("kk-unexamined", "check") => {
            "入力行 = 連携先の行、出力行 = チェックリストの行、指摘 = マスタ等との食い違い (U1xx) の件数"
        }
        ("kk-stratify", _) => "入力行 = 健診結果の行、出力行 = 判定した健診の行 (年度外は除く)、指摘 = エラー一覧の行",
        ("kk-statutory", _) => "入力行・出力行・却下行 = その手順が読んだ行・書いた行・除いた行",
        _ => return None,
    })
}
