use clap::Parser;
use kk::cmd::{self, statutory};

fn main() -> std::process::ExitCode {
    let cli = statutory::Cli::parse();
    cmd::main(statutory::TOOL, || statutory::run(&cli))
}
