use clap::Parser;
use kk::cmd::{self, statutory};

fn main() -> std::process::ExitCode {
    let cli = statutory::Cli::parse();
    cmd::exit(statutory::TOOL, statutory::run(&cli))
}
