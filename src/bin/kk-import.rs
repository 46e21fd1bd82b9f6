use clap::Parser;
use kk::cmd::{self, import};

fn main() -> std::process::ExitCode {
    let cli = import::Cli::parse();
    cmd::main(import::TOOL, || import::run(&cli))
}
