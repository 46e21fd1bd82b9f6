//! kk-doctor — the monthly 定期点検: tools and versions, packages and the font, key files,
//! disk, backups, the months' last runs, stray temporary files. A Japanese checklist (or JSON);
//! exit 0 healthy, 1 warnings, 2 problems.

mod checks;
mod conf;

use std::path::PathBuf;

pub use checks::{DCheck, Finding, Status};
pub use conf::SETTINGS;

use crate::error::Result;

pub const TOOL: &str = "kk-doctor";

/// 定期点検: ツール・パッケージ・フォント・鍵・ディスク・バックアップ・実行記録・一時ファイルを確かめる
#[derive(Debug, clap::Parser)]
#[command(
    name = TOOL,
    version,
    after_help = "\
例:
  kk-doctor --config /etc/kenshin-kit/kk.conf
  kk-doctor --config kk.conf --verify-backup
  kk-doctor --config kk.conf --format json > doctor.json
  kk-doctor --config kk.conf --quick

設定 (kk.conf) は月次・年次スクリプトと同じものです。空き容量の閾値は KK_DOCTOR_MIN_FREE_MB (既定 1024)。
--config がなければ、ツール・パッケージ・フォントと環境変数の設定だけを確かめます。
終了コード: 0 問題なし / 1 注意あり / 2 問題あり (または設定ファイルを読めない)"
)]
pub struct Cli {
    /// 月次・年次スクリプトの設定ファイル (KEY=VALUE)
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// 出力の形式
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,

    /// 速い点検だけ (ツールを実行せず、月ごとの使用量とバックアップの検証を省く。月次処理の最初に使う)
    #[arg(long)]
    pub quick: bool,

    /// 最新のバックアップを kk-backup verify で検証する (時間がかかります)
    #[arg(long)]
    pub verify_backup: bool,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

pub fn run(cli: &Cli) -> Result<u8> {
    let settings = conf::Settings::load(cli.config.as_deref())?;
    let bin = settings.path("KK_BIN").unwrap_or_else(|| {
        std::env::current_exe().ok().and_then(|p| p.parent().map(PathBuf::from)).unwrap_or_default()
    });
    let scope = checks::Scope {
        settings: &settings,
        bin,
        quick: cli.quick,
        verify_backup: cli.verify_backup,
        now: std::time::SystemTime::now(),
    };
    let mut f = checks::Findings::default();
    checks::tools(&scope, &mut f);
    checks::scripts(&scope, &mut f);
    checks::commands(&scope, &mut f);
    checks::keys(&scope, &mut f);
    if let Some(work) = settings.path("KK_WORK") {
        checks::disk(&scope, &work, &mut f);
        checks::backups(&scope, &work, &mut f);
        checks::runs(&work, &mut f);
        checks::temp_files(&work, &mut f);
    }
    let findings = f.0;
    let count = |s: Status| findings.iter().filter(|x| x.status == s).count();
    let (problems, warnings, oks) = (count(Status::Problem), count(Status::Warning), count(Status::Ok));
    match cli.format {
        Format::Json => {
            #[derive(serde::Serialize)]
            struct Report<'a> {
                config: Option<String>,
                problems: usize,
                warnings: usize,
                items: &'a [Finding],
            }
            let config = settings.file.as_ref().map(|p| p.display().to_string());
            let report = Report { config, problems, warnings, items: &findings };
            println!("{}", serde_json::to_string_pretty(&report).unwrap_or_default());
        }
        Format::Text => {
            let config = settings.file.as_ref().map_or("なし".to_string(), |p| p.display().to_string());
            println!("{TOOL}: 定期点検 (設定 {config})");
            if settings.path("KK_WORK").is_none() {
                println!("  (KK_WORK の設定がないので、作業フォルダ・バックアップ・実行記録は確かめていません)");
            }
            for x in &findings {
                let mark = match x.status {
                    Status::Ok => "[OK]  ",
                    Status::Warning => "[注意]",
                    Status::Problem => "[問題]",
                };
                let code = x.code.map(|c| format!("{c} ")).unwrap_or_default();
                println!("  {mark} {code}{} {}: {}", x.area, x.item, x.detail);
            }
            println!("結果: 問題 {problems} 件、注意 {warnings} 件、OK {oks} 件");
        }
    }
    Ok(if problems > 0 { 2 } else { u8::from(warnings > 0) })
}
