use clap::Parser;
use kk::cmd::{self, r#gen};

fn main() -> std::process::ExitCode {
    let cli = r#gen::Cli::parse();
    cmd::main(r#gen::TOOL, || r#gen::run(&cli))
}
