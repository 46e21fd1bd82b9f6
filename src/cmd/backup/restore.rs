//! `restore`: verify first, then extract into DEST without following links or escaping it.

use std::path::Path;

use super::RestoreArgs;
use super::manifest::{copy_measured, is_csv};
use super::verify::{report, verify};
use crate::console::{Console, thousands};
use crate::error::{Error, Result};
use crate::io::Sink;
use crate::io::archive::{Unseal, open_sealed};

pub fn restore(a: &RestoreArgs, console: &Console) -> Result<u8> {
    let unseal = Unseal::from_options(a.open.identity.as_deref(), a.open.passphrase_file.as_deref())?;
    let mut zip = open_sealed(&a.open.archive, &unseal)?;
    let check = verify(&mut zip, &a.open.archive, &unseal)?;
    if !check.problems.is_empty() {
        report(&check, console);
        console.error("検証に失敗したため、何も復元しません");
        return Ok(3);
    }
    // where each file goes; no part of the way may be an existing link
    let mut targets = Vec::new();
    for (i, name) in &check.files {
        let target = a.dest.join(name);
        let mut at = a.dest.clone();
        for part in name.split('/') {
            at.push(part);
            if std::fs::symlink_metadata(&at).is_ok_and(|m| m.is_symlink()) {
                return Err(Error::Usage {
                    option: "DEST",
                    detail: format!("{} はシンボリックリンクです。リンクを通して書くことはしません", at.display()),
                });
            }
        }
        targets.push((*i, name.clone(), target));
    }
    let existing: Vec<&String> = targets.iter().filter(|(_, _, t)| t.exists()).map(|(_, n, _)| n).collect();
    if !a.force && !existing.is_empty() {
        return Err(Error::WouldOverwrite { count: existing.len(), first: existing[0].clone() });
    }
    let mut buf = vec![0u8; 1 << 20];
    for (i, name, target) in &targets {
        if let Some(dir) = target.parent() {
            create_private_dirs(dir)?;
        }
        let mut entry = zip.by_index(*i).map_err(|e| Error::Damaged {
            path: a.open.archive.clone(),
            detail: crate::io::archive::detail("zip", e),
        })?;
        let mut sink = Sink::create(Some(target))?;
        let measured = copy_measured(&mut entry, &mut sink, is_csv(name), &mut buf)
            .map_err(|e| Error::Damaged { path: a.open.archive.clone(), detail: format!("{name}: {e}") })?;
        // the archive was verified a moment ago; read again, it must still agree
        if check.manifest.get(name) != Some(&measured) {
            return Err(Error::Damaged {
                path: a.open.archive.clone(), detail: format!("{name} が目録と合いません")
            });
        }
        sink.commit_now()?;
    }
    console.info(format!("{} ファイルを {} に復元しました", thousands(targets.len() as u64), a.dest.display()));
    Ok(0)
}

/// Creates missing folders with mode 0700.
fn create_private_dirs(dir: &Path) -> Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|e| Error::io(dir, e))
}
