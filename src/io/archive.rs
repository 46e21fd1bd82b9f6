//! Zip archives, optionally sealed with age, written as a stream: zip → age → an atomic 0600
//! file. Nothing is ever written unencrypted to disk when a recipient or passphrase is given, and
//! a failed run leaves no file at all (the [`Sink`] is only committed by [`ZipOut::finish`]).
//!
//! Also the one reader of secrets (key files, passphrase files): refused when group or others
//! may read or write them.

use std::fs::File;
use std::io::{self, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use age::secrecy::SecretString;
use sha2::{Digest, Sha256};
use zip::write::{SimpleFileOptions, StreamWriter};
use zip::{CompressionMethod, DateTime, ZipArchive, ZipWriter};

use super::Sink;
use crate::error::{Error, Result};

/// A message of age or zip (English, sometimes several lines) as the detail line of kk's own
/// coded Japanese message: one line, marked with where it came from.
pub fn detail(from: &str, e: impl std::fmt::Display) -> String {
    let text: Vec<String> = e.to_string().lines().map(|l| l.trim().to_string()).filter(|l| !l.is_empty()).collect();
    format!("{from}: {}", text.join(" / "))
}

/// Bytes as lowercase hex: how manifests and reports write SHA-256 digests and keys.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A file's size and SHA-256 (lowercase hex), read in 1 MiB blocks: the run report's output
/// checksums and kk-sql's audit line.
pub fn sha256_of(path: &Path) -> Result<(u64, String)> {
    let mut f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let (mut sha, mut size, mut buf) = (Sha256::new(), 0u64, vec![0u8; 1 << 20]);
    loop {
        let n = f.read(&mut buf).map_err(|e| Error::io(path, e))?;
        if n == 0 {
            break;
        }
        sha.update(&buf[..n]);
        size += n as u64;
    }
    Ok((size, hex(&sha.finalize())))
}

/// A secret file's permission bits when they let group or others read or write it (such a
/// file is refused), else None.
pub fn loose_mode(meta: &std::fs::Metadata) -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o777;
        (mode & 0o077 != 0).then_some(mode)
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        None
    }
}

/// Reads a secret file: its bytes without trailing CR/LF. Refused (E021) when the file is
/// readable or writable by group or others, or holds fewer than `min_len` bytes.
pub fn read_secret(path: &Path, what: &'static str, min_len: usize) -> Result<Vec<u8>> {
    let fail = |detail: String| Error::Secret { path: path.to_path_buf(), what, detail };
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if !meta.is_file() {
        return Err(fail("通常のファイルではありません".into()));
    }
    if let Some(mode) = loose_mode(&meta) {
        return Err(fail(format!(
            "所有者以外も読み書きできる権限 ({mode:03o}) です。chmod 600 {} を実行してください",
            path.display()
        )));
    }
    let mut bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    while bytes.last().is_some_and(|b| matches!(b, b'\r' | b'\n')) {
        bytes.pop();
    }
    if bytes.len() < min_len {
        return Err(fail(format!("{} バイトしかありません ({min_len} バイト以上必要です)", bytes.len())));
    }
    Ok(bytes)
}

/// How an archive is sealed.
pub enum Seal {
    /// A plain zip.
    None,
    /// age to X25519 recipients (`age1…`).
    Recipients(Vec<age::x25519::Recipient>),
    /// age with a passphrase (scrypt), read from a file.
    Passphrase(SecretString),
}

