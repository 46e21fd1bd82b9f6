use kk::cmd::{self, docgen};

fn main() -> std::process::ExitCode {
    let cli: docgen::Cli = cmd::shared::cli::parse(docgen::TOOL);
    cmd::main(docgen::TOOL, || docgen::run(&cli))
}
