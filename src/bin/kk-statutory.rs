use kk::cmd::{self, statutory};

fn main() -> std::process::ExitCode {
    let cli: statutory::Cli = cmd::shared::cli::parse(statutory::TOOL);
    cmd::main(statutory::TOOL, || statutory::run(&cli))
}
