//! The one error type of the library, with stable codes (docs/errors.md).
//!
//! Two kinds of problem exist:
//! - [`Error`]: fatal. The tool stops before writing anything and exits 2 (or 3 for an
//!   integrity failure). Shown as `kk-<tool>: E<code> <file>:<line>行目 列「<column>」: <message>`.
//! - [`FieldError`]: a problem with one value of one row. The row is rejected, listed in the
//!   error list, and processing goes on.
//!
//! No message ever contains a field value: they cite file, line and column only, because the
//! values are personal data (names, birth dates, 記号・番号). Error *lists* are data files and
//! carry the value so staff can fix the record.

use std::fmt;
use std::path::PathBuf;

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

/// A fatal error. Every variant has a stable code; see `docs/errors.md`.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("E001 {path}: ファイルを読み書きできません ({source})", path = .path.display())]
    Io { path: PathBuf, source: std::io::Error },

    #[error("E002 {loc}: {encoding}として読めないバイト列があります (--encoding を確認してください)")]
    Undecodable { loc: Loc, encoding: &'static str },

    #[error("E003 {file}: 必須の列「{column}」がありません")]
    MissingColumn { file: String, column: String },

    #[error("E004 {loc}: 列数が {found} 個です (見出しは {expected} 個)")]
    Ragged { loc: Loc, expected: usize, found: usize },

    #[error("E005 {file}: 空のファイルです (見出し行がありません)")]
    Empty { file: String },

    #[error("E006 {loc}: CSVとして読めません ({detail})")]
    Csv { loc: Loc, detail: String },

    #[error("E007 {path}: レイアウト定義が正しくありません: {detail}", path = .path.display())]
    Layout { path: PathBuf, detail: String },

    #[error(
        "E008 {loc}: 出力の文字コード ({encoding}) で表せない文字 U+{code:04X} があります (--replace-unmappable で「〓」に置き換えられます)"
    )]
    Unencodable { loc: Loc, encoding: &'static str, code: u32 },

    #[error("E010 {file}: 列「{column}」が見出しに2回以上あります")]
    DuplicateHeader { file: String, column: String },

    #[error("E011 オプション {option} の値が正しくありません: {detail}")]
    Usage { option: &'static str, detail: String },

    #[error("E012 {loc}: {what}に不正な値があります ({code}: {message})")]
    InvalidReference { loc: Loc, what: &'static str, code: &'static str, message: &'static str },

    #[error("E013 {file}: {first}行目と{second}行目の契約が同じ健診機関・保険者・契約区分で期間が重なっています")]
    ContractOverlap { file: String, first: u64, second: u64 },

    #[error(
        "E014 {file}: {first}行目と{second}行目の契約(健診機関ごとと保険者ごと)がどちらも使える期間があります。その健診機関と保険者の契約を追加してください"
    )]
    ContractTie { file: String, first: u64, second: u64 },

    #[error("E015 {path}: 設定ファイルが正しくありません: {detail}", path = .path.display())]
    Config { path: PathBuf, detail: String },

    #[error("E016 {loc}: 値が正しくありません ({code}: {message})")]
    InvalidValue { loc: Loc, code: &'static str, message: &'static str },

    #[error("E017 {loc}: 保険者一覧にない保険者です")]
    UnknownInsurer { loc: Loc },

    #[error("E018 {loc}: 処理年月が1つのファイルの中で違います")]
    MixedMonths { loc: Loc },

    #[error(
        "E019 請求書用の日本語フォントが見つかりません。apt-get install fonts-ipaexfont-gothic でインストールするか、--font または KK_FONT で TrueType/OpenType フォントを指定してください"
    )]
    NoFont,

    #[error(
        "E020 {file}: 列「{column}」は匿名化の規則にない列です。残すなら --pass \"{column}\"、削除するなら --drop \"{column}\" を指定してください"
    )]
    UnknownColumn { file: String, column: String },

    #[error("E021 {what} {path} を使えません: {detail}", path = .path.display())]
    Secret { path: PathBuf, what: &'static str, detail: String },

    #[error("E022 {path} を復号できません: 鍵またはパスフレーズが合いません", path = .path.display())]
    WrongKey { path: PathBuf },

    #[error(
        "E023 復元先に同じ名前のファイルが {count} 件あります (最初: {first})。上書きするなら --force を付けてください"
    )]
    WouldOverwrite { count: usize, first: String },

    #[error("E900 整合性チェックに失敗しました: {detail}")]
    Integrity { detail: String },

    #[error("E901 {path}: アーカイブが壊れているか、途中で切れています ({detail})", path = .path.display())]
    Damaged { path: PathBuf, detail: String },
}

