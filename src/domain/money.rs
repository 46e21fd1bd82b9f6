//! Money in integer yen and the 窓口負担 rule (DOMAIN.md "Claims and co-payments").

use crate::error::FieldError;

/// Parses a yen amount: digits, optionally grouped by commas (`12,345`), optionally negative
/// (corrections). The text must already be half-width and trimmed.
pub fn parse_yen(s: &str) -> Result<i64, FieldError> {
    if s.is_empty() {
        return Err(FieldError::Required);
    }
    let (neg, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let grouped = digits.contains(',');
    if grouped {
        // 1,234,567: a first group of 1–3 digits, then groups of exactly 3
        let mut groups = digits.split(',');
        let first = groups.next().unwrap_or("");
        if first.is_empty() || first.len() > 3 || groups.any(|g| g.len() != 3) {
            return Err(FieldError::Amount);
        }
    }
    // digits accumulated in place (no copy without the commas): at most 15 digits, so no overflow
    let mut v: i64 = 0;
    let mut n = 0;
    for b in digits.bytes().filter(|b| *b != b',') {
        if !b.is_ascii_digit() || n == 15 {
            return Err(FieldError::Amount);
        }
        v = v * 10 + i64::from(b - b'0');
        n += 1;
    }
    if n == 0 {
        return Err(FieldError::Amount);
    }
    Ok(if neg { -v } else { v })
}

/// A count (項目数): digits only, 0–999.
pub fn parse_count(s: &str) -> Result<u32, FieldError> {
    if s.is_empty() {
        return Err(FieldError::Required);
    }
    if s.len() > 3 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(FieldError::Amount);
    }
    s.parse().map_err(|_| FieldError::Amount)
}

/// 窓口負担種別 with its 窓口負担値 (MHLW codes 1–4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Copay {
    /// 1 負担なし
    None,
    /// 2 定額: the examinee pays this many yen (at most the price).
    Fixed(i64),
    /// 3 定率: the examinee pays this share of the price, in thousandths of a percent
    /// (`30` % = 30_000, `12.5` % = 12_500).
    Rate(i64),
    /// 4 保険者負担上限額: the insurer pays up to this many yen; the examinee pays the rest.
    InsurerLimit(i64),
}

impl Copay {
    /// From the contract's 窓口負担種別 and 窓口負担値 (yen for 2 and 4, percent for 3).
    pub fn parse(kind: &str, value: &str) -> Result<Copay, FieldError> {
        match kind {
            "1" => Ok(Copay::None),
            "2" => parse_yen(value).and_then(non_negative).map(Copay::Fixed),
            "3" => parse_percent(value).map(Copay::Rate),
            "4" => parse_yen(value).and_then(non_negative).map(Copay::InsurerLimit),
            "" => Err(FieldError::Required),
            _ => Err(FieldError::Code),
        }
    }

    /// 窓口負担種別 (MHLW 別表6: 1–4).
    pub fn code(self) -> u8 {
        match self {
            Copay::None => 1,
            Copay::Fixed(_) => 2,
            Copay::Rate(_) => 3,
            Copay::InsurerLimit(_) => 4,
        }
    }

    /// 窓口負担値 as the contracts layout writes it ([`Copay::parse`] reads it back): yen for 2
    /// and 4, percent for 3 (`30`, `12.5`), empty for 1.
    pub fn value_text(self) -> String {
        match self {
            Copay::None => String::new(),
            Copay::Fixed(v) | Copay::InsurerLimit(v) => v.to_string(),
            Copay::Rate(milli) => percent_text(milli),
        }
    }

    /// In words, as a ticket prints it: 負担なし / 1,000円 / 3割 (12.5%) / 上限5,000円 (the
    /// insurer's upper amount: the examinee pays what is above it).
    pub fn words(self) -> String {
        match self {
            Copay::None => "負担なし".into(),
            Copay::Fixed(v) => format!("{}円", crate::console::thousands_signed(v)),
            Copay::Rate(milli) if milli % 10_000 == 0 => format!("{}割", milli / 10_000),
            Copay::Rate(milli) => format!("{}%", percent_text(milli)),
            Copay::InsurerLimit(v) => format!("保険者負担上限{}円", crate::console::thousands_signed(v)),
        }
    }
}

