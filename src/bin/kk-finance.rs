use clap::Parser;
use kk::cmd::{self, finance};

fn main() -> std::process::ExitCode {
    let cli = finance::Cli::parse();
    cmd::main(finance::TOOL, || finance::run(&cli))
}
