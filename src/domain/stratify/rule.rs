//! The 第4期 (2024–) 階層化 and メタボ判定 (notes/MHLW-XML.md §4.2, DOMAIN.md §3), with missing
//! values handled by evaluating every possibility of what is missing.

use super::decimal::Decimal;
use super::measures::{Measures, slot};

/// The facts the rule reads, each known true, known false, or unknown (missing). Index into
/// [`Facts::0`] with the constants of [`fact`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facts(pub [Option<bool>; fact::COUNT]);

/// The facts, by index.
pub mod fact {
    /// 服薬1 血圧 / 2 血糖 / 3 脂質 = 1
    pub const MED_BP: usize = 0;
    pub const MED_GLUCOSE: usize = 1;
    pub const MED_LIPID: usize = 2;
    /// 腹囲 ≥ 85 (男) / 90 (女), or 内臓脂肪面積 ≥ 100
    pub const WAIST: usize = 3;
    /// BMI ≥ 25
    pub const BMI: usize = 4;
    /// ① 収縮期 ≥ 130 or 拡張期 ≥ 85
    pub const BP: usize = 5;
    /// ② 空腹時TG ≥ 150 (else 随時TG ≥ 175) or HDL < 40
    pub const LIPID: usize = 6;
    /// ③ the first measured of 空腹時血糖 ≥ 100, HbA1c ≥ 5.6, 随時血糖 ≥ 100
    pub const GLUCOSE: usize = 7;
    /// ④ 喫煙 = 1
    pub const SMOKING: usize = 8;
    /// 年度末年齢 65 or more (caps 積極的 at 動機付け; targets are at most 74 when examined)
    pub const SENIOR: usize = 9;
    /// メタボ判定's glucose: the first measured of 空腹時血糖 ≥ 110, HbA1c ≥ 6.0, 随時血糖 ≥ 110
    pub const GLUCOSE_METABO: usize = 10;
    pub const COUNT: usize = 11;
    /// How a reason names each fact.
    pub const NAMES: [&str; COUNT] =
        ["服薬(血圧)", "服薬(血糖)", "服薬(脂質)", "腹囲", "BMI", "血圧", "脂質", "血糖", "喫煙", "年齢", "血糖"];
}

/// 階層化: the 特定保健指導 level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Active,
    Motivational,
    Information,
    Undetermined,
}

impl Level {
    /// The name the lists show.
    pub fn name(self) -> &'static str {
        match self {
            Level::Active => "積極的支援",
            Level::Motivational => "動機付け支援",
            Level::Information => "情報提供",
            Level::Undetermined => "判定不能",
        }
    }

    /// 積極的支援 or 動機付け支援: a target of 特定保健指導.
    pub fn is_target(self) -> bool {
        matches!(self, Level::Active | Level::Motivational)
    }

    /// 保健指導レベル (9N506, OID 1.2.392.200119.6.3001): 1 積極的, 2 動機付け, 3 なし, 4 判定不能.
    pub fn code(self) -> u8 {
        self as u8 + 1
    }
}

/// メタボ判定 (9N501, OID 1.2.392.200119.6.1008).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Metabo {
    Meets,
    Borderline,
    No,
    Undetermined,
}

impl Metabo {
    /// 1 基準該当, 2 予備群, 3 非該当, 4 判定不能.
    pub fn code(self) -> u8 {
        self as u8 + 1
    }
}

/// Either threshold test, on a value that may be missing.
fn at_least(v: Option<Decimal>, t: Decimal) -> Option<bool> {
    v.map(|v| v >= t)
}

/// `a or b` where either may be unknown: true if either is known true.
fn or(a: Option<bool>, b: Option<bool>) -> Option<bool> {
    match (a, b) {
        (Some(true), _) | (_, Some(true)) => Some(true),
        (Some(false), Some(false)) => Some(false),
        _ => None,
    }
}

/// The 血圧 pair: systolic and diastolic from the same measurement, その他 (the mean) before
/// 2回目 before 1回目 — the first measurement with either value.
pub fn blood_pressure(m: &Measures) -> (Option<Decimal>, Option<Decimal>) {
    (0..3)
        .map(|i| (m.get(slot::SBP[i]), m.get(slot::DBP[i])))
        .find(|(s, d)| s.is_some() || d.is_some())
        .unwrap_or((None, None))
}