/// Thousandths of a percent as the shortest decimal: 30000 → `30`, 12500 → `12.5`.
fn percent_text(milli: i64) -> String {
    let (whole, frac) = (milli / 1000, milli % 1000);
    if frac == 0 { whole.to_string() } else { format!("{whole}.{}", format!("{frac:03}").trim_end_matches('0')) }
}

fn non_negative(v: i64) -> Result<i64, FieldError> {
    if v < 0 { Err(FieldError::Amount) } else { Ok(v) }
}

/// `30`, `12.5`, `7.125` percent → thousandths of a percent; 0–100 %.
fn parse_percent(s: &str) -> Result<i64, FieldError> {
    if s.is_empty() {
        return Err(FieldError::Required);
    }
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || whole.len() > 3 || frac.len() > 3 || !digits(whole) || !digits(frac) || s.ends_with('.') {
        return Err(FieldError::Amount);
    }
    let milli: i64 = format!("{whole}{frac:0<3}").parse().map_err(|_| FieldError::Amount)?;
    if milli > 100_000 { Err(FieldError::Amount) } else { Ok(milli) }
}

/// 端数単位: 1 or 10 yen (empty = 1).
pub fn parse_rounding_unit(s: &str) -> Result<i64, FieldError> {
    match s {
        "" | "1" => Ok(1),
        "10" => Ok(10),
        _ => Err(FieldError::Code),
    }
}

/// The 窓口負担 for price `price` after `other` was paid by another program (DOMAIN.md, from ORCA's
/// JKessai): 1 → 0; 2 → min(定額, P − O); 3 → (P − O) × rate, rounded half up to `unit` yen;
/// 4 → max(0, P − O − 上限). Never below 0.
pub fn expected_copayment(copay: Copay, price: i64, other: i64, unit: i64) -> i64 {
    let base = (price - other).max(0);
    match copay {
        Copay::None => 0,
        Copay::Fixed(amount) => amount.min(base),
        Copay::Rate(milli) => {
            // exact value base × milli / 100_000 yen, rounded half up to a multiple of `unit`
            let den = 100_000 * unit;
            (base * milli + den / 2) / den * unit
        }
        Copay::InsurerLimit(limit) => (base - limit).max(0),
    }
}

