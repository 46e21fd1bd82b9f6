//! Who is a 特定健診 target of a fiscal year (実施基準 第1条, DOMAIN.md), judged on an as-of
//! date: qualified that day (取得日 ≤ date < 喪失日), reaching 40–75 by legal age during the
//! fiscal year and still under 75 that day ([`is_tokutei_target`]), and not excluded by a 告示
//! period overlapping the year. kk-unexamined (who has not come) and kk-ticket (who gets a
//! 受診券) both ask this one function.

use jiff::civil::Date;

use super::{FiscalYear, is_tokutei_target, qualified_on};

/// Where a person of the master stands for the fiscal year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TargetStatus {
    /// not qualified on the as-of date
    NotQualified,
    /// qualified, but outside the ages of the year (or already 75)
    NotTarget,
    /// a target by age and qualification, excluded by a 告示 period
    Excluded,
    /// a target
    Target,
}

/// The person's status: `excluded` says whether a 告示 exclusion overlaps the fiscal year.
pub fn target_status(
    acquired: Date,
    lost: Option<Date>,
    birth: Date,
    fy: FiscalYear,
    as_of: Date,
    excluded: bool,
) -> TargetStatus {
    if !qualified_on(acquired, lost, as_of) {
        TargetStatus::NotQualified
    } else if !is_tokutei_target(birth, fy, as_of) {
        TargetStatus::NotTarget
    } else if excluded {
        TargetStatus::Excluded
    } else {
        TargetStatus::Target
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::parse_date;

    fn d(s: &str) -> Date {
        parse_date(s).unwrap()
    }

    #[test]
    fn the_edges_of_a_target() {
        let fy = FiscalYear(2026);
        let on = d("20260401");
        let s = |acq: &str, lost: Option<&str>, birth: &str, excl: bool| {
            target_status(d(acq), lost.map(d), d(birth), fy, on, excl)
        };
        // 40 at the year's end: born 1987-04-01 turns 40 at the end of 2027-03-31
        assert_eq!(s("20000101", None, "19870401", false), TargetStatus::Target);
        assert_eq!(s("20000101", None, "19870402", false), TargetStatus::NotTarget);
        // 75th birthday after the as-of date: still a target; on it or before: not
        assert_eq!(s("20000101", None, "19510402", false), TargetStatus::Target);
        assert_eq!(s("20000101", None, "19510401", false), TargetStatus::NotTarget);
        // qualification: acquired on the day counts, lost on the day does not
        assert_eq!(s("20260401", None, "19700101", false), TargetStatus::Target);
        assert_eq!(s("20000101", Some("20260401"), "19700101", false), TargetStatus::NotQualified);
        assert_eq!(s("20260402", None, "19700101", false), TargetStatus::NotQualified);
        assert_eq!(s("20000101", None, "19700101", true), TargetStatus::Excluded);
        // an excluded person who is not qualified is not qualified
        assert_eq!(s("20260402", None, "19700101", true), TargetStatus::NotQualified);
    }
}
