use kk::cmd::{self, limitcheck};

fn main() -> std::process::ExitCode {
    let cli: limitcheck::Cli = cmd::shared::cli::parse(limitcheck::TOOL);
    cmd::main(limitcheck::TOOL, || limitcheck::run(&cli))
}
