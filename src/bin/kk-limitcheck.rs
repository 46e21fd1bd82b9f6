use clap::Parser;
use kk::cmd::{self, limitcheck};

fn main() -> std::process::ExitCode {
    let cli = limitcheck::Cli::parse();
    cmd::main(limitcheck::TOOL, || limitcheck::run(&cli))
}
