use clap::Parser;
use kk::cmd::{self, stratify};

fn main() -> std::process::ExitCode {
    let cli = stratify::Cli::parse();
    cmd::main(stratify::TOOL, || stratify::run(&cli))
}
