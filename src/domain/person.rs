//! The person key 保険者番号 + 被保険者証記号 + 被保険者証番号 + 枝番 (SPEC §2).

use std::fmt;

use jiff::civil::Date;

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

    /// Writes the key's text into `out` (cleared first), to look a key up in a map of
    /// [`PersonKey`]s without building one (`PersonKey: Borrow<str>`).
    pub fn join_into(insurer: &str, kigo: &str, bango: &str, edaban: &str, out: &mut String) {
        out.clear();
        for _ in insurer.len()..8 {
            out.push('0');
        }
        out.push_str(insurer);
        for part in [kigo, bango, edaban] {
            out.push('\u{1F}');
            out.push_str(part);
        }
    }

    /// The 8-digit insurer number.
    pub fn insurer8(&self) -> &str {
        &self.joined[..8]
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
        f.write_str(&self.joined.replace('\u{1F}', "/"))
    }
}

/// Whether a person is insured on `on`: the qualification runs from 資格取得日 up to, not
/// including, 資格喪失日, the first day without qualification (DOMAIN.md).
pub fn qualified_on(acquired: Date, lost: Option<Date>, on: Date) -> bool {
    acquired <= on && lost.is_none_or(|l| on < l)
}

#[cfg(test)]
mod tests {
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
    fn qualified_from_acquisition_up_to_the_day_before_loss() {
        let d = |s: &str| crate::domain::parse_date(s).unwrap();
        let (acquired, lost) = (d("20260401"), Some(d("20261101")));
        assert!(!qualified_on(acquired, lost, d("20260331")));
        assert!(qualified_on(acquired, lost, d("20260401")));
        assert!(qualified_on(acquired, lost, d("20261031")));
        assert!(!qualified_on(acquired, lost, d("20261101")), "喪失日 is the first day without");
        assert!(qualified_on(acquired, None, d("20991231")));
    }
}
