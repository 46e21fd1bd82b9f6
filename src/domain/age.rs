//! Legal age, fiscal years and the 特定健診 target rule (DOMAIN.md "Dates, ages, years").

use std::fmt;
use std::str::FromStr;

use jiff::civil::{Date, date};

/// Completed years from `birth` to `to`, counting only month and day (no time zones, no
/// clamping of 29 February: a birthday of 02-29 is reached on 03-01 in common years).
fn completed_years(birth: Date, to: Date) -> i16 {
    let before_birthday = (to.month(), to.day()) < (birth.month(), birth.day());
    to.year() - birth.year() - i16::from(before_birthday)
}

/// Age on `on` by 年齢計算ニ関スル法律: a person becomes one year older at the end of the day
/// before the birthday, so this is the completed years up to the day after `on`.
/// Born 2000-02-29: 27 on 2027-02-28 (the end of that day), 26 on 2027-02-27.
pub fn legal_age(birth: Date, on: Date) -> i16 {
    let next_day = on.tomorrow().unwrap_or(on);
    completed_years(birth, next_day)
}

/// A fiscal year (年度): 1 April to 31 March, named by the year it starts in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FiscalYear(pub i16);

impl FiscalYear {
    pub fn of(d: Date) -> FiscalYear {
        FiscalYear(if d.month() >= 4 { d.year() } else { d.year() - 1 })
    }
    pub fn first_day(self) -> Date {
        date(self.0, 4, 1)
    }
    pub fn last_day(self) -> Date {
        date(self.0 + 1, 3, 31)
    }
    pub fn contains(self, d: Date) -> bool {
        FiscalYear::of(d) == self
    }
}

impl FromStr for FiscalYear {
    type Err = crate::error::FieldError;
    /// Four digits, 2000–2099 (特定健診 began in FY2008; a wider range is a typo, not data).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.is_empty() {
            return Err(crate::error::FieldError::Required);
        }
        if s.len() != 4 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(crate::error::FieldError::Format);
        }
        let y: i16 = s.parse().map_err(|_| crate::error::FieldError::Format)?;
        if !(2000..=2099).contains(&y) {
            return Err(crate::error::FieldError::Format);
        }
        Ok(FiscalYear(y))
    }
}

