//! kk-docgen — man pages and shell completions for every tool, from their clap definitions
//! (`make install` runs it; not installed itself). `--list` prints the tools' names, the one
//! list the Makefile installs from.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

pub const TOOL: &str = "kk-docgen";

/// 各ツールの man ページ (man1) とシェル補完 (bash, zsh) を書き出す
#[derive(Debug, clap::Parser)]
#[command(
    name = TOOL,
    version,
    after_help = "例:\n  kk-docgen --out ~/.local/share\n  kk-docgen --list\n\n終了コード: 0 完了 / 2 書き出せない"
)]
pub struct Cli {
    /// 書き出す先 (DIR/man/man1/*.1, DIR/bash-completion/completions/*, DIR/zsh/site-functions/_*)
    #[arg(long, value_name = "DIR", required_unless_present = "list")]
    pub out: Option<PathBuf>,

    /// インストールするツールの名前を1行に1つ書く
    #[arg(long)]
    pub list: bool,
}

/// Every installed tool's command definition (kk-docgen itself is not installed), as the
/// binaries show it (Japanese headings and flags).
pub fn commands() -> Vec<clap::Command> {
    super::installed().map(|t| super::shared::cli::localize((t.command)())).collect()
}

/// The man pages of `cmd` and of each of its subcommands, named as the pages refer to each
/// other (`kk-import.1`, `kk-import-master.1`), with their texts.
fn man_pages(cmd: &clap::Command) -> Result<Vec<(String, Vec<u8>)>> {
    let mut cmd = cmd.clone();
    cmd.build();
    let mut pages = Vec::new();
    let mut walk = vec![(cmd.get_name().to_string(), cmd)];
    while let Some((name, c)) = walk.pop() {
        for sub in c.get_subcommands() {
            let sub_name = format!("{name}-{}", sub.get_name());
            walk.push((sub_name.clone(), sub.clone().name(sub_name)));
        }
        let mut page = Vec::new();
        clap_mangen::Man::new(c).render(&mut page).map_err(|e| Error::io(&name, e))?;
        pages.push((name, page));
    }
    pages.sort();
    Ok(pages)
}

fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    std::fs::write(path, bytes).map_err(|e| Error::io(path, e))
}

pub fn run(cli: &Cli) -> Result<u8> {
    if cli.list {
        for c in commands() {
            println!("{}", c.get_name());
        }
        return Ok(0);
    }
    let Some(out) = &cli.out else { return Ok(0) };
    for mut cmd in commands() {
        let name = cmd.get_name().to_string();
        for (page_name, page) in man_pages(&cmd)? {
            write(&out.join("man/man1").join(format!("{page_name}.1")), &page)?;
        }
        for (shell, path) in [
            (clap_complete::Shell::Bash, out.join("bash-completion/completions").join(&name)),
            (clap_complete::Shell::Zsh, out.join("zsh/site-functions").join(format!("_{name}"))),
        ] {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut cmd, name.clone(), &mut script);
            write(&path, &script)?;
        }
    }
    Ok(0)
}
