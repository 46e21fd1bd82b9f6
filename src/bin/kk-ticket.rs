use kk::cmd::{self, ticket};

fn main() -> std::process::ExitCode {
    let cli: ticket::Cli = cmd::shared::cli::parse(ticket::TOOL);
    cmd::main(ticket::TOOL, || ticket::run(&cli))
}
