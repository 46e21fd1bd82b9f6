//! kk-report — 実行報告 (業務完了報告の基礎資料): what a workflow run did, from the steps the
//! script logged, the tools' summary JSON, the lists they wrote and the output files.
//!
//! The report holds no personal data: counts, codes, line numbers, file names and checksums.

mod markdown;
mod pdf;
mod read;
mod table;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Parser;

use crate::error::{Error, Result};
use crate::io::Sink;
use crate::io::archive::sha256_of;
use crate::io::encoding::UTF8_BOM;
use read::{Step, files_under, list_items, read_steps};

pub const TOOL: &str = "kk-report";

/// 実行報告: ワークフローの各手順・件数・コード別の件数・出力ファイルの SHA-256 を Markdown と CSV にまとめる
#[derive(Debug, Parser)]
#[command(
    name = TOOL,
    version,
    after_help = "\
例:
  kk-report --title '月次処理 202604' --steps log/steps.csv --list insured.csv=out/errors_insured.csv \\
      --outputs out --md log/report.md --csv log/report.csv
  kk-report --title '月次処理 202604' --steps log/steps.csv --md log/report.md --csv log/report.csv \\
      --pdf log/report.pdf --log log/monthly.log --doctor log/00_doctor.txt --font /usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf

--steps: 番号,手順,開始,終了,秒,終了コード,集計JSON,説明 (scripts/monthly.sh・annual.sh が書く)。
--list 元ファイル=一覧: 一覧の 行番号 と コード列 (エラーコード・チェックコード・抹消事由コード・除外事由コード・
判定コード・重複種別) を読み、元ファイルの行とコードを明細に載せます。個人情報は載せません。
終了コード: 0 完了 / 2 手順の記録・一覧を読めない"
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

    /// 業務完了報告書に添える実行報告 (A4 の PDF: 期間・実行の履歴・手順ごとの時刻と件数・バックアップ・定期点検・コード別の件数・指摘の棒グラフ)
    #[arg(long, value_name = "FILE")]
    pub pdf: Option<PathBuf>,

    /// PDF のフォント (TrueType/OpenType)。省略時は KK_FONT、次に IPAexゴシック・Noto Sans CJK の標準の場所
    #[arg(long, value_name = "FILE")]
    pub font: Option<PathBuf>,

    /// スクリプトの記録 (log/monthly.log など): PDF に実行の履歴 (中断と再実行) を載せる
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,

    /// 定期点検の結果 (kk-doctor の出力): 最後の行 (結果: …) を PDF に載せる
    #[arg(long, value_name = "FILE")]
    pub doctor: Option<PathBuf>,

    /// 明細に載せる最大行数 (一覧ごと)
    #[arg(long, default_value_t = 1000)]
    pub max_items: usize,
}

/// What the report is made of, read once.
pub struct Facts {
    pub steps: Vec<Step>,
    /// (input file, line, code) of every listed row
    pub items: Vec<(String, u64, String)>,
    /// each list: its source file, the list file, the range of `items` it gave
    pub lists: Vec<(String, PathBuf, (usize, usize))>,
    /// every output file with its size and SHA-256
    pub checksums: Vec<(PathBuf, (u64, String))>,
    /// (source, code) → rows
    pub by_code: BTreeMap<(String, String), u64>,
    pub verdict: String,
}

pub fn run(cli: &Cli) -> Result<u8> {
    let facts = gather(cli)?;
    let md = markdown::render(cli, &facts);
    let csv = table::render(&facts);
    write_file(&cli.md, &[md.as_bytes()])?;
    let mut csv_bytes: Vec<&[u8]> = vec![UTF8_BOM];
    csv_bytes.extend(csv.slices());
    write_file(&cli.csv, &csv_bytes)?;
    if let Some(path) = &cli.pdf {
        let read = |p: &PathBuf| std::fs::read_to_string(p).map_err(|e| Error::io(p, e));
        let runs =
            cli.log.as_ref().map(read).transpose()?.map(|l| crate::cmd::shared::runlog::runs(&l)).unwrap_or_default();
        let doctor = cli.doctor.as_ref().map(read).transpose()?;
        let doctor = doctor.as_deref().and_then(|d| d.lines().rev().find_map(|l| l.strip_prefix("結果: ")));
        write_file(path, &[&pdf::render(cli, &facts, &runs, doctor)?])?;
    }
    Ok(0)
}

/// Reads the steps, the lists and the outputs' checksums.
fn gather(cli: &Cli) -> Result<Facts> {
    let steps = read_steps(&cli.steps)?;
    let mut items: Vec<(String, u64, String)> = Vec::new();
    let mut lists = Vec::new();
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
            lists.push((source.to_string(), file, (from, items.len())));
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
    let verdict = match steps.iter().find(|s| s.exit != "0") {
        Some(s) => format!("失敗: 手順 {} {} (終了コード {})", s.no, s.name, s.exit),
        None => "正常終了".to_string(),
    };
    Ok(Facts { steps, items, lists, checksums, by_code, verdict })
}

fn write_file(path: &Path, parts: &[&[u8]]) -> Result<()> {
    let mut sink = Sink::create(Some(path))?;
    for p in parts {
        sink.write_all(p).map_err(|e| Error::io(path, e))?;
    }
    sink.commit()
}
