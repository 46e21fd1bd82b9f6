use kk::cmd::{self, subsidy};

fn main() -> std::process::ExitCode {
    let cli: subsidy::Cli = cmd::shared::cli::parse(subsidy::TOOL);
    cmd::main(subsidy::TOOL, || subsidy::run(&cli))
}
