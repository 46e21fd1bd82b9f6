//! What the tools share: their common options, the reading helpers and the readers of the
//! reference files several tools use, and the exit-code mapping of the binaries.

mod args;
pub mod checkups;
pub mod cli;
mod exit;
mod read;
pub mod reference;
pub mod runlog;

pub use args::{EncodingArg, InputArgs, ListFormat, OutputArgs, RunArgs, check_outputs, parse_date_option, parse_fy};
pub use exit::{exit, leave_to_exit, main};
pub use read::{code_at, code_text, read_input, read_rows, reference_error};
