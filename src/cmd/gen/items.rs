//! The result items of one checkup: the basic items with the values 階層化 reads (waist, BMI,
//! blood pressure, lipids, glucose by all three routes, 採血時間, smoking, medication) drawn from
//! rough national distributions, so that about one examinee in six comes out as a guidance target;
//! and the planted edge cases of the rule, each with the level it must get.

use super::people::{Gen, Person};
use crate::domain::stratify::{Level, Measures, stratify};

/// One result item: (code, name, value, unit).
pub type Item = (&'static str, &'static str, String, &'static str);

/// A standard normal draw (sum of four uniforms, close enough for synthetic data).
fn normal(g: &mut Gen) -> f64 {
    ((0..4).map(|_| g.rng.f64()).sum::<f64>() - 2.0) * 3f64.sqrt()
}

fn chance(g: &mut Gen, p: f64) -> bool {
    g.rng.f64() < p
}

/// What 階層化 reads of one person, before it is written as items.
struct Values {
    waist: f64,
    height: f64,
    weight: f64,
    sbp: i64,
    dbp: i64,
    /// 採血時間: 2 fasting, 3 3.5–10 h (TG and glucose by the 随時 route)
    blood_time: u8,
    tg: i64,
    hdl: i64,
    ldl: i64,
    fpg: Option<i64>,
    hba1c: Option<f64>,
    smoking: u8,
    meds: [u8; 3],
}

fn draw(g: &mut Gen, p: &Person, age: i16) -> Values {
    let male = p.sex == 1;
    let fat = normal(g);
    let older = f64::from((age - 40).max(0)) / 35.0;
    let height = if male { 170.0 + 6.0 * normal(g) } else { 157.0 + 5.5 * normal(g) };
    let bmi = 22.8 + 3.2 * fat;
    let waist = if male { 84.0 } else { 80.0 } + 8.5 * fat + 3.0 * normal(g);
    let sbp = 118.0 + 16.0 * older + 6.0 * fat + 14.0 * normal(g);
    let fasting = !chance(g, 0.15);
    Values {
        waist,
        height,
        weight: bmi * (height / 100.0).powi(2),
        sbp: sbp.round() as i64,
        dbp: (sbp * 0.6 + 5.0 + 7.0 * normal(g)).round() as i64,
        blood_time: if fasting { 2 } else { 3 },
        tg: (100.0 * (0.45 * normal(g) + 0.25 * fat).exp()).round() as i64,
        hdl: (if male { 55.0 } else { 66.0 } - 5.0 * fat + 12.0 * normal(g)).round() as i64,
        ldl: (122.0 + 28.0 * normal(g)).round() as i64,
        fpg: (fasting && !chance(g, 0.2)).then(|| (95.0 + 5.0 * fat + 6.0 * older + 9.0 * normal(g)).round() as i64),
        hba1c: chance(g, 0.8).then(|| ((5.5 + 0.15 * fat + 0.2 * older + 0.3 * normal(g)) * 10.0).round() / 10.0),
        smoking: if chance(g, if male { 0.27 } else { 0.08 }) {
            1
        } else if chance(g, 0.2) {
            2
        } else {
            3
        },
        meds: [0.12 + 0.35 * older, 0.03 + 0.08 * older, 0.08 + 0.25 * older].map(|q| if chance(g, q) { 1 } else { 2 }),
    }
}

/// The items of a drawn person.
fn written(g: &mut Gen, v: &Values) -> Vec<Item> {
    let bmi = v.weight / (v.height / 100.0).powi(2);
    let mut items: Vec<Item> = vec![
        ("9N001000000000001", "身長", format!("{:.1}", v.height), "cm"),
        ("9N006000000000001", "体重", format!("{:.1}", v.weight), "kg"),
        ("9N011000000000001", "BMI", format!("{bmi:.1}"), "kg/m2"),
        ("9N016160100000001", "腹囲(実測)", format!("{:.1}", v.waist), "cm"),
        ("9A751000000000001", "収縮期血圧(1回目)", (v.sbp + g.rng.i64(0..6)).to_string(), "mmHg"),
        ("9A761000000000001", "拡張期血圧(1回目)", (v.dbp + g.rng.i64(0..4)).to_string(), "mmHg"),
        ("9A752000000000001", "収縮期血圧(2回目)", v.sbp.to_string(), "mmHg"),
        ("9A762000000000001", "拡張期血圧(2回目)", v.dbp.to_string(), "mmHg"),
        ("9N141000000000011", "採血時間(食後)", v.blood_time.to_string(), ""),
    ];
    let tg = if v.blood_time == 2 {
        ("3F015000002327101", "空腹時中性脂肪")
    } else {
        ("3F015129902327101", "随時中性脂肪")
    };
    items.push((tg.0, tg.1, v.tg.to_string(), "mg/dl"));
    items.push(("3F070000002327101", "HDLコレステロール", v.hdl.to_string(), "mg/dl"));
    items.push(("3F077000002327101", "LDLコレステロール", v.ldl.to_string(), "mg/dl"));
    items.push(("3B035000002327201", "GOT(AST)", (12 + g.rng.u16(..30)).to_string(), "U/l"));
    items.push(("3B045000002327201", "GPT(ALT)", (8 + g.rng.u16(..40)).to_string(), "U/l"));
    items.push(("3B090000002327101", "γ-GT(γ-GTP)", (10 + g.rng.u16(..80)).to_string(), "U/l"));
    if let Some(fpg) = v.fpg {
        items.push(("3D010000001926101", "空腹時血糖", fpg.to_string(), "mg/dl"));
    }
    if let Some(a1c) = v.hba1c {
        items.push(("3D046000001906202", "HbA1c(NGSP値)", format!("{a1c:.1}"), "%"));
    }
    if v.fpg.is_none() && v.hba1c.is_none() {
        items.push(("3D010129901926101", "随時血糖", (100 + g.rng.i64(-15..30)).to_string(), "mg/dl"));
    }
    items.push(("1A020000000191111", "尿糖", "1".into(), ""));
    items.push(("1A010000000191111", "尿蛋白", (1 + g.rng.u8(..2)).to_string(), ""));
    items.push(("9N701000000000011", "服薬1(血圧)", v.meds[0].to_string(), ""));
    items.push(("9N706000000000011", "服薬2(血糖)", v.meds[1].to_string(), ""));
    items.push(("9N711000000000011", "服薬3(脂質)", v.meds[2].to_string(), ""));
    items.push(("9N736000000000011", "喫煙", v.smoking.to_string(), ""));
    items
}

/// The basic items of one checkup of `p` (aged `age` at the fiscal-year end).
pub fn result_items(g: &mut Gen, p: &Person, age: i16) -> Vec<Item> {
    let v = draw(g, p, age);
    written(g, &v)
}

/// A planted edge case: item changes on a healthy person (`W` is the sex's waist threshold, `w`
/// 0.1 below it, `B` well above it; an empty value removes the item), items added, the 階層化 the
/// rule must give under 65 and from 65, and what the case is.
struct Edge {
    set: &'static [(&'static str, &'static str)],
    add: &'static [(&'static str, &'static str, &'static str)],
    expected: (&'static str, &'static str),
    what: &'static str,
}