impl fmt::Display for FiscalYear {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Age at the end of fiscal year `fy` (on 31 March, legal rule) = completed years from birth to
/// the following 1 April. Born 1986-04-01 → 40 for FY2025; born 1986-04-02 → 39.
pub fn age_at_fiscal_year_end(birth: Date, fy: FiscalYear) -> i16 {
    completed_years(birth, date(fy.0 + 1, 4, 1))
}

/// The day a person moves to 後期高齢者医療: the 75th birthday.
/// [I] For a birthday of 29 February in a common year we take 1 March, consistent with the legal
/// rule that the age is reached at the end of 28 February; DOMAIN.md does not settle this.
pub fn seventy_fifth_birthday(birth: Date) -> Date {
    let year = birth.year() + 75;
    Date::new(year, birth.month(), birth.day()).unwrap_or_else(|_| date(year, 3, 1))
}

/// 特定健診 target for fiscal year `fy`, judged on `on` (実施基準 第1条, DOMAIN.md): reaches an age
/// from 40 to 75 during the year (legal age), and is under 75 on `on` (the 75th birthday itself
/// moves the person to 後期高齢者医療). Qualification and 告示 exclusions are checked elsewhere.
pub fn is_tokutei_target(birth: Date, fy: FiscalYear, on: Date) -> bool {
    (40..=75).contains(&age_at_fiscal_year_end(birth, fy)) && on < seventy_fifth_birthday(birth)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FY2025: FiscalYear = FiscalYear(2025);

    #[test]
    fn legal_age_turns_at_end_of_day_before_birthday() {
        let b = date(1986, 4, 1);
        assert_eq!(legal_age(b, date(2026, 3, 30)), 39);
        assert_eq!(legal_age(b, date(2026, 3, 31)), 40);
        assert_eq!(legal_age(b, date(2026, 4, 1)), 40);
        // DOMAIN.md/STACK.md: jiff says 40 at 2027-03-31, the legal age is 41
        assert_eq!(legal_age(b, date(2027, 3, 31)), 41);
    }

    #[test]
    fn leap_day_birth() {
        let b = date(2000, 2, 29);
        assert_eq!(legal_age(b, date(2027, 2, 27)), 26);
        assert_eq!(legal_age(b, date(2027, 2, 28)), 27);
        // 2028 is a leap year: the birthday is 02-29, so the age turns at the end of 02-28
        assert_eq!(legal_age(b, date(2028, 2, 27)), 27);
        assert_eq!(legal_age(b, date(2028, 2, 28)), 28);
        assert_eq!(seventy_fifth_birthday(date(1952, 2, 29)), date(2027, 3, 1));
        assert_eq!(seventy_fifth_birthday(date(1956, 2, 29)), date(2031, 3, 1));
        // 75 is not a multiple of 4: a 29 February birth never has its 75th birthday on 29 February
        assert_eq!(seventy_fifth_birthday(date(1948, 2, 29)), date(2023, 3, 1));
        assert_eq!(seventy_fifth_birthday(date(1950, 3, 1)), date(2025, 3, 1));
    }

    #[test]
    fn age_at_fiscal_year_end_edges() {
        assert_eq!(age_at_fiscal_year_end(date(1986, 4, 1), FY2025), 40);
        assert_eq!(age_at_fiscal_year_end(date(1986, 4, 2), FY2025), 39);
        assert_eq!(age_at_fiscal_year_end(date(1951, 4, 1), FY2025), 75);
        assert_eq!(age_at_fiscal_year_end(date(1951, 4, 2), FY2025), 74);
        assert_eq!(age_at_fiscal_year_end(date(1984, 2, 29), FY2023), 40);
        // consistent with legal_age on 31 March for every birth date
        let mut b = date(1940, 1, 1);
        while b < date(1990, 1, 1) {
            assert_eq!(age_at_fiscal_year_end(b, FY2025), legal_age(b, date(2026, 3, 31)), "{b}");
            b = b.tomorrow().unwrap();
        }
    }
    const FY2023: FiscalYear = FiscalYear(2023);

    #[test]
    fn fiscal_year_of_a_date() {
        assert_eq!(FiscalYear::of(date(2026, 3, 31)), FY2025);
        assert_eq!(FiscalYear::of(date(2026, 4, 1)), FiscalYear(2026));
        assert_eq!(FY2025.first_day(), date(2025, 4, 1));
        assert_eq!(FY2025.last_day(), date(2026, 3, 31));
        assert!(FY2025.contains(date(2025, 12, 31)));
        assert_eq!("2025".parse::<FiscalYear>(), Ok(FY2025));
        assert!("25".parse::<FiscalYear>().is_err());
        assert!("1999".parse::<FiscalYear>().is_err());
    }

    #[test]
    fn tokutei_target_rule_examples_from_domain_md() {
        let end = date(2026, 3, 31);
        assert!(is_tokutei_target(date(1986, 4, 1), FY2025, end));
        assert!(!is_tokutei_target(date(1986, 4, 2), FY2025, end));
        assert!(is_tokutei_target(date(1951, 4, 1), FY2025, date(2026, 3, 31)));
        assert!(!is_tokutei_target(date(1951, 3, 31), FY2025, date(2026, 3, 31)));
        assert!(is_tokutei_target(date(1950, 10, 1), FY2025, date(2025, 9, 30)));
        assert!(!is_tokutei_target(date(1950, 10, 1), FY2025, date(2025, 10, 1)));
        // 39 all year: not a target; 74 all year: a target
        assert!(!is_tokutei_target(date(1990, 1, 1), FY2025, date(2025, 6, 1)));
        assert!(is_tokutei_target(date(1951, 6, 1), FY2025, date(2025, 6, 1)));
    }
}
