use clap::Parser;
use kk::cmd::{self, generate};

fn main() -> std::process::ExitCode {
    let cli = generate::Cli::parse();
    cmd::exit(generate::TOOL, generate::run(&cli))
}
