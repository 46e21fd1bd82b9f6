//! How stdin and stdout are named and recognised (`None` or `-`).

use std::path::Path;

pub const STDIN_NAME: &str = "<標準入力>";
pub const STDOUT_NAME: &str = "<標準出力>";

/// `None` or `-` means stdin/stdout.
pub fn is_std(path: Option<&Path>) -> bool {
    path.is_none_or(|p| p.as_os_str() == "-")
}

/// The name a file is shown by in messages.
pub fn display_name(path: Option<&Path>, std_name: &str) -> String {
    match path {
        Some(p) if !is_std(Some(p)) => p.display().to_string(),
        _ => std_name.to_string(),
    }
}

/// The name a list gives the file a row came from: the file's own name, without its folder
/// (what the workflow report calls it), or the stdin name.
pub fn file_label(path: Option<&Path>) -> String {
    match path.filter(|p| !is_std(Some(p))).and_then(Path::file_name) {
        Some(n) => n.to_string_lossy().into_owned(),
        None => STDIN_NAME.to_string(),
    }
}
