use clap::Parser;
use kk::cmd::{self, backup};

fn main() -> std::process::ExitCode {
    let cli = backup::Cli::parse();
    cmd::main(backup::TOOL, || backup::run(&cli))
}
