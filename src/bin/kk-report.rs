use clap::Parser;
use kk::cmd::{self, runreport};

fn main() -> std::process::ExitCode {
    let cli = runreport::Cli::parse();
    cmd::exit(runreport::TOOL, runreport::run(&cli))
}
