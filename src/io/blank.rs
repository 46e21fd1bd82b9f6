//! Blank lines counted: the csv crate skips an empty LF line without counting it, so every later
//! line number would be one short. This adapter puts a CR before an LF that starts a line outside
//! quotes; the line then reads as one field holding the CR, which the reader skips and counts,
//! exactly as it does for a blank CRLF line.

use std::io::{self, Read};

pub struct CountBlankLines<R> {
    inner: R,
    in_quotes: bool,
    /// The next byte starts a line.
    at_line_start: bool,
    buf: Vec<u8>,
    pos: usize,
}

impl<R: Read> CountBlankLines<R> {
    pub fn new(inner: R) -> Self {
        CountBlankLines { inner, in_quotes: false, at_line_start: true, buf: Vec::new(), pos: 0 }
    }

    fn refill(&mut self) -> io::Result<()> {
        let mut chunk = vec![0u8; 1 << 16];
        let n = loop {
            match self.inner.read(&mut chunk) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                other => break other?,
            }
        };
        chunk.truncate(n);
        self.buf.clear();
        self.pos = 0;
        let mut copied = 0;
        for i in memchr::memchr2_iter(b'"', b'\n', &chunk) {
            if chunk[i] == b'"' {
                self.in_quotes = !self.in_quotes;
            } else if !self.in_quotes {
                let blank = if i == 0 { self.at_line_start } else { chunk[i - 1] == b'\n' };
                if blank {
                    self.buf.extend_from_slice(&chunk[copied..i]);
                    self.buf.push(b'\r');
                    copied = i;
                }
            }
        }
        self.buf.extend_from_slice(&chunk[copied..]);
        if let Some(&last) = chunk.last() {
            // a quoted line break does not start a line the csv reader would skip
            self.at_line_start = last == b'\n' && !self.in_quotes;
        }
        Ok(())
    }
}

impl<R: Read> Read for CountBlankLines<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.pos == self.buf.len() {
            self.refill()?;
        }
        let n = out.len().min(self.buf.len() - self.pos);
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn through(input: &[u8], chunk: usize) -> Vec<u8> {
        struct Chunked<'a>(&'a [u8], usize);
        impl Read for Chunked<'_> {
            fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
                let n = self.0.len().min(self.1).min(out.len());
                out[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let mut out = Vec::new();
        CountBlankLines::new(Chunked(input, chunk)).read_to_end(&mut out).unwrap();
        out
    }

    #[test]
    fn blank_lines_outside_quotes_get_a_cr() {
        for chunk in [1, 2, 3, 1000] {
            assert_eq!(through(b"a\n\nb\n", chunk), b"a\n\r\nb\n");
            assert_eq!(through(b"\na\n", chunk), b"\r\na\n");
            assert_eq!(through(b"\"x\n\ny\"\n\nz\n", chunk), b"\"x\n\ny\"\n\r\nz\n", "inside quotes untouched");
            assert_eq!(through(b"a\r\n\r\nb\r\n", chunk), b"a\r\n\r\nb\r\n", "CRLF untouched");
        }
    }
}
