//! kk-docgen — man pages and shell completions for every tool, from their clap definitions
//! (`make install` runs it; not installed itself).

use std::path::{Path, PathBuf};

use clap::{CommandFactory, Parser};

use crate::error::{Error, Result};

pub const TOOL: &str = "kk-docgen";

/// 各ツールの man ページ (man1) とシェル補完 (bash, zsh) を書き出す
#[derive(Debug, Parser)]
#[command(name = "kk-docgen", version, after_help = "例:\n  kk-docgen --out ~/.local/share")]
pub struct Cli {
    /// 書き出す先 (DIR/man/man1/*.1, DIR/bash-completion/completions/*, DIR/zsh/site-functions/_*)
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

/// Every tool's command definition.
pub fn commands() -> Vec<clap::Command> {
    use super::*;
    vec![
        import::Cli::command(),
        limitcheck::Cli::command(),
        finance::Cli::command(),
        unexamined::Cli::command(),
        subsidy::Cli::command(),
        statutory::Cli::command(),
        anonymize::Cli::command(),
        backup::Cli::command(),
        runreport::Cli::command(),
        generate::Cli::command(),
    ]
}

fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    std::fs::write(path, bytes).map_err(|e| Error::io(path, e))
}

pub fn run(cli: &Cli) -> Result<u8> {
    for mut cmd in commands() {
        let name = cmd.get_name().to_string();
        let mut page = Vec::new();
        clap_mangen::Man::new(cmd.clone()).render(&mut page).map_err(|e| Error::io(&name, e))?;
        write(&cli.out.join("man/man1").join(format!("{name}.1")), &page)?;
        for (shell, path) in [
            (clap_complete::Shell::Bash, cli.out.join("bash-completion/completions").join(&name)),
            (clap_complete::Shell::Zsh, cli.out.join("zsh/site-functions").join(format!("_{name}"))),
        ] {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut cmd, name.clone(), &mut script);
            write(&path, &script)?;
        }
    }
    Ok(0)
}