impl Seal {
    /// From `--recipient` values and a `--passphrase-file` (at most one of the two kinds).
    pub fn from_options(recipients: &[String], passphrase_file: Option<&Path>) -> Result<Seal> {
        if let Some(p) = passphrase_file {
            let bytes = read_secret(p, "パスフレーズファイル", 1)?;
            let text = String::from_utf8(bytes).map_err(|_| Error::Secret {
                path: p.to_path_buf(),
                what: "パスフレーズファイル",
                detail: "UTF-8 の文字列ではありません".into(),
            })?;
            return Ok(Seal::Passphrase(SecretString::from(text)));
        }
        if recipients.is_empty() {
            return Ok(Seal::None);
        }
        let parsed = recipients
            .iter()
            .map(|r| {
                r.trim().parse::<age::x25519::Recipient>().map_err(|_| Error::Usage {
                    option: "--recipient",
                    detail: format!("age の公開鍵 (age1…) ではありません: {}", r.trim()),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Seal::Recipients(parsed))
    }

    pub fn is_sealed(&self) -> bool {
        !matches!(self, Seal::None)
    }

    /// The file an archive named `path` is written to: `.age` appended when sealed.
    pub fn file_name(&self, path: &Path) -> PathBuf {
        if self.is_sealed() && path.extension().is_none_or(|e| e != "age") {
            let mut s = path.as_os_str().to_owned();
            s.push(".age");
            PathBuf::from(s)
        } else {
            path.to_path_buf()
        }
    }
}

/// The bytes under the zip stream: the output file, or age encrypting into it.
enum Sealed {
    Plain(Sink),
    Age(age::stream::StreamWriter<Sink>),
}

impl Write for Sealed {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Sealed::Plain(w) => w.write(buf),
            Sealed::Age(w) => w.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Sealed::Plain(w) => w.flush(),
            Sealed::Age(w) => w.flush(),
        }
    }
}

/// A zip being written: entries deflated, UTF-8 names, JST timestamps, mode 0600.
pub struct ZipOut {
    zip: ZipWriter<StreamWriter<Sealed>>,
    path: PathBuf,
    options: SimpleFileOptions,
}

impl ZipOut {
    /// Starts the archive at `path` (already with `.age` when sealed, see [`Seal::file_name`]).
    pub fn create(path: &Path, seal: &Seal) -> Result<ZipOut> {
        let sink = Sink::create(Some(path))?;
        let io_err = |e: io::Error| Error::io(path, e);
        let sealed = match seal {
            Seal::None => Sealed::Plain(sink),
            Seal::Recipients(rs) => {
                let enc = age::Encryptor::with_recipients(rs.iter().map(|r| r as &dyn age::Recipient))
                    .map_err(|e| Error::io(path, io::Error::other(detail("age", e))))?;
                Sealed::Age(enc.wrap_output(sink).map_err(io_err)?)
            }
            Seal::Passphrase(p) => {
                Sealed::Age(age::Encryptor::with_user_passphrase(p.clone()).wrap_output(sink).map_err(io_err)?)
            }
        };
        let options = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Deflated)
            .last_modified_time(jst_now())
            .unix_permissions(0o600)
            // sizes are not known before an entry is written: zip64 headers keep > 4 GiB safe
            .large_file(true);
        Ok(ZipOut { zip: ZipWriter::new_stream(sealed), path: path.to_path_buf(), options })
    }

    /// Dates every entry started after this at 00:00 of `day` (an archive that must come out
    /// byte for byte the same from the same inputs).
    pub fn date_entries(&mut self, day: jiff::civil::Date) {
        let t = DateTime::from_date_and_time(day.year() as u16, day.month() as u8, day.day() as u8, 0, 0, 0)
            .unwrap_or_default();
        self.options = self.options.last_modified_time(t);
    }

    /// Entries under 4 GiB each (one person's XML file): no zip64 extra field per entry, which
    /// keeps the central directory held in memory small for archives of millions of files.
    pub fn small_entries(&mut self) {
        self.options = self.options.large_file(false);
    }

    /// Starts an entry dated now (JST) (or as [`ZipOut::date_entries`] said); write its bytes with
    /// [`Write`] on `self`.
    pub fn start_entry(&mut self, name: &str) -> Result<()> {
        self.zip.start_file(name, self.options).map_err(|e| self.zip_error(e))
    }

    /// Starts an entry dated `modified` (a file's modification time, shown in JST).
    pub fn start_entry_at(&mut self, name: &str, modified: Option<SystemTime>) -> Result<()> {
        let options = match modified.and_then(|t| jiff::Timestamp::try_from(t).ok()) {
            Some(t) => self.options.last_modified_time(jst(t)),
            None => self.options,
        };
        self.zip.start_file(name, options).map_err(|e| self.zip_error(e))
    }

    fn zip_error(&self, e: zip::result::ZipError) -> Error {
        match e {
            zip::result::ZipError::Io(io) => Error::io(&self.path, io),
            other => Error::io(&self.path, io::Error::other(detail("zip", other))),
        }
    }

