use clap::Parser;
use kk::cmd::{self, limitcheck};

fn main() -> std::process::ExitCode {
    let cli = limitcheck::Cli::parse();
    cmd::exit(limitcheck::TOOL, limitcheck::run(&cli))
}
