use kk::cmd::{self, sql};

fn main() -> std::process::ExitCode {
    let cli: sql::Cli = cmd::shared::cli::parse(sql::TOOL);
    cmd::main(sql::TOOL, || sql::run(&cli))
}
