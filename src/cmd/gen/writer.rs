//! A CSV being written with the physical line of each record tracked (quoted line breaks push
//! later records down), so planted anomalies are listed with the line a tool reports.

use std::path::Path;

use crate::error::{Loc, Result};
use crate::io::{CsvOut, Encoding, OutputSpec};

/// A CSV being written with the physical line of each record tracked (quoted line breaks
/// push later records down).
pub struct Writer {
    out: CsvOut,
    next_line: u64,
}

impl Writer {
    pub fn create(dir: &Path, name: &str, enc: Encoding, header: &[&str]) -> Result<Writer> {
        let spec = OutputSpec { path: Some(dir.join(name)), encoding: enc, replace: false, crlf: enc.is_sjis() };
        let mut out = CsvOut::create(&spec)?;
        out.write_header(header)?;
        Ok(Writer { out, next_line: 2 })
    }
    /// Writes a record and returns the line it starts on.
    pub fn row<S: AsRef<str>>(&mut self, fields: &[S]) -> Result<u64> {
        let line = self.next_line;
        let name = self.out.name().to_string();
        self.out.write_texts(fields, |_| Loc::line(name.clone(), line))?;
        self.next_line += 1 + fields.iter().map(|f| f.as_ref().matches('\n').count() as u64).sum::<u64>();
        Ok(line)
    }
    pub fn finish(self) -> Result<()> {
        self.out.finish().map(|_| ())
    }
    /// Names the file now (a working file the same run reads next).
    pub fn finish_now(self) -> Result<()> {
        self.out.finish_now().map(|_| ())
    }
}
