use kk::cmd::{self, unexamined};

fn main() -> std::process::ExitCode {
    let cli: unexamined::Cli = cmd::shared::cli::parse(unexamined::TOOL);
    cmd::main(unexamined::TOOL, || unexamined::run(&cli))
}
