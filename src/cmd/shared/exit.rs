//! The end of every binary: a tool's result as its exit code.

use std::process::ExitCode;

use crate::error::Result;

/// Maps a tool's result to its exit code: the error's message on stderr and 2 (or 3), a closed
/// stdout (`| head`) quietly 0.
pub fn exit(tool: &str, result: Result<u8>) -> ExitCode {
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) if e.is_broken_pipe() => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{tool}: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

/// Runs a tool as one commit group (its outputs are committed together when it succeeds, and
/// none is left behind when it fails: [`crate::io::commit::group`]) and maps the result to the
/// exit code.
pub fn main(tool: &str, run: impl FnOnce() -> Result<u8>) -> ExitCode {
    exit(tool, crate::io::commit::group(run))
}

/// Lets go of a run's large tables without freeing them: the process ends right after, and the
/// system takes the memory back at once, where freeing a million rows' small allocations one by
/// one costs about 0.15 s (a tenth of a kk-import run).
pub fn leave_to_exit<T>(value: T) {
    std::mem::forget(value);
}
