//! The 法定報告 rule set, in one place (DOMAIN.md "法定報告 denominator", "告示 exclusions",
//! "抹消者"): who is in the denominator of fiscal year Y, and if not, why.
//!
//! [I] DOMAIN.md marks parts of this as inference: continuous enrolment from 1 April to 31 March
//! (me-ta-bo.com practice, to be confirmed against the 実施状況報告 manual), an exclusion period
//! counting when it overlaps the year, a person reaching 75 exactly at the year's end counting
//! in 70–74, and the meaning of 抹消. No public source defines 資格取得の取消 in data, so a
//! record registered in error shows up here only as "not in the master".

use jiff::civil::Date;

use super::age::{FiscalYear, age_at_fiscal_year_end, seventy_fifth_birthday};

/// 告示 exclusion codes kk accepts (DOMAIN.md): 1 妊産婦, 2 刑事施設等, 3 国外居住, 4 長期入院,
/// 5 施設入所, 6 船員保険の船舶内, 9 その他.
pub const EXCLUSION_CODES: [&str; 7] = ["1", "2", "3", "4", "5", "6", "9"];

/// The name of a 告示 exclusion code.
pub fn exclusion_name(code: &str) -> &'static str {
    match code {
        "1" => "妊産婦",
        "2" => "刑事施設等に拘禁",
        "3" => "国内に住所を有しない",
        "4" => "長期入院",
        "5" => "施設入所",
        "6" => "船員保険の被保険者で船舶内",
        "9" => "その他告示",
        _ => "",
    }
}

/// An exclusion period [start, end] (end empty = open) excludes a person for a fiscal year when
/// it overlaps the year. [I] DOMAIN.md: the rule is an inference, kept in this one place.
pub fn excludes(start: Date, end: Option<Date>, fy: FiscalYear) -> bool {
    start <= fy.last_day() && end.is_none_or(|e| e >= fy.first_day())
}

crate::codes! {
    /// Why a person (or a result record) is not in the denominator of a fiscal year. The order
    /// is the order of the checks: a record gets the first reason that applies. Codes are stable
    /// (docs/errors.md).
    pub enum Reason {
        /// The result's person is not in the master.
        NotInMaster = "S101", "被保険者マスタにない";
        /// The result's 受診日 is outside the fiscal year.
        OutsideYear = "S102", "受診日が対象年度外";
        /// Not insured on any day of the year (lost before it began, or joined after it).
        NotInsured = "S103", "年度内に資格がない";
        /// Age at the year's end outside 40–74 (75 only when reached exactly at the year's end).
        OutsideAge = "S104", "年度末年齢が40〜74歳の範囲外";
        /// Joined after 1 April (年度途中加入).
        JoinedMidYear = "S105", "年度途中加入";
        /// Lost qualification on or before 31 March (年度途中喪失).
        LeftMidYear = "S106", "年度途中喪失";
        /// A 告示 exclusion overlaps the year.
        Excluded = "S107", "告示による除外";
    }
}

/// The age that places a person in the report for `fy`: the age at the year's end, except that
/// a person whose 75th birthday is the day after the year ends (so 75 only at its very end)
/// counts as 74 [I, DOMAIN.md]. None when outside 40–74.
pub fn report_age(birth: Date, fy: FiscalYear) -> Option<i16> {
    let age = age_at_fiscal_year_end(birth, fy);
    match age {
        40..=74 => Some(age),
        75 if seventy_fifth_birthday(birth) > fy.last_day() => Some(74),
        _ => None,
    }
}

/// The age band (40–44 … 70–74) of a report age, as its first age.
pub fn age_band(age: i16) -> i16 {
    40 + (age.clamp(40, 74) - 40) / 5 * 5
}

/// The 5-year band of any age as a label (`42` → `40-44`, `7` → `5-9`); within 40–74 these are
/// the labels of [`AGE_BANDS`]. None for a negative age.
pub fn five_year_band(age: i64) -> Option<String> {
    (age >= 0).then(|| {
        let low = age / 5 * 5;
        format!("{low}-{}", low + 4)
    })
}

/// 年齢階級 labels, in order.
pub const AGE_BANDS: [&str; 7] = ["40-44", "45-49", "50-54", "55-59", "60-64", "65-69", "70-74"];

/// Where a master person stands for fiscal year `fy`: in the denominator (Ok), or the first
/// reason they are not. `excluded`: a 告示 exclusion overlaps the year.
pub fn standing(birth: Date, acquired: Date, lost: Option<Date>, excluded: bool, fy: FiscalYear) -> Result<(), Reason> {
    if acquired > fy.last_day() || lost.is_some_and(|l| l <= fy.first_day()) {
        return Err(Reason::NotInsured);
    }
    if report_age(birth, fy).is_none() {
        return Err(Reason::OutsideAge);
    }
    if acquired > fy.first_day() {
        return Err(Reason::JoinedMidYear);
    }
    // 資格喪失日 is the first day without qualification: losing it on 1 April of the next year
    // means insured through 31 March
    if lost.is_some_and(|l| l <= fy.last_day()) {
        return Err(Reason::LeftMidYear);
    }
    if excluded {
        return Err(Reason::Excluded);
    }
    Ok(())
}

