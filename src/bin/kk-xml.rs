use clap::Parser;
use kk::cmd::{self, xml};

fn main() -> std::process::ExitCode {
    let cli = xml::Cli::parse();
    cmd::main(xml::TOOL, || xml::run(&cli))
}
