//! How a file's column is named in a message. A header cell is quoted only when it is plainly a
//! header: a name kk knows, or text that does not look like a value of a record. Otherwise the
//! message names the column by its position, so a header that swallowed a record (a lost line
//! break) never puts that record's values on the screen.

use super::{ALL_LAYOUTS, ALL_LISTS};
use crate::domain::date::parse_date;
use crate::domain::text::normalize_code;

/// A column name of a canonical layout or of a list kk writes.
pub fn is_known_column(name: &str) -> bool {
    ALL_LAYOUTS.iter().any(|l| l.fields.iter().any(|f| f.name == name)) || ALL_LISTS.iter().any(|l| l.contains(&name))
}

/// Whether a header cell is plainly a value of a record, not a column name: digits (4 or more
/// in a row), a date, control characters, or more than 30 characters. A header holding one has
/// swallowed a record (E024). Kana alone is not enough: `フリガナ` and `ｼﾒｲ` are headers too.
pub fn is_plainly_value(name: &str) -> bool {
    let name = name.trim_matches(|c: char| c.is_whitespace() || c == '\u{3000}');
    if name.is_empty() || is_known_column(name) {
        return false;
    }
    let norm = normalize_code(name);
    let mut run = 0;
    let digit_run = norm.chars().any(|c| {
        run = if c.is_ascii_digit() { run + 1 } else { 0 };
        run >= 4
    });
    digit_run
        || parse_date(&norm).is_ok()
        || norm.chars().all(|c| c.is_ascii_digit() || matches!(c, '-' | '.' | '/'))
        || name.chars().any(char::is_control)
        || name.chars().count() > 30
}

/// Whether a header cell may be a value of a record rather than a column name: plainly one
/// ([`is_plainly_value`]), or katakana alone (it may be a person's name), so a message names
/// its position instead of quoting it.
pub fn looks_like_data(name: &str) -> bool {
    let name = name.trim_matches(|c: char| c.is_whitespace() || c == '\u{3000}');
    if name.is_empty() || is_known_column(name) {
        return false;
    }
    let kana_name = name.chars().count() >= 3
        && name.chars().all(|c| matches!(c, '\u{30A0}'..='\u{30FF}' | '\u{FF66}'..='\u{FF9F}' | ' ' | '\u{3000}'));
    kana_name || is_plainly_value(name)
}

/// The name a message gives the file's column `index` (0-based) headed `header`: the header
/// when it is plainly one, else `N列目`.
pub fn column_label(header: &str, index: usize) -> String {
    if header.trim().is_empty() || looks_like_data(header) {
        format!("{}列目", index + 1)
    } else {
        header.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_quoted_values_are_not() {
        assert_eq!(column_label("保険者番号", 0), "保険者番号");
        assert_eq!(column_label("備考", 13), "備考");
        assert_eq!(column_label("保険者番号(8桁)", 0), "保険者番号(8桁)");
        for value in ["住所130021", "130021", "19710712", "R8.4.1", "ヤマダ　ハナコ", "ﾔﾏﾀﾞ ﾊﾅｺ", "001-0001", "", "a\0b"]
        {
            assert_eq!(column_label(value, 2), "3列目", "{value:?}");
        }
        assert_eq!(column_label(&"列".repeat(31), 0), "1列目");
        assert!(looks_like_data("ヤマダハナコ"), "a name");
        assert!(!looks_like_data("カナ"), "a short word of kana may be a header");
        for header in ["フリガナ", "ｼﾒｲ", "カナ氏名"] {
            assert!(!is_plainly_value(header), "{header}: not a merged record");
        }
        for value in ["130021", "19710712", "R8.4.1", "a\0b", &"列".repeat(31)] {
            assert!(is_plainly_value(value), "{value:?}");
        }
    }
}
