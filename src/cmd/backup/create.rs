//! `create`: the folder's files, in name order, streamed into a sealed zip with its manifest.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::CreateArgs;
use super::manifest::{Listed, MANIFEST, MANIFEST_HEADER, copy_measured, is_csv};
use crate::console::{Console, thousands};
use crate::error::{Error, Result};
use crate::io::RowStore;
use crate::io::archive::{Seal, ZipOut};

/// A file to back up.
struct Source {
    /// Path inside the archive, `/`-separated.
    name: String,
    path: PathBuf,
    modified: Option<SystemTime>,
}

/// Every regular file under `root` in name order. Links to files inside `root` are followed;
/// links leading outside, links to folders, special files and the archive being written (or a
/// temporary file beside it) are skipped and named in `skipped`. `archive` is canonical.
fn collect(root: &Path, archive: &Path, skipped: &mut Vec<String>) -> Result<Vec<Source>> {
    let root_real = root.canonicalize().map_err(|e| Error::io(root, e))?;
    let mut found = Vec::new();
    let mut stack = vec![(root.to_path_buf(), String::new())];
    while let Some((dir, prefix)) = stack.pop() {
        // resolved once a folder, not once a file
        let holds_archive =
            dir.canonicalize().map_err(|e| Error::io(&dir, e))?.as_path() == archive.parent().unwrap_or(archive);
        let mut entries: Vec<_> = std::fs::read_dir(&dir)
            .map_err(|e| Error::io(&dir, e))?
            .collect::<std::io::Result<Vec<_>>>()
            .map_err(|e| Error::io(&dir, e))?;
        entries.sort_by_key(|e| e.file_name());
        let mut subdirs = Vec::new();
        for entry in entries {
            let path = entry.path();
            let file_name = entry.file_name().to_string_lossy().into_owned();
            let name = format!("{prefix}{file_name}");
            if holds_archive && (archive.file_name() == Some(entry.file_name().as_os_str()) || is_temp_name(&file_name))
            {
                skipped.push(format!("{name} (作成中のアーカイブ)"));
                continue;
            }
            let meta = std::fs::symlink_metadata(&path).map_err(|e| Error::io(&path, e))?;
            if meta.is_symlink() {
                match path.canonicalize().ok() {
                    Some(t) if t == archive => skipped.push(format!("{name} (作成中のアーカイブ)")),
                    Some(t) if !t.starts_with(&root_real) => skipped.push(format!("{name} (フォルダの外を指すリンク)")),
                    Some(t) if t.is_file() => {
                        let modified = std::fs::metadata(&t).ok().and_then(|m| m.modified().ok());
                        found.push(Source { name, path, modified });
                    }
                    Some(_) => skipped.push(format!("{name} (ディレクトリへのリンク)")),
                    None => skipped.push(format!("{name} (リンク先がない)")),
                }
            } else if meta.is_dir() {
                subdirs.push((path, format!("{name}/")));
            } else if meta.is_file() {
                found.push(Source { name, path, modified: meta.modified().ok() });
            } else {
                skipped.push(format!("{name} (特殊ファイル)"));
            }
        }
        // depth first, in name order
        stack.extend(subdirs.into_iter().rev());
    }
    found.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(found)
}

/// The temporary files [`Sink`] writes before renaming.
fn is_temp_name(name: &str) -> bool {
    name.starts_with(".kk-") && name.ends_with(".tmp")
}

pub fn create(a: &CreateArgs, console: &Console) -> Result<u8> {
    let seal = Seal::from_options(&a.recipient, a.passphrase_file.as_deref())?;
    if !a.source.is_dir() {
        return Err(Error::Usage {
            option: "SRC_DIR",
            detail: format!("{} はフォルダではありません", a.source.display()),
        });
    }
    let out_dir = match a.output.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let out_dir = out_dir.canonicalize().map_err(|e| Error::io(&out_dir, e))?;
    let archive = out_dir.join(a.output.file_name().unwrap_or_default());
    let mut skipped = Vec::new();
    let files = collect(&a.source, &archive, &mut skipped)?;
    for s in &skipped {
        console.info(format!("含めません: {s}"));
    }
    if files.iter().any(|f| f.name == MANIFEST) {
        return Err(Error::Usage {
            option: "SRC_DIR",
            detail: format!(
                "フォルダの直下に {MANIFEST} があります (アーカイブの目録と同じ名前です)。別の場所に移してください"
            ),
        });
    }
    let mut zip = ZipOut::create(&a.output, &seal)?;
    let mut manifest: Vec<(String, Listed)> = Vec::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0u64;
    for f in &files {
        zip.start_entry_at(&f.name, f.modified)?;
        let mut file = File::open(&f.path).map_err(|e| Error::io(&f.path, e))?;
        let listed =
            copy_measured(&mut file, &mut zip, is_csv(&f.name), &mut buf).map_err(|e| Error::io(&f.path, e))?;
        total += listed.size;
        manifest.push((f.name.clone(), listed));
    }
    let mut store = RowStore::new(false, 4096);
    for h in MANIFEST_HEADER {
        store.field(h.as_bytes());
    }
    store.end_row();
    for (name, l) in &manifest {
        store.field(name.as_bytes());
        store.field(l.size.to_string().as_bytes());
        store.field(l.sha256.as_bytes());
        store.field(l.rows.map(|r| r.to_string()).unwrap_or_default().as_bytes());
        store.end_row();
    }
    zip.start_entry(MANIFEST)?;
    for s in store.slices() {
        zip.write_all(s).map_err(|e| Error::io(&a.output, e))?;
    }
    zip.finish()?;
    console.info(format!(
        "{} ファイル ({} バイト) を {} にバックアップしました{}",
        thousands(files.len() as u64),
        thousands(total),
        a.output.display(),
        if skipped.is_empty() { String::new() } else { format!("、{} 件を除外", skipped.len()) }
    ));
    Ok(0)
}
