//! The one entry point for every reader and writer: encodings, CSV with physical line numbers,
//! atomic 0600 output files, progress.
//!
//! CSV is parsed on the raw bytes (CP932 trail bytes never collide with `,` `"` CR LF), and each
//! field is decoded on demand. A field a tool does not change is written back as its raw bytes
//! when the output encoding is the input's, so CP932 text (外字, NEC and IBM characters) comes
//! out byte for byte as it came in.

pub mod archive;
pub mod columns;
pub mod commit;
pub mod encoding;
mod input;
mod names;
mod output;
pub mod pdf;
mod pipeline;
mod store;
pub mod wellformed;
pub mod xlsx;

pub use encoding::{Encoding, InputEncoding, SjisShape, TextEncoder, Unmappable, sjis_shape};
pub use input::{Chunk, CsvInput, InputContext, Row};
pub use names::{STDIN_NAME, STDOUT_NAME, display_name, file_label, is_std};
pub use output::{CsvOut, OutputSpec, RecordBuf, Sink};
pub use pipeline::{for_each_batch, worker_count};
pub use store::{RowRef, RowStore, goes_out_as_read, push_field, text_row};

/// A TOML settings file (a layout, finance.toml, ticket.toml) read into `T`: an unreadable file
/// is E001, a file that does not parse is the error `wrap` makes of the parser's words on one
/// line — with `quote_hint` first when a Japanese key was left unquoted, the usual slip.
pub fn toml_file<T: serde::de::DeserializeOwned>(
    path: &std::path::Path,
    quote_hint: &str,
    wrap: impl Fn(String) -> crate::error::Error,
) -> crate::error::Result<T> {
    let text = std::fs::read_to_string(path).map_err(|e| crate::error::Error::io(path, e))?;
    toml::from_str(&text).map_err(|e| {
        let mut detail = e.to_string().trim_end().replace('\n', " ");
        if detail.contains("unquoted key") {
            detail.insert_str(0, quote_hint);
        }
        wrap(detail)
    })
}
