//! Dates in every form SPEC §1 accepts, Japanese eras with strict boundaries (DOMAIN.md
//! "Dates, ages, years"). Dates are written as `YYYYMMDD`.

use jiff::civil::Date;

use crate::error::FieldError;

/// A Japanese era: code (1 明治 … 5 令和), kanji, letter, first day, and the Gregorian year of 元年.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Era {
    pub code: u8,
    pub kanji: &'static str,
    pub letter: char,
    pub first_day: Date,
}

/// 明治 counts from 1868-01-01 for parsing (DOMAIN.md); the others start on their accession day.
pub const ERAS: [Era; 5] = [
    Era { code: 1, kanji: "明治", letter: 'M', first_day: jiff::civil::date(1868, 1, 1) },
    Era { code: 2, kanji: "大正", letter: 'T', first_day: jiff::civil::date(1912, 7, 30) },
    Era { code: 3, kanji: "昭和", letter: 'S', first_day: jiff::civil::date(1926, 12, 25) },
    Era { code: 4, kanji: "平成", letter: 'H', first_day: jiff::civil::date(1989, 1, 8) },
    Era { code: 5, kanji: "令和", letter: 'R', first_day: jiff::civil::date(2019, 5, 1) },
];

impl Era {
    pub fn by_code(code: u8) -> Option<Era> {
        ERAS.iter().copied().find(|e| e.code == code)
    }
    fn by_letter(c: char) -> Option<Era> {
        ERAS.iter().copied().find(|e| e.letter == c.to_ascii_uppercase())
    }
    fn by_kanji(s: &str) -> Option<(Era, &str)> {
        ERAS.iter().find_map(|e| s.strip_prefix(e.kanji).map(|rest| (*e, rest)))
    }
    /// The first day of the next era, if any.
    fn next_first_day(self) -> Option<Date> {
        Era::by_code(self.code + 1).map(|e| e.first_day)
    }
    /// The date for era year `year` (1 = 元年), month and day; an error if the day is not in the
    /// era (平成31年5月1日, 令和元年4月30日).
    pub fn date(self, year: i16, month: i8, day: i8) -> Result<Date, FieldError> {
        if year < 1 {
            return Err(FieldError::Date);
        }
        let d = calendar_date(self.first_day.year() + year - 1, month, day)?;
        if d < self.first_day || self.next_first_day().is_some_and(|next| d >= next) {
            return Err(FieldError::EraRange);
        }
        Ok(d)
    }
}

fn calendar_date(year: i16, month: i8, day: i8) -> Result<Date, FieldError> {
    Date::new(year, month, day).map_err(|_| FieldError::Date)
}

fn num<T: std::str::FromStr>(s: &str) -> Result<T, FieldError> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(FieldError::Date);
    }
    s.parse().map_err(|_| FieldError::Date)
}

/// Splits `Y?M?D` on any one of the separators given, exactly three parts.
fn split3<'a>(s: &'a str, seps: &[char]) -> Option<[&'a str; 3]> {
    let mut it = s.split(|c| seps.contains(&c));
    let parts = [it.next()?, it.next()?, it.next()?];
    it.next().is_none().then_some(parts)
}

/// Written as `YYYYMMDD` already (the canonical form; whether it is a real date is
/// [`parse_date`]'s to say).
pub fn is_yyyymmdd(s: &str) -> bool {
    s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit())
}

