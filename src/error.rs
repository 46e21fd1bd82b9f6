//! The one error type of the library, with stable codes (docs/errors.md), and the tables that
//! give every other code its message.
//!
//! Two kinds of problem exist:
//! - [`Error`]: fatal. The tool stops before writing anything and exits 2 (or 3 for an
//!   integrity failure). Shown as `kk-<tool>: E<code> <file>:<line>行目 列「<column>」: <message>`.
//! - [`FieldError`]: a problem with one value of one row. The row is rejected, listed in the
//!   error list, and processing goes on.
//!
//! Each code is stated once, beside its message, in a [`fatal_errors!`] or [`codes!`] table; the
//! `code()`/`message()` functions and the lists of all codes (for the docs/errors.md test) are
//! generated from those tables.
//!
//! No message ever contains a field value: they cite file, line and column only, because the
//! values are personal data (names, birth dates, 記号・番号). Error *lists* are data files and
//! carry the value so staff can fix the record.

use std::fmt;
use std::path::PathBuf;

/// Declares a unit enum whose variants each carry a stable code and a Japanese message, stated
/// once: `Variant = "L101", "message";`. Generates `code()`, `message()` and `ALL`.
#[macro_export]
macro_rules! codes {
    ($(#[$m:meta])* $vis:vis enum $name:ident { $( $(#[$vm:meta])* $v:ident = $code:literal, $msg:literal; )* }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        $vis enum $name { $( $(#[$vm])* $v, )* }

        impl $name {
            /// Every variant, in code order.
            pub const ALL: &'static [$name] = &[$($name::$v),*];

            /// The stable code (docs/errors.md).
            pub fn code(self) -> &'static str {
                match self { $($name::$v => $code,)* }
            }

            /// The message, in Japanese.
            pub fn message(self) -> &'static str {
                match self { $($name::$v => $msg,)* }
            }
        }
    };
}

/// Declares [`Error`]: each variant with its fields, code, exit code and message format.
macro_rules! fatal_errors {
    ($( $(#[$vm:meta])* $v:ident $({ $($f:ident : $t:ty),* $(,)? })? = $code:literal, $exit:literal => $fmt:literal $(, $arg:expr)* ; )*) => {
        /// A fatal error. Every variant has a stable code; see `docs/errors.md`.
        #[derive(Debug)]
        pub enum Error { $( $(#[$vm])* $v $({ $($f: $t),* })?, )* }

        impl Error {
            /// Every fatal code, in declaration order.
            pub const CODES: &'static [&'static str] = &[$($code),*];

            /// The stable code, e.g. `E003`.
            pub fn code(&self) -> &'static str {
                match self { $(Error::$v { .. } => $code,)* }
            }

            /// Exit code (SPEC §1): 3 for a failed integrity check, 2 for everything else.
            pub fn exit_code(&self) -> u8 {
                match self { $(Error::$v { .. } => $exit,)* }
            }
        }

        impl fmt::Display for Error {
            #[allow(unused_variables)]
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self {
                    $(Error::$v $({ $($f),* })? => {
                        write!(f, "{} ", $code)?;
                        write!(f, $fmt $(, $arg)*)
                    })*
                }
            }
        }
    };
}

/// Where something happened: file, physical line (header = 1), column name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Loc {
    pub file: String,
    pub line: Option<u64>,
    pub column: Option<String>,
}

impl Loc {
    pub fn file(file: impl Into<String>) -> Loc {
        Loc { file: file.into(), line: None, column: None }
    }
    pub fn line(file: impl Into<String>, line: u64) -> Loc {
        Loc { file: file.into(), line: Some(line), column: None }
    }
    pub fn cell(file: impl Into<String>, line: u64, column: impl Into<String>) -> Loc {
        Loc { file: file.into(), line: Some(line), column: Some(column.into()) }
    }
}

impl fmt::Display for Loc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}行目")?;
        }
        if let Some(col) = &self.column {
            write!(f, " 列「{col}」")?;
        }
        Ok(())
    }
}

