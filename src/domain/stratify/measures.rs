//! The checkup values the rule reads, by item code (notes/MHLW-XML.md §3.5, checked against the
//! 2024 item master `XMLhc24tab.csv`), kept compactly per checkup.

use super::decimal::Decimal;
use crate::error::FieldError;

/// Where a value goes: one slot per analyte and route. Several item codes (measuring methods) fill
/// the same slot; the first value seen is kept.
pub mod slot {
    pub const VISCERAL_FAT: usize = 0;
    /// 腹囲 実測, 自己測定, 自己申告 (in that precedence)
    pub const WAIST: [usize; 3] = [1, 2, 3];
    pub const BMI: usize = 4;
    pub const HEIGHT: usize = 5;
    pub const WEIGHT: usize = 6;
    /// 収縮期血圧 その他 (the mean), 2回目, 1回目
    pub const SBP: [usize; 3] = [7, 8, 9];
    /// 拡張期血圧 その他, 2回目, 1回目
    pub const DBP: [usize; 3] = [10, 11, 12];
    pub const FASTING_GLUCOSE: usize = 13;
    pub const HBA1C: usize = 14;
    pub const CASUAL_GLUCOSE: usize = 15;
    pub const FASTING_TG: usize = 16;
    pub const CASUAL_TG: usize = 17;
    pub const HDL: usize = 18;
    pub const LDL: usize = 19;
    pub const NON_HDL: usize = 20;
    pub const AST: usize = 21;
    pub const ALT: usize = 22;
    pub const GGT: usize = 23;
    pub const EGFR: usize = 24;
    pub const HEMOGLOBIN: usize = 25;
    pub const URINE_PROTEIN: usize = 26;
    pub const BLOOD_TIME: usize = 27;
    pub const SMOKING: usize = 28;
    /// 服薬1 血圧, 2 血糖, 3 脂質
    pub const MEDS: [usize; 3] = [29, 30, 31];
    /// 保険者再確認 服薬1–3 (1 = 記載違い(服薬中)を確認)
    pub const MEDS_RECHECKED: [usize; 3] = [32, 33, 34];
    pub const COUNT: usize = 35;
    /// The slots 階層化 and メタボ判定 read (the others only feed 受診勧奨).
    pub fn feeds_the_rule(s: usize) -> bool {
        s <= HDL || s >= BLOOD_TIME
    }
}

/// What a slot holds: a quantity, or a code from a closed list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Number,
    Code(&'static [u8]),
}

/// The slot and kind of an item code, or None for an item the rule does not read.
pub fn slot_of(code: &str) -> Option<(usize, Kind)> {
    use Kind::{Code, Number};
    use slot::*;
    const YES_NO: &[u8] = &[1, 2];
    Some(match code {
        "9N021000000000001" => (VISCERAL_FAT, Number),
        "9N016160100000001" => (WAIST[0], Number),
        "9N016160200000001" => (WAIST[1], Number),
        "9N016160300000001" => (WAIST[2], Number),
        "9N011000000000001" => (BMI, Number),
        "9N001000000000001" => (HEIGHT, Number),
        "9N006000000000001" => (WEIGHT, Number),
        "9A755000000000001" => (SBP[0], Number),
        "9A752000000000001" => (SBP[1], Number),
        "9A751000000000001" => (SBP[2], Number),
        "9A765000000000001" => (DBP[0], Number),
        "9A762000000000001" => (DBP[1], Number),
        "9A761000000000001" => (DBP[2], Number),
        "3D010000001926101" | "3D010000002227101" | "3D010000001927201" | "3D010000001999901" => {
            (FASTING_GLUCOSE, Number)
        }
        "3D046000001906202" | "3D046000001920402" | "3D046000001927102" | "3D046000001999902" => (HBA1C, Number),
        "3D010129901926101" | "3D010129902227101" | "3D010129901927201" | "3D010129901999901" => {
            (CASUAL_GLUCOSE, Number)
        }
        "3F015000002327101" | "3F015000002327201" | "3F015000002399901" => (FASTING_TG, Number),
        "3F015129902327101" | "3F015129902327201" | "3F015129902399901" => (CASUAL_TG, Number),
        "3F070000002327101" | "3F070000002327201" | "3F070000002399901" => (HDL, Number),
        "3F077000002327101" | "3F077000002327201" | "3F077000002399901" | "3F077000002391901" => (LDL, Number),
        "3F069000002391901" => (NON_HDL, Number),
        "3B035000002327201" | "3B035000002399901" => (AST, Number),
        "3B045000002327201" | "3B045000002399901" => (ALT, Number),
        "3B090000002327101" | "3B090000002399901" => (GGT, Number),
        "8A065000002391901" => (EGFR, Number),
        "2A030000001930101" => (HEMOGLOBIN, Number),
        // OID 2102: 1 −, 2 ±, 3 +, 4 ++, 5 +++
        "1A010000000191111" | "1A010000000190111" => (URINE_PROTEIN, Code(&[1, 2, 3, 4, 5])),
        // OID 2202: 2 空腹時 (10時間以上), 3 3.5〜10時間, 4 食直後 (3.5時間未満); no other value is listed
        "9N141000000000011" => (BLOOD_TIME, Code(&[2, 3, 4])),
        // OID 24060: 1 はい, 2 以前は吸っていたが最近1か月は吸っていない, 3 いいえ
        "9N736000000000011" => (SMOKING, Code(&[1, 2, 3])),
        "9N701000000000011" => (MEDS[0], Code(YES_NO)),
        "9N706000000000011" => (MEDS[1], Code(YES_NO)),
        "9N711000000000011" => (MEDS[2], Code(YES_NO)),
        "9N702167200000049" => (MEDS_RECHECKED[0], Code(YES_NO)),
        "9N707167200000049" => (MEDS_RECHECKED[1], Code(YES_NO)),
        "9N712167200000049" => (MEDS_RECHECKED[2], Code(YES_NO)),
        _ => return None,
    })
}