/// Parses a date given as `YYYYMMDD`, `YYYY-MM-DD`, `YYYY/M/D`, `GYYMMDD` (era code 1–5),
/// `R8.4.1` (M/T/S/H/R), `令和8年4月1日`, `令和元年5月1日` or `2026年4月1日`. The text must already
/// be half-width (NFKC) and trimmed. An empty string is [`FieldError::Required`].
pub fn parse_date(s: &str) -> Result<Date, FieldError> {
    if s.is_empty() {
        return Err(FieldError::Required);
    }
    // the canonical form, nearly every date of a file: its digits read as they stand
    if let Ok(digits) = <&[u8; 8]>::try_from(s.as_bytes())
        && digits.iter().all(u8::is_ascii_digit)
    {
        let n = |d: &[u8]| d.iter().fold(0i16, |n, &c| n * 10 + i16::from(c - b'0'));
        return calendar_date(n(&digits[..4]), n(&digits[4..6]) as i8, n(&digits[6..]) as i8);
    }
    if let Some(rest) = s.strip_suffix('日') {
        return parse_kanji_date(rest);
    }
    let first = s.chars().next().unwrap_or('0');
    if first.is_ascii_alphabetic() {
        let era = Era::by_letter(first).ok_or(FieldError::Date)?;
        let [y, m, d] = split3(&s[1..], &['.', '/', '-']).ok_or(FieldError::Date)?;
        return era.date(num(y)?, num(m)?, num(d)?);
    }
    if s.bytes().all(|b| b.is_ascii_digit()) {
        return match s.len() {
            8 => calendar_date(num(&s[0..4])?, num(&s[4..6])?, num(&s[6..8])?),
            7 => {
                let era = Era::by_code(s.as_bytes()[0] - b'0').ok_or(FieldError::Date)?;
                era.date(num(&s[1..3])?, num(&s[3..5])?, num(&s[5..7])?)
            }
            _ => Err(FieldError::Date),
        };
    }
    let [y, m, d] = split3(s, &['-', '/']).ok_or(FieldError::Date)?;
    if y.len() != 4 || m.len() > 2 || d.len() > 2 {
        return Err(FieldError::Date);
    }
    calendar_date(num(y)?, num(m)?, num(d)?)
}

/// `令和8年4月1`, `令和元年5月1`, `2026年4月1` (the trailing 日 already removed).
fn parse_kanji_date(s: &str) -> Result<Date, FieldError> {
    let (era, rest) = match Era::by_kanji(s) {
        Some((era, rest)) => (Some(era), rest),
        None => (None, s),
    };
    let (y, rest) = rest.split_once('年').ok_or(FieldError::Date)?;
    let (m, d) = rest.split_once('月').ok_or(FieldError::Date)?;
    match era {
        Some(era) => {
            let year = if y == "元" { 1 } else { num(y)? };
            era.date(year, num(m)?, num(d)?)
        }
        None if y.len() == 4 => calendar_date(num(y)?, num(m)?, num(d)?),
        None => Err(FieldError::Date),
    }
}

/// `YYYYMMDD`, the form every kk output uses.
pub fn format_date(d: Date) -> String {
    let mut s = String::with_capacity(8);
    format_date_into(d, &mut s);
    s
}

/// [`format_date`] appended to `out`.
pub fn format_date_into(d: Date, out: &mut String) {
    match date_digits(d) {
        Some(digits) => out.extend(digits.map(char::from)),
        None => out.push_str(&format!("{:04}{:02}{:02}", d.year(), d.month(), d.day())),
    }
}

/// [`format_date`]'s digits appended to `out` as bytes (ASCII: the same in every output
/// encoding), without the formatting machinery (a ticket file writes three dates a row).
pub fn push_date_digits(d: Date, out: &mut Vec<u8>) {
    match date_digits(d) {
        Some(digits) => out.extend_from_slice(&digits),
        None => out.extend_from_slice(format!("{:04}{:02}{:02}", d.year(), d.month(), d.day()).as_bytes()),
    }
}

/// YYYYMMDD as digits, for a year 0–9999.
fn date_digits(d: Date) -> Option<[u8; 8]> {
    let y = u16::try_from(d.year()).ok().filter(|&y| y < 10_000)?;
    let (m, day) = (d.month() as u8, d.day() as u8);
    let digit = |n: u16| b'0' + (n % 10) as u8;
    Some([
        digit(y / 1000),
        digit(y / 100),
        digit(y / 10),
        digit(y),
        b'0' + m / 10,
        b'0' + m % 10,
        b'0' + day / 10,
        b'0' + day % 10,
    ])
}

/// The era a date falls in (明治 from 1868-01-01).
pub fn era_of(d: Date) -> Option<Era> {
    ERAS.iter().rev().find(|e| e.first_day <= d).copied()
}

/// `令和8年4月1日`, `令和元年5月1日`: the date as invoices and letters write it.
pub fn format_wareki(d: Date) -> String {
    match era_of(d) {
        Some(era) => {
            let year = d.year() - era.first_day.year() + 1;
            let year = if year == 1 { "元".to_string() } else { year.to_string() };
            format!("{}{year}年{}月{}日", era.kanji, d.month(), d.day())
        }
        None => format!("{}年{}月{}日", d.year(), d.month(), d.day()),
    }
}

