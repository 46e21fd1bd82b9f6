use kk::cmd::{self, r#gen};

fn main() -> std::process::ExitCode {
    let cli: r#gen::Cli = cmd::shared::cli::parse(r#gen::TOOL);
    cmd::main(r#gen::TOOL, || r#gen::run(&cli))
}
