//! The keyed IDs: HMAC-SHA256 as 64 uppercase hex characters, and 氏名カナ as it is hashed.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// Keyed HMAC-SHA256 as 64 uppercase hex characters.
#[derive(Clone)]
pub struct Hasher(Hmac<Sha256>);

impl Hasher {
    pub fn new(key: &[u8]) -> Hasher {
        // HMAC accepts a key of any length: the error case cannot happen
        Hasher(Hmac::<Sha256>::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC takes any key length")))
    }

    /// HMAC of `parts` joined by U+001F, as hex into `out`.
    pub fn id(&self, parts: &[&str], out: &mut [u8; 64]) {
        let mut mac = self.0.clone();
        for (i, p) in parts.iter().enumerate() {
            if i > 0 {
                mac.update("\u{1F}".as_bytes());
            }
            mac.update(p.as_bytes());
        }
        hex_upper(&mac.finalize().into_bytes(), out);
    }
}

fn hex_upper(bytes: &[u8], out: &mut [u8]) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for (i, b) in bytes.iter().enumerate() {
        out[2 * i] = HEX[usize::from(b >> 4)];
        out[2 * i + 1] = HEX[usize::from(b & 15)];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231_case_2() {
        let mut out = [0u8; 64];
        Hasher::new(b"Jefe").id(&["what do ya want for nothing?"], &mut out);
        assert_eq!(
            std::str::from_utf8(&out).unwrap(),
            "5BDCC146BF60754E6A042426089575C75A003F089D2739839DEC58B964EC3843"
        );
    }
}
