//! The person key 保険者番号 + 被保険者証記号 + 被保険者証番号 + 枝番 (SPEC §2), the identity key
//! 氏名カナ + 生年月日 + 性別 that recognises one person under two keys, and qualification on a
//! day.

use std::fmt;

use jiff::civil::Date;
use unicode_normalization::UnicodeNormalization;

use super::InsurerNumber;

/// A validated person key. Insurers compare on the 8-digit padded form, so `280081` and
/// `00280081` with the same 記号・番号・枝番 are one person.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PersonKey {
    /// padded insurer, 記号, 番号, 枝番 joined by U+001F: sorts field by field and hashes once.
    joined: String,
}

impl PersonKey {
    pub fn new(insurer: &InsurerNumber, kigo: &str, bango: &str, edaban: &str) -> PersonKey {
        PersonKey::from_checked(insurer.as_str(), kigo, bango, edaban)
    }

    /// From an insurer number already validated by [`InsurerNumber::check`] (6 or 8 digits).
    pub fn from_checked(insurer: &str, kigo: &str, bango: &str, edaban: &str) -> PersonKey {
        let mut joined = String::with_capacity(8 + kigo.len() + bango.len() + edaban.len() + 3);
        PersonKey::join_into(insurer, kigo, bango, edaban, &mut joined);
        PersonKey { joined }
    }

    /// From the four columns as a file has them (normalized codes): None when the insurer
    /// number fails [`InsurerNumber::check`] or 番号 is empty.
    pub fn from_columns(insurer: &str, kigo: &str, bango: &str, edaban: &str) -> Option<PersonKey> {
        (InsurerNumber::check(insurer).is_ok() && !bango.is_empty())
            .then(|| PersonKey::from_checked(insurer, kigo, bango, edaban))
    }

    /// The key's displayed form (`00130013/101/1/01`, as [`fmt::Display`] writes it) of the four
    /// columns, appended to `out`; false (nothing written) when [`PersonKey::from_columns`] would
    /// give None.
    pub fn display_columns_into(insurer: &str, kigo: &str, bango: &str, edaban: &str, out: &mut String) -> bool {
        if InsurerNumber::check(insurer).is_err() || bango.is_empty() {
            return false;
        }
        push_parts([insurer, kigo, bango, edaban], '/', out);
        true
    }

    /// Writes the key's text into `out` (cleared first), to look a key up in a map of
    /// [`PersonKey`]s without building one (`PersonKey: Borrow<str>`).
    pub fn join_into(insurer: &str, kigo: &str, bango: &str, edaban: &str, out: &mut String) {
        out.clear();
        PersonKey::push_text(insurer, kigo, bango, edaban, out);
    }

    /// Appends the key's text (as [`PersonKey::join_into`] writes it) to `out`: for keys kept
    /// in a shared buffer rather than one string each.
    pub fn push_text(insurer: &str, kigo: &str, bango: &str, edaban: &str, out: &mut String) {
        push_parts([insurer, kigo, bango, edaban], '\u{1F}', out);
    }

    /// The key as a fixed-size value that sorts as the key does: its first 31 bytes, zero-padded,
    /// then its length (32 for a longer key). Two keys of at most 31 bytes are equal exactly
    /// when their sort keys are; longer keys with the same first 31 bytes tie, and then the
    /// whole keys decide ([`SortKey::is_whole`]). A sort or a merge of many keys compares these,
    /// not strings far apart in memory.
    pub fn sort_key(&self) -> SortKey {
        let mut k = [0u8; 32];
        let n = self.joined.len().min(31);
        k[..n].copy_from_slice(&self.joined.as_bytes()[..n]);
        k[31] = self.joined.len().min(32) as u8;
        SortKey(k)
    }

    /// The positions of `items` in the order of their keys, with the keys' [`SortKey`]s (the
    /// items stay where they are: a large item moved about by a sort costs more than the sort):
    /// sorted by the sort keys, computed once each, then the rare runs of tied long keys by the
    /// whole keys.
    pub fn order<T>(items: &[T], key: impl Fn(&T) -> &PersonKey) -> Vec<(SortKey, usize)> {
        PersonKey::order_by(items, |t| key(t).sort_key(), &key)
    }