/// The last day of the month after `d`'s, moved back over Saturdays, Sundays and `holidays` to
/// the previous business day (the customary 翌月末 due date).
/// [I] Japanese public holidays are not built in: they come from the caller's configuration.
pub fn end_of_next_month_business_day(d: Date, holidays: &[Date]) -> Date {
    let next = d.first_of_month().checked_add(jiff::Span::new().months(1)).unwrap_or(d);
    let mut due = next.last_of_month();
    while matches!(due.weekday(), jiff::civil::Weekday::Saturday | jiff::civil::Weekday::Sunday)
        || holidays.contains(&due)
    {
        due = due.yesterday().unwrap_or(due);
    }
    due
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn ok(s: &str) -> String {
        format_date(parse_date(s).unwrap_or_else(|e| panic!("{s}: {e}")))
    }

    #[test]
    fn every_accepted_form() {
        assert_eq!(ok("20260401"), "20260401");
        assert_eq!(ok("2026-04-01"), "20260401");
        assert_eq!(ok("2026/4/1"), "20260401");
        assert_eq!(ok("2026/04/01"), "20260401");
        assert_eq!(ok("5080401"), "20260401");
        assert_eq!(ok("R8.4.1"), "20260401");
        assert_eq!(ok("r08.04.01"), "20260401");
        assert_eq!(ok("令和8年4月1日"), "20260401");
        assert_eq!(ok("令和元年5月1日"), "20190501");
        assert_eq!(ok("2026年4月1日"), "20260401");
        assert_eq!(ok("3610315"), "19860315");
        assert_eq!(ok("S61.3.15"), "19860315");
        assert_eq!(ok("昭和61年3月15日"), "19860315");
        assert_eq!(ok("1450101"), "19120101");
    }

    #[test]
    fn era_boundaries() {
        // last and first days of each era
        assert_eq!(ok("平成31年4月30日"), "20190430");
        assert_eq!(ok("4310430"), "20190430");
        assert_eq!(parse_date("平成31年5月1日"), Err(FieldError::EraRange));
        assert_eq!(parse_date("4310501"), Err(FieldError::EraRange));
        assert_eq!(parse_date("令和元年4月30日"), Err(FieldError::EraRange));
        assert_eq!(parse_date("R1.4.30"), Err(FieldError::EraRange));
        assert_eq!(ok("S64.1.7"), "19890107");
        assert_eq!(parse_date("S64.1.8"), Err(FieldError::EraRange));
        assert_eq!(ok("H1.1.8"), "19890108");
        assert_eq!(parse_date("H1.1.7"), Err(FieldError::EraRange));
        assert_eq!(ok("T15.12.24"), "19261224");
        assert_eq!(parse_date("T15.12.25"), Err(FieldError::EraRange));
        assert_eq!(ok("S1.12.25"), "19261225");
        assert_eq!(ok("M45.7.29"), "19120729");
        assert_eq!(parse_date("M45.7.30"), Err(FieldError::EraRange));
        assert_eq!(ok("明治元年1月1日"), "18680101");
        assert_eq!(parse_date("H0.1.8"), Err(FieldError::Date));
    }

    #[test]
    fn impossible_and_malformed_dates() {
        for s in [
            "20260230",
            "2025-02-29",
            "2026/13/1",
            "6080401",
            "0080401",
            "X8.4.1",
            "R8.4",
            "R8.4.1.1",
            "2026-4",
            "202604",
            "令和8年4月",
            "令和八年4月1日",
            "abc",
            "2026-04-01x",
            "26/4/1",
            "2026/4/1/",
        ] {
            assert!(parse_date(s).is_err(), "{s} should fail");
        }
        assert_eq!(parse_date(""), Err(FieldError::Required));
        assert_eq!(ok("2024-02-29"), "20240229");
    }

    #[test]
    fn wareki_for_documents() {
        assert_eq!(format_wareki(date(2026, 4, 1)), "令和8年4月1日");
        assert_eq!(format_wareki(date(2019, 5, 1)), "令和元年5月1日");
        assert_eq!(format_wareki(date(2019, 4, 30)), "平成31年4月30日");
        assert_eq!(format_wareki(date(1989, 1, 8)), "平成元年1月8日");
        assert_eq!(format_wareki(date(1989, 1, 7)), "昭和64年1月7日");
    }

    #[test]
    fn due_dates_move_to_the_previous_business_day() {
        // 2026-05-31 is a Sunday → Friday 2026-05-29
        assert_eq!(end_of_next_month_business_day(date(2026, 4, 15), &[]), date(2026, 5, 29));
        // 2026-06-30 is a Tuesday
        assert_eq!(end_of_next_month_business_day(date(2026, 5, 1), &[]), date(2026, 6, 30));
        // a configured holiday on the last day moves it back once more
        assert_eq!(end_of_next_month_business_day(date(2026, 5, 1), &[date(2026, 6, 30)]), date(2026, 6, 29));
        // December → 31 January (Sunday in 2027 → Friday 29th)
        assert_eq!(end_of_next_month_business_day(date(2026, 12, 10), &[]), date(2027, 1, 29));
        // from 31 January the next month is February
        assert_eq!(end_of_next_month_business_day(date(2028, 1, 31), &[]), date(2028, 2, 29));
    }

    #[test]
    fn era_first_days_match_domain_md() {
        assert_eq!(Era::by_code(2).unwrap().first_day, date(1912, 7, 30));
        assert_eq!(Era::by_code(3).unwrap().first_day, date(1926, 12, 25));
        assert_eq!(Era::by_code(4).unwrap().first_day, date(1989, 1, 8));
        assert_eq!(Era::by_code(5).unwrap().first_day, date(2019, 5, 1));
    }

    proptest::proptest! {
        #[test]
        fn format_then_parse_round_trips(days in 0i32..80_000) {
            let d = date(1868, 1, 1).checked_add(jiff::Span::new().days(days)).unwrap();
            let s = format_date(d);
            proptest::prop_assert_eq!(parse_date(&s), Ok(d));
            let iso = format!("{}-{:02}-{:02}", d.year(), d.month(), d.day());
            proptest::prop_assert_eq!(parse_date(&iso), Ok(d));
        }

        /// Dates are written as `{:04}{:02}{:02}` would write them, digit by digit.
        #[test]
        fn dates_are_written_as_eight_digits(y in -9999i16..10_000, m in 1i8..13, d in 1i8..29) {
            let date = Date::new(y, m, d).unwrap();
            proptest::prop_assert_eq!(format_date(date), format!("{y:04}{m:02}{d:02}"));
        }

        /// Eight digits read directly are what the year, month and day they spell make: every
        /// real date, and nothing else (2026-02-29, month 13, day 00 …).
        #[test]
        fn eight_digits_are_the_date_they_spell(y in 0i16..10_000, m in 0i8..100, d in 0i8..100) {
            let s = format!("{y:04}{m:02}{d:02}");
            proptest::prop_assert_eq!(parse_date(&s), Date::new(y, m, d).map_err(|_| FieldError::Date));
        }

        #[test]
        fn every_day_has_exactly_one_era_form(days in 0i32..80_000) {
            let d = date(1868, 1, 1).checked_add(jiff::Span::new().days(days)).unwrap();
            let era = ERAS.iter().rev().find(|e| e.first_day <= d).unwrap();
            let y = d.year() - era.first_day.year() + 1;
            let g = format!("{}{:02}{:02}{:02}", era.code, y, d.month(), d.day());
            if y < 100 {
                proptest::prop_assert_eq!(parse_date(&g), Ok(d));
            }
            let k = format!("{}{}年{}月{}日", era.kanji, if y == 1 { "元".to_string() } else { y.to_string() }, d.month(), d.day());
            proptest::prop_assert_eq!(parse_date(&k), Ok(d));
            // the same day written in the previous era (if that era had begun) is out of range
            if let Some(prev) = Era::by_code(era.code - 1) {
                let py = d.year() - prev.first_day.year() + 1;
                let k = format!("{}{}年{}月{}日", prev.kanji, py, d.month(), d.day());
                proptest::prop_assert_eq!(parse_date(&k), Err(FieldError::EraRange));
            }
        }
    }
}
