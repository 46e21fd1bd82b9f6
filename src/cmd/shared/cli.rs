//! The command line in Japanese: clap parses, kk speaks. Every usage error is one coded line
//! (`kk-<tool>: E011 …`, exit 2) with clap's suggestion kept; help has Japanese headings and
//! flags, and its examples are printed as written — never wrapped, so each pastes whole.

use std::ffi::OsString;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Arg, ArgAction, Command, Parser};

/// Parses the process's arguments into `C`; help, version and usage errors end the process here
/// (help and version: exit 0; a usage error: its message on stderr, exit 2).
pub fn parse<C: Parser>(tool: &str) -> C {
    let args: Vec<OsString> = std::env::args_os().collect();
    let cmd = localize(C::command());
    let parsed = cmd.clone().try_get_matches_from(&args).and_then(|m| C::from_arg_matches(&m));
    match parsed {
        Ok(cli) => cli,
        Err(e) => match e.kind() {
            ErrorKind::DisplayHelp => {
                print!("{}", help(cmd, &args));
                std::process::exit(0)
            }
            ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                eprint!("{}", help(cmd, &args));
                std::process::exit(2)
            }
            ErrorKind::DisplayVersion => {
                print!("{}", e.render());
                std::process::exit(0)
            }
            _ => {
                eprintln!("{tool}: E011 {}", message(&e));
                // the whole usage of the command, not clap's shortened one (which lists the
                // options given as if they were required)
                eprintln!("{}", usage(cmd.clone(), &args));
                eprintln!("詳しくは {} --help", command_path(&cmd, &args).join(" "));
                std::process::exit(2)
            }
        },
    }
}

/// `cmd` and its subcommands with Japanese headings, help and version flags, and defaults,
/// choices and variables named in Japanese.
pub fn localize(cmd: Command) -> Command {
    let has_version = cmd.get_version().is_some();
    let names: Vec<String> = cmd.get_subcommands().map(|s| s.get_name().to_string()).collect();
    let mut cmd = cmd
        .help_template("{before-help}{about-with-newline}\n使い方: {usage}\n\n{all-args}{after-help}")
        .subcommand_help_heading("コマンド")
        .disable_help_subcommand(true)
        .mut_args(localize_arg)
        .disable_help_flag(true)
        .arg(
            Arg::new("help")
                .short('h')
                .long("help")
                .action(ArgAction::Help)
                .help("このヘルプを表示する")
                .help_heading("オプション"),
        );
    if has_version {
        cmd = cmd.disable_version_flag(true).arg(
            Arg::new("version")
                .short('V')
                .long("version")
                .action(ArgAction::Version)
                .help("バージョンを表示する")
                .help_heading("オプション"),
        );
    }
    if !names.is_empty() {
        cmd = cmd.subcommand_value_name("コマンド");
    }
    for name in names {
        cmd = cmd.mut_subcommand(name, localize);
    }
    cmd
}

/// One argument: its heading, and its default, choices and environment variable written into
/// its help in Japanese (clap writes them in English).
fn localize_arg(arg: Arg) -> Arg {
    let mut notes = Vec::new();
    // defaults and choices are shown (and hidden from clap) only for an option with a value
    let takes_values = arg.get_action().takes_values();
    let defaults: Vec<String> = arg.get_default_values().iter().map(|v| v.to_string_lossy().into_owned()).collect();
    if !defaults.is_empty() && !arg.is_hide_default_value_set() && takes_values {
        notes.push(format!("既定値: {}", defaults.join(", ")));
    }
    let choices: Vec<String> =
        arg.get_possible_values().iter().filter(|v| !v.is_hide_set()).map(|v| v.get_name().to_string()).collect();
    if !choices.is_empty() && !arg.is_hide_possible_values_set() && takes_values {
        notes.push(format!("選べる値: {}", choices.join(", ")));
    }
    if let Some(env) = arg.get_env()
        && !arg.is_hide_env_set()
    {
        notes.push(format!("環境変数: {}", env.to_string_lossy()));
    }
    let heading = if arg.is_positional() { "引数" } else { "オプション" };
    let mut arg = if takes_values {
        arg.hide_default_value(true).hide_possible_values(true).hide_env(true)
    } else {
        arg.hide_env(true)
    };
    if arg.get_help_heading().is_none() {
        arg = arg.help_heading(heading);
    }
    if notes.is_empty() {
        return arg;
    }
    let help = arg.get_help().map(ToString::to_string).unwrap_or_default();
    arg.help(format!("{help} [{}]", notes.join("; ")))
}

/// The names of the command and the subcommands `args` lead to (`kk-import master`).
fn command_path(cmd: &Command, args: &[OsString]) -> Vec<String> {
    let mut path = vec![cmd.get_name().to_string()];
    let mut at = cmd;
    for a in args.iter().skip(1).filter_map(|a| a.to_str()) {
        if a.starts_with('-') {
            continue;
        }
        match at.find_subcommand(a) {
            Some(sub) => {
                path.push(sub.get_name().to_string());
                at = sub;
            }
            None => break,
        }
    }
    path
}

