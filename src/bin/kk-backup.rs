use kk::cmd::{self, backup};

fn main() -> std::process::ExitCode {
    let cli: backup::Cli = cmd::shared::cli::parse(backup::TOOL);
    cmd::main(backup::TOOL, || backup::run(&cli))
}
