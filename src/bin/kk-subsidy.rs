use clap::Parser;
use kk::cmd::{self, subsidy};

fn main() -> std::process::ExitCode {
    let cli = subsidy::Cli::parse();
    cmd::main(subsidy::TOOL, || subsidy::run(&cli))
}
