//! Output: stdout or an atomic 0600 file, and the CSV writer on top of it.

use std::cell::RefCell;
use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};

use csv::ByteRecord;

use super::commit::{self, Pending, TempFile};
use super::encoding::{Encoding, TextEncoder, UTF8_BOM};
use super::{STDOUT_NAME, display_name, is_std};
use crate::error::{Error, Loc, Result};

/// Where output goes. A file is written to a temporary file in its folder (mode 0600, unnamed
/// where the system allows: see [`super::commit`]) and gets its name only when committed; dropped
/// uncommitted, it leaves nothing. A device, FIFO or socket (`/dev/null`, `/dev/stdout`, a named
/// pipe) is written in place: renaming a file over it would replace it.
pub enum Sink {
    Stdout(BufWriter<io::Stdout>),
    File { tmp: BufWriter<TempFile>, path: PathBuf },
    Special { file: BufWriter<File>, path: PathBuf },
}

impl Write for TempFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        TempFile::write_all(self, buf)?;
        Ok(buf.len())
    }
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        TempFile::write_all(self, buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Sink {
    pub fn create(path: Option<&Path>) -> Result<Sink> {
        if is_std(path) {
            return Ok(Sink::Stdout(BufWriter::with_capacity(1 << 17, io::stdout())));
        }
        let path = path.unwrap_or(Path::new("-")).to_path_buf();
        if std::fs::metadata(&path).is_ok_and(|m| !m.is_file() && !m.is_dir()) {
            let file = std::fs::OpenOptions::new().write(true).open(&path).map_err(|e| Error::io(&path, e))?;
            return Ok(Sink::Special { file: BufWriter::with_capacity(1 << 17, file), path });
        }
        let tmp = TempFile::create(&path)?;
        Ok(Sink::File { tmp: BufWriter::with_capacity(1 << 17, tmp), path })
    }

    pub fn name(&self) -> String {
        match self {
            Sink::Stdout(_) => STDOUT_NAME.to_string(),
            Sink::File { path, .. } | Sink::Special { path, .. } => display_name(Some(path), STDOUT_NAME),
        }
    }

    /// Flushes and syncs a file; it gets its name with the run's other outputs (or at once
    /// outside a commit group, [`super::commit::group`]).
    pub fn commit(self) -> Result<()> {
        self.finish(commit::commit)
    }

    /// Like [`Sink::commit`], but the file gets its name now, even inside a group.
    pub fn commit_now(self) -> Result<()> {
        self.finish(commit::commit_now)
    }

    fn finish(self, link: fn(Pending) -> Result<()>) -> Result<()> {
        let name = self.name();
        match self {
            Sink::Stdout(mut w) => w.flush().map_err(|e| Error::io(name, e)),
            Sink::Special { mut file, path } => file.flush().map_err(|e| Error::io(&path, e)),
            Sink::File { tmp, path } => {
                let tmp = tmp.into_inner().map_err(|e| Error::io(&path, e.into_error()))?;
                link(tmp.sync()?)
            }
        }
    }
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Sink::Stdout(w) => w.write(buf),
            Sink::File { tmp, .. } => tmp.write(buf),
            Sink::Special { file, .. } => file.write(buf),
        }
    }
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            Sink::Stdout(w) => w.write_all(buf),
            Sink::File { tmp, .. } => tmp.write_all(buf),
            Sink::Special { file, .. } => file.write_all(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Sink::Stdout(w) => w.flush(),
            Sink::File { tmp, .. } => tmp.flush(),
            Sink::Special { file, .. } => file.flush(),
        }
    }
}

/// The sink under a csv writer, reachable through `get_ref` for raw writes.
struct Shared(RefCell<Sink>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.get_mut().write(buf)
    }
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.0.get_mut().write_all(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.0.get_mut().flush()
    }
}

/// Where one output goes and how it is written: worked out once from a tool's arguments (and
/// the encoding its input was read in), then handed to the writer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputSpec {
    /// None or `-` = stdout.
    pub path: Option<PathBuf>,
    pub encoding: Encoding,
    /// `--replace-unmappable`: 〓 for a character the encoding cannot hold.
    pub replace: bool,
    /// CRLF line ends (the default for Shift_JIS), else LF.
    pub crlf: bool,
}

impl OutputSpec {
    /// The same settings for another file (a side output: error list, duplicate list …).
    pub fn to(&self, path: &Path) -> OutputSpec {
        OutputSpec { path: Some(path.to_path_buf()), ..self.clone() }
    }

    /// The same settings for an optional side output.
    pub fn to_opt(&self, path: Option<&Path>) -> Option<OutputSpec> {
        path.map(|p| self.to(p))
    }

    /// A new text encoder for this output.
    pub fn encoder(&self) -> TextEncoder {
        TextEncoder::new(self.encoding, self.replace)
    }
}

/// A CSV writer in one encoding and line ending, on a [`Sink`].
pub struct CsvOut {
    name: String,
    writer: csv::Writer<Shared>,
    pub encoder: TextEncoder,
    record: ByteRecord,
    scratch: Vec<u8>,
    /// Records are waiting in the csv writer's buffer (raw writes must come after them).
    pending: bool,
}