const WAIST: &str = "9N016160100000001";
const SBP: &str = "9A751000000000001";
const TIME: &str = "9N141000000000011";
const TG: &str = "3F015000002327101";
const HDL: &str = "3F070000002327101";
const FPG: &str = "3D010000001926101";
const A1C: (&str, &str) = ("3D046000001906202", "HbA1c(NGSP値)");
const MOTIVATIONAL: (&str, &str) = ("動機付け支援", "動機付け支援");
const INFORMATION: (&str, &str) = ("情報提供", "情報提供");

/// The edge cases, written by hand from notes/MHLW-XML.md §4.2 (not computed by the rule).
const EDGES: [Edge; 11] = [
    Edge {
        set: &[(WAIST, "W"), (SBP, "130")],
        add: &[],
        expected: MOTIVATIONAL,
        what: "腹囲がちょうど基準値 + 収縮期血圧 130",
    },
    Edge {
        set: &[(WAIST, "w"), ("9N011000000000001", "24.9"), (SBP, "150")],
        add: &[],
        expected: INFORMATION,
        what: "腹囲が基準値の0.1下、BMI 24.9",
    },
    Edge {
        set: &[("9N011000000000001", "25.0"), (SBP, "130"), (TG, "150"), (FPG, "99")],
        add: &[(A1C.0, A1C.1, "6.0")],
        expected: MOTIVATIONAL,
        what: "BMI 25.0 + 血圧・脂質 (空腹時血糖 99 が HbA1c 6.0 より優先)",
    },
    Edge {
        set: &[
            (WAIST, "B"),
            (SBP, "129"),
            ("9A761000000000001", "84"),
            (TG, "149"),
            (HDL, "40"),
            (FPG, "99"),
            ("9N736000000000011", "1"),
        ],
        add: &[],
        expected: INFORMATION,
        what: "腹囲 + すべて基準値の1下、喫煙だけ",
    },
    Edge {
        set: &[(WAIST, "B"), (HDL, "39"), ("9N736000000000011", "1")],
        add: &[],
        expected: ("積極的支援", "動機付け支援"),
        what: "腹囲 + HDL 39 + 喫煙 (65歳以上は動機付け)",
    },
    Edge {
        set: &[(WAIST, "B"), (SBP, "140"), ("9N701000000000011", "1")],
        add: &[],
        expected: INFORMATION,
        what: "服薬あり",
    },
    Edge {
        set: &[(WAIST, "B"), (SBP, "130"), (TIME, "4"), (FPG, "")],
        add: &[("3D010129901926101", "随時血糖", "95")],
        expected: ("判定不能", "動機付け支援"),
        what: "食直後の随時血糖は使えず血糖不明 (65歳以上は動機付けで確定)",
    },
    Edge {
        set: &[(WAIST, "B"), (TIME, "3"), (TG, ""), (FPG, "")],
        add: &[("3F015129902327101", "随時中性脂肪", "175"), (A1C.0, A1C.1, "5.5")],
        expected: MOTIVATIONAL,
        what: "空腹時中性脂肪なし、随時中性脂肪 175",
    },
    Edge {
        set: &[(WAIST, "B"), (TIME, "3"), (TG, ""), (FPG, "")],
        add: &[("3F015129902327101", "随時中性脂肪", "174"), (A1C.0, A1C.1, "5.5")],
        expected: INFORMATION,
        what: "随時中性脂肪 174、HbA1c 5.5",
    },
    Edge {
        set: &[(WAIST, "B"), (SBP, "130"), ("9N706000000000011", "")],
        add: &[],
        expected: ("判定不能", "判定不能"),
        what: "対象になりうるのに服薬2の回答なし",
    },
    Edge {
        set: &[(WAIST, "B"), (HDL, "abc")],
        add: &[],
        expected: ("判定不能", "判定不能"),
        what: "HDL の結果値が数値でない",
    },
];

