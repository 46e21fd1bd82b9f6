use kk::cmd::{self, stratify};

fn main() -> std::process::ExitCode {
    let cli: stratify::Cli = cmd::shared::cli::parse(stratify::TOOL);
    cmd::main(stratify::TOOL, || stratify::run(&cli))
}
