use clap::Parser;
use kk::cmd::{self, docgen};

fn main() -> std::process::ExitCode {
    let cli = docgen::Cli::parse();
    cmd::main(docgen::TOOL, || docgen::run(&cli))
}
