use clap::Parser;
use kk::cmd::{self, ticket};

fn main() -> std::process::ExitCode {
    let cli = ticket::Cli::parse();
    cmd::main(ticket::TOOL, || ticket::run(&cli))
}
