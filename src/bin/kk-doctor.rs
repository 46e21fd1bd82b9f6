use kk::cmd::{self, doctor};

fn main() -> std::process::ExitCode {
    let cli: doctor::Cli = cmd::shared::cli::parse(doctor::TOOL);
    cmd::main(doctor::TOOL, || doctor::run(&cli))
}