/// The (sub)command `args` lead to, in `cmd` (built).
fn target<'c>(cmd: &'c mut Command, args: &[OsString]) -> &'c mut Command {
    let path = command_path(cmd, args);
    let mut at = cmd;
    for name in path.iter().skip(1) {
        at = at.find_subcommand_mut(name).expect("found by command_path");
    }
    at
}

/// The usage line of the (sub)command `args` lead to.
fn usage(mut cmd: Command, args: &[OsString]) -> String {
    cmd.build();
    japanese_usage(target(&mut cmd, args).render_usage().to_string().trim_end())
}

/// The help of the (sub)command `args` lead to: clap's layout of the usage and the options
/// (wrapped to the terminal), then the text after them — examples, exit codes — as written.
fn help(mut cmd: Command, args: &[OsString]) -> String {
    cmd.build();
    let at = target(&mut cmd, args);
    let after = at.get_after_long_help().or(at.get_after_help()).map(ToString::to_string);
    let mut bare = at.clone().after_help(None::<&str>).after_long_help(None::<&str>);
    let long = args.iter().any(|a| a == "--help");
    let rendered = if long { bare.render_long_help() } else { bare.render_help() };
    let mut text = japanese_usage(rendered.to_string().trim_end());
    text.push('\n');
    if let Some(after) = after {
        text.push('\n');
        text.push_str(after.trim_end());
        text.push('\n');
    }
    text
}

/// clap's usage placeholders in Japanese.
fn japanese_usage(text: &str) -> String {
    text.replace("Usage: ", "使い方: ").replace("[OPTIONS]", "[オプション]")
}

/// A usage error in Japanese, with clap's suggestion kept.
fn message(e: &clap::Error) -> String {
    let text = |kind| match e.get(kind) {
        Some(ContextValue::String(s)) => Some(s.clone()),
        Some(ContextValue::Strings(v)) => Some(v.join("、")),
        Some(ContextValue::StyledStr(s)) => Some(s.to_string()),
        Some(ContextValue::StyledStrs(v)) => Some(v.iter().map(ToString::to_string).collect::<Vec<_>>().join("、")),
        Some(ContextValue::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let arg = text(ContextKind::InvalidArg).unwrap_or_default();
    let mut line = match e.kind() {
        ErrorKind::UnknownArgument => format!("知らないオプションです: {arg}"),
        ErrorKind::InvalidSubcommand => {
            format!("知らないコマンドです: {}", text(ContextKind::InvalidSubcommand).unwrap_or_default())
        }
        ErrorKind::MissingSubcommand => "コマンドを指定してください".to_string(),
        ErrorKind::MissingRequiredArgument => format!("必要なオプションがありません: {arg}"),
        ErrorKind::InvalidValue => match text(ContextKind::InvalidValue) {
            Some(v) if v.is_empty() => format!("{arg} に値を指定してください"),
            Some(v) => format!("{arg} の値「{v}」は使えません"),
            None => format!("{arg} の値が正しくありません"),
        },
        ErrorKind::ValueValidation => {
            let value = text(ContextKind::InvalidValue).unwrap_or_default();
            format!("{arg} の値「{value}」が正しくありません: {}", why(e))
        }
        ErrorKind::ArgumentConflict => match text(ContextKind::PriorArg) {
            Some(prior) => format!("{arg} は {prior} と一緒には使えません"),
            None => format!("{arg} はほかのオプションと一緒には使えません"),
        },
        ErrorKind::TooManyValues | ErrorKind::WrongNumberOfValues | ErrorKind::TooFewValues => {
            format!("{arg} の値の数が合いません")
        }
        ErrorKind::NoEquals => format!("{arg} の値は = でつないでください"),
        _ if arg.is_empty() => "引数が正しくありません".to_string(),
        _ => format!("引数が正しくありません: {arg}"),
    };
    if let Some(valid) = text(ContextKind::ValidValue) {
        line += &format!(" (使える値: {valid})");
    }
    for kind in [ContextKind::SuggestedArg, ContextKind::SuggestedSubcommand, ContextKind::SuggestedValue] {
        if let Some(s) = text(kind) {
            line += &format!("。{s} のことですか");
        }
    }
    if let Some(ContextValue::Bool(true)) = e.get(ContextKind::TrailingArg) {
        line += "。値が - で始まるときは -- のあとに書いてください";
    }
    line
}

/// Why a value was refused: kk's own parsers say it in Japanese; the standard number parsers'
/// English is put in Japanese.
fn why(e: &clap::Error) -> String {
    use std::num::IntErrorKind;
    let Some(source) = std::error::Error::source(e) else { return String::new() };
    match source.downcast_ref::<std::num::ParseIntError>().map(std::num::ParseIntError::kind) {
        Some(IntErrorKind::Empty) => "値が空です".into(),
        Some(IntErrorKind::PosOverflow | IntErrorKind::NegOverflow) => "大きすぎます".into(),
        Some(_) => "0 以上の整数で指定してください".into(),
        None if source.downcast_ref::<std::num::ParseFloatError>().is_some() => "数で指定してください".into(),
        None => {
            let text = source.to_string();
            // clap's ranged number parsers: "0 is not in 1..=4294967295"
            match text.split_once(" is not in ").and_then(|(_, range)| range.split_once("..=")) {
                Some((low, high)) => format!("{low} から {high} までの整数で指定してください"),
                None => text,
            }
        }
    }
}
