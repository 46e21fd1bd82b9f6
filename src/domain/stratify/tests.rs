//! The rule on every boundary the 実施基準 draws, and on missing values.

use super::*;

const WAIST: &str = "9N016160100000001";
const BMI: &str = "9N011000000000001";
const SBP1: &str = "9A751000000000001";
const DBP1: &str = "9A761000000000001";
const SBP_MEAN: &str = "9A755000000000001";
const DBP_MEAN: &str = "9A765000000000001";
const TG: &str = "3F015000002327101";
const TG_CASUAL: &str = "3F015129902327101";
const HDL: &str = "3F070000002327101";
const FPG: &str = "3D010000001926101";
const HBA1C: &str = "3D046000001906202";
const GLU_CASUAL: &str = "3D010129901926101";
const TIME: &str = "9N141000000000011";
const SMOKE: &str = "9N736000000000011";
const MEDS: [&str; 3] = ["9N701000000000011", "9N706000000000011", "9N711000000000011"];

/// A person with every value present and healthy (waist 80, BMI 22, BP 110/70, TG 100, HDL 60,
/// FPG 90, non-smoker, no medication), with `changes` applied (an empty value removes the item).
fn measures(changes: &[(&str, &str)]) -> Measures {
    let base = [
        (WAIST, "80"),
        (BMI, "22.0"),
        (SBP1, "110"),
        (DBP1, "70"),
        (TG, "100"),
        (HDL, "60"),
        (FPG, "90"),
        (TIME, "2"),
        (SMOKE, "3"),
        (MEDS[0], "2"),
        (MEDS[1], "2"),
        (MEDS[2], "2"),
    ];
    let mut m = Measures::default();
    let mut items: Vec<(&str, &str)> =
        base.iter().filter(|(c, _)| !changes.iter().any(|(k, _)| k == c)).copied().collect();
    items.extend(changes.iter().copied());
    for (code, value) in items {
        let (s, kind) = slot_of(code).unwrap();
        let _ = m.record(s, kind, value);
    }
    m
}

fn level_of(sex: u8, age: i16, changes: &[(&str, &str)]) -> Level {
    stratify(&measures(changes), Some(sex), Some(age)).level
}

use Level::{Active as A, Information as I, Motivational as M, Undetermined as U};

#[test]
fn waist_thresholds_by_sex() {
    assert_eq!(level_of(1, 50, &[(WAIST, "85.0"), (SBP1, "130")]), M);
    assert_eq!(level_of(1, 50, &[(WAIST, "84.9"), (SBP1, "130")]), I);
    assert_eq!(level_of(2, 50, &[(WAIST, "90.0"), (SBP1, "130")]), M);
    assert_eq!(level_of(2, 50, &[(WAIST, "89.9"), (SBP1, "130")]), I);
    assert_eq!(stratify(&measures(&[(WAIST, "84.9")]), Some(1), Some(50)).reason, "腹囲・BMI 非該当");
}

#[test]
fn bmi_group_needs_three_risks_for_active() {
    assert_eq!(level_of(1, 50, &[(BMI, "25.0"), (SBP1, "130")]), M);
    assert_eq!(level_of(1, 50, &[(BMI, "24.9"), (SBP1, "130")]), I);
    assert_eq!(level_of(1, 50, &[(BMI, "25.0"), (SBP1, "130"), (TG, "150")]), M);
    assert_eq!(level_of(1, 50, &[(BMI, "25.0"), (SBP1, "130"), (TG, "150"), (FPG, "100")]), A);
    // computed from 身長/体重 when BMI is missing: 72.3 kg / 1.70 m² = 25.017… → 25.0
    assert_eq!(
        level_of(1, 50, &[(BMI, ""), ("9N001000000000001", "170.0"), ("9N006000000000001", "72.3"), (SBP1, "130")]),
        M
    );
    // 72.2 kg → 24.98… → 25.0 (rounded to one decimal as the form writes it)
    assert_eq!(
        level_of(1, 50, &[(BMI, ""), ("9N001000000000001", "170.0"), ("9N006000000000001", "72.2"), (SBP1, "130")]),
        M
    );
    // 72.0 kg → 24.91… → 24.9
    assert_eq!(
        level_of(1, 50, &[(BMI, ""), ("9N001000000000001", "170.0"), ("9N006000000000001", "72.0"), (SBP1, "130")]),
        I
    );
}