/// Whether a 随時 (non-fasting) value may be used: not when 採血時間 says 食直後 (code 4).
/// An unrecorded 採血時間 does not bar it [I]: the item code itself says the sample was 随時.
fn casual_allowed(m: &Measures) -> bool {
    m.code(slot::BLOOD_TIME) != Some(4)
}

/// The glucose test: the first measured of 空腹時血糖, HbA1c, 随時血糖 (告示 and 健保問答 第488回
/// in notes/MHLW-XML.md §4.1) against its threshold.
fn glucose(m: &Measures, fasting: Decimal, hba1c: Decimal) -> Option<bool> {
    if let Some(v) = m.get(slot::FASTING_GLUCOSE) {
        return Some(v >= fasting);
    }
    if let Some(v) = m.get(slot::HBA1C) {
        return Some(v >= hba1c);
    }
    m.get(slot::CASUAL_GLUCOSE).filter(|_| casual_allowed(m)).map(|v| v >= fasting)
}

/// 中性脂肪 high: 空腹時 ≥ 150 when measured; only without it, 随時 ≥ 175 (not 食直後).
fn triglycerides(m: &Measures) -> Option<bool> {
    if let Some(v) = m.get(slot::FASTING_TG) {
        return Some(v >= Decimal::whole(150));
    }
    m.get(slot::CASUAL_TG).filter(|_| casual_allowed(m)).map(|v| v >= Decimal::whole(175))
}

/// BMI as written, else from 身長 and 体重 rounded half up to one decimal as the form writes
/// it [I: the rounding before the comparison is this tool's reading] — in integers.
fn bmi_at_least_25(m: &Measures) -> Option<bool> {
    if let Some(b) = m.get(slot::BMI) {
        return Some(b >= Decimal::whole(25));
    }
    let (h, w) = (m.get(slot::HEIGHT)?, m.get(slot::WEIGHT)?);
    if h.units() == 0 {
        return None;
    }
    // BMI × 10 = 10 · w / (h/100)² with w, h in ten-thousandths: W · 10⁹ / H²
    let (hu, wu) = (i128::from(h.units()), i128::from(w.units()));
    let tenths = (2 * wu * 1_000_000_000 + hu * hu) / (2 * hu * hu);
    Some(tenths >= 250)
}

/// 腹囲 criterion: 内臓脂肪面積 ≥ 100 when measured, else the first of 実測, 自己測定, 自己申告
/// against 85 (性別 1) or 90 (性別 2); with the sex unknown only a value settling both counts.
fn waist(m: &Measures, sex: Option<u8>) -> Option<bool> {
    if let Some(v) = m.get(slot::VISCERAL_FAT) {
        return Some(v >= Decimal::whole(100));
    }
    let w = slot::WAIST.iter().find_map(|&s| m.get(s))?;
    match sex {
        Some(1) => Some(w >= Decimal::whole(85)),
        Some(2) => Some(w >= Decimal::whole(90)),
        _ if w >= Decimal::whole(90) => Some(true),
        _ if w < Decimal::whole(85) => Some(false),
        _ => None,
    }
}

/// A 服薬 answer, counting an insurer's recheck that found the person on medication (1).
fn medication(m: &Measures, i: usize) -> Option<bool> {
    if m.code(slot::MEDS_RECHECKED[i]) == Some(1) {
        return Some(true);
    }
    m.code(slot::MEDS[i]).map(|c| c == 1)
}

impl Facts {
    /// The facts of one checkup: its values, the person's sex (1/2, None if unknown) and age at
    /// the fiscal-year end (None if unknown).
    pub fn of(m: &Measures, sex: Option<u8>, age: Option<i16>) -> Facts {
        let (sbp, dbp) = blood_pressure(m);
        let mut f = [None; fact::COUNT];
        f[fact::MED_BP] = medication(m, 0);
        f[fact::MED_GLUCOSE] = medication(m, 1);
        f[fact::MED_LIPID] = medication(m, 2);
        f[fact::WAIST] = waist(m, sex);
        f[fact::BMI] = bmi_at_least_25(m);
        f[fact::BP] = or(at_least(sbp, Decimal::whole(130)), at_least(dbp, Decimal::whole(85)));
        f[fact::LIPID] = or(triglycerides(m), m.get(slot::HDL).map(|v| v < Decimal::whole(40)));
        f[fact::GLUCOSE] = glucose(m, Decimal::whole(100), Decimal::tenths(56));
        f[fact::SMOKING] = m.code(slot::SMOKING).map(|c| c == 1);
        // 65 and over: a person 75 at the year's end was examined at 74, before leaving for 後期高齢者医療
        f[fact::SENIOR] = age.map(|a| a >= 65);
        f[fact::GLUCOSE_METABO] = glucose(m, Decimal::whole(110), Decimal::tenths(60));
        Facts(f)
    }

