//! kk-report — 実行報告 (業務完了報告の基礎資料): what a workflow run did, from the steps the
//! script logged, the tools' summary JSON, the lists they wrote and the output files.
//!
//! The report holds no personal data: counts, codes, line numbers, file names and checksums.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use clap::Parser;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::io::archive::hex;
use crate::io::encoding::UTF8_BOM;
use crate::io::{CsvInput, InputEncoding, RowStore, Sink};
use crate::layout::{Field, Layout};

pub const TOOL: &str = "kk-report";

/// 実行報告: ワークフローの各手順・件数・コード別の件数・出力ファイルの SHA-256 を Markdown と CSV にまとめる
#[derive(Debug, Parser)]
#[command(
    name = "kk-report",
    version,
    after_help = "\
例:
  kk-report --title '月次処理 202604' --steps log/steps.csv --list insured.csv=out/errors_insured.csv \\
      --outputs out --md log/report.md --csv log/report.csv

--steps: 番号,手順,開始,終了,秒,終了コード,集計JSON,説明 (scripts/monthly.sh・annual.sh が書く)。
--list 元ファイル=一覧: 一覧の 行番号 と コード列 (エラーコード・チェックコード・抹消事由コード・除外事由コード・
判定コード・重複種別) を読み、元ファイルの行とコードを明細に載せます。個人情報は載せません。"
)]
pub struct Cli {
    /// 報告の題 (例: 月次処理 202604)
    #[arg(long)]
    pub title: String,

    /// 手順の記録 (CSV)
    #[arg(long, value_name = "FILE")]
    pub steps: PathBuf,

    /// 元ファイル=一覧ファイル (複数可。一覧がなければ飛ばす)
    #[arg(long = "list", value_name = "SOURCE=FILE")]
    pub lists: Vec<String>,

    /// 出力ファイルを置いたフォルダ (中のファイルすべての SHA-256 を載せる)
    #[arg(long, value_name = "DIR")]
    pub outputs: Vec<PathBuf>,

    /// Markdown の報告
    #[arg(long, value_name = "FILE")]
    pub md: PathBuf,

    /// CSV の報告 (UTF-8 BOM 付き、CRLF: 種別,手順,項目,値)
    #[arg(long, value_name = "FILE")]
    pub csv: PathBuf,

    /// 明細に載せる最大行数 (一覧ごと)
    #[arg(long, default_value_t = 1000)]
    pub max_items: usize,
}

/// One logged step.
struct Step {
    no: String,
    name: String,
    start: String,
    end: String,
    seconds: String,
    exit: String,
    summary: Option<serde_json::Map<String, serde_json::Value>>,
    what: String,
}

/// Any header: columns are found by name.
static ANY: Layout = Layout { name: "一覧", fields: &[] as &[Field] };

/// Columns that hold a list's code, in the order looked for.
const CODE_COLUMNS: [&str; 6] =
    ["エラーコード", "チェックコード", "抹消事由コード", "除外事由コード", "判定コード", "重複種別"];

/// (input file, line, code) of every row of a list.
fn list_items(source: &str, path: &Path) -> Result<Vec<(String, u64, String)>> {
    let mut input = CsvInput::open(Some(path), InputEncoding::Auto, &ANY, None)?;
    let header = input.header().to_vec();
    let line_col = header.iter().position(|h| h == "行番号");
    let Some((code_col, code_name)) =
        CODE_COLUMNS.iter().find_map(|c| header.iter().position(|h| h == c).map(|i| (i, *c)))
    else {
        return Ok(Vec::new());
    };
    let enc = input.encoding();
    let mut items = Vec::new();
    while let Some(row) = input.next_row()? {
        let text = |c: usize| crate::io::encoding::decode(enc, row.raw_at(c)).map(|t| t.trim().to_string());
        let code = text(code_col).unwrap_or_default();
        if code.is_empty() {
            continue;
        }
        let code = if code_name == "重複種別" { format!("DUP{code}") } else { code };
        let line = line_col.and_then(text).and_then(|t| t.parse().ok()).unwrap_or(0);
        items.push((source.to_string(), line, code));
    }
    Ok(items)
}

fn read_steps(path: &Path) -> Result<Vec<Step>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let mut rdr = csv::ReaderBuilder::new().has_headers(true).flexible(true).from_reader(text.as_bytes());
    let mut steps = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| Error::io(path, std::io::Error::other(e.to_string())))?;
        let get = |i: usize| rec.get(i).unwrap_or("").to_string();
        let json = get(6);
        let summary = (!json.is_empty())
            .then(|| std::fs::read_to_string(&json).ok())
            .flatten()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .and_then(|v| v.as_object().cloned());
        steps.push(Step {
            no: get(0),
            name: get(1),
            start: get(2),
            end: get(3),
            seconds: get(4),
            exit: get(5),
            summary,
            what: get(7),
        });
    }
    Ok(steps)
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<_> = entries.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let p = e.path();
        match e.file_type() {
            Ok(t) if t.is_dir() => files_under(&p, out),
            Ok(t) if t.is_file() => out.push(p),
            _ => {}
        }
    }
}

