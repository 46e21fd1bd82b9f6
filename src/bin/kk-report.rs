use clap::Parser;
use kk::cmd::{self, report};

fn main() -> std::process::ExitCode {
    let cli = report::Cli::parse();
    cmd::main(report::TOOL, || report::run(&cli))
}
