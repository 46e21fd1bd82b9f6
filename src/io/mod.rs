//! The one entry point for every reader and writer: encodings, CSV with physical line numbers,
//! atomic 0600 output files, progress.
//!
//! CSV is parsed on the raw bytes (CP932 trail bytes never collide with `,` `"` CR LF), and each
//! field is decoded on demand. A field a tool does not change is written back as its raw bytes
//! when the output encoding is the input's, so CP932 text (外字, NEC and IBM characters) comes
//! out byte for byte as it came in.

pub mod archive;
mod blank;
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

pub use encoding::{Encoding, InputEncoding, TextEncoder, Unmappable};
pub use input::{Chunk, CsvInput, InputContext, Row};
pub use names::{STDIN_NAME, STDOUT_NAME, display_name, is_std};
pub use output::{CsvOut, OutputSpec, RecordBuf, Sink};
pub use pipeline::{for_each_batch, worker_count};
pub use store::{RowRef, RowStore, push_field, text_row};
