use clap::Parser;
use kk::cmd::{self, anonymize};

fn main() -> std::process::ExitCode {
    let cli = anonymize::Cli::parse();
    cmd::main(anonymize::TOOL, || anonymize::run(&cli))
}