    /// Writes the central directory, finishes the age stream and renames the file into place.
    pub fn finish(self) -> Result<()> {
        let path = self.path.clone();
        let stream = self.zip.finish().map_err(|e| match e {
            zip::result::ZipError::Io(io) => Error::io(&path, io),
            other => Error::io(&path, io::Error::other(detail("zip", other))),
        })?;
        let sink = match stream.into_inner() {
            Sealed::Plain(sink) => sink,
            Sealed::Age(w) => w.finish().map_err(|e| Error::io(&path, e))?,
        };
        sink.commit()
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Write for ZipOut {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.zip.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.zip.flush()
    }
}

/// Now in Japan, as a zip timestamp.
fn jst_now() -> DateTime {
    jst(jiff::Timestamp::now())
}

/// A moment in Japan (UTC+9, no daylight saving) as a zip timestamp: zip times have no zone and
/// Windows Explorer shows them as local time. Before 1980 (zip's epoch) gives 1980-01-01.
fn jst(t: jiff::Timestamp) -> DateTime {
    let now = jiff::tz::offset(9).to_datetime(t);
    DateTime::from_date_and_time(
        now.year() as u16,
        now.month() as u8,
        now.day() as u8,
        now.hour() as u8,
        now.minute() as u8,
        now.second() as u8,
    )
    .unwrap_or_default()
}

/// How a sealed archive is opened: an age identity file (`AGE-SECRET-KEY-1…`) or a passphrase
/// file, both refused when others may read them.
pub enum Unseal {
    Identities(Vec<Box<dyn age::Identity + Send + Sync>>),
    Passphrase(SecretString),
}

impl Unseal {
    pub fn from_options(identity: Option<&Path>, passphrase_file: Option<&Path>) -> Result<Unseal> {
        match (identity, passphrase_file) {
            (Some(p), None) => {
                let bytes = read_secret(p, "鍵ファイル", 1)?;
                let bad = |detail: String| Error::Secret { path: p.to_path_buf(), what: "鍵ファイル", detail };
                let identities = age::IdentityFile::from_buffer(bytes.as_slice())
                    .map_err(|e| bad(detail("age", e)))?
                    .into_identities()
                    .map_err(|e| bad(detail("age", e)))?;
                if identities.is_empty() {
                    return Err(bad("age の秘密鍵 (AGE-SECRET-KEY-1…) がありません".into()));
                }
                Ok(Unseal::Identities(identities))
            }
            (None, Some(p)) => match Seal::from_options(&[], Some(p))? {
                Seal::Passphrase(pass) => Ok(Unseal::Passphrase(pass)),
                _ => unreachable!("a passphrase file gives a passphrase"),
            },
            _ => Err(Error::Usage {
                option: "--identity/--passphrase-file",
                detail: "どちらか一方を指定してください".into(),
            }),
        }
    }
}

/// The decrypted archive, readable at any offset (age's STREAM chunks decrypt independently),
/// so nothing plain is written anywhere to read it.
pub type SealedZip = ZipArchive<BufReader<age::stream::StreamReader<File>>>;

/// Opens a sealed archive. A key that does not fit is E022 (exit 2); a file that is not age, is
/// tampered with or cut short is E901 (exit 3).
pub fn open_sealed(path: &Path, unseal: &Unseal) -> Result<SealedZip> {
    let damaged = |detail: String| Error::Damaged { path: path.to_path_buf(), detail };
    ZipArchive::new(open_plain(path, unseal)?).map_err(|e| damaged(detail("zip", e)))
}

/// The decrypted bytes of a sealed archive, as a stream (errors as [`open_sealed`]).
pub fn open_plain(path: &Path, unseal: &Unseal) -> Result<BufReader<age::stream::StreamReader<File>>> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let damaged = |detail: String| Error::Damaged { path: path.to_path_buf(), detail };
    let decryptor = age::Decryptor::new(file).map_err(|e| damaged(detail("age", e)))?;
    let scrypt;
    let identities: Vec<&dyn age::Identity> = match unseal {
        Unseal::Identities(ids) => ids.iter().map(|i| i.as_ref() as &dyn age::Identity).collect(),
        Unseal::Passphrase(p) => {
            scrypt = age::scrypt::Identity::new(p.clone());
            vec![&scrypt as &dyn age::Identity]
        }
    };
    let reader = decryptor.decrypt(identities.into_iter()).map_err(|e| match e {
        age::DecryptError::NoMatchingKeys | age::DecryptError::KeyDecryptionFailed => {
            Error::WrongKey { path: path.to_path_buf() }
        }
        other => damaged(detail("age", other)),
    })?;
    Ok(BufReader::with_capacity(1 << 16, reader))
}

/// Whether an archive entry's name could point outside the folder it is extracted into (kk-backup
/// restore refuses it, kk-xml check reports it): absolute, `..`, `.` or empty parts, a backslash or a drive
/// letter (`C:`), a NUL.
pub fn unsafe_entry_name(name: &str) -> bool {
    name.is_empty()
        || name.starts_with('/')
        || name.contains(['\\', ':', '\0'])
        || name.trim_end_matches('/').split('/').any(|part| matches!(part, "" | "." | ".."))
}
