//! Result values as decimals, compared exactly (no floating point: `5.6 ≥ 5.6`, `40` is not `< 40`).

use crate::error::FieldError;

/// A non-negative decimal as written, in ten-thousandths. Digits beyond the fourth decimal are
/// cut off: for a non-negative value that keeps every comparison with a threshold of at most
/// four decimals exact (`39.99999 < 40` stays true, `5.60001 ≥ 5.6` too).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Decimal(i64);

impl Decimal {
    const SCALE: i64 = 10_000;

    /// A threshold given in tenths: `Decimal::tenths(56)` is 5.6.
    pub const fn tenths(t: i64) -> Decimal {
        Decimal(t * (Decimal::SCALE / 10))
    }

    /// A whole-number threshold.
    pub const fn whole(n: i64) -> Decimal {
        Decimal(n * Decimal::SCALE)
    }

    /// The value in ten-thousandths.
    pub const fn units(self) -> i64 {
        self.0
    }

    /// A value from [`Decimal::units`].
    pub const fn from_units(units: i64) -> Decimal {
        Decimal(units)
    }

    /// Parses `12`, `12.5`, `.5`, `+7` (the text already NFKC-normalised and trimmed, so full-width
    /// digits are fine). A sign other than `+`, a second point, any other character, or more than
    /// 12 whole digits is E113.
    pub fn parse(s: &str) -> Result<Decimal, FieldError> {
        let s = s.strip_prefix('+').unwrap_or(s);
        let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
        let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
        if whole.len() + frac.len() == 0 || whole.len() > 12 || !digits(whole) || !digits(frac) {
            return Err(FieldError::Number);
        }
        let mut units = whole.bytes().fold(0i64, |n, b| n * 10 + i64::from(b - b'0')) * Decimal::SCALE;
        let mut place = Decimal::SCALE / 10;
        for b in frac.bytes().take(4) {
            units += i64::from(b - b'0') * place;
            place /= 10;
        }
        Ok(Decimal(units))
    }
}

impl std::fmt::Display for Decimal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (whole, frac) = (self.0 / Decimal::SCALE, self.0 % Decimal::SCALE);
        if frac == 0 {
            return write!(f, "{whole}");
        }
        let digits = format!("{frac:04}");
        write!(f, "{whole}.{}", digits.trim_end_matches('0'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_compare_as_written() {
        let d = |s| Decimal::parse(s).unwrap();
        assert!(d("5.6") >= Decimal::tenths(56));
        assert!(d("5.5") < Decimal::tenths(56));
        assert!(d("40") >= Decimal::whole(40));
        assert!(d("39.9") < Decimal::whole(40));
        assert!(d("39.99999") < Decimal::whole(40));
        assert!(d("85.0") >= Decimal::whole(85));
        assert!(d("84.9") < Decimal::whole(85));
        assert_eq!(d("+7"), Decimal::whole(7));
        assert_eq!(d(".5"), Decimal::tenths(5));
        assert_eq!(d("120."), Decimal::whole(120));
        assert_eq!(d("0012.50").to_string(), "12.5");
    }

    #[test]
    fn what_is_not_a_number_is_e113() {
        for bad in ["", "abc", "-5", "1.2.3", "12a", "1e3", ".", "+", "1 2", "1234567890123"] {
            assert_eq!(Decimal::parse(bad), Err(FieldError::Number), "{bad:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn written_decimals_round_trip(whole in 0i64..1_000_000, frac in 0i64..10_000) {
            let d = Decimal(whole * Decimal::SCALE + frac);
            proptest::prop_assert_eq!(Decimal::parse(&d.to_string()), Ok(d));
        }
    }
}
