//! `verify` and `list`: every entry read back against the manifest and the zip CRC; nothing is
//! written.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::Path;

use super::OpenArgs;
use super::manifest::{Listed, MANIFEST, copy_measured, is_csv, read_manifest};
use crate::console::{Console, thousands};
use crate::error::{Error, Result};
use crate::io::Sink;
use crate::io::archive::{SealedZip, Unseal, detail, open_plain, open_sealed, unsafe_entry_name};

crate::codes! {
    /// What verify finds wrong with an entry (exit 3; restore writes nothing).
    pub enum Finding {
        /// The entry differs from its manifest line (size, SHA-256 or rows).
        Changed = "B101", "変更";
        /// A manifest line without its entry.
        Missing = "B102", "欠落";
        /// An entry the manifest does not list.
        Extra = "B103", "余分";
        /// An entry that cannot be read (CRC, deflate).
        Damaged = "B104", "破損";
        /// A name that would escape the destination, or a link.
        UnsafePath = "B105", "危険なパス";
        /// A file whose name is also a folder of other entries (`sub` and `sub/x.csv`).
        FileFolderClash = "B106", "ファイルとフォルダの名前の衝突";
        /// Two entries with one name (the manifest's included).
        DuplicateName = "B107", "同じ名前の項目が2つ以上";
    }
}

/// What verify found.
#[derive(Default)]
pub struct Check {
    pub ok: u64,
    /// What was found, and the entry's name.
    pub problems: Vec<(Finding, String)>,
    /// The files that agree with the manifest, in archive order: (index in the zip, name).
    pub files: Vec<(usize, String)>,
    /// MANIFEST.csv as read, by name.
    pub manifest: BTreeMap<String, Listed>,
}

