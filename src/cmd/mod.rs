//! One folder per tool: its arguments and `run` in `mod.rs`, one file per concern beside it. A
//! tool `kk-X` is the module `cmd::X` (a Rust keyword is written as a raw identifier:
//! `kk-gen` → `cmd::r#gen`). What several tools share is in [`shared`]. The binaries in
//! `src/bin/` only parse arguments and call [`exit`] with the result.

pub mod anonymize;
pub mod backup;
pub mod docgen;
pub mod doctor;
pub mod finance;
pub mod r#gen;
pub mod import;
pub mod limitcheck;
pub mod report;
pub mod shared;
pub mod sql;
pub mod statutory;
pub mod stratify;
pub mod subsidy;
pub mod ticket;
pub mod unexamined;
pub mod xml;

use clap::CommandFactory;

pub use shared::{exit, main};

/// A tool: its binary's name and its command definition (for man pages, completions and the
/// tests that check every tool's help).
pub struct Tool {
    pub name: &'static str,
    pub command: fn() -> clap::Command,
}

/// Every tool, in the order the README lists them. The Makefile installs these binaries
/// (`kk-docgen --list`), docgen writes their man pages, the tests check each one's help.
pub const TOOLS: &[Tool] = &[
    Tool { name: import::TOOL, command: import::Cli::command },
    Tool { name: limitcheck::TOOL, command: limitcheck::Cli::command },
    Tool { name: finance::TOOL, command: finance::Cli::command },
    Tool { name: unexamined::TOOL, command: unexamined::Cli::command },
    Tool { name: subsidy::TOOL, command: subsidy::Cli::command },
    Tool { name: stratify::TOOL, command: stratify::Cli::command },
    Tool { name: ticket::TOOL, command: ticket::Cli::command },
    Tool { name: statutory::TOOL, command: statutory::Cli::command },
    Tool { name: sql::TOOL, command: sql::Cli::command },
    Tool { name: xml::TOOL, command: xml::Cli::command },
    Tool { name: anonymize::TOOL, command: anonymize::Cli::command },
    Tool { name: backup::TOOL, command: backup::Cli::command },
    Tool { name: report::TOOL, command: report::Cli::command },
    Tool { name: doctor::TOOL, command: doctor::Cli::command },
    Tool { name: r#gen::TOOL, command: r#gen::Cli::command },
    Tool { name: docgen::TOOL, command: docgen::Cli::command },
];

/// The tools `make install` puts in place: every tool but kk-docgen, which writes their pages.
pub fn installed() -> impl Iterator<Item = &'static Tool> {
    TOOLS.iter().filter(|t| t.name != docgen::TOOL)
}

/// Every code a tool can emit, from the tables that state them (docs/errors.md lists each).
pub fn all_codes() -> Vec<&'static str> {
    let mut codes: Vec<&'static str> = crate::error::Error::CODES.to_vec();
    codes.extend(crate::error::FieldError::ALL.iter().map(|c| c.code()));
    codes.extend(crate::domain::statutory::Reason::ALL.iter().map(|c| c.code()));
    codes.extend(limitcheck::Check::ALL.iter().map(|c| c.code()));
    codes.extend(unexamined::UCheck::ALL.iter().map(|c| c.code()));
    codes.extend(statutory::Verdict::ALL.iter().map(|c| c.code()));
    codes.extend(backup::Finding::ALL.iter().map(|c| c.code()));
    codes.extend(xml::XCheck::ALL.iter().map(|c| c.code()));
    codes.extend(doctor::DCheck::ALL.iter().map(|c| c.code()));
    codes
}
