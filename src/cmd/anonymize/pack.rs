//! `--zip`: every file anonymized into one archive (sealed with age when asked), then
//! MANIFEST.csv, which `kk-statutory reconcile` later compares with the receipt.

use std::io::Write;
use std::path::Path;

use super::Cli;
use super::ids::Hasher;
use super::rows::anonymize_file;
use super::rules::{ANY, Plan};
use crate::console::{Console, Progress, thousands};
use crate::error::{Error, Loc, Result};
use crate::io::archive::{Seal, ZipOut, hex};
use crate::io::encoding::UTF8_BOM;
use crate::io::{CsvInput, Encoding, InputEncoding, RowStore, Sink, text_row};

/// `--zip`: every file anonymized into the archive, then MANIFEST.csv.
pub fn pack(
    cli: &Cli,
    hasher: &Hasher,
    requested: InputEncoding,
    seal: &Seal,
    path: &Path,
    progress: &Progress,
    console: &Console,
) -> Result<(u64, Encoding, Encoding, u64)> {
    let mut names: Vec<String> = Vec::new();
    for f in &cli.files {
        let name = f.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if name.is_empty() || name.eq_ignore_ascii_case("MANIFEST.csv") || names.contains(&name) {
            return Err(Error::Usage {
                option: "FILES",
                detail: format!("zip の中で名前「{name}」が重なります (MANIFEST.csv も使えません)"),
            });
        }
        names.push(name);
    }
    // every file's header is checked before the archive is started: a refused column leaves nothing
    let mut inputs = Vec::new();
    for f in &cli.files {
        let input = CsvInput::open(Some(f), requested, &ANY, None)?;
        Plan::new(input.name(), input.header(), cli)?;
        inputs.push(input);
    }
    let mut zip = ZipOut::create(path, seal)?;
    let zip_name = path.display().to_string();
    let mut manifest: Vec<[String; 3]> = Vec::new();
    let (mut total, mut replaced) = (0u64, 0u64);
    let mut encodings = (Encoding::Utf8, Encoding::Utf8);
    for (input, name) in inputs.iter_mut().zip(&names) {
        zip.start_entry(name)?;
        let w = anonymize_file(input, cli, hasher, &mut zip, &zip_name, progress, true)?;
        console.info(format!("{name}: {} 行", thousands(w.rows)));
        manifest.push([name.clone(), w.rows.to_string(), hex(&w.sha256.unwrap_or_default())]);
        total += w.rows;
        replaced += w.replaced;
        encodings = (w.in_enc, w.out_enc);
    }
    // MANIFEST.csv in Shift_JIS (CRLF) when any input was, else as the first input (a file of
    // ASCII only reads as UTF-8), unless --output-encoding says otherwise
    let read = inputs.iter().map(CsvInput::encoding);
    let basis = if read.clone().any(Encoding::is_sjis) { Encoding::Sjis } else { inputs[0].encoding() };
    let spec = cli.output.spec(basis)?;
    let out_enc = spec.encoding;
    let mut store = RowStore::new(spec.crlf, 1024);
    let mut enc = spec.encoder();
    let mut bytes = Vec::new();
    if out_enc == Encoding::Utf8Bom {
        bytes.extend_from_slice(UTF8_BOM);
    }
    let loc = Loc::file("MANIFEST.csv".to_string());
    for row in std::iter::once(MANIFEST_HEADER.map(String::from)).chain(manifest) {
        text_row(&mut store, &mut enc, &row, &loc)?;
    }
    for s in store.slices() {
        bytes.extend_from_slice(s);
    }
    zip.start_entry("MANIFEST.csv")?;
    zip.write_all(&bytes).map_err(|e| Error::io(path, e))?;
    zip.finish()?;
    if let Some(copy) = &cli.manifest {
        let mut sink = Sink::create(Some(copy))?;
        sink.write_all(&bytes).map_err(|e| Error::io(copy, e))?;
        sink.commit()?;
    }
    Ok((total, encodings.0, encodings.1, replaced + enc.replaced))
}

/// MANIFEST.csv's header (SPEC kk-anonymize `--zip`).
pub const MANIFEST_HEADER: [&str; 3] = ["ファイル名", "件数", "SHA-256"];
