//! The options every tool shares, declared once: input, `--encoding`, output, run options, the
//! list format, and the checks on them that come before any file is read.

use std::path::{Path, PathBuf};

use crate::domain::text::normalize_code;
use crate::domain::{FiscalYear, parse_date};
use crate::error::{Error, FieldError, Result};
use crate::io::{Encoding, InputEncoding, OutputSpec};
use crate::layout::LayoutFile;

/// `KK_ENCODING`, the one environment setting of both encodings (SPEC §1), when set.
fn kk_encoding() -> Option<String> {
    std::env::var("KK_ENCODING").ok().filter(|v| !v.is_empty())
}

/// `--encoding`: how input files are read.
#[derive(Debug, Clone, clap::Args)]
pub struct EncodingArg {
    /// 入力の文字コード: auto (BOM→UTF-8、UTF-8として正しければUTF-8、それ以外はShift_JIS(CP932)), sjis, utf8。
    /// 既定値は環境変数 KK_ENCODING、なければ auto
    #[arg(long = "encoding", value_name = "ENC")]
    pub encoding: Option<InputEncoding>,
}

impl EncodingArg {
    /// `--encoding`, else `KK_ENCODING`, else auto.
    pub fn resolve(&self) -> Result<InputEncoding> {
        if let Some(e) = self.encoding {
            return Ok(e);
        }
        match kk_encoding() {
            Some(v) => v.parse().map_err(|detail| Error::Usage { option: "KK_ENCODING", detail }),
            None => Ok(InputEncoding::Auto),
        }
    }
}

/// Input options every tool shares.
#[derive(Debug, Clone, clap::Args)]
pub struct InputArgs {
    /// 入力ファイル (省略または - で標準入力)
    #[arg(short = 'i', long = "input", value_name = "FILE")]
    pub input: Option<PathBuf>,

    #[command(flatten)]
    pub encoding: EncodingArg,

    /// 見出し名・列位置の対応表 (TOML)。docs/layouts.md 参照
    #[arg(long = "layout", value_name = "FILE.toml")]
    pub layout: Option<PathBuf>,
}

impl InputArgs {
    /// `--encoding`, else `KK_ENCODING`, else auto.
    pub fn input_encoding(&self) -> Result<InputEncoding> {
        self.encoding.resolve()
    }

    pub fn layout_file(&self) -> Result<Option<(LayoutFile, PathBuf)>> {
        self.layout.as_ref().map(|p| LayoutFile::load(p).map(|lf| (lf, p.clone()))).transpose()
    }
}

/// A list written as CSV or as an Excel workbook.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ListFormat {
    Csv,
    Xlsx,
}

impl ListFormat {
    /// The workbook path when Excel is asked for; a workbook needs a real file. The error names
    /// the format option (`flag`) and the option that takes the file (`file_option`).
    pub fn xlsx_path(self, output: Option<&Path>, flag: &'static str, file_option: &str) -> Result<Option<PathBuf>> {
        match (self, output) {
            (ListFormat::Csv, _) => Ok(None),
            (ListFormat::Xlsx, Some(p)) if p.as_os_str() != "-" => Ok(Some(p.to_path_buf())),
            (ListFormat::Xlsx, _) => Err(Error::Usage {
                option: flag,
                detail: format!("出力ファイルを {file_option} で指定してください"),
            }),
        }
    }
}

/// Output options every tool shares.
#[derive(Debug, Clone, clap::Args)]
pub struct OutputArgs {
    /// 出力ファイル (省略または - で標準出力)。一時ファイルに書いてから置き換えるため、失敗時に中途半端なファイルは残りません (権限 0600)
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// 出力の文字コード: sjis, utf8, utf8-bom。既定値は KK_ENCODING、なければ入力と同じ
    #[arg(long = "output-encoding", value_name = "ENC")]
    pub output_encoding: Option<Encoding>,

    /// Shift_JISで表せない文字をエラーにせず「〓」に置き換える (件数は標準エラーに表示)
    #[arg(long)]
    pub replace_unmappable: bool,

    /// 改行をCRLFにする (Shift_JIS出力の既定)
    #[arg(long, conflicts_with = "lf")]
    pub crlf: bool,

    /// 改行をLFにする (UTF-8出力の既定)
    #[arg(long)]
    pub lf: bool,
}

impl OutputArgs {
    /// The main output's settings for an input read in `input`: `--output-encoding`, else
    /// `KK_ENCODING` (auto means "as read"), else as read; CRLF for Shift_JIS and LF for UTF-8
    /// unless `--crlf`/`--lf`.
    pub fn spec(&self, input: Encoding) -> Result<OutputSpec> {
        let encoding = match (self.output_encoding, kk_encoding()) {
            (Some(e), _) => e,
            (None, Some(v)) if !v.eq_ignore_ascii_case("auto") => {
                v.parse().map_err(|detail| Error::Usage { option: "KK_ENCODING", detail })?
            }
            _ => input,
        };
        Ok(OutputSpec {
            path: self.output.clone(),
            encoding,
            replace: self.replace_unmappable,
            crlf: self.crlf_for(encoding),
        })
    }

    /// CRLF for Shift_JIS, LF for UTF-8, unless `--crlf`/`--lf`.
    pub fn crlf_for(&self, encoding: Encoding) -> bool {
        if self.crlf {
            true
        } else if self.lf {
            false
        } else {
            encoding.is_sjis()
        }
    }
}

/// Run options every tool shares.
#[derive(Debug, Clone, clap::Args)]
pub struct RunArgs {
    /// 却下行や指摘があれば終了コード1で終える (ジョブスケジューラ向け)
    #[arg(long)]
    pub strict: bool,

    /// 集計をJSONで書き出す (ワークフロー用)
    #[arg(long, value_name = "FILE")]
    pub summary_json: Option<PathBuf>,

    /// 進捗を表示する (端末なら既定で表示)
    #[arg(long)]
    pub progress: bool,

    /// エラー以外のメッセージを出さない
    #[arg(short = 'q', long)]
    pub quiet: bool,
}

/// A `--fy` value (西暦4桁, full-width digits allowed).
pub fn parse_fy(text: &str) -> Result<FiscalYear> {
    normalize_code(text)
        .parse()
        .map_err(|e: FieldError| Error::Usage { option: "--fy", detail: e.message().to_string() })
}

/// A date given as an option (`--as-of`, `--issue-date` …), in any accepted form.
pub fn parse_date_option(text: &str, option: &'static str) -> Result<jiff::civil::Date> {
    parse_date(&normalize_code(text)).map_err(|e| Error::Usage { option, detail: e.message().to_string() })
}

/// Checks every output of a run before anything is read: no two on one path (the later would
/// silently replace the earlier), and each one's folder exists and takes a new file. Writing over
/// an input is allowed: outputs are renamed into place only after every input has been read, so
/// `--base master.csv -o master.csv` updates a master in place.
pub fn check_outputs(outputs: &[Option<&Path>]) -> Result<()> {
    let files: Vec<&Path> = outputs.iter().flatten().copied().filter(|p| p.as_os_str() != "-").collect();
    for (i, o) in files.iter().enumerate() {
        if files[..i].contains(o) {
            return Err(Error::Usage {
                option: "-o/--errors/--duplicates/--summary-json",
                detail: format!("{} が複数の出力に指定されています", o.display()),
            });
        }
    }
    for f in files {
        crate::io::commit::check_writable(f)?;
    }
    Ok(())
}
