//! 階層化 (who gets 特定保健指導), メタボ判定 and 受診勧奨 from one checkup's values: the rule of the
//! 第4期 (2024–) in one place, used by kk-stratify, kk-statutory summary and kk-xml.
//!
//! [`stratify`] reads the values by item code ([`measures`]), turns them into facts that are known
//! true, known false or unknown ([`rule::Facts`]), and evaluates the rule over every completion of
//! the unknown facts: the outcome stands when all completions agree, else it is 判定不能. No list
//! of special cases: a missing 服薬 matters exactly when some completion would make the person a
//! target, a missing glucose does not matter when the outcome is capped anyway.

pub mod decimal;
pub mod measures;
pub mod referral;
pub mod rule;

pub use decimal::Decimal;
pub use measures::{Kind, Measures, slot, slot_of};
pub use referral::referrals;
pub use rule::{Facts, Level, Metabo, fact};

/// Everything the 階層化結果 list shows for one checkup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub level: Level,
    pub metabo: Metabo,
    /// 腹囲判定: `腹囲`, `BMI`, `非該当`, or empty when unknown
    pub group: &'static str,
    /// 血圧, 脂質, 血糖, 喫煙: `1`, `0`, or None when unknown
    pub risks: [Option<bool>; 4],
    /// 追加リスク数, when every completion gives the same count
    pub risk_count: Option<u8>,
    /// 服薬 (any of 1–3 あり)
    pub medicated: Option<bool>,
    /// 受診勧奨 flags
    pub referrals: Vec<&'static str>,
    /// 判定理由
    pub reason: String,
}

/// The outcome of one checkup: its values, sex (1/2, None when unknown) and age at the end of
/// the fiscal year of the checkup (None when unknown). A bad value (not a number, not in its
/// code list) in an item the rule reads makes 階層化 and メタボ判定 判定不能: the data must be fixed.
pub fn stratify(m: &Measures, sex: Option<u8>, age: Option<i16>) -> Outcome {
    let facts = Facts::of(m, sex, age);
    let bad = m.has_bad_rule_input();
    let level = if bad { None } else { facts.settled(rule::level) };
    let metabo = if bad { None } else { facts.settled(rule::metabo) };
    let f = &facts.0;
    let risk_count = facts.settled(rule::risks);
    let group = match facts.settled(rule::group) {
        Some(1) => "腹囲",
        Some(2) => "BMI",
        Some(_) => "非該当",
        None => "",
    };
    let medicated = facts.settled(rule::medicated);
    let reason = match level {
        _ if bad => "判定不能: 値の誤り".to_string(),
        None => {
            let names: Vec<&str> = facts.deciding(rule::level).into_iter().map(|i| fact::NAMES[i]).collect();
            format!("判定不能: {} が不明", dedup_join(&names))
        }
        Some(l) => reason(&facts, l, risk_count),
    };
    Outcome {
        level: level.unwrap_or(Level::Undetermined),
        metabo: metabo.unwrap_or(Metabo::Undetermined),
        group,
        risks: [f[fact::BP], f[fact::LIPID], f[fact::GLUCOSE], f[fact::SMOKING]],
        risk_count,
        medicated,
        referrals: referrals(m, sex),
        reason,
    }
}

fn dedup_join(names: &[&str]) -> String {
    let mut seen: Vec<&str> = Vec::new();
    for n in names {
        if !seen.contains(n) {
            seen.push(n);
        }
    }
    seen.join("・")
}

/// The 判定理由 of a settled level, from what is known.
fn reason(facts: &Facts, level: Level, count: Option<u8>) -> String {
    let f = &facts.0;
    if level == Level::Information {
        if facts.settled(rule::medicated) == Some(true) {
            return "服薬あり".into();
        }
        if facts.settled(rule::group) == Some(0) {
            return "腹囲・BMI 非該当".into();
        }
    }
    let group = match facts.settled(rule::group) {
        Some(1) => "腹囲",
        Some(2) => "BMI",
        _ => "腹囲またはBMI",
    };
    let named: Vec<&str> = [(fact::BP, "血圧"), (fact::LIPID, "脂質"), (fact::GLUCOSE, "血糖")]
        .iter()
        .filter(|(i, _)| f[*i] == Some(true))
        .map(|(_, n)| *n)
        .chain((f[fact::SMOKING] == Some(true) && count.is_some_and(|c| c > 0)).then_some("喫煙"))
        .collect();
    let risks = if named.is_empty() { "リスクなし".to_string() } else { named.join("・") };
    let count = count.map_or_else(|| format!("{}以上", named.len()), |c| c.to_string());
    let capped = level == Level::Motivational
        && f[fact::SENIOR] == Some(true)
        && facts.settled(|b| rule::level(b & !(1 << fact::SENIOR))) == Some(Level::Active);
    format!("{group} + {risks} → {count}{}", if capped { " (65〜74歳は動機付け)" } else { "" })
}

#[cfg(test)]
mod tests;
