//! The XML files named on the command line: zip archives read entry by entry (never the whole
//! archive), folders walked in name order, bare files. Each file is handed over as text with its
//! name as the messages show it (`archive.zip:DATA/h1.xml`).

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::error::{Error, Loc, Result};

/// Calls `each(name, bytes)` for every `.xml` file of `inputs`, in order: the entries of an
/// archive in the order it stores them, a folder's files sorted by path.
pub fn each_xml(inputs: &[PathBuf], mut each: impl FnMut(&str, &[u8]) -> Result<()>) -> Result<u64> {
    let mut files = 0;
    let mut buf = Vec::new();
    for input in inputs {
        if input.is_dir() {
            for path in walk(input)? {
                buf.clear();
                std::fs::File::open(&path)
                    .and_then(|mut f| f.read_to_end(&mut buf))
                    .map_err(|e| Error::io(&path, e))?;
                each(&path.display().to_string(), &buf)?;
                files += 1;
            }
        } else if is_zip(input)? {
            let file = std::fs::File::open(input).map_err(|e| Error::io(input, e))?;
            let mut zip = zip::ZipArchive::new(std::io::BufReader::new(file))
                .map_err(|e| Error::BadZip { path: input.clone(), detail: e.to_string() })?;
            for i in 0..zip.len() {
                let mut entry =
                    zip.by_index(i).map_err(|e| Error::BadZip { path: input.clone(), detail: e.to_string() })?;
                let entry_name = entry.name().map(|n| n.into_owned()).unwrap_or_else(|_| format!("{i}番目の項目"));
                if entry.is_dir() || !entry_name.to_ascii_lowercase().ends_with(".xml") {
                    continue;
                }
                let name = format!("{}:{entry_name}", input.display());
                buf.clear();
                entry
                    .read_to_end(&mut buf)
                    .map_err(|e| Error::BadZip { path: input.clone(), detail: e.to_string() })?;
                drop(entry);
                each(&name, &buf)?;
                files += 1;
            }
        } else {
            buf.clear();
            std::fs::File::open(input).and_then(|mut f| f.read_to_end(&mut buf)).map_err(|e| Error::io(input, e))?;
            let name = input.display().to_string();
            each(&name, &buf)?;
            files += 1;
        }
    }
    Ok(files)
}

/// The `.xml` files of `inputs` (as [`each_xml`] finds them) in batches of `size`, read and
/// decompressed on a thread of their own so that `each` works on one batch while the next is
/// read. Batches come in input order; an error of `each` stops the reading, and the first error
/// in input order is the one returned, as one thread would meet it.
pub fn batches_on_thread(
    inputs: &[PathBuf],
    size: usize,
    mut each: impl FnMut(Vec<(String, Vec<u8>)>) -> Result<()>,
) -> Result<u64> {
    std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<(String, Vec<u8>)>>(1);
        let reader = scope.spawn(move || {
            let mut batch = Vec::with_capacity(size);
            let files = each_xml(inputs, |name, bytes| {
                batch.push((name.to_string(), bytes.to_vec()));
                if batch.len() >= size {
                    // a closed channel means `each` failed: that error is returned, not this one
                    tx.send(std::mem::take(&mut batch))
                        .map_err(|_| Error::io(Path::new(name), std::io::ErrorKind::BrokenPipe.into()))?;
                }
                Ok(())
            })?;
            if !batch.is_empty() {
                tx.send(batch).map_err(|_| Error::io(Path::new("-"), std::io::ErrorKind::BrokenPipe.into()))?;
            }
            Ok(files)
        });
        let mut handed = Ok(());
        for batch in rx.iter() {
            handed = each(batch);
            if handed.is_err() {
                break;
            }
        }
        drop(rx);
        let files = reader.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
        handed?;
        files
    })
}

/// Whether a file is a zip archive (by its first bytes, not its name).
fn is_zip(path: &Path) -> Result<bool> {
    let mut head = [0u8; 4];
    let mut f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let n = f.read(&mut head).map_err(|e| Error::io(path, e))?;
    Ok(n >= 2 && head[..2] == *b"PK")
}

/// The `.xml` files under a folder, sorted by path.
fn walk(dir: &Path) -> Result<Vec<PathBuf>> {
    Ok(walk_all(dir)?.into_iter().filter(|p| p.extension().is_some_and(|x| x.eq_ignore_ascii_case("xml"))).collect())
}

/// Every file under a folder, sorted by path.
pub fn walk_all(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).map_err(|e| Error::io(&d, e))? {
            let p = e.map_err(|e| Error::io(&d, e))?.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// The bytes as UTF-8 text without a BOM, or E002 at the line of the first bad byte.
pub fn text<'b>(name: &str, bytes: &'b [u8]) -> Result<&'b str> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()].iter().filter(|&&b| b == b'\n').count() as u64 + 1;
        Error::Undecodable { loc: Loc::line(name, line), encoding: "UTF-8" }
    })
}