impl CsvOut {
    /// Opens the output `spec` describes.
    pub fn create(spec: &OutputSpec) -> Result<CsvOut> {
        let OutputSpec { path, encoding, replace, crlf } = spec;
        let (encoding, replace, crlf) = (*encoding, *replace, *crlf);
        let mut sink = Sink::create(path.as_deref())?;
        let name = sink.name();
        if encoding.is_sjis() && matches!(sink, Sink::Stdout(_)) && io::stdout().is_terminal() {
            crate::console::warn_once(
                "端末に Shift_JIS で書きます (文字化けして見えます)。ファイルへは -o FILE、端末で読むなら --output-encoding utf8",
            );
        }
        if encoding == Encoding::Utf8Bom {
            sink.write_all(UTF8_BOM).map_err(|e| Error::io(name.clone(), e))?;
        }
        let writer = csv::WriterBuilder::new()
            .terminator(if crlf { csv::Terminator::CRLF } else { csv::Terminator::Any(b'\n') })
            .flexible(true)
            .buffer_capacity(1 << 17)
            .from_writer(Shared(RefCell::new(sink)));
        Ok(CsvOut {
            name,
            writer,
            encoder: TextEncoder::new(encoding, replace),
            record: ByteRecord::new(),
            scratch: Vec::new(),
            pending: false,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn encoding(&self) -> Encoding {
        self.encoder.encoding
    }

    /// Encodes `fields` and writes them as one record. `loc(i)` says where field `i` came from,
    /// for the error if it cannot be encoded.
    pub fn write_texts<S: AsRef<str>>(&mut self, fields: &[S], loc: impl Fn(usize) -> Loc) -> Result<()> {
        self.record.clear();
        for (i, f) in fields.iter().enumerate() {
            self.scratch.clear();
            self.encoder.encode(f.as_ref(), &mut self.scratch).map_err(|u| u.error(loc(i), self.encoding()))?;
            self.record.push_field(&self.scratch);
        }
        let rec = std::mem::take(&mut self.record);
        let res = self.write_record(&rec);
        self.record = rec;
        res
    }

    /// Writes a header row of canonical names.
    pub fn write_header<S: AsRef<str>>(&mut self, names: &[S]) -> Result<()> {
        let name = self.name.clone();
        self.write_texts(names, |_| Loc::line(name.clone(), 1))
    }

    /// Writes a record whose fields are already in this writer's encoding.
    pub fn write_record(&mut self, rec: &ByteRecord) -> Result<()> {
        self.pending = true;
        self.writer.write_byte_record(rec).map_err(|e| csv_write_error(&self.name, e))
    }

    /// Writes bytes that are already CSV records in this writer's encoding and line ending
    /// (from a [`super::RowStore`]).
    pub fn write_raw(&mut self, bytes: &[u8]) -> Result<()> {
        // a csv flush also flushes the sink (a write(2)): only when records are waiting
        if self.pending {
            self.writer.flush().map_err(|e| Error::io(self.name.clone(), e))?;
            self.pending = false;
        }
        self.writer.get_ref().0.borrow_mut().write_all(bytes).map_err(|e| Error::io(self.name.clone(), e))
    }

    /// Flushes and commits the output (renames a file into place). Returns how many characters
    /// were replaced by 〓.
    pub fn finish(self) -> Result<u64> {
        self.finish_with(Sink::commit)
    }

    /// Like [`CsvOut::finish`], but the file gets its name now, even inside a commit group (a
    /// working file another step of the same run reads).
    pub fn finish_now(self) -> Result<u64> {
        self.finish_with(Sink::commit_now)
    }

    fn finish_with(self, commit: fn(Sink) -> Result<()>) -> Result<u64> {
        let replaced = self.encoder.replaced;
        let name = self.name;
        let shared = self.writer.into_inner().map_err(|e| Error::io(name.clone(), e.into_error()))?;
        commit(shared.0.into_inner())?;
        Ok(replaced)
    }
}

fn csv_write_error(name: &str, e: csv::Error) -> Error {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => Error::io(name, io),
        other => Error::io(name, io::Error::other(format!("{other:?}"))),
    }
}

/// CSV records encoded for an output but kept in memory: rows made on worker threads and then
/// written in order with [`CsvOut::write_raw`].
pub struct RecordBuf {
    encoder: TextEncoder,
    writer: csv::Writer<Vec<u8>>,
    record: ByteRecord,
    scratch: Vec<u8>,
}

impl RecordBuf {
    /// An empty buffer in `spec`'s encoding and line ending.
    pub fn new(spec: &OutputSpec) -> RecordBuf {
        let terminator = if spec.crlf { csv::Terminator::CRLF } else { csv::Terminator::Any(b'\n') };
        let writer = csv::WriterBuilder::new().terminator(terminator).buffer_capacity(8192).from_writer(Vec::new());
        RecordBuf { encoder: spec.encoder(), writer, record: ByteRecord::new(), scratch: Vec::new() }
    }

    /// Encodes `fields` as one record; `loc(i)` says where field `i` came from.
    pub fn push<S: AsRef<str>>(&mut self, fields: &[S], loc: impl Fn(usize) -> Loc) -> Result<()> {
        self.record.clear();
        for (i, f) in fields.iter().enumerate() {
            self.scratch.clear();
            let enc = self.encoder.encoding;
            self.encoder.encode(f.as_ref(), &mut self.scratch).map_err(|u| u.error(loc(i), enc))?;
            self.record.push_field(&self.scratch);
        }
        self.writer.write_byte_record(&self.record).map_err(|e| csv_write_error("-", e))
    }

    /// The bytes, and how many characters were replaced by 〓.
    pub fn finish(self) -> Result<(Vec<u8>, u64)> {
        let replaced = self.encoder.replaced;
        let bytes = self.writer.into_inner().map_err(|e| Error::io("-", e.into_error()))?;
        Ok((bytes, replaced))
    }
}
