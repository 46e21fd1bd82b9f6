use kk::cmd::{self, import};

fn main() -> std::process::ExitCode {
    let cli: import::Cli = cmd::shared::cli::parse(import::TOOL);
    cmd::main(import::TOOL, || import::run(&cli))
}