/// Decrypts and reads every entry, comparing it with the manifest (the zip reader checks each
/// entry's CRC as it reads). Nothing is written.
pub fn verify(zip: &mut SealedZip, path: &Path, unseal: &Unseal) -> Result<Check> {
    let mut check = Check { manifest: read_manifest(zip, path)?, ..Check::default() };
    // the archive's index keeps one entry of each name (the last): the names given twice are
    // found by reading the entries one after another
    if zip.has_duplicate_names() {
        for name in repeated_names(path, unseal)? {
            check.problems.push((Finding::DuplicateName, name));
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    let mut names = std::collections::BTreeSet::new();
    let mut buf = vec![0u8; 1 << 20];
    for i in 0..zip.len() {
        let mut entry = match zip.by_index(i) {
            Ok(e) => e,
            Err(e) => {
                check.problems.push((Finding::Damaged, format!("{i}番目の項目 ({e})")));
                continue;
            }
        };
        let name = entry.name().map(|n| n.into_owned()).unwrap_or_else(|_| format!("{i}番目の項目"));
        if !names.insert(name.trim_end_matches('/').to_string()) {
            check.problems.push((Finding::DuplicateName, name));
            continue;
        }
        if name == MANIFEST {
            continue;
        }
        if entry.is_symlink() || unsafe_entry_name(&name) {
            check.problems.push((Finding::UnsafePath, name));
            continue;
        }
        if entry.is_dir() {
            continue;
        }
        let measured = copy_measured(&mut entry, &mut std::io::sink(), is_csv(&name), &mut buf);
        seen.insert(name.clone());
        match (measured, check.manifest.get(&name)) {
            (Err(_), _) => check.problems.push((Finding::Damaged, name)),
            (Ok(_), None) => check.problems.push((Finding::Extra, name)),
            (Ok(m), Some(l)) if m.size != l.size || m.sha256 != l.sha256 || m.rows != l.rows => {
                check.problems.push((Finding::Changed, name))
            }
            (Ok(_), Some(_)) => {
                check.ok += 1;
                check.files.push((i, name));
            }
        }
    }
    for name in check.manifest.keys().filter(|n| !seen.contains(*n)) {
        check.problems.push((Finding::Missing, name.clone()));
    }
    // a file that is also a folder of others cannot be restored: both are refused
    for name in &seen {
        let mut prefix = String::new();
        for part in name.split('/').take(name.split('/').count().saturating_sub(1)) {
            prefix.push_str(part);
            if seen.contains(&prefix) {
                check.problems.push((Finding::FileFolderClash, format!("{prefix} と {name}")));
                check.files.retain(|(_, n)| n != name && *n != prefix);
            }
            prefix.push('/');
        }
    }
    Ok(check)
}

/// The entry names that occur more than once in the archive, in the order of their second
/// occurrence, read from the entries' own headers.
fn repeated_names(path: &Path, unseal: &Unseal) -> Result<Vec<String>> {
    let mut plain = open_plain(path, unseal)?;
    let damaged = |e: zip::result::ZipError| Error::Damaged { path: path.to_path_buf(), detail: detail("zip", e) };
    let (mut seen, mut repeated) = (std::collections::BTreeSet::new(), Vec::new());
    while let Some(mut entry) = zip::read::read_zipfile_from_stream(&mut plain).map_err(damaged)? {
        let name = entry.name().map(|n| n.into_owned()).unwrap_or_default();
        if !seen.insert(name.clone()) && !repeated.contains(&name) {
            repeated.push(name);
        }
        std::io::copy(&mut entry, &mut std::io::sink())
            .map_err(|e| Error::Damaged { path: path.to_path_buf(), detail: e.to_string() })?;
    }
    Ok(repeated)
}

pub fn report(check: &Check, console: &Console) {
    for (finding, name) in &check.problems {
        console.error(format!("{} {}: {name}", finding.code(), finding.message()));
    }
}

pub fn verify_command(a: &OpenArgs, console: &Console) -> Result<u8> {
    let unseal = Unseal::from_options(a.identity.as_deref(), a.passphrase_file.as_deref())?;
    let mut zip = open_sealed(&a.archive, &unseal)?;
    let check = verify(&mut zip, &a.archive, &unseal)?;
    report(&check, console);
    if check.problems.is_empty() {
        console.info(format!("{} ファイルすべて目録と一致しました", thousands(check.ok)));
        Ok(0)
    } else {
        // the kinds found, with how many of each
        let codes: Vec<String> = Finding::ALL
            .iter()
            .filter_map(|f| {
                let n = check.problems.iter().filter(|(p, _)| p == f).count();
                (n > 0).then(|| format!("{} {} {n} 件", f.code(), f.message()))
            })
            .collect();
        console.error(format!(
            "一致 {} ファイル、問題 {} 件 ({})",
            thousands(check.ok),
            check.problems.len(),
            codes.join(" / ")
        ));
        Ok(3)
    }
}

pub fn list(a: &OpenArgs) -> Result<u8> {
    let unseal = Unseal::from_options(a.identity.as_deref(), a.passphrase_file.as_deref())?;
    let mut zip = open_sealed(&a.archive, &unseal)?;
    let mut bytes = Vec::new();
    zip.by_name(MANIFEST)
        .map_err(|_| Error::Damaged { path: a.archive.clone(), detail: format!("{MANIFEST} がありません") })?
        .read_to_end(&mut bytes)
        .map_err(|e| Error::Damaged { path: a.archive.clone(), detail: crate::io::archive::detail("zip", e) })?;
    let mut out = Sink::create(None)?;
    out.write_all(&bytes).map_err(|e| Error::io(crate::io::STDOUT_NAME, e))?;
    out.commit()?;
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsafe_entry_names() {
        for bad in ["/etc/passwd", "../x", "a/../../x", "a\\b", "C:/x", "a//b", "./a", "", "a/./b"] {
            assert!(unsafe_entry_name(bad), "{bad}");
        }
        for ok in ["a.csv", "in/202604/請求.csv", "dir/"] {
            assert!(!unsafe_entry_name(ok), "{ok}");
        }
    }
}
