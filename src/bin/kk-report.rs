use kk::cmd::{self, report};

fn main() -> std::process::ExitCode {
    let cli: report::Cli = cmd::shared::cli::parse(report::TOOL);
    cmd::main(report::TOOL, || report::run(&cli))
}
