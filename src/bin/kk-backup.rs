use clap::Parser;
use kk::cmd::{self, backup};

fn main() -> std::process::ExitCode {
    let cli = backup::Cli::parse();
    cmd::exit(backup::TOOL, backup::run(&cli))
}
