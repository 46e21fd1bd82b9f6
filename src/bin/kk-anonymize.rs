use clap::Parser;
use kk::cmd::{self, anonymize};

fn main() -> std::process::ExitCode {
    let cli = anonymize::Cli::parse();
    cmd::exit(anonymize::TOOL, anonymize::run(&cli))
}
