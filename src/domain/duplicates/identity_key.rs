//! An identity as the duplicate search compares it: the identity key (氏名カナ ␟ 生年月日 ␟ 性別,
//! [`crate::domain::person::identity_key`]) packed into 124 bits without loss when it fits, so
//! that records are matched by a number and their texts are never read again; else a hash of
//! it, marked, and then the texts of a shared hash are compared.

use std::hash::BuildHasher;

use rustc_hash::FxBuildHasher;

/// Packed ([`IdentityKey::is_exact`]): equal keys are equal identities and unequal keys unequal
/// ones. Hashed: the top bit is set, and equal keys may still be different identities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IdentityKey {
    high: u64,
    low: u64,
}

/// The top bit of a hashed key.
const HASHED: u64 = 1 << 63;

/// Characters of 氏名カナ that pack, at most this many: U+3099–U+30FE (the sound marks, full-width
/// katakana ァ–ヾ and the few signs between them), 7 bits each (codes 1–102; 0 is never a code).
const KANA_CHARS: usize = 14;

impl IdentityKey {
    pub fn of(identity: &str) -> IdentityKey {
        match pack(identity) {
            Some(packed) => IdentityKey { high: (packed >> 64) as u64, low: packed as u64 },
            None => IdentityKey::hashed(FxBuildHasher.hash_one(identity)),
        }
    }

    /// A hashed key from its hash.
    pub fn hashed(hash: u64) -> IdentityKey {
        IdentityKey { high: HASHED, low: hash }
    }

    /// Whether equal keys are equal identities (else only their hashes are equal).
    pub fn is_exact(self) -> bool {
        self.high & HASHED == 0
    }

    /// 64 well-mixed bits of the key, to share keys out among partitions.
    pub fn spread(self) -> u64 {
        (self.high.rotate_left(32) ^ self.low).wrapping_mul(0x9E37_79B9_7F4A_7C15)
    }
}

/// The identity key as one number when it fits, read back without loss: the kana as base-128
/// digits (none zero, so its length is in the number too), then the birth date as a day count
/// (22 bits: YYYY × 372 + (MM − 1) × 31 + DD − 1), then the sex digit (4 bits) — under 2^124.
/// Read from the UTF-8 bytes: a character U+3099–U+30FE is E3 82 99 – E3 83 BE.
fn pack(identity: &str) -> Option<u128> {
    // kana ␟ YYYYMMDD ␟ sex: the last eleven bytes are fixed
    let b = identity.as_bytes();
    let (kana, tail) = b.split_last_chunk::<11>()?;
    let [0x1F, date @ .., 0x1F, sex] = *tail else { return None };
    if kana.len() % 3 != 0 || kana.len() / 3 > KANA_CHARS {
        return None;
    }
    let mut packed: u128 = 0;
    for c in kana.chunks_exact(3) {
        let [0xE3, lead @ (0x82 | 0x83), trail @ 0x80..=0xBF] = *c else { return None };
        let offset = u32::from(lead & 3) << 6 | u32::from(trail & 0x3F);
        if !(0x99..=0xFE).contains(&offset) {
            return None;
        }
        packed = packed << 7 | u128::from(offset - 0x98);
    }
    if !date.iter().all(u8::is_ascii_digit) || !sex.is_ascii_digit() {
        return None;
    }
    let num = |d: &[u8]| d.iter().fold(0u32, |n, &c| n * 10 + u32::from(c - b'0'));
    let (year, month, day) = (num(&date[..4]), num(&date[4..6]), num(&date[6..]));
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let days = year * 372 + (month - 1) * 31 + day - 1;
    Some(packed << 26 | u128::from(days) << 4 | u128::from(sex - b'0'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::person::identity_key;

    #[test]
    fn common_names_pack_and_the_rest_hash() {
        let k = IdentityKey::of(&identity_key("ヤマダ　タロウ", "19700101", "1"));
        assert!(k.is_exact());
        assert_eq!(k, IdentityKey::of(&identity_key("ヤマダタロウ", "19700101", "1")), "spaces are no part of it");
        assert_ne!(k, IdentityKey::of(&identity_key("ヤマダタロウ", "19700102", "1")));
        assert_ne!(k, IdentityKey::of(&identity_key("ヤマダタロウ", "19700101", "2")));
        assert!(IdentityKey::of(&identity_key("ヴァ゛ー・ヽヾ", "20000229", "2")).is_exact());
        let long = IdentityKey::of(&identity_key("アイウエオカキクケコサシスセソ", "19700101", "1"));
        assert!(!long.is_exact(), "fifteen characters do not fit");
        assert!(IdentityKey::of(&identity_key("アイウエオカキクケコサシスセ", "19700101", "1")).is_exact());
        assert!(!IdentityKey::of(&identity_key("ＡＢ", "19700101", "1")).is_exact(), "not katakana");
        assert!(!IdentityKey::hashed(7).is_exact());
    }

    proptest::proptest! {
        /// Packing loses nothing: two identities that pack are equal exactly when their packed
        /// keys are, whatever their lengths (a shorter name is never a longer one's prefix in
        /// disguise), dates and sexes.
        #[test]
        fn packed_keys_are_equal_exactly_when_identities_are(
            a in ("[ァアヴヾー゛゜・ヽ]{0,15}", "(1|2)[0-9]{3}(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])", "[0-9]"),
            b in ("[ァアヴヾー゛゜・ヽ]{0,15}", "(1|2)[0-9]{3}(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])", "[0-9]"),
            near in ("[アイ]{0,3}", "197001(0[19]|1[0-2])|19701201|20000229", "[12]"),
            other in ("[アイ]{0,3}", "197001(0[19]|1[0-2])|19701201|20000229", "[12]"),
        ) {
            // two small alphabets make the same identity (and near ones) come up often
            let (na, nb) = (format!("{}\u{1F}{}\u{1F}{}", near.0, near.1, near.2), format!("{}\u{1F}{}\u{1F}{}", other.0, other.1, other.2));
            proptest::prop_assert_eq!(IdentityKey::of(&na) == IdentityKey::of(&nb), na == nb);
            let ia = format!("{}\u{1F}{}\u{1F}{}", a.0, a.1, a.2);
            let ib = format!("{}\u{1F}{}\u{1F}{}", b.0, b.1, b.2);
            let (ka, kb) = (IdentityKey::of(&ia), IdentityKey::of(&ib));
            if ka.is_exact() && kb.is_exact() {
                proptest::prop_assert_eq!(ka == kb, ia == ib);
            }
            proptest::prop_assert_eq!(ka.is_exact(), a.0.chars().count() <= KANA_CHARS);
            let ic = format!("{}\u{1F}{}\u{1F}{}", a.0, a.1, a.2);
            proptest::prop_assert_eq!(IdentityKey::of(&ic), ka);
        }
    }
}