fatal_errors! {
    Io { path: PathBuf, source: std::io::Error } = "E001", 2
        => "{}: ファイルを読み書きできません ({source})", path.display();
    Undecodable { loc: Loc, encoding: &'static str } = "E002", 2
        => "{loc}: {encoding}として読めないバイト列があります (--encoding を確認してください)";
    ForeignEncoding { file: String, found: &'static str, iconv: &'static str } = "E002", 2
        => "{file}: {found} のファイルです。kk が読めるのは Shift_JIS(CP932) と UTF-8 です \
            (変換するには: iconv -f {iconv} -t UTF-8 {file} > 変換後.csv)";
    MissingColumn { file: String, column: String } = "E003", 2
        => "{file}: 必須の列「{column}」がありません";
    Ragged { loc: Loc, expected: usize, found: usize } = "E004", 2
        => "{loc}: 列数が {found} 個です (見出しは {expected} 個)";
    Empty { file: String } = "E005", 2
        => "{file}: 空のファイルです (見出し行がありません)";
    Csv { loc: Loc, detail: String } = "E006", 2
        => "{loc}: CSVとして読めません ({detail})";
    Layout { path: PathBuf, detail: String } = "E007", 2
        => "{}: レイアウト定義が正しくありません: {detail}", path.display();
    Unencodable { loc: Loc, encoding: &'static str, code: u32 } = "E008", 2
        => "{loc}: 出力の文字コード ({encoding}) で表せない文字 U+{code:04X} があります (--replace-unmappable で「〓」に置き換えられます)";
    DuplicateHeader { file: String, column: String } = "E010", 2
        => "{file}: 列「{column}」が見出しに2回以上あります";
    Usage { option: &'static str, detail: String } = "E011", 2
        => "オプション {option} の値が正しくありません: {detail}";
    InvalidReference { loc: Loc, what: &'static str, code: &'static str, message: &'static str } = "E012", 2
        => "{loc}: {what}に不正な値があります ({code}: {message})";
    ContractOverlap { file: String, first: u64, second: u64 } = "E013", 2
        => "{file}: {first}行目と{second}行目の契約が同じ健診機関・保険者・契約区分で期間が重なっています";
    ContractTie { file: String, first: u64, second: u64 } = "E014", 2
        => "{file}: {first}行目と{second}行目の契約(健診機関ごとと保険者ごと)がどちらも使える期間があります。その健診機関と保険者の契約を追加してください";
    Config { path: PathBuf, detail: String } = "E015", 2
        => "{}: 設定ファイルが正しくありません: {detail}", path.display();
    InvalidValue { loc: Loc, code: &'static str, message: &'static str } = "E016", 2
        => "{loc}: 値が正しくありません ({code}: {message})";
    UnknownInsurer { loc: Loc } = "E017", 2
        => "{loc}: 保険者一覧にない保険者です";
    MixedMonths { loc: Loc } = "E018", 2
        => "{loc}: 処理年月が1つのファイルの中で違います";
    NoFont = "E019", 2
        => "請求書用の日本語フォントが見つかりません。apt-get install fonts-ipaexfont-gothic でインストールするか、--font または KK_FONT で TrueType/OpenType フォントを指定してください";
    UnknownColumn { file: String, column: String, hint: String } = "E020", 2
        => "{file}: 列「{column}」は匿名化の規則にない列です。{hint}";
    Secret { path: PathBuf, what: &'static str, detail: String } = "E021", 2
        => "{what} {} を使えません: {detail}", path.display();
    WrongKey { path: PathBuf } = "E022", 2
        => "{} を復号できません: 鍵またはパスフレーズが合いません", path.display();
    WouldOverwrite { count: usize, first: String } = "E023", 2
        => "復元先に同じ名前のファイルが {count} 件あります (最初: {first})。上書きするなら --force を付けてください";
    HeaderWithData { loc: Loc } = "E024", 2
        => "{loc}: 見出し行に値が混じっているようです。見出しのあとの改行が抜けていないか確認してください";
    CrOnly { file: String } = "E025", 2
        => "{file}: 改行が CR だけのファイルです (古い Mac の形式)。LF か CRLF に変換してから読み込んでください (例: tr '\\r' '\\n' < 元 > 変換後)";
    Xml { loc: Loc, detail: String } = "E026", 2
        => "{loc}: XMLとして読めません: {detail}";
    XmlRoot { loc: Loc, found: String } = "E027", 2
        => "{loc}: 特定健診・特定保健指導の XML ではありません (ルート要素 {found})";
    XmlMissing { loc: Loc, element: &'static str } = "E028", 2
        => "{loc}: 必須の要素 {element} がありません";
    BadZip { path: PathBuf, detail: String } = "E029", 2
        => "{}: ZIP アーカイブとして読めません (壊れているか途中で切れています)\n    詳細: {detail}", path.display();
    Ledger { loc: Loc, detail: String } = "E030", 2
        => "{loc}: 整理番号台帳が正しくありません: {detail}";
    TicketInsurer { loc: Loc } = "E031", 2
        => "{loc}: 設定ファイル (ticket.toml) にない保険者です。[insurer.\"保険者番号\"] を追加してください";
    Sql { place: String, detail: String } = "E032", 2
        => "{place}: SQL を実行できません: {detail}";
    Disclosure { detail: String } = "E033", 2
        => "集計結果だけを出す指定 (--aggregate-only) に反するため出力しません: {detail}";
    Integrity { detail: String } = "E900", 3
        => "整合性チェックに失敗しました: {detail}";
    Damaged { path: PathBuf, detail: String } = "E901", 3
        => "{}: アーカイブが壊れているか、途中で切れています\n    詳細: {detail}", path.display();
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl Error {
    /// A closed stdout (`kk-import … | head`) is not a failure.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Error::Io { source, .. } if source.kind() == std::io::ErrorKind::BrokenPipe)
    }

    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Io { path: path.into(), source }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

codes! {
    /// A problem with one value of one row: the row is rejected and listed, processing goes on.
    pub enum FieldError {
        /// A required value is empty.
        Required = "E101", "必須項目が空です";
        /// Wrong length or characters for a code field.
        Format = "E102", "桁数または文字の種類が正しくありません";
        /// The check digit does not match.
        CheckDigit = "E103", "検証番号(チェックディジット)が一致しません";
        /// Not a date in any accepted form.
        Date = "E104", "日付として解釈できません";
        /// An era date outside its era (平成31年5月1日).
        EraRange = "E105", "元号の期間外の日付です";
        /// A code value outside its list (性別, 異動区分, 課税区分).
        Code = "E106", "コード値が正しくありません";
        /// A character that is not katakana in 氏名カナ.
        Kana = "E107", "カナ以外の文字が含まれています";
        /// Dates in the wrong order (喪失 before 取得, 取得 before birth).
        DateOrder = "E108", "日付の前後関係が正しくありません";
        /// A date after the as-of date.
        Future = "E109", "基準日より後の日付です";
        /// Too many characters.
        TooLong = "E110", "文字数が上限を超えています";
        /// Not an amount in yen (or a count).
        Amount = "E111", "金額または件数として解釈できません";
        /// A malformed quote or a NUL byte in the record (docs/layouts.md "CSVの読み方").
        Malformed = "E112", "CSVの引用符の使い方が正しくないか、NUL文字があります";
        /// Not a number where a result value must be one.
        Number = "E113", "数値として解釈できません";
        /// The same person key occurs more than once in one input.
        DuplicateKey = "E201", "同じ被保険者キーが入力に複数回あります(全行を保留)";
        /// 新規 for a key the master already holds.
        AlreadyExists = "E202", "新規ですが、既にマスタにあるキーです";
        /// 変更 or 喪失 for a key the master does not hold.
        NotFound = "E203", "変更・喪失ですが、マスタにないキーです";
        /// 喪失 for a record that has already lost qualification.
        AlreadyLost = "E204", "既に資格を喪失しているキーへの喪失です";
        /// A household the master does not know.
        UnknownHousehold = "E205", "マスタにない世帯です";
        /// A person the master does not know.
        UnknownPerson = "E206", "マスタにない被保険者です";
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.code(), self.message())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_follow_the_house_format() {
        let e = Error::MissingColumn { file: "in.csv".into(), column: "生年月日".into() };
        assert_eq!(e.to_string(), "E003 in.csv: 必須の列「生年月日」がありません");
        let e = Error::Ragged { loc: Loc::line("<標準入力>", 12), expected: 13, found: 12 };
        assert_eq!(e.to_string(), "E004 <標準入力>:12行目: 列数が 12 個です (見出しは 13 個)");
        let e = Error::Unencodable { loc: Loc::cell("a.csv", 3, "氏名"), encoding: "Shift_JIS", code: 0x1F600 };
        assert!(
            e.to_string()
                .starts_with("E008 a.csv:3行目 列「氏名」: 出力の文字コード (Shift_JIS) で表せない文字 U+1F600")
        );
        assert_eq!(e.exit_code(), 2);
        assert_eq!(Error::Integrity { detail: String::new() }.exit_code(), 3);
        assert_eq!(Error::NoFont.code(), "E019");
        let e = Error::io("x/y.csv", std::io::Error::other("disk full"));
        assert_eq!(e.to_string(), "E001 x/y.csv: ファイルを読み書きできません (disk full)");
    }

    #[test]
    fn codes_are_unique() {
        let mut codes: Vec<_> = FieldError::ALL.iter().map(|e| e.code()).chain(Error::CODES.iter().copied()).collect();
        codes.sort();
        let twice: Vec<_> = codes.windows(2).filter(|w| w[0] == w[1]).map(|w| w[0]).collect();
        // one exception: a file in an encoding kk does not read (UTF-16, EUC-JP) is E002 too,
        // named for what it is (ForeignEncoding)
        assert_eq!(twice, ["E002"]);
        assert_eq!(FieldError::ALL.len(), 19);
    }
}
