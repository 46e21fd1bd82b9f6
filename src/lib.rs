//! kenshin-kit (kk): command-line tools for the data side of 特定健診・特定保健指導.
//!
//! - [`io`]: encodings (CP932/UTF-8), CSV reading with physical line numbers, atomic output.
//! - [`layout`]: the canonical file layouts and `--layout` mappings.
//! - [`domain`]: check digits, dates and eras, legal age, fiscal years, normalization.
//! - [`error`]: the error type with stable codes.
//! - [`console`]: progress, messages, the closing tally.
//! - [`parallel`]: work shared out among threads, results in a fixed order.
//! - [`cmd`]: one module per tool.

pub mod cmd;
pub mod console;
pub mod domain;
pub mod error;
pub mod io;
pub mod layout;
pub mod parallel;
