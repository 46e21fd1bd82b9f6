//! kk-sql — 抽出・調査・統計: SQL (SQLite, in the process) over the CSVs, read as every kk tool
//! reads them, with the domain rules as SQL functions, saved queries for the recurring requests,
//! disclosure control for answers that leave the federation, and an audit line for every run.

mod audit;
mod disclose;
mod functions;
mod load;
mod output;
mod run;
mod saved;
mod statement;

use std::path::PathBuf;

use clap::Parser;

pub use run::run;

use super::shared::{EncodingArg, ListFormat, OutputArgs, RunArgs};

pub const TOOL: &str = "kk-sql";

/// E032 for an error SQLite reports while working on `place` (a table, the database, the SQL).
fn sqlite_error(place: impl Into<String>) -> impl Fn(rusqlite::Error) -> crate::error::Error {
    let place = place.into();
    move |e| crate::error::Error::Sql { place: place.clone(), detail: e.to_string() }
}

/// 抽出・調査・統計: CSV をテーブルとして SQL (SQLite) で集計する。法定の年齢・年度・和暦・資格・対象者の判定を関数で使える
#[derive(Debug, Parser)]
#[command(
    name = TOOL,
    version,
    after_help = "\
例:
  kk-sql -t 被保険者=master.csv -t 健診結果=results.csv \"SELECT 保険者番号, count(*) AS 人数 FROM 被保険者 GROUP BY 保険者番号\"
  kk-sql --query 受診率 --param fy=2025 -t 被保険者=master.csv -t 健診結果=results.csv -o rate.csv
  kk-sql --query 受診率 --param fy=2025 -t 被保険者=master.csv -t 健診結果=results.csv --aggregate-only -o 提供用.xlsx --format xlsx
  kk-sql --db 202604.db -t 被保険者=master.csv -t 健診結果=results.csv \"SELECT count(*) AS 件数 FROM 健診結果\"
  kk-sql --db 202604.db \"SELECT 年齢階級(年度末年齢(生年月日, 2025)) AS 階級, count(*) AS 人数 FROM 被保険者 GROUP BY 階級\"
  kk-sql --query 未受診者数_郵便番号 --param fy=2025 --param as_of=2025-04-01 -t 被保険者=master.csv -t 健診結果=results.csv --min-cell 5 --audit log/kk-sql-audit.log
  kk-sql --sql-file 依頼123.sql -t 健診結果=kekka.csv --layout 健診結果=site.toml -o 回答.csv
  kk-sql --list

SQL が -- (コメント) で始まるときは、その前に -- を置いてください (kk-sql -t … -- \"-- 説明 …\")。
テーブルの列は見出しのとおりの名前です。見出しが正規レイアウトに合うファイルでは、日付の列は YYYYMMDD の文字列
(和暦なども変換)、金額・件数は整数、コードは文字列 (先頭の 0 を保ちます)、ほかは文字列です。
保険者番号と被保険者証番号のある表には列「被保険者キー」を足します (照合用。ツールと同じ比べ方)。
関数: 年齢, 年度末年齢, 報告年齢, 年度, 和暦, 年齢階級, 資格あり, 特定健診対象, 法定報告対象, 保険者番号検証,
被保険者キー, カナ正規化, 測定項目 (docs/sql.md)。
--aggregate-only: 個人を特定する列・集計でない結果を拒否し、件数 10 未満を * にします (--min-cell で変更)。
毎回、監査記録 (時刻・SQL のハッシュ・ファイルの SHA-256・出力行数; データは含みません) を --audit の
ファイル、なければ環境変数 KK_SQL_AUDIT、なければ ./log/kk-sql-audit.log (log がなければ ./kk-sql-audit.log) に追記します。
終了コード: 0 完了 / 2 入力・SQL を処理できない、または --aggregate-only に反する"
)]
pub struct Cli {
    /// SQL の文 (SELECT … または WITH …)。--query のときは不要
    #[arg(value_name = "SQL", required_unless_present_any = ["query", "list", "sql_file"])]
    pub sql: Option<String>,

    /// テーブル: 名前=ファイル (何度でも)
    #[arg(short = 't', long = "table", value_name = "NAME=FILE")]
    pub tables: Vec<String>,

    /// 保存済みの問い合わせを名前で実行する (kk-sql --list で一覧)
    #[arg(long, value_name = "NAME", conflicts_with_all = ["sql", "sql_file"])]
    pub query: Option<String>,

    /// SQL をファイルから読む
    #[arg(long = "sql-file", value_name = "FILE.sql", conflicts_with = "sql")]
    pub sql_file: Option<PathBuf>,

    /// 問い合わせのパラメータ: 名前=値 (SQL の中では :名前)
    #[arg(long = "param", value_name = "NAME=VALUE")]
    pub params: Vec<String>,

    /// 保存済みの問い合わせの一覧を表示する
    #[arg(long)]
    pub list: bool,

    #[command(flatten)]
    pub encoding: EncodingArg,

    /// テーブルの見出しの対応表: 名前=FILE.toml (docs/layouts.md)
    #[arg(long = "layout", value_name = "NAME=FILE.toml")]
    pub layouts: Vec<String>,

    #[command(flatten)]
    pub output: OutputArgs,

    /// 出力形式: csv、または xlsx (Excel。-o が必要)
    #[arg(long, value_enum, default_value = "csv")]
    pub format: ListFormat,

    /// 外部に出す集計用: 個人を特定する列・集計でない結果を拒否し、小さい件数を秘匿する
    #[arg(long)]
    pub aggregate_only: bool,

    /// この数未満の件数を * にする (--aggregate-only のときの既定値 10)。合計から引き算で分かるセルも秘匿
    #[arg(long, value_name = "N")]
    pub min_cell: Option<u32>,

    /// 監査記録の追記先
    #[arg(long, value_name = "FILE")]
    pub audit: Option<PathBuf>,

    /// 読み込んだデータベースをこのファイルに残す (次からは -t なしで問い合わせできる。権限 0600。個人情報を含むので保管に注意)
    #[arg(long, value_name = "FILE")]
    pub db: Option<PathBuf>,

    #[command(flatten)]
    pub run: RunArgs,
}