    /// [`PersonKey::order`] with the sort keys made already (`sort_key`).
    pub fn order_by<T>(
        items: &[T],
        sort_key: impl Fn(&T) -> SortKey,
        key: impl Fn(&T) -> &PersonKey,
    ) -> Vec<(SortKey, usize)> {
        let mut sorted: Vec<(SortKey, usize)> = items.iter().enumerate().map(|(i, t)| (sort_key(t), i)).collect();
        sorted.sort_unstable();
        for run in sorted.chunk_by_mut(|a, b| a.0 == b.0 && !a.0.is_whole()).filter(|r| r.len() > 1) {
            run.sort_by(|a, b| key(&items[a.1]).cmp(key(&items[b.1])).then(a.1.cmp(&b.1)));
        }
        sorted
    }

    /// The 8-digit insurer number.
    pub fn insurer8(&self) -> &str {
        &self.joined[..8]
    }

    /// The four parts: the 8-digit insurer number, 記号, 番号, 枝番.
    pub fn parts(&self) -> [&str; 4] {
        let mut it = self.joined.split('\u{1F}');
        std::array::from_fn(|_| it.next().unwrap_or(""))
    }
}

/// A [`PersonKey`] as a fixed-size value that sorts as the key does ([`PersonKey::sort_key`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SortKey([u8; 32]);

impl SortKey {
    /// Whether the whole key is in it (at most 31 bytes): then equal sort keys are equal keys.
    pub fn is_whole(&self) -> bool {
        self.0[31] <= 31
    }

    /// The key's 8-digit insurer number (its first 8 bytes).
    pub fn insurer8(&self) -> &str {
        std::str::from_utf8(&self.0[..8]).unwrap_or_default()
    }
}

/// The insurer zero-padded to 8 digits, then 記号, 番号, 枝番, each after `sep`: the key's text
/// (U+001F, which sorts field by field) and its displayed form (`/`).
fn push_parts([insurer, kigo, bango, edaban]: [&str; 4], sep: char, out: &mut String) {
    for _ in insurer.len()..8 {
        out.push('0');
    }
    out.push_str(insurer);
    for part in [kigo, bango, edaban] {
        out.push(sep);
        out.push_str(part);
    }
}

/// A key hashes as its text, so a map of keys can be searched with a `&str` from
/// [`PersonKey::join_into`].
impl std::borrow::Borrow<str> for PersonKey {
    fn borrow(&self) -> &str {
        &self.joined
    }
}

impl fmt::Display for PersonKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut shown = String::with_capacity(self.joined.len());
        push_parts(self.parts(), '/', &mut shown);
        f.write_str(&shown)
    }
}

/// 氏名カナ as the identity key compares it: NFKC (half-width kana become full-width, ideographic
/// spaces become spaces), hiragana as katakana, every space removed. kk-import matches persons
/// on it (重複種別 2 and 3) and kk-anonymize hashes it into ID2 (DOMAIN.md "Anonymization").
pub fn identity_kana(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    push_identity_kana(s, &mut out);
    out
}

/// [`identity_kana`] appended to `out`.
fn push_identity_kana(s: &str, out: &mut String) {
    if !push_plain_katakana(s, out) {
        push_folded_kana(s, out);
    }
}

/// [`push_identity_kana`] worked out in full: NFKC, spaces dropped, hiragana as katakana.
fn push_folded_kana(s: &str, out: &mut String) {
    out.extend(s.nfkc().filter(|c| !c.is_whitespace()).map(|c| match c {
        // ぁ–ゖ and ゝゞ are katakana 0x60 higher
        '\u{3041}'..='\u{3096}' | '\u{309D}' | '\u{309E}' => char::from_u32(c as u32 + 0x60).unwrap_or(c),
        c => c,
    }));
}

/// The common case of [`push_identity_kana`], read by its UTF-8 bytes: full-width katakana
/// ァ–ヺ, ・ and ー (E3 82 A1 – E3 83 BC), which NFKC leaves as they are, and spaces (20, and
/// E3 80 80), which are dropped. Returns false, and writes nothing, for any other text.
fn push_plain_katakana(s: &str, out: &mut String) -> bool {
    let (b, written) = (s.as_bytes(), out.len());
    // the characters since the last space, copied when the next space (or the end) comes
    let (mut i, mut run) = (0, 0);
    while i < b.len() {
        match b[i..] {
            [0xE3, 0x82, 0xA1..=0xBF, ..] | [0xE3, 0x83, 0x80..=0xBC, ..] => i += 3,
            [b' ', ..] | [0xE3, 0x80, 0x80, ..] => {
                out.push_str(&s[run..i]);
                i += if b[i] == b' ' { 1 } else { 3 };
                run = i;
            }
            _ => {
                out.truncate(written);
                return false;
            }
        }
    }
    out.push_str(&s[run..]);
    true
}

