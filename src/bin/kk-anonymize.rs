use kk::cmd::{self, anonymize};

fn main() -> std::process::ExitCode {
    let cli: anonymize::Cli = cmd::shared::cli::parse(anonymize::TOOL);
    cmd::main(anonymize::TOOL, || anonymize::run(&cli))
}