/// The name of what an item code measures, for the slots the rule and 受診勧奨 read (several
/// codes, one per method, share a name): `3D046000001906202` → `HbA1c`.
pub fn measure_name(code: &str) -> Option<&'static str> {
    const NAMES: [&str; slot::COUNT] = [
        "内臓脂肪面積",
        "腹囲",
        "腹囲",
        "腹囲",
        "BMI",
        "身長",
        "体重",
        "収縮期血圧",
        "収縮期血圧",
        "収縮期血圧",
        "拡張期血圧",
        "拡張期血圧",
        "拡張期血圧",
        "空腹時血糖",
        "HbA1c",
        "随時血糖",
        "中性脂肪(空腹時)",
        "中性脂肪(随時)",
        "HDLコレステロール",
        "LDLコレステロール",
        "Non-HDLコレステロール",
        "AST",
        "ALT",
        "γ-GT",
        "eGFR",
        "血色素量",
        "尿蛋白",
        "採血時間",
        "喫煙",
        "服薬1(血圧)",
        "服薬2(血糖)",
        "服薬3(脂質)",
        "服薬1(血圧)再確認",
        "服薬2(血糖)再確認",
        "服薬3(脂質)再確認",
    ];
    slot_of(code).map(|(s, _)| NAMES[s])
}

const MISSING: i64 = i64::MIN;

/// The values of one checkup, one per slot (missing, or a value in ten-thousandths; codes as
/// whole numbers), and which slots saw a bad value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Measures {
    v: [i64; slot::COUNT],
    bad: u64,
}

impl Default for Measures {
    fn default() -> Measures {
        Measures { v: [MISSING; slot::COUNT], bad: 0 }
    }
}

impl Measures {
    /// The values of one checkup's items, (code, value) as written: each normalised and taken
    /// by [`Measures::record`] (a bad value marks its slot; what it was is not kept), items the
    /// rule does not read skipped.
    pub fn of_items<'a>(items: impl IntoIterator<Item = (&'a str, &'a str)>) -> Measures {
        let mut m = Measures::default();
        for (code, value) in items {
            if let Some((slot, kind)) = slot_of(code) {
                let _ = m.record(slot, kind, &crate::domain::text::normalize_code(value));
            }
        }
        m
    }

    /// Takes the value `text` (normalised) of an item of `kind` into `slot`: empty is missing;
    /// a value that is not a number (E113) or not in its code list (E106) marks the slot bad for
    /// good and is returned for the error list. The first good value of a slot is kept.
    pub fn record(&mut self, slot: usize, kind: Kind, text: &str) -> Result<(), FieldError> {
        if text.is_empty() {
            return Ok(());
        }
        let parsed = Decimal::parse(text).and_then(|d| match kind {
            Kind::Number => Ok(d),
            Kind::Code(allowed) => {
                let one = Decimal::whole(1).units();
                let is_code = d.units() % one == 0 && u8::try_from(d.units() / one).is_ok_and(|c| allowed.contains(&c));
                if is_code { Ok(d) } else { Err(FieldError::Code) }
            }
        });
        match parsed {
            Ok(d) => {
                if self.v[slot] == MISSING {
                    self.v[slot] = d.units();
                }
                Ok(())
            }
            Err(e) => {
                self.bad |= 1 << slot;
                Err(e)
            }
        }
    }

    /// The value of a slot, None when missing.
    pub fn get(&self, slot: usize) -> Option<Decimal> {
        let u = self.v[slot];
        (u != MISSING).then(|| Decimal::from_units(u))
    }

    /// A code slot's value.
    pub fn code(&self, slot: usize) -> Option<i64> {
        self.get(slot).map(|d| d.units() / Decimal::whole(1).units())
    }

    /// Whether some slot the rule reads saw a bad value.
    pub fn has_bad_rule_input(&self) -> bool {
        (0..slot::COUNT).any(|s| self.bad >> s & 1 == 1 && slot::feeds_the_rule(s))
    }

    /// Adds what `other` holds where this holds nothing (the same checkup read in two parts, this
    /// one first).
    pub fn merge(&mut self, other: &Measures) {
        for (mine, theirs) in self.v.iter_mut().zip(other.v) {
            if *mine == MISSING {
                *mine = theirs;
            }
        }
        self.bad |= other.bad;
    }
}