/// The identity key: [`identity_kana`] ␟ 生年月日 (YYYYMMDD) ␟ 性別, joined by U+001F.
pub fn identity_key(kana: &str, birth_yyyymmdd: &str, sex: &str) -> String {
    let mut id = String::with_capacity(kana.len() + birth_yyyymmdd.len() + sex.len() + 2);
    push_identity_key(kana, birth_yyyymmdd, sex, &mut id);
    id
}

/// [`identity_key`] appended to `out`.
pub fn push_identity_key(kana: &str, birth_yyyymmdd: &str, sex: &str, out: &mut String) {
    push_identity_kana(kana, out);
    for part in ["\u{1F}", birth_yyyymmdd, "\u{1F}", sex] {
        out.push_str(part);
    }
}

/// Whether a person is insured on `on`: the qualification runs from 資格取得日 up to, not
/// including, 資格喪失日, the first day without qualification (DOMAIN.md).
pub fn qualified_on(acquired: Date, lost: Option<Date>, on: Date) -> bool {
    acquired <= on && lost.is_none_or(|l| on < l)
}

/// 郵便番号 as the standards write it: `NNN-NNNN` (SPEC §2; the XML schemas' `[0-9]{3}-[0-9]{4}`).
pub fn is_postcode(s: &str) -> bool {
    // by bytes: an 8-byte string of other characters must not be cut inside one
    let b = s.as_bytes();
    b.len() == 8 && b[3] == b'-' && b[..3].iter().chain(&b[4..]).all(u8::is_ascii_digit)
}

#[cfg(test)]
mod tests {
    #[test]
    fn postcodes_are_three_digits_a_hyphen_and_four() {
        assert!(super::is_postcode("105-0001"));
        for bad in ["1050001", "105-000", "abc-defg", "105ー0001", "ab郵便", "105-000a", ""] {
            assert!(!super::is_postcode(bad), "{bad}");
        }
    }

    use super::*;

    #[test]
    fn six_and_eight_digit_insurers_give_one_key() {
        let a = PersonKey::new(&"280081".parse().unwrap(), "131", "1234", "01");
        let b = PersonKey::new(&"00280081".parse().unwrap(), "131", "1234", "01");
        assert_eq!(a, b);
        assert_eq!(a.insurer8(), "00280081");
        assert_eq!(a.to_string(), "00280081/131/1234/01");
        let mut text = String::new();
        PersonKey::join_into("280081", "131", "1234", "01", &mut text);
        let map: std::collections::HashMap<PersonKey, u8> = [(a, 1)].into();
        assert_eq!(map.get(text.as_str()), Some(&1));
    }

    #[test]
    fn keys_sort_field_by_field() {
        let i: InsurerNumber = "130013".parse().unwrap();
        let k1 = PersonKey::new(&i, "1", "99", "");
        let k2 = PersonKey::new(&i, "12", "1", "");
        assert!(k1 < k2, "記号 \"1\" sorts before \"12\" whatever the 番号");
    }

    #[test]
    fn identity_kana_folds_width_script_and_spaces() {
        assert_eq!(identity_kana("ﾔﾏﾀﾞ ﾀﾛｳ"), "ヤマダタロウ");
        assert_eq!(identity_kana("ヤマダ　タロウ"), "ヤマダタロウ");
        assert_eq!(identity_kana(" やまだ たろう "), "ヤマダタロウ");
        assert_eq!(identity_kana("ｶﾞｯｺｳ"), "ガッコウ");
        assert_eq!(identity_kana("ヴァン・デル・ルー"), "ヴァン・デル・ルー");
        assert_eq!(identity_key("ヤマダ　タロウ", "19700101", "1"), "ヤマダタロウ\u{1F}19700101\u{1F}1");
    }

    #[test]
    fn qualified_from_acquisition_up_to_the_day_before_loss() {
        let d = |s: &str| crate::domain::parse_date(s).unwrap();
        let (acquired, lost) = (d("20260401"), Some(d("20261101")));
        assert!(!qualified_on(acquired, lost, d("20260331")));
        assert!(qualified_on(acquired, lost, d("20260401")));
        assert!(qualified_on(acquired, lost, d("20261031")));
        assert!(!qualified_on(acquired, lost, d("20261101")), "喪失日 is the first day without");
        assert!(qualified_on(acquired, None, d("20991231")));
    }

