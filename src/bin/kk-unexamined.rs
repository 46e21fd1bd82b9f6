use clap::Parser;
use kk::cmd::{self, unexamined};

fn main() -> std::process::ExitCode {
    let cli = unexamined::Cli::parse();
    cmd::main(unexamined::TOOL, || unexamined::run(&cli))
}
