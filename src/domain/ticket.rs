//! 受診券整理番号 and 利用券整理番号 (DOMAIN.md "Identifiers", notes/MHLW-XML.md §5.2): 11 digits =
//! 年度 (the fiscal year mod 100) + 種別 (1 受診券; 2 利用券 積極的支援; 3 利用券 動機付け支援;
//! 5 初回面接 on the checkup day) + an 8-digit serial, with no check digit.
//!
//! [S/I] No official text defining the 種別 digit was found (confidence medium): a number whose
//! year or kind does not fit is a warning where it is read, never a reason to lose a claim.

use std::fmt;
use std::str::FromStr;

use super::FiscalYear;
use crate::error::FieldError;

/// The 種別 digit (third digit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TicketKind {
    /// 1 受診券 (特定健診)
    Checkup,
    /// 2 利用券 積極的支援
    Active,
    /// 3 利用券 動機付け支援
    Motivational,
    /// 5 初回面接 on the checkup day: the 受診券 number serves as the 利用券 number
    SameDay,
}

impl TicketKind {
    pub fn digit(self) -> u8 {
        match self {
            TicketKind::Checkup => 1,
            TicketKind::Active => 2,
            TicketKind::Motivational => 3,
            TicketKind::SameDay => 5,
        }
    }

    pub fn from_digit(d: u8) -> Option<TicketKind> {
        match d {
            1 => Some(TicketKind::Checkup),
            2 => Some(TicketKind::Active),
            3 => Some(TicketKind::Motivational),
            5 => Some(TicketKind::SameDay),
            _ => None,
        }
    }
}

/// A well-formed 11-digit ticket number. Its year and kind digits are not checked here (see
/// [`TicketNumber::fits`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TicketNumber(u64);

/// The largest serial: 8 digits.
pub const MAX_SERIAL: u32 = 99_999_999;

impl TicketNumber {
    /// The number of `serial` (1–99,999,999) of `kind` for fiscal year `fy`.
    pub fn new(fy: FiscalYear, kind: TicketKind, serial: u32) -> Option<TicketNumber> {
        (serial <= MAX_SERIAL).then(|| {
            TicketNumber(
                u64::from(fy.0.rem_euclid(100) as u16) * 1_000_000_000
                    + u64::from(kind.digit()) * 100_000_000
                    + u64::from(serial),
            )
        })
    }

    /// The two year digits (年度 mod 100).
    pub fn year_digits(self) -> u8 {
        (self.0 / 1_000_000_000) as u8
    }

    /// The 種別 digit as written (0–9).
    pub fn kind_digit(self) -> u8 {
        (self.0 / 100_000_000 % 10) as u8
    }

    /// The kind, when the digit is one kk knows.
    pub fn kind(self) -> Option<TicketKind> {
        TicketKind::from_digit(self.kind_digit())
    }

    pub fn serial(self) -> u32 {
        (self.0 % 100_000_000) as u32
    }

    /// Whether the year digits are those of `fy`.
    pub fn is_of_year(self, fy: FiscalYear) -> bool {
        u16::from(self.year_digits()) == fy.0.rem_euclid(100) as u16
    }

    /// Whether the number is of `fy` and its kind digit is one kk knows.
    pub fn fits(self, fy: FiscalYear) -> bool {
        self.is_of_year(fy) && self.kind().is_some()
    }

    /// The 11 digits as bytes, without an allocation.
    pub fn digits(self) -> [u8; 11] {
        let mut out = [b'0'; 11];
        let mut v = self.0;
        for d in out.iter_mut().rev() {
            *d = b'0' + (v % 10) as u8;
            v /= 10;
        }
        out
    }

    /// The number as an integer (for compact keys).
    pub fn value(self) -> u64 {
        self.0
    }
}

impl FromStr for TicketNumber {
    type Err = FieldError;

    /// Exactly 11 ASCII digits (the text already normalized to half-width).
    fn from_str(s: &str) -> Result<TicketNumber, FieldError> {
        if s.is_empty() {
            return Err(FieldError::Required);
        }
        if s.len() != 11 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(FieldError::Format);
        }
        s.parse().map(TicketNumber).map_err(|_| FieldError::Format)
    }
}

impl fmt::Display for TicketNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // the one formatter of a number: its digits
        f.write_str(std::str::from_utf8(&self.digits()).unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_from_the_public_samples_parse() {
        let t: TicketNumber = "24100000024".parse().unwrap();
        assert_eq!((t.year_digits(), t.kind(), t.serial()), (24, Some(TicketKind::Checkup), 24));
        assert!(t.fits(FiscalYear(2024)));
        assert!(!t.is_of_year(FiscalYear(2025)));
        let t: TicketNumber = "24500000001".parse().unwrap();
        assert_eq!(t.kind(), Some(TicketKind::SameDay));
        let t: TicketNumber = "13100000001".parse().unwrap();
        assert!(t.fits(FiscalYear(2013)));
        assert_eq!(t.to_string(), "13100000001");
    }

    #[test]
    fn built_numbers_round_trip() {
        let t = TicketNumber::new(FiscalYear(2026), TicketKind::Motivational, 42).unwrap();
        assert_eq!(t.to_string(), "26300000042");
        assert_eq!(&t.digits(), b"26300000042");
        assert_eq!(t.to_string().parse::<TicketNumber>(), Ok(t));
        assert_eq!(TicketNumber::new(FiscalYear(2000), TicketKind::Checkup, 1).unwrap().to_string(), "00100000001");
        assert!(TicketNumber::new(FiscalYear(2026), TicketKind::Checkup, MAX_SERIAL + 1).is_none());
    }

    #[test]
    fn malformed_numbers() {
        assert_eq!("".parse::<TicketNumber>(), Err(FieldError::Required));
        for bad in ["2410000002", "241000000240", "2410000002a", "２４１００００００２４", " 24100000024"] {
            assert_eq!(bad.parse::<TicketNumber>(), Err(FieldError::Format), "{bad}");
        }
        let t: TicketNumber = "26400000001".parse().unwrap();
        assert_eq!(t.kind(), None, "kind 4 is not known");
        assert!(!t.fits(FiscalYear(2026)));
    }
}
