use kk::cmd::{self, xml};

fn main() -> std::process::ExitCode {
    let cli: xml::Cli = cmd::shared::cli::parse(xml::TOOL);
    cmd::main(xml::TOOL, || xml::run(&cli))
}