/// 受診率 in tenths of a percent, half up (12.35% → 124): None for no targets.
pub fn rate_tenths(examined: u64, targets: u64) -> Option<u64> {
    (targets > 0).then(|| (examined * 2000 + targets) / (2 * targets))
}

/// A rate in tenths of a percent as text: 124 → "12.4".
pub fn format_rate(tenths: u64) -> String {
    format!("{}.{}", tenths / 10, tenths % 10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_year_bands_extend_the_report_bands() {
        for age in 40..=74 {
            assert_eq!(five_year_band(i64::from(age)).as_deref(), Some(AGE_BANDS[(age_band(age) as usize - 40) / 5]));
        }
        assert_eq!(five_year_band(0).as_deref(), Some("0-4"));
        assert_eq!(five_year_band(39).as_deref(), Some("35-39"));
        assert_eq!(five_year_band(75).as_deref(), Some("75-79"));
        assert_eq!(five_year_band(-1), None);
    }
    use jiff::civil::date;

    const FY: FiscalYear = FiscalYear(2025);

    #[test]
    fn report_age_follows_the_legal_rule_and_the_75_edge() {
        assert_eq!(report_age(date(1986, 4, 1), FY), Some(40), "40 at the end of 31 March 2026");
        assert_eq!(report_age(date(1986, 4, 2), FY), None, "39 at the year's end");
        assert_eq!(report_age(date(1951, 4, 2), FY), Some(74));
        assert_eq!(report_age(date(1951, 4, 1), FY), Some(74), "75 only at the very end: counts in 70-74");
        assert_eq!(report_age(date(1951, 3, 31), FY), None, "turned 75 on 31 March 2026");
        assert_eq!(report_age(date(1950, 10, 1), FY), None, "turned 75 during the year");
        assert_eq!(age_band(40), 40);
        assert_eq!(age_band(44), 40);
        assert_eq!(age_band(45), 45);
        assert_eq!(age_band(74), 70);
    }

    #[test]
    fn standing_checks_in_order() {
        let born = date(1970, 6, 1);
        let (april, march) = (FY.first_day(), FY.last_day());
        assert_eq!(standing(born, date(2000, 1, 1), None, false, FY), Ok(()));
        assert_eq!(standing(born, april, Some(date(2026, 4, 1)), false, FY), Ok(()), "lost the day after the year");
        assert_eq!(standing(born, april, Some(march), false, FY), Err(Reason::LeftMidYear));
        assert_eq!(standing(born, date(2025, 4, 2), None, false, FY), Err(Reason::JoinedMidYear));
        assert_eq!(standing(born, date(2026, 4, 1), None, false, FY), Err(Reason::NotInsured));
        assert_eq!(standing(born, date(2000, 1, 1), Some(april), false, FY), Err(Reason::NotInsured));
        assert_eq!(standing(born, date(2000, 1, 1), None, true, FY), Err(Reason::Excluded));
        assert_eq!(standing(date(1990, 1, 1), date(2025, 5, 1), None, true, FY), Err(Reason::OutsideAge));
        assert_eq!(standing(born, date(2025, 5, 1), Some(date(2025, 9, 1)), true, FY), Err(Reason::JoinedMidYear));
    }

    #[test]
    fn exclusion_periods_overlapping_the_year() {
        assert!(!excludes(date(2024, 4, 1), Some(date(2025, 3, 31)), FY), "ended the day before");
        assert!(excludes(date(2024, 4, 1), Some(date(2025, 4, 1)), FY), "one day in the year");
        assert!(excludes(date(2026, 3, 31), None, FY), "from the last day");
        assert!(!excludes(date(2026, 4, 1), None, FY), "from the next year");
        assert!(excludes(date(2020, 1, 1), None, FY), "open-ended");
    }

    #[test]
    fn rates_round_half_up_to_one_decimal() {
        assert_eq!(rate_tenths(1, 3).map(format_rate).as_deref(), Some("33.3"));
        assert_eq!(rate_tenths(2, 3).map(format_rate).as_deref(), Some("66.7"));
        assert_eq!(rate_tenths(247, 2000).map(format_rate).as_deref(), Some("12.4"), "12.35 → 12.4");
        assert_eq!(rate_tenths(0, 5).map(format_rate).as_deref(), Some("0.0"));
        assert_eq!(rate_tenths(5, 5).map(format_rate).as_deref(), Some("100.0"));
        assert_eq!(rate_tenths(0, 0), None);
    }
}
