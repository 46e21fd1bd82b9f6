//! One module per tool: its arguments, its `run`, its rules. The binaries in `src/bin/` only
//! parse arguments and call [`exit`] with the result.

pub mod anonymize;
pub mod backup;
pub mod docgen;
pub mod finance;
pub mod generate;
pub mod import;
pub mod invoice_pdf;
pub mod limitcheck;
pub(crate) mod reference;
pub mod runreport;
pub mod statutory;
pub mod subsidy;
pub mod unexamined;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use std::borrow::Cow;

use crate::domain::FiscalYear;
use crate::domain::text::normalize_code;
use crate::error::{Error, FieldError, Result};
use crate::io::{CsvInput, Encoding, InputEncoding, Row, for_each_batch, worker_count};
use crate::layout::{Layout, LayoutFile};

/// Input options every tool shares.
#[derive(Debug, Clone, clap::Args)]
pub struct InputArgs {
    /// 入力ファイル (省略または - で標準入力)
    #[arg(short = 'i', long = "input", value_name = "FILE")]
    pub input: Option<PathBuf>,

    /// 入力の文字コード: auto (BOM→UTF-8、UTF-8として正しければUTF-8、それ以外はShift_JIS(CP932)), sjis, utf8。
    /// 既定値は環境変数 KK_ENCODING、なければ auto
    #[arg(long = "encoding", value_name = "ENC")]
    pub encoding: Option<InputEncoding>,

    /// 見出し名・列位置の対応表 (TOML)。docs/layouts.md 参照
    #[arg(long = "layout", value_name = "FILE.toml")]
    pub layout: Option<PathBuf>,
}

impl InputArgs {
    /// `--encoding`, else `KK_ENCODING`, else auto.
    pub fn input_encoding(&self) -> Result<InputEncoding> {
        resolve_input_encoding(self.encoding)
    }

    pub fn layout_file(&self) -> Result<Option<(LayoutFile, PathBuf)>> {
        self.layout.as_ref().map(|p| LayoutFile::load(p).map(|lf| (lf, p.clone()))).transpose()
    }
}

/// An `--encoding` flag's value, else `KK_ENCODING`, else auto.
pub fn resolve_input_encoding(flag: Option<InputEncoding>) -> Result<InputEncoding> {
    if let Some(e) = flag {
        return Ok(e);
    }
    match std::env::var("KK_ENCODING") {
        Ok(v) if !v.is_empty() => v.parse().map_err(|detail| Error::Usage { option: "KK_ENCODING", detail }),
        _ => Ok(InputEncoding::Auto),
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
    /// `--output-encoding`, else `KK_ENCODING` (auto means "as read"), else as read.
    pub fn output_encoding(&self, input: Encoding) -> Result<Encoding> {
        if let Some(e) = self.output_encoding {
            return Ok(e);
        }
        match std::env::var("KK_ENCODING") {
            Ok(v) if !v.is_empty() && !v.eq_ignore_ascii_case("auto") => {
                v.parse().map_err(|detail| Error::Usage { option: "KK_ENCODING", detail })
            }
            _ => Ok(input),
        }
    }

    /// CRLF for Shift_JIS, LF for UTF-8, unless `--crlf`/`--lf`.
    pub fn crlf(&self, enc: Encoding) -> bool {
        if self.crlf {
            true
        } else if self.lf {
            false
        } else {
            enc.is_sjis()
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

/// A code field of a row as text: normalized, borrowed from the row where nothing changes.
pub(crate) fn code_text<'r>(row: &'r Row<'_>, l: &Layout, field: usize) -> Result<Cow<'r, str>> {
    Ok(normalized(row.text(field, l)?))
}

/// [`code_text`] for the file's column `col` (a file read by its header, not a layout).
pub(crate) fn code_at<'r>(row: &'r Row<'_>, col: usize) -> Result<Cow<'r, str>> {
    Ok(normalized(row.text_at(col)?))
}

/// Decoded text as a code: NFKC and trimmed, still borrowed when nothing changes.
fn normalized(text: Cow<'_, str>) -> Cow<'_, str> {
    match text {
        Cow::Borrowed(b) => normalize_code(b),
        Cow::Owned(o) => Cow::Owned(normalize_code(&o).into_owned()),
    }
}

/// A `--fy` value (西暦4桁, full-width digits allowed).
pub(crate) fn parse_fy(text: &str) -> Result<FiscalYear> {
    normalize_code(text)
        .parse()
        .map_err(|e: FieldError| Error::Usage { option: "--fy", detail: e.message().to_string() })
}

pub(crate) fn reference_error(row: &Row<'_>, l: &Layout, field: usize, what: &'static str, e: FieldError) -> Error {
    Error::InvalidReference { loc: row.loc(l.fields[field].name), what, code: e.code(), message: e.message() }
}

/// Reads a reference file on the worker pipeline: `each` turns a row into an item, or skips it
/// (None), or stops everything (a bad value in a reference file is fatal); `keep` receives the
/// items in file order on the reading thread while workers parse the next chunks.
pub(crate) fn read_rows<T: Send>(
    path: &Path,
    requested: InputEncoding,
    l: &'static Layout,
    each: impl Fn(&Row<'_>, &mut String) -> Result<Option<T>> + Sync,
    keep: impl FnMut(T),
) -> Result<()> {
    read_input(&mut CsvInput::open(Some(path), requested, l, None)?, each, keep)
}

/// [`read_rows`] on an input already open (stdin, or a file opened with a `--layout`).
pub(crate) fn read_input<T: Send>(
    input: &mut CsvInput,
    each: impl Fn(&Row<'_>, &mut String) -> Result<Option<T>> + Sync,
    mut keep: impl FnMut(T),
) -> Result<()> {
    for_each_batch(
        input,
        (0..worker_count()).map(|_| String::new()).collect(),
        |scratch, ctx, chunk| {
            let mut items = Vec::new();
            ctx.parse_chunk(chunk, |row| {
                items.extend(each(&row, scratch)?);
                Ok(())
            })?;
            Ok(items)
        },
        |items: Vec<T>| {
            items.into_iter().for_each(&mut keep);
            Ok(())
        },
    )?;
    Ok(())
}

/// Maps a tool's result to its exit code: the error's message on stderr and 2 (or 3), a closed
/// stdout (`| head`) quietly 0.
pub fn exit(tool: &str, result: Result<u8>) -> ExitCode {
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) if e.is_broken_pipe() => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{tool}: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

/// Refuses two outputs on one path (the later would silently replace the earlier). Writing over
/// an input is allowed: outputs are renamed into place only after every input has been read, so
/// `--base master.csv -o master.csv` updates a master in place.
pub fn check_distinct_outputs(outputs: &[Option<&Path>]) -> Result<()> {
    let files: Vec<&Path> = outputs.iter().flatten().copied().filter(|p| p.as_os_str() != "-").collect();
    for (i, o) in files.iter().enumerate() {
        if files[..i].contains(o) {
            return Err(Error::Usage {
                option: "-o/--errors/--duplicates/--summary-json",
                detail: format!("{} が複数の出力に指定されています", o.display()),
            });
        }
    }
    Ok(())
}
