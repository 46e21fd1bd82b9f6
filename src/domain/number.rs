//! 保険者番号 and 健診機関番号 with their check digits (DOMAIN.md "Identifiers").

use std::fmt;
use std::str::FromStr;

use crate::error::FieldError;

/// Luhn check digit over `digits` (ASCII digits, the check digit itself not included):
/// from the rightmost digit, weights 2,1,2,…; the digits of each product are added;
/// check = (10 − sum mod 10) mod 10. Leading zeros do not change it.
pub fn luhn_check_digit(digits: &[u8]) -> u8 {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            let v = u32::from(d - b'0') * if i % 2 == 0 { 2 } else { 1 };
            v / 10 + v % 10
        })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn check_digit_matches(s: &str) -> bool {
    let b = s.as_bytes();
    let (body, check) = b.split_at(b.len() - 1);
    luhn_check_digit(body) == check[0] - b'0'
}

/// 保険者番号: 6 digits (国保) or 8 digits, Luhn-checked. The written form is kept; insurers are
/// compared on the 8-digit zero-padded form.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct InsurerNumber(String);

impl InsurerNumber {
    /// The form as written (6 or 8 digits).
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The 8-digit zero-padded form (法別 00 for 国保), used for comparison and sorting.
    pub fn padded8(&self) -> String {
        format!("{:0>8}", self.0)
    }
}

/// An insurer number as the reports show it: the 8-digit form, less the 法別 00 of a 国保
/// insurer (`00130013` → `130013`).
pub fn shown_insurer(padded8: &str) -> &str {
    padded8.strip_prefix("00").unwrap_or(padded8)
}

impl InsurerNumber {
    /// Validates without building (the hot path of an import).
    pub fn check(s: &str) -> Result<(), FieldError> {
        if s.is_empty() {
            return Err(FieldError::Required);
        }
        if !all_digits(s) || !(s.len() == 6 || s.len() == 8) {
            return Err(FieldError::Format);
        }
        if !check_digit_matches(s) {
            return Err(FieldError::CheckDigit);
        }
        Ok(())
    }
}

impl FromStr for InsurerNumber {
    type Err = FieldError;
    fn from_str(s: &str) -> Result<Self, FieldError> {
        InsurerNumber::check(s).map(|()| InsurerNumber(s.to_string()))
    }
}

impl fmt::Display for InsurerNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `9999999999`, the placeholder official samples use. DOMAIN.md says it fails the check digit;
/// it in fact passes the Luhn rule DOMAIN.md gives (the 8-digit `99999999` fails it), so it is
/// refused by name: a placeholder in real data is an error all the same.
pub fn is_dummy_institution(s: &str) -> bool {
    s.bytes().all(|b| b == b'9')
}

/// 健診機関番号: 10 digits = 都道府県2 + 区分1 + 6 + check (Luhn over the first 9).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InstitutionNumber(String);

impl InstitutionNumber {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl InstitutionNumber {
    /// Validates without building.
    pub fn check(s: &str) -> Result<(), FieldError> {
        if s.is_empty() {
            return Err(FieldError::Required);
        }
        if !all_digits(s) || s.len() != 10 {
            return Err(FieldError::Format);
        }
        if !check_digit_matches(s) || is_dummy_institution(s) {
            return Err(FieldError::CheckDigit);
        }
        Ok(())
    }
}

impl FromStr for InstitutionNumber {
    type Err = FieldError;
    fn from_str(s: &str) -> Result<Self, FieldError> {
        InstitutionNumber::check(s).map(|()| InstitutionNumber(s.to_string()))
    }
}

impl fmt::Display for InstitutionNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insurer_numbers_from_domain_md_pass() {
        for s in ["130013", "400135", "280081", "00280081", "01130012", "06132013", "33120015", "363044", "06139463"] {
            assert!(s.parse::<InsurerNumber>().is_ok(), "{s}");
        }
    }

    #[test]
    fn worked_example_33120015_has_check_digit_5() {
        assert_eq!(luhn_check_digit(b"3312001"), 5);
    }

    #[test]
    fn insurer_number_errors() {
        assert_eq!("".parse::<InsurerNumber>(), Err(FieldError::Required));
        assert_eq!("13001".parse::<InsurerNumber>(), Err(FieldError::Format));
        assert_eq!("1300134".parse::<InsurerNumber>(), Err(FieldError::Format));
        assert_eq!("13001a".parse::<InsurerNumber>(), Err(FieldError::Format));
        assert_eq!("130014".parse::<InsurerNumber>(), Err(FieldError::CheckDigit));
        assert_eq!("99999999".parse::<InsurerNumber>(), Err(FieldError::CheckDigit));
    }

    #[test]
    fn six_and_eight_digit_forms_compare_equal_padded() {
        let a: InsurerNumber = "280081".parse().unwrap();
        let b: InsurerNumber = "00280081".parse().unwrap();
        assert_eq!(a.padded8(), b.padded8());
        assert_eq!(a.as_str(), "280081");
    }

    #[test]
    fn institution_numbers() {
        for s in ["2610307411", "5521111111", "6631111116"] {
            assert!(s.parse::<InstitutionNumber>().is_ok(), "{s}");
        }
        assert_eq!("9999999999".parse::<InstitutionNumber>(), Err(FieldError::CheckDigit));
        // the rule alone would accept it: the refusal is the dummy list, not Luhn
        assert!(check_digit_matches("9999999999"));
        assert_eq!("1311234567".parse::<InstitutionNumber>(), Err(FieldError::CheckDigit));
        assert_eq!("99999999".parse::<InstitutionNumber>(), Err(FieldError::Format));
    }
}