#[test]
fn blood_pressure_thresholds_and_measurement() {
    let w = (WAIST, "90");
    assert_eq!(level_of(1, 50, &[w, (SBP1, "130")]), M);
    assert_eq!(level_of(1, 50, &[w, (SBP1, "129")]), I);
    assert_eq!(level_of(1, 50, &[w, (DBP1, "85")]), M);
    assert_eq!(level_of(1, 50, &[w, (DBP1, "84")]), I);
    // その他 (the mean) wins over 1回目, for both values
    assert_eq!(level_of(1, 50, &[w, (SBP1, "150"), (SBP_MEAN, "128"), (DBP_MEAN, "80")]), I);
    assert_eq!(level_of(1, 50, &[w, (SBP1, "120"), (SBP_MEAN, "131"), (DBP_MEAN, "80")]), M);
}

#[test]
fn lipid_thresholds_and_the_casual_route() {
    let w = (WAIST, "90");
    assert_eq!(level_of(1, 50, &[w, (TG, "150")]), M);
    assert_eq!(level_of(1, 50, &[w, (TG, "149")]), I);
    assert_eq!(level_of(1, 50, &[w, (HDL, "39")]), M);
    assert_eq!(level_of(1, 50, &[w, (HDL, "40")]), I);
    // 随時 TG only without a fasting TG, at 175
    assert_eq!(level_of(1, 50, &[w, (TG, ""), (TIME, "3"), (TG_CASUAL, "175")]), M);
    assert_eq!(level_of(1, 50, &[w, (TG, ""), (TIME, "3"), (TG_CASUAL, "174")]), I);
    assert_eq!(level_of(1, 50, &[w, (TG, "100"), (TG_CASUAL, "300")]), I);
    // 食直後 (採血時間 4): the casual TG is not used; TG unknown, HDL fine → could be a risk
    assert_eq!(level_of(1, 50, &[w, (TG, ""), (TIME, "4"), (TG_CASUAL, "300")]), U);
    // … unless the lipid risk cannot change the outcome (HDL already low)
    assert_eq!(level_of(1, 50, &[w, (TG, ""), (TIME, "4"), (TG_CASUAL, "300"), (HDL, "39")]), M);
}

#[test]
fn glucose_thresholds_and_order() {
    let w = (WAIST, "90");
    assert_eq!(level_of(1, 50, &[w, (FPG, "100")]), M);
    assert_eq!(level_of(1, 50, &[w, (FPG, "99")]), I);
    assert_eq!(level_of(1, 50, &[w, (FPG, ""), (HBA1C, "5.6")]), M);
    assert_eq!(level_of(1, 50, &[w, (FPG, ""), (HBA1C, "5.5")]), I);
    // 空腹時血糖 first: a high HbA1c beside a normal FPG does not count
    assert_eq!(level_of(1, 50, &[w, (FPG, "99"), (HBA1C, "6.0")]), I);
    assert_eq!(level_of(1, 50, &[w, (FPG, "100"), (HBA1C, "5.0")]), M);
    // HbA1c before 随時血糖
    assert_eq!(level_of(1, 50, &[w, (FPG, ""), (HBA1C, "5.5"), (GLU_CASUAL, "140")]), I);
    // 随時血糖 last, not 食直後
    assert_eq!(level_of(1, 50, &[w, (FPG, ""), (TIME, "3"), (GLU_CASUAL, "100")]), M);
    assert_eq!(level_of(1, 50, &[w, (FPG, ""), (TIME, "3"), (GLU_CASUAL, "99")]), I);
    assert_eq!(level_of(1, 50, &[w, (FPG, ""), (TIME, "4"), (GLU_CASUAL, "99")]), U);
}

#[test]
fn smoking_counts_only_beside_another_risk() {
    let w = (WAIST, "90");
    assert_eq!(level_of(1, 50, &[w, (SMOKE, "1")]), I);
    assert_eq!(level_of(1, 50, &[w, (SMOKE, "1"), (SBP1, "130")]), A);
    assert_eq!(level_of(1, 50, &[w, (SMOKE, "2"), (SBP1, "130")]), M);
    assert_eq!(level_of(1, 50, &[(BMI, "26"), (SMOKE, "1"), (SBP1, "130"), (TG, "150")]), A);
    let o = stratify(&measures(&[w, (SMOKE, "1")]), Some(1), Some(50));
    assert_eq!((o.risk_count, o.risks[3]), (Some(0), Some(true)));
}