fn sha256_of(path: &Path) -> Result<(u64, String)> {
    let mut f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let (mut sha, mut size, mut buf) = (Sha256::new(), 0u64, vec![0u8; 1 << 20]);
    loop {
        let n = f.read(&mut buf).map_err(|e| Error::io(path, e))?;
        if n == 0 {
            break;
        }
        sha.update(&buf[..n]);
        size += n as u64;
    }
    Ok((size, hex(&sha.finalize())))
}

fn number(summary: &Option<serde_json::Map<String, serde_json::Value>>, key: &str) -> String {
    summary.as_ref().and_then(|s| s.get(key)).and_then(|v| v.as_u64()).map(|n| n.to_string()).unwrap_or_default()
}

pub fn run(cli: &Cli) -> Result<u8> {
    let steps = read_steps(&cli.steps)?;
    let mut items: Vec<(String, u64, String)> = Vec::new();
    let mut list_names: Vec<(String, PathBuf)> = Vec::new();
    // the range of `items` each list gave
    let mut spans: Vec<(usize, usize)> = Vec::new();
    for spec in &cli.lists {
        let Some((source, file)) = spec.split_once('=') else {
            return Err(Error::Usage {
                option: "--list",
                detail: format!("「元ファイル=一覧」の形ではありません: {spec}"),
            });
        };
        let file = PathBuf::from(file);
        if file.is_file() {
            let from = items.len();
            items.extend(list_items(source, &file)?);
            spans.push((from, items.len()));
            list_names.push((source.to_string(), file));
        }
    }
    let mut outputs = Vec::new();
    for d in &cli.outputs {
        files_under(d, &mut outputs);
    }
    let checksums = outputs.iter().map(|p| sha256_of(p).map(|c| (p.clone(), c))).collect::<Result<Vec<_>>>()?;
    let mut by_code: BTreeMap<(String, String), u64> = BTreeMap::new();
    for (source, _, code) in &items {
        *by_code.entry((source.clone(), code.clone())).or_default() += 1;
    }

    // the verdict: the first step that did not end with 0
    let failed = steps.iter().find(|s| s.exit != "0");
    let verdict = match failed {
        Some(s) => format!("失敗: 手順 {} {} (終了コード {})", s.no, s.name, s.exit),
        None => "正常終了".to_string(),
    };

    let mut md = String::new();
    md.push_str(&format!("# {}\n\n", cli.title));
    if let (Some(first), Some(last)) = (steps.first(), steps.last()) {
        md.push_str(&format!("- 実行: {} 〜 {}\n", first.start, last.end));
    }
    md.push_str(&format!("- 結果: **{verdict}**\n- 手順: {} 件\n\n", steps.len()));
    md.push_str("## 手順\n\n| # | 手順 | 内容 | 開始 | 終了 | 秒 | 終了コード | 入力行 | 出力行 | 却下行 | 指摘 |\n");
    md.push_str("|---|---|---|---|---|---|---|---|---|---|---|\n");
    for s in &steps {
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
    for ((source, code), n) in &by_code {
        md.push_str(&format!("| {source} | {code} | {n} |\n"));
    }
    md.push_str("\n## 明細 (元ファイルの行とコード)\n\n");
    for (k, (source, file)) in list_names.iter().enumerate() {
        let rows: Vec<&(String, u64, String)> = items[spans[k].0..spans[k].1].iter().collect();
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
    for (p, (size, sha)) in &checksums {
        md.push_str(&format!("| {} | {size} | `{sha}` |\n", p.display()));
    }

    let mut store = RowStore::new(true, 1 << 16);
    let row = |store: &mut RowStore, fields: [&str; 4]| {
        for f in fields {
            store.field(f.as_bytes());
        }
        store.end_row();
    };
    row(&mut store, ["種別", "手順", "項目", "値"]);
    row(&mut store, ["結果", "", "判定", &verdict]);
    for s in &steps {
        let step = format!("{} {}", s.no, s.name);
        for (k, v) in [("開始", &s.start), ("終了", &s.end), ("秒", &s.seconds), ("終了コード", &s.exit)] {
            row(&mut store, ["手順", &step, k, v]);
        }
        for k in ["rows_in", "rows_out", "rows_rejected", "findings"] {
            let v = number(&s.summary, k);
            if !v.is_empty() {
                row(&mut store, ["件数", &step, k, &v]);
            }
        }
    }
    for ((source, code), n) in &by_code {
        row(&mut store, ["コード", source, code, &n.to_string()]);
    }
    for (source, line, code) in &items {
        row(&mut store, ["明細", source, &line.to_string(), code]);
    }
    for (p, (size, sha)) in &checksums {
        let name = p.display().to_string();
        row(&mut store, ["ファイル", &name, "バイト", &size.to_string()]);
        row(&mut store, ["ファイル", &name, "SHA-256", sha]);
    }

    write_file(&cli.md, &[md.as_bytes()])?;
    let mut csv_bytes: Vec<&[u8]> = vec![UTF8_BOM];
    csv_bytes.extend(store.slices());
    write_file(&cli.csv, &csv_bytes)?;
    Ok(0)
}

fn write_file(path: &Path, parts: &[&[u8]]) -> Result<()> {
    let mut sink = Sink::create(Some(path))?;
    for p in parts {
        sink.write_all(p).map_err(|e| Error::io(path, e))?;
    }
    sink.commit()
}
