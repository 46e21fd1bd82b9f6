//! The official V08 schema set (`data/mhlw/xsd/`, 11 files), built into the binary: every archive
//! carries it, and `check --schema` validates each file against it with xmllint (libxml2), the
//! validator a federation already has on Debian (`libxml2-utils`); there is no XSD validator in Rust.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::findings::{Finding, XCheck};
use super::hc08::FileKind;
use crate::error::{Error, Result};

macro_rules! schema_files {
    ($($path:literal),* $(,)?) => {
        /// The schema files by path inside the `XSD/` folder.
        pub const FILES: &[(&str, &[u8])] = &[$(($path, include_bytes!(concat!("../../../data/mhlw/xsd/", $path)))),*];
    };
}

schema_files!(
    "cc08_V08.xsd",
    "co08_V08.xsd",
    "gc08_V08.xsd",
    "hc08_V08.xsd",
    "hg08_V08.xsd",
    "ix08_V08.xsd",
    "su08_V08.xsd",
    "coreschemas/datatypes-base_hcgv08.xsd",
    "coreschemas/datatypes_hcgv08.xsd",
    "coreschemas/narrativeBlock_hcgv08.xsd",
    "coreschemas/voc_hcgv08.xsd",
);

/// Writes the `XSD/` folder's files under `dir`.
pub fn write_to(dir: &Path) -> Result<()> {
    for (path, bytes) in FILES {
        let p = dir.join(path);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        }
        std::fs::write(&p, bytes).map_err(|e| Error::io(&p, e))?;
    }
    Ok(())
}

/// The schema of a file kind (a claim by its root element).
pub fn schema_of(kind: FileKind, root: &str) -> &'static str {
    match kind {
        FileKind::Checkup => "hc08_V08.xsd",
        FileKind::Guidance => "hg08_V08.xsd",
        FileKind::Claim if root == "guidanceClaim" => "gc08_V08.xsd",
        FileKind::Claim => "cc08_V08.xsd",
        FileKind::Index => "ix08_V08.xsd",
        FileKind::Summary => "su08_V08.xsd",
    }
}

/// The claims namespace older vendors write; the schemas declare only the MHLW one.
const OLD_CLAIMS_NS: &str = "http://tokuteikenshin.jp/checkup/2007";
const MHLW_NS: &str = "https://www.mhlw.go.jp/stf/seisakunitsuite/bunya/0000161103.html";

/// Files validated with xmllint, a batch at a time, in a private temporary folder.
pub struct Validator {
    dir: PathBuf,
    /// (file as shown, schema, temporary copy)
    pending: Vec<(String, &'static str, PathBuf)>,
    next: usize,
    pub findings: Vec<Finding>,
}

const BATCH: usize = 64;

impl Validator {
    /// A validator, or None when xmllint is not installed.
    pub fn new() -> Result<Option<Validator>> {
        if Command::new("xmllint").arg("--version").output().is_err() {
            return Ok(None);
        }
        let dir = std::env::temp_dir().join(format!("kk-xml-schema-{}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        write_to(&dir.join("XSD"))?;
        Ok(Some(Validator { dir, pending: Vec::new(), next: 0, findings: Vec::new() }))
    }

    /// Queues one file (the old claims namespace rewritten to the one the schemas declare).
    pub fn add(&mut self, shown: &str, schema: &'static str, text: &str) -> Result<()> {
        self.next += 1;
        let path = self.dir.join(format!("f{}.xml", self.next));
        let text = if text.contains(OLD_CLAIMS_NS) {
            text.replace(OLD_CLAIMS_NS, MHLW_NS).into()
        } else {
            std::borrow::Cow::Borrowed(text)
        };
        let mut f = std::fs::File::create(&path).map_err(|e| Error::io(&path, e))?;
        f.write_all(text.as_bytes()).map_err(|e| Error::io(&path, e))?;
        self.pending.push((shown.to_string(), schema, path));
        if self.pending.len() >= BATCH { self.flush() } else { Ok(()) }
    }

    /// Validates what is queued, schema by schema; every error becomes an X210 finding.
    pub fn flush(&mut self) -> Result<()> {
        let pending = std::mem::take(&mut self.pending);
        let mut schemas: Vec<&str> = pending.iter().map(|p| p.1).collect();
        schemas.sort_unstable();
        schemas.dedup();
        for schema in schemas {
            let files: Vec<&(String, &str, PathBuf)> = pending.iter().filter(|p| p.1 == schema).collect();
            let out = Command::new("xmllint")
                .arg("--noout")
                .arg("--schema")
                .arg(self.dir.join("XSD").join(schema))
                .args(files.iter().map(|f| &f.2))
                .output()
                .map_err(|e| Error::io("xmllint", e))?;
            let stderr = String::from_utf8_lossy(&out.stderr);
            for line in stderr.lines() {
                let Some(file) = files.iter().find(|f| line.starts_with(&format!("{}:", f.2.display()))) else {
                    continue;
                };
                let rest = &line[file.2.display().to_string().len() + 1..];
                let (n, message) = rest.split_once(':').unwrap_or(("0", rest));
                let message = message.split_once("validity error : ").map_or(message, |(_, m)| m).trim();
                let short: String = message.chars().take(200).collect();
                self.findings.push(Finding::new(&file.0, n.trim().parse().unwrap_or(0), "", XCheck::Schema, &short));
            }
        }
        for (_, _, path) in pending {
            let _ = std::fs::remove_file(path);
        }
        Ok(())
    }
}

impl Drop for Validator {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
