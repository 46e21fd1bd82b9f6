//! Text normalization on import (SPEC §1 "Values", DOMAIN.md "Normalization").
//!
//! Every function returns `Cow::Borrowed` when the text is already normal, so the CSV layer can
//! copy such fields as raw bytes (which keeps CP932 byte sequences exactly as read).

use std::borrow::Cow;

use unicode_normalization::UnicodeNormalization;

const IDEOGRAPHIC_SPACE: char = '\u{3000}';

fn is_space(c: char) -> bool {
    c == ' ' || c == IDEOGRAPHIC_SPACE || c == '\t'
}

fn is_halfwidth_kana(c: char) -> bool {
    ('\u{FF61}'..='\u{FF9F}').contains(&c)
}

/// Trims ASCII spaces, tabs and U+3000 at both ends.
pub fn trim(s: &str) -> &str {
    // fast path: U+3000 is E3 80 80 in UTF-8, so a string whose end bytes are none of these
    // has nothing to trim
    match (s.as_bytes().first(), s.as_bytes().last()) {
        (Some(f), Some(l)) if !matches!(f, b' ' | b'\t' | 0xE3) && !matches!(l, b' ' | b'\t' | 0x80) => s,
        _ => s.trim_matches(is_space),
    }
}

/// A code field (保険者番号, 記号, 番号, 枝番, 郵便番号, 世帯番号, dates, codes): NFKC, so full-width
/// digits and letters become half-width, then trimmed.
pub fn normalize_code(s: &str) -> Cow<'_, str> {
    if s.is_ascii() {
        return Cow::Borrowed(trim(s));
    }
    let n: String = s.nfkc().collect();
    let t = trim(&n);
    if t == s { Cow::Borrowed(s) } else { Cow::Owned(t.to_string()) }
}

/// Half-width katakana → full-width, with ﾞ/ﾟ folded into the preceding kana (ｶﾞ → ガ).
/// Only the half-width runs are NFKC-normalized: NFKC on a whole name would also turn ① into 1
/// and ㈱ into (株). A sound mark that cannot combine becomes the spacing ゛/゜, which CP932 holds.
pub fn widen_halfwidth_kana(s: &str) -> Cow<'_, str> {
    // U+FF61–U+FF9F are EF BD A1–EF BE 9F in UTF-8: no EF byte, no half-width kana
    if !s.as_bytes().contains(&0xEF) || !s.chars().any(is_halfwidth_kana) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        for c in run.nfkc() {
            out.push(match c {
                '\u{3099}' => '\u{309B}',
                '\u{309A}' => '\u{309C}',
                c => c,
            });
        }
        run.clear();
    };
    for c in s.chars() {
        if is_halfwidth_kana(c) {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    Cow::Owned(out)
}

/// Free text (住所): half-width kana widened, trimmed.
pub fn normalize_text(s: &str) -> Cow<'_, str> {
    match widen_halfwidth_kana(s) {
        Cow::Borrowed(b) => Cow::Borrowed(trim(b)),
        Cow::Owned(o) => Cow::Owned(trim(&o).to_string()),
    }
}

/// A name (氏名, 氏名カナ): half-width kana widened, trimmed, every run of spaces folded to one
/// full-width space.
pub fn normalize_name(s: &str) -> Cow<'_, str> {
    if is_normal_name(s) { Cow::Borrowed(s) } else { fold_name(s) }
}

/// [`normalize_name`] worked out in full.
fn fold_name(s: &str) -> Cow<'_, str> {
    let widened = widen_halfwidth_kana(s);
    let t = trim(&widened);
    let needs_fold = t.bytes().any(|b| b == b' ' || b == b'\t') || t.contains("\u{3000}\u{3000}");
    if !needs_fold {
        return match widened {
            Cow::Borrowed(b) => Cow::Borrowed(trim(b)),
            Cow::Owned(_) => Cow::Owned(t.to_string()),
        };
    }
    let mut out = String::with_capacity(t.len());
    let mut prev_space = false;
    for c in t.chars() {
        if is_space(c) {
            if !prev_space {
                out.push(IDEOGRAPHIC_SPACE);
            }
            prev_space = true;
        } else {
            out.push(c);
            prev_space = false;
        }
    }
    Cow::Owned(out)
}