#[test]
fn ages_65_to_74_are_capped_at_motivational() {
    let two = [(WAIST, "90"), (SBP1, "130"), (TG, "150")];
    assert_eq!(level_of(1, 64, &two), A);
    assert_eq!(level_of(1, 65, &two), M);
    assert_eq!(level_of(1, 74, &two), M);
    assert_eq!(stratify(&measures(&two), Some(1), Some(65)).reason, "腹囲 + 血圧・脂質 → 2 (65〜74歳は動機付け)");
    // age unknown: capped or not decides
    assert_eq!(stratify(&measures(&two), Some(1), None).level, U);
}

#[test]
fn medication_means_no_guidance() {
    let target = [(WAIST, "90"), (SBP1, "150"), (TG, "200")];
    for med in MEDS {
        assert_eq!(level_of(1, 50, &[target[0], target[1], target[2], (med, "1")]), I);
    }
    let o = stratify(&measures(&[target[0], target[1], target[2], (MEDS[0], "1")]), Some(1), Some(50));
    assert_eq!(o.reason, "服薬あり");
    // an insurer's recheck that found medication counts
    assert_eq!(level_of(1, 50, &[target[0], target[1], target[2], ("9N702167200000049", "1")]), I);
    // a missing 服薬 answer matters for a would-be target …
    assert_eq!(level_of(1, 50, &[target[0], target[1], target[2], (MEDS[1], "")]), U);
    // … and not for someone who is not one anyway
    assert_eq!(level_of(1, 50, &[(MEDS[1], "")]), I);
}

#[test]
fn missing_values_only_matter_when_they_can_change_the_outcome() {
    // glucose missing, two risks already with the 腹囲 group: 積極的 either way
    assert_eq!(level_of(1, 50, &[(WAIST, "90"), (SBP1, "130"), (TG, "150"), (FPG, "")]), A);
    // one risk and glucose missing: 動機付け or 積極的
    let o = stratify(&measures(&[(WAIST, "90"), (SBP1, "130"), (FPG, "")]), Some(1), Some(50));
    assert_eq!((o.level, o.reason.as_str()), (U, "判定不能: 血糖 が不明"));
    // … but capped at 65: 動機付け either way
    assert_eq!(level_of(1, 66, &[(WAIST, "90"), (SBP1, "130"), (FPG, "")]), M);
    // waist missing, BMI ≥ 25, two risks: group (1) 積極的 vs group (2) 動機付け
    assert_eq!(level_of(1, 50, &[(WAIST, ""), (BMI, "26"), (SBP1, "130"), (TG, "150")]), U);
    // … with three risks both groups give 積極的
    assert_eq!(level_of(1, 50, &[(WAIST, ""), (BMI, "26"), (SBP1, "130"), (TG, "150"), (FPG, "100")]), A);
    // waist missing, BMI < 25, no risk at all: 情報提供 either way
    assert_eq!(level_of(1, 50, &[(WAIST, "")]), I);
    // waist missing and one risk: could be 動機付け
    assert_eq!(level_of(1, 50, &[(WAIST, ""), (SBP1, "130")]), U);
    // smoking missing with one risk in the 腹囲 group decides between 動機付け and 積極的
    assert_eq!(level_of(1, 50, &[(WAIST, "90"), (SBP1, "130"), (SMOKE, "")]), U);
    // sex unknown: a waist of 87 decides nothing for a woman and everything for a man
    assert_eq!(stratify(&measures(&[(WAIST, "87"), (SBP1, "130")]), None, Some(50)).level, U);
    assert_eq!(stratify(&measures(&[(WAIST, "91"), (SBP1, "130")]), None, Some(50)).level, M);
    // nothing at all
    assert_eq!(stratify(&Measures::default(), Some(1), Some(50)).level, U);
}

#[test]
fn visceral_fat_replaces_waist() {
    assert_eq!(level_of(1, 50, &[(WAIST, "80"), ("9N021000000000001", "100"), (SBP1, "130")]), M);
    assert_eq!(level_of(1, 50, &[(WAIST, "95"), ("9N021000000000001", "99.9"), (SBP1, "130")]), I);
}