/// 請求金額 (DOMAIN.md, ORCA's JKessai): the total of the unit prices (基本 + 詳細 + 追加) less the
/// co-payments and what another program paid, never below 0.
pub fn expected_claim(unit_total: i64, copayment: i64, other_program: i64) -> i64 {
    (unit_total - copayment - other_program).max(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yen_amounts() {
        assert_eq!(parse_yen("0"), Ok(0));
        assert_eq!(parse_yen("7700"), Ok(7700));
        assert_eq!(parse_yen("1,234,567"), Ok(1_234_567));
        assert_eq!(parse_yen("-1100"), Ok(-1100));
        assert_eq!(parse_yen(""), Err(FieldError::Required));
        for bad in ["12a", "1,23", "1234,567", ",123", "1.5", "-", "--1", "1 000", "9999999999999999"] {
            assert_eq!(parse_yen(bad), Err(FieldError::Amount), "{bad}");
        }
    }

    #[test]
    fn copay_types_from_domain_md() {
        let p = 7700;
        assert_eq!(expected_copayment(Copay::None, p, 0, 1), 0);
        assert_eq!(expected_copayment(Copay::Fixed(1000), p, 0, 1), 1000);
        assert_eq!(expected_copayment(Copay::Fixed(9000), p, 0, 1), 7700, "at most the price");
        assert_eq!(expected_copayment(Copay::Rate(30_000), p, 0, 1), 2310);
        assert_eq!(expected_copayment(Copay::InsurerLimit(5000), p, 0, 1), 2700);
        assert_eq!(expected_copayment(Copay::InsurerLimit(9000), p, 0, 1), 0);
        // after another program paid part
        assert_eq!(expected_copayment(Copay::Fixed(1000), p, 7000, 1), 700);
        assert_eq!(expected_copayment(Copay::InsurerLimit(5000), p, 1000, 1), 1700);
    }

    #[test]
    fn claims_are_prices_less_copayments_never_below_zero() {
        assert_eq!(expected_claim(7700 + 1980 + 440, 1000, 0), 9120);
        assert_eq!(expected_claim(9310, 0, 0), 9310);
        assert_eq!(expected_claim(7700, 2310, 1000), 4390);
        assert_eq!(expected_claim(7700, 9000, 0), 0);
    }

    #[test]
    fn rate_rounding_half_up_to_1_or_10_yen() {
        // 8,805 × 10 % = 880.5 → 881 (1 yen), 880 (10 yen: 880.5 → 88.05 tens → 88 tens)
        assert_eq!(expected_copayment(Copay::Rate(10_000), 8805, 0, 1), 881);
        assert_eq!(expected_copayment(Copay::Rate(10_000), 8805, 0, 10), 880);
        // 8,850 × 10 % = 885 → 890 at 10 yen
        assert_eq!(expected_copayment(Copay::Rate(10_000), 8850, 0, 10), 890);
        // 12.5 % of 7,701 = 962.625 → 963
        assert_eq!(expected_copayment(Copay::Rate(12_500), 7701, 0, 1), 963);
        // 7,700 × 12.5 % = 962.5 → 963 (half up)
        assert_eq!(expected_copayment(Copay::Rate(12_500), 7700, 0, 1), 963);
        assert_eq!(expected_copayment(Copay::Rate(0), 7700, 0, 1), 0);
        assert_eq!(expected_copayment(Copay::Rate(100_000), 7700, 0, 1), 7700);
    }

    #[test]
    fn copay_parsing() {
        for (kind, value, words) in [
            ("1", "", "負担なし"),
            ("2", "1000", "1,000円"),
            ("3", "30", "3割"),
            ("3", "12.5", "12.5%"),
            ("3", "7.125", "7.125%"),
            ("4", "20000", "保険者負担上限20,000円"),
        ] {
            let c = Copay::parse(kind, value).unwrap();
            assert_eq!(
                (c.code().to_string(), c.value_text(), c.words()),
                (kind.to_string(), value.to_string(), words.to_string())
            );
        }
        assert_eq!(Copay::parse("1", ""), Ok(Copay::None));
        assert_eq!(Copay::parse("2", "1000"), Ok(Copay::Fixed(1000)));
        assert_eq!(Copay::parse("3", "30"), Ok(Copay::Rate(30_000)));
        assert_eq!(Copay::parse("3", "12.5"), Ok(Copay::Rate(12_500)));
        assert_eq!(Copay::parse("4", "5000"), Ok(Copay::InsurerLimit(5000)));
        assert_eq!(Copay::parse("5", "0"), Err(FieldError::Code));
        assert_eq!(Copay::parse("3", "101"), Err(FieldError::Amount));
        assert_eq!(Copay::parse("3", "1.2345"), Err(FieldError::Amount));
        assert_eq!(Copay::parse("2", "-1"), Err(FieldError::Amount));
        assert_eq!(parse_rounding_unit(""), Ok(1));
        assert_eq!(parse_rounding_unit("5"), Err(FieldError::Code));
    }

    proptest::proptest! {
        #[test]
        fn copay_is_between_zero_and_the_price(price in 0i64..1_000_000, other in 0i64..1_000_000, v in 0i64..1_000_000, milli in 0i64..=100_000, ten in proptest::bool::ANY) {
            let unit = if ten { 10 } else { 1 };
            for c in [Copay::None, Copay::Fixed(v), Copay::Rate(milli), Copay::InsurerLimit(v)] {
                let got = expected_copayment(c, price, other, unit);
                let base = (price - other).max(0);
                proptest::prop_assert!(got >= 0);
                // rate rounding may go up to the next unit, never past the price by more than half a unit
                proptest::prop_assert!(got <= base + unit / 2, "{c:?} {price} {other} {got}");
            }
        }
    }
}