/// Whether [`normalize_name`] would leave `s` as it is, in one pass over its bytes: no EF byte
/// (half-width kana are EF BD A1–EF BE 9F), no space or tab, no two ideographic spaces (E3 80
/// 80) in a row, nothing to trim.
fn is_normal_name(s: &str) -> bool {
    const TWO_WIDE_SPACES_AFTER_E3: [u8; 5] = [0x80, 0x80, 0xE3, 0x80, 0x80];
    let b = s.as_bytes();
    for (i, &c) in b.iter().enumerate() {
        match c {
            0xEF | b' ' | b'\t' => return false,
            0xE3 if b[i + 1..].starts_with(&TWO_WIDE_SPACES_AFTER_E3) => return false,
            _ => {}
        }
    }
    trim(s).len() == s.len()
}

/// True when every character of a normalized 氏名カナ is full-width katakana, the long-vowel mark,
/// the middle dot, a spacing sound mark or the full-width space.
pub fn is_kana_name(s: &str) -> bool {
    s.chars().all(|c| {
        matches!(
            c,
            '\u{30A1}'..='\u{30FA}' | '\u{30FB}' | '\u{30FC}' | '\u{30FD}' | '\u{30FE}' | '\u{309B}' | '\u{309C}'
        ) || c == IDEOGRAPHIC_SPACE
    })
}

/// The form of 氏名カナ used to recognise one person under two keys: spaces removed, appended
/// to `out`.
pub fn kana_for_matching(s: &str, out: &mut String) {
    for part in s.split(is_space) {
        out.push_str(part);
    }
}

/// Number of characters (not bytes), for the 20-character limits of 記号 and 番号.
pub fn char_count(s: &str) -> usize {
    s.chars().count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn halfwidth_kana_is_widened_with_sound_marks_folded() {
        assert_eq!(widen_halfwidth_kana("ﾔﾏﾀﾞ ﾀﾛｳ"), "ヤマダ タロウ");
        assert_eq!(widen_halfwidth_kana("ﾊﾟﾝ"), "パン");
        assert_eq!(widen_halfwidth_kana("ｳﾞｧｲｵﾚｯﾄ"), "ヴァイオレット");
        assert_eq!(widen_halfwidth_kana("ｰ･｢｣"), "ー・「」");
        // a sound mark on a kana that cannot take it stays a spacing mark (CP932-encodable)
        assert_eq!(widen_halfwidth_kana("ｱﾞ"), "ア゛");
        assert_eq!(widen_halfwidth_kana("カﾞ"), "カ゛");
        assert!(matches!(widen_halfwidth_kana("ヤマダ"), Cow::Borrowed(_)));
    }

    #[test]
    fn names_keep_nec_characters_and_fold_spaces() {
        assert_eq!(normalize_name("  山田  太郎 "), "山田　太郎");
        assert_eq!(normalize_name("　髙橋　 　﨑子　"), "髙橋　﨑子");
        assert_eq!(normalize_name("ﾔﾏﾀﾞ ﾀﾛｳ"), "ヤマダ　タロウ");
        assert_eq!(normalize_name("㈱①"), "㈱①");
        assert!(matches!(normalize_name("山田　太郎"), Cow::Borrowed(_)));
    }

    #[test]
    fn code_fields_are_nfkc_and_trimmed() {
        assert_eq!(normalize_code("１３１"), "131");
        assert_eq!(normalize_code(" ０６１３２０１３　"), "06132013");
        assert_eq!(normalize_code("ＡＢ－１"), "AB-1");
        assert!(matches!(normalize_code("131"), Cow::Borrowed(_)));
    }

    #[test]
    fn kana_names() {
        assert!(is_kana_name("ヤマダ　タロウ"));
        assert!(is_kana_name("ヴァン・デル・ルー"));
        assert!(!is_kana_name("やまだ"));
        assert!(!is_kana_name("ヤマダ1"));
        assert!(!is_kana_name("山田"));
        let mut m = String::new();
        kana_for_matching("ヤマダ　タロウ", &mut m);
        assert_eq!(m, "ヤマダタロウ");
    }

    #[test]
    fn text_is_widened_and_trimmed() {
        assert_eq!(normalize_text(" 東京都ｺｰﾎﾟ1 "), "東京都コーポ1");
        assert_eq!(normalize_text("大阪府\n2号"), "大阪府\n2号");
    }

    proptest::proptest! {
        /// A name the one-pass check lets through is one that normalizing in full leaves as it is.
        #[test]
        fn a_name_passed_as_normal_needs_nothing(
            parts in proptest::collection::vec(proptest::sample::select(vec![
                "ヤ", "ﾔ", "ﾞ", " ", "\t", "\u{3000}", "山", "a", "①", "ー", "・",
            ]), 0..8),
        ) {
            let s = parts.concat();
            if is_normal_name(&s) {
                proptest::prop_assert_eq!(fold_name(&s), s.as_str());
            }
            proptest::prop_assert_eq!(normalize_name(&s), fold_name(&s));
        }
    }
}