#[test]
fn bad_values_make_the_rule_undetermined() {
    let mut m = measures(&[]);
    assert_eq!(m.record(slot::HDL, Kind::Number, "abc"), Err(crate::error::FieldError::Number));
    let o = stratify(&m, Some(1), Some(50));
    assert_eq!((o.level, o.metabo, o.reason.as_str()), (U, Metabo::Undetermined, "判定不能: 値の誤り"));
    let mut m = measures(&[]);
    assert_eq!(m.record(slot::SMOKING, Kind::Code(&[1, 2, 3]), "4"), Err(crate::error::FieldError::Code));
    assert_eq!(stratify(&m, Some(1), Some(50)).level, U);
}

#[test]
fn metabolic_syndrome() {
    let s = |c: &[(&str, &str)]| stratify(&measures(c), Some(1), Some(50)).metabo;
    assert_eq!(s(&[(WAIST, "85"), (FPG, "110"), (SBP1, "130")]), Metabo::Meets);
    assert_eq!(s(&[(WAIST, "85"), (FPG, "109"), (SBP1, "130")]), Metabo::Borderline);
    assert_eq!(s(&[(WAIST, "85")]), Metabo::No);
    assert_eq!(s(&[(WAIST, "84"), (FPG, "130"), (SBP1, "150")]), Metabo::No);
    // HbA1c 6.0 only without a fasting glucose
    assert_eq!(s(&[(WAIST, "85"), (FPG, ""), (HBA1C, "6.0"), (HDL, "39")]), Metabo::Meets);
    assert_eq!(s(&[(WAIST, "85"), (FPG, ""), (HBA1C, "5.9"), (HDL, "39")]), Metabo::Borderline);
    // medication meets its criterion
    assert_eq!(s(&[(WAIST, "85"), (MEDS[0], "1"), (MEDS[2], "1")]), Metabo::Meets);
    assert_eq!(s(&[(WAIST, "85"), (MEDS[1], "1")]), Metabo::Borderline);
    // BMI does not count for メタボ判定
    assert_eq!(s(&[(BMI, "30"), (FPG, "130"), (SBP1, "150")]), Metabo::No);
    // waist unknown with two criteria met: 判定不能
    assert_eq!(s(&[(WAIST, ""), (FPG, "130"), (SBP1, "150")]), Metabo::Undetermined);
}

#[test]
fn levels_and_codes() {
    assert_eq!([A, M, I, U].map(Level::code), [1, 2, 3, 4]);
    assert_eq!([Metabo::Meets, Metabo::Borderline, Metabo::No, Metabo::Undetermined].map(Metabo::code), [1, 2, 3, 4]);
}

#[test]
fn referral_flags() {
    let r = |c: &[(&str, &str)], sex| referrals(&measures(c), Some(sex));
    assert!(r(&[], 1).is_empty());
    assert_eq!(r(&[(SBP1, "140")], 1), ["血圧"]);
    assert_eq!(r(&[(DBP1, "89")], 1), Vec::<&str>::new());
    assert_eq!(r(&[(TG, "300"), (FPG, "126")], 1), ["脂質", "血糖"]);
    assert_eq!(r(&[(HBA1C, "6.5"), ("3B090000002327101", "101")], 1), ["血糖", "肝機能"]);
    assert_eq!(r(&[("8A065000002391901", "44.9")], 1), ["腎機能"]);
    assert_eq!(r(&[("2A030000001930101", "12.0")], 1), ["貧血"]);
    assert_eq!(r(&[("2A030000001930101", "12.0")], 2), Vec::<&str>::new());
    assert_eq!(r(&[("2A030000001930101", "11.0")], 2), ["貧血"]);
}

#[test]
fn outcome_columns() {
    let o = stratify(&measures(&[(WAIST, "90"), (SBP1, "130"), (SMOKE, "1")]), Some(1), Some(50));
    assert_eq!(o.group, "腹囲");
    assert_eq!(o.risks, [Some(true), Some(false), Some(false), Some(true)]);
    assert_eq!((o.risk_count, o.medicated), (Some(2), Some(false)));
    assert_eq!(o.reason, "腹囲 + 血圧・喫煙 → 2");
    let o = stratify(&measures(&[(WAIST, ""), (BMI, "24")]), Some(1), Some(50));
    assert_eq!(o.group, "");
}
