//! 受診勧奨判定値: values past which the 標準的な健診・保健指導プログラム (令和6年度版) advises seeing a
//! doctor. The table and its sources are in docs/stratify.md; values marked [S] there rest on one
//! secondary source.

use super::decimal::Decimal;
use super::measures::{Measures, slot};
use super::rule::blood_pressure;

/// The groups a 受診勧奨 flag names, in the order the lists join them.
pub const FLAGS: [&str; 6] = ["血圧", "脂質", "血糖", "肝機能", "腎機能", "貧血"];

/// The flags that apply to a checkup (any measured value past its 受診勧奨判定値), in [`FLAGS`] order.
pub fn referrals(m: &Measures, sex: Option<u8>) -> Vec<&'static str> {
    let ge = |s: usize, t: Decimal| m.get(s).is_some_and(|v| v >= t);
    let w = Decimal::whole;
    let (sbp, dbp) = blood_pressure(m);
    let bp = sbp.is_some_and(|v| v >= w(140)) || dbp.is_some_and(|v| v >= w(90));
    // HDL has no 受診勧奨判定値 in the 第4期 table (the 第3期 one was ≤ 34) [S]
    let lipid = ge(slot::FASTING_TG, w(300))
        || ge(slot::CASUAL_TG, w(300))
        || ge(slot::LDL, w(140))
        || ge(slot::NON_HDL, w(170));
    let glucose =
        ge(slot::FASTING_GLUCOSE, w(126)) || ge(slot::HBA1C, Decimal::tenths(65)) || ge(slot::CASUAL_GLUCOSE, w(126));
    let liver = ge(slot::AST, w(51)) || ge(slot::ALT, w(51)) || ge(slot::GGT, w(101));
    // 尿蛋白 (+) or more is code 3 and above [S]
    let kidney = m.get(slot::EGFR).is_some_and(|v| v < w(45)) || m.code(slot::URINE_PROTEIN).is_some_and(|c| c >= 3);
    // 血色素量 12.0 以下 (男) / 11.0 以下 (女) [S: sources differ on 以下 / 未満]; unknown sex: no flag
    let anemia = match sex {
        Some(1) => m.get(slot::HEMOGLOBIN).is_some_and(|v| v <= Decimal::tenths(120)),
        Some(2) => m.get(slot::HEMOGLOBIN).is_some_and(|v| v <= Decimal::tenths(110)),
        _ => false,
    };
    FLAGS.iter().zip([bp, lipid, glucose, liver, kidney, anemia]).filter(|(_, on)| *on).map(|(f, _)| *f).collect()
}