    proptest::proptest! {
        /// Sorting by sort keys, then by whole keys where long ones tie, is sorting by keys; a
        /// short key's sort key is the key.
        #[test]
        fn keys_sort_by_their_sort_keys_as_by_themselves(
            keys in proptest::collection::vec(("13001[0-9]", "[12]{0,20}", "[0-9]{1,3}", "0[1-2]"), 0..40),
        ) {
            let keys: Vec<PersonKey> = keys.iter().map(|(i, k, b, e)| PersonKey::from_checked(i, k, b, e)).collect();
            let mut want: Vec<usize> = (0..keys.len()).collect();
            want.sort_by(|&a, &b| keys[a].cmp(&keys[b]).then(a.cmp(&b)));
            let order = PersonKey::order(&keys, |k| k);
            proptest::prop_assert_eq!(order.iter().map(|o| o.1).collect::<Vec<_>>(), want);
            for a in &keys {
                for b in &keys {
                    let (ka, kb) = (a.sort_key(), b.sort_key());
                    proptest::prop_assert!(ka.cmp(&kb) == a.cmp(b) || ka == kb && !ka.is_whole());
                    if ka.is_whole() {
                        proptest::prop_assert_eq!(ka == kb, a == b);
                    }
                }
            }
        }

        /// What the byte-wise fast path writes is what folding in full writes, for any text it
        /// takes (and it takes plain katakana with spaces).
        #[test]
        fn plain_katakana_read_by_bytes_folds_as_nfkc_does(
            chars in proptest::collection::vec(proptest::sample::select(vec![
                'ア', 'ァ', 'ヺ', 'ヴ', '・', 'ー', 'ヽ', 'ヾ', 'ゝ', 'あ', 'ｱ', 'ﾞ', ' ', '\u{3000}', '\t', '゛', '山', 'A', '\u{3099}',
            ]), 0..8),
        ) {
            let s: String = chars.into_iter().collect();
            let (mut fast, mut full) = (String::new(), String::new());
            if push_plain_katakana(&s, &mut fast) {
                push_folded_kana(&s, &mut full);
                proptest::prop_assert_eq!(fast, full);
            } else {
                proptest::prop_assert!(fast.is_empty(), "nothing written when it declines");
            }
            if s.chars().all(|c| matches!(c, 'ア' | 'ァ' | 'ヺ' | 'ヴ' | '・' | 'ー' | ' ' | '\u{3000}')) {
                proptest::prop_assert!(push_plain_katakana(&s, &mut String::new()));
            }
        }

        /// The same katakana name hashes alike in hiragana, with any spaces, half- or full-width.
        #[test]
        fn kana_variants_give_one_form(
            name in proptest::collection::vec(proptest::sample::select(vec!['ア', 'カ', 'ガ', 'サ', 'タ', 'ナ', 'ハ', 'バ', 'パ', 'マ', 'ヤ', 'ラ', 'ワ', 'ン', 'ー', 'ッ']), 1..10),
            spaces in proptest::collection::vec(proptest::sample::select(vec!["", " ", "\u{3000}", "  "]), 10),
        ) {
            let full: String = name.iter().collect();
            let spaced: String = name.iter().zip(&spaces).map(|(c, s)| format!("{s}{c}")).collect();
            // hiragana where there is one (ー has none)
            let hira: String = full
                .chars()
                .map(|c| if ('ァ'..='ヶ').contains(&c) { char::from_u32(c as u32 - 0x60).unwrap() } else { c })
                .collect();
            let half: String = full.chars().map(|c| match c {
                'ア' => "ｱ", 'カ' => "ｶ", 'ガ' => "ｶﾞ", 'サ' => "ｻ", 'タ' => "ﾀ", 'ナ' => "ﾅ", 'ハ' => "ﾊ", 'バ' => "ﾊﾞ",
                'パ' => "ﾊﾟ", 'マ' => "ﾏ", 'ヤ' => "ﾔ", 'ラ' => "ﾗ", 'ワ' => "ﾜ", 'ン' => "ﾝ", 'ー' => "ｰ", _ => "ｯ",
            }).collect();
            let want = identity_kana(&full);
            proptest::prop_assert_eq!(&want, &full);
            proptest::prop_assert_eq!(&identity_kana(&spaced), &want);
            proptest::prop_assert_eq!(&identity_kana(&hira), &want);
            proptest::prop_assert_eq!(&identity_kana(&half), &want);
        }
    }
}