    /// Every completion of the unknown facts, as bit sets (bit i = fact i true): the subsets of
    /// the unknown facts, each added to the facts known true.
    fn completions(&self) -> impl Iterator<Item = u16> {
        let (mut known, mut unknown) = (0u16, 0u16);
        for (i, v) in self.0.iter().enumerate() {
            match v {
                Some(true) => known |= 1 << i,
                None => unknown |= 1 << i,
                Some(false) => {}
            }
        }
        let mut next = Some(unknown);
        std::iter::from_fn(move || {
            let sub = next?;
            next = (sub != 0).then(|| (sub - 1) & unknown);
            Some(known | sub)
        })
    }

    /// The value every completion gives, or None when completions disagree.
    pub fn settled<T: PartialEq>(&self, f: impl Fn(u16) -> T) -> Option<T> {
        let mut all = self.completions().map(f);
        let first = all.next()?;
        all.all(|v| v == first).then_some(first)
    }

    /// The unknown facts whose value alone can change `f` for some completion of the others.
    pub fn deciding<T: PartialEq>(&self, f: impl Fn(u16) -> T) -> Vec<usize> {
        (0..fact::COUNT)
            .filter(|&i| self.0[i].is_none())
            .filter(|&i| self.completions().any(|bits| f(bits & !(1 << i)) != f(bits | 1 << i)))
            .collect()
    }
}

fn has(bits: u16, i: usize) -> bool {
    bits >> i & 1 == 1
}

/// The step-1 group of known facts: 1 腹囲, 2 BMI, 0 neither.
pub fn group(bits: u16) -> u8 {
    if has(bits, fact::WAIST) {
        1
    } else if has(bits, fact::BMI) {
        2
    } else {
        0
    }
}

/// 追加リスク数 of known facts: ①–③, and ④ 喫煙 only with at least one of them.
pub fn risks(bits: u16) -> u8 {
    let metabolic = [fact::BP, fact::LIPID, fact::GLUCOSE].iter().filter(|&&i| has(bits, i)).count() as u8;
    metabolic + u8::from(metabolic > 0 && has(bits, fact::SMOKING))
}

/// Whether any 服薬 answer is あり.
pub fn medicated(bits: u16) -> bool {
    [fact::MED_BP, fact::MED_GLUCOSE, fact::MED_LIPID].iter().any(|&i| has(bits, i))
}

/// The level of fully known facts (steps 0–4 of §4.2).
pub fn level(bits: u16) -> Level {
    if medicated(bits) {
        return Level::Information;
    }
    let (g, r) = (group(bits), risks(bits));
    let active = match g {
        0 => return Level::Information,
        _ if r == 0 => return Level::Information,
        1 => r >= 2,
        _ => r >= 3,
    };
    if active && !has(bits, fact::SENIOR) { Level::Active } else { Level::Motivational }
}

/// メタボ判定 of fully known facts: the 腹囲 criterion (BMI does not count) with 2+ / 1 of
/// glucose (≥ 110 / HbA1c ≥ 6.0), lipids, blood pressure; medication meets its criterion.
/// [I] the 随時 routes (随時血糖 ≥ 110, 随時TG ≥ 175) follow the 階層化 reading of 第4期.
pub fn metabo(bits: u16) -> Metabo {
    if !has(bits, fact::WAIST) {
        return Metabo::No;
    }
    let met = [(fact::GLUCOSE_METABO, fact::MED_GLUCOSE), (fact::LIPID, fact::MED_LIPID), (fact::BP, fact::MED_BP)]
        .iter()
        .filter(|(value, med)| has(bits, *value) || has(bits, *med))
        .count();
    match met {
        0 => Metabo::No,
        1 => Metabo::Borderline,
        _ => Metabo::Meets,
    }
}