/// How many planted edge cases there are.
pub const EDGE_CASES: usize = EDGES.len();

/// Planted edge case `n` for `p` (aged `age` at the fiscal-year end): its items, the 階層化 the
/// rule must give, and what the case is. Case 10 has a value that is not a number (E113).
pub fn edge_case(n: usize, p: &Person, age: i16) -> (Vec<Item>, &'static str, &'static str) {
    let (at, below, big) = if p.sex == 1 { ("85.0", "84.9", "92.0") } else { ("90.0", "89.9", "96.0") };
    let mut v: Vec<(&'static str, &'static str, &'static str)> = vec![
        ("9N011000000000001", "BMI", "22.0"),
        (WAIST, "腹囲(実測)", "80.0"),
        (SBP, "収縮期血圧(1回目)", "110"),
        ("9A761000000000001", "拡張期血圧(1回目)", "70"),
        (TIME, "採血時間(食後)", "2"),
        (TG, "空腹時中性脂肪", "100"),
        (HDL, "HDLコレステロール", "60"),
        (FPG, "空腹時血糖", "90"),
        ("9N701000000000011", "服薬1(血圧)", "2"),
        ("9N706000000000011", "服薬2(血糖)", "2"),
        ("9N711000000000011", "服薬3(脂質)", "2"),
        ("9N736000000000011", "喫煙", "3"),
    ];
    let e = &EDGES[n % EDGES.len()];
    for &(code, value) in e.set {
        let value = match value {
            "W" => at,
            "w" => below,
            "B" => big,
            other => other,
        };
        if value.is_empty() {
            v.retain(|x| x.0 != code);
        } else if let Some(x) = v.iter_mut().find(|x| x.0 == code) {
            x.2 = value;
        }
    }
    v.extend_from_slice(e.add);
    let expected = if age >= 65 { e.expected.1 } else { e.expected.0 };
    let items = v.into_iter().map(|(c, name, value)| (c, name, value.to_string(), "")).collect();
    (items, expected, e.what)
}

/// The level the rule gives a checkup's items (for guidance.csv: who could be guided).
pub fn level_of(items: &[Item], p: &Person, age: i16) -> Level {
    let m = Measures::of_items(items.iter().map(|(code, _, value, _)| (*code, value.as_str())));
    stratify(&m, Some(p.sex), Some(age)).level
}