impl Error {
    /// The stable code, e.g. `E003`.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Io { .. } => "E001",
            Error::Undecodable { .. } => "E002",
            Error::MissingColumn { .. } => "E003",
            Error::Ragged { .. } => "E004",
            Error::Empty { .. } => "E005",
            Error::Csv { .. } => "E006",
            Error::Layout { .. } => "E007",
            Error::Unencodable { .. } => "E008",
            Error::DuplicateHeader { .. } => "E010",
            Error::Usage { .. } => "E011",
            Error::InvalidReference { .. } => "E012",
            Error::ContractOverlap { .. } => "E013",
            Error::ContractTie { .. } => "E014",
            Error::Config { .. } => "E015",
            Error::InvalidValue { .. } => "E016",
            Error::UnknownInsurer { .. } => "E017",
            Error::MixedMonths { .. } => "E018",
            Error::NoFont => "E019",
            Error::UnknownColumn { .. } => "E020",
            Error::Secret { .. } => "E021",
            Error::WrongKey { .. } => "E022",
            Error::WouldOverwrite { .. } => "E023",
            Error::Damaged { .. } => "E901",
            Error::Integrity { .. } => "E900",
        }
    }

    /// Exit code (SPEC §1): 3 for a failed integrity check, 2 for everything else.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Integrity { .. } | Error::Damaged { .. } => 3,
            _ => 2,
        }
    }

    /// A closed stdout (`kk-import … | head`) is not a failure.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Error::Io { source, .. } if source.kind() == std::io::ErrorKind::BrokenPipe)
    }

    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Io { path: path.into(), source }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A problem with one value of one row: the row is rejected and listed, processing goes on.
/// The code and message are stable and listed in docs/errors.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FieldError {
    /// E101 a required value is empty.
    Required,
    /// E102 wrong length or characters for a code field.
    Format,
    /// E103 the check digit does not match.
    CheckDigit,
    /// E104 not a date in any accepted form.
    Date,
    /// E105 an era date outside its era (平成31年5月1日).
    EraRange,
    /// E106 a code value outside its list (性別, 異動区分, 課税区分).
    Code,
    /// E107 a character that is not katakana in 氏名カナ.
    Kana,
    /// E108 dates in the wrong order (喪失 before 取得, 取得 before birth).
    DateOrder,
    /// E109 a date after the as-of date.
    Future,
    /// E110 too many characters.
    TooLong,
    /// E111 not an amount in yen (or a count).
    Amount,
    /// E201 the same person key occurs more than once in one input.
    DuplicateKey,
    /// E202 新規 for a key the master already holds.
    AlreadyExists,
    /// E203 変更 or 喪失 for a key the master does not hold.
    NotFound,
    /// E204 喪失 for a record that has already lost qualification.
    AlreadyLost,
    /// E205 a household the master does not know.
    UnknownHousehold,
}

impl FieldError {
    pub fn code(self) -> &'static str {
        match self {
            FieldError::Required => "E101",
            FieldError::Format => "E102",
            FieldError::CheckDigit => "E103",
            FieldError::Date => "E104",
            FieldError::EraRange => "E105",
            FieldError::Code => "E106",
            FieldError::Kana => "E107",
            FieldError::DateOrder => "E108",
            FieldError::Future => "E109",
            FieldError::TooLong => "E110",
            FieldError::Amount => "E111",
            FieldError::DuplicateKey => "E201",
            FieldError::AlreadyExists => "E202",
            FieldError::NotFound => "E203",
            FieldError::AlreadyLost => "E204",
            FieldError::UnknownHousehold => "E205",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            FieldError::Required => "必須項目が空です",
            FieldError::Format => "桁数または文字の種類が正しくありません",
            FieldError::CheckDigit => "検証番号(チェックディジット)が一致しません",
            FieldError::Date => "日付として解釈できません",
            FieldError::EraRange => "元号の期間外の日付です",
            FieldError::Code => "コード値が正しくありません",
            FieldError::Kana => "カナ以外の文字が含まれています",
            FieldError::DateOrder => "日付の前後関係が正しくありません",
            FieldError::Future => "基準日より後の日付です",
            FieldError::TooLong => "文字数が上限を超えています",
            FieldError::Amount => "金額または件数として解釈できません",
            FieldError::DuplicateKey => "同じ被保険者キーが入力に複数回あります(全行を保留)",
            FieldError::AlreadyExists => "新規ですが、既にマスタにあるキーです",
            FieldError::NotFound => "変更・喪失ですが、マスタにないキーです",
            FieldError::AlreadyLost => "既に資格を喪失しているキーへの喪失です",
            FieldError::UnknownHousehold => "マスタにない世帯です",
        }
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
    }

    #[test]
    fn codes_are_unique() {
        use FieldError::*;
        let all = [
            Required,
            Format,
            CheckDigit,
            Date,
            EraRange,
            Code,
            Kana,
            DateOrder,
            Future,
            TooLong,
            Amount,
            DuplicateKey,
            AlreadyExists,
            NotFound,
            AlreadyLost,
            UnknownHousehold,
        ];
        let mut codes: Vec<_> = all.iter().map(|e| e.code()).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), all.len());
    }
}
