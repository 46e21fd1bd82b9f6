use kk::cmd::{self, finance};

fn main() -> std::process::ExitCode {
    let cli: finance::Cli = cmd::shared::cli::parse(finance::TOOL);
    cmd::main(finance::TOOL, || finance::run(&cli))
}
