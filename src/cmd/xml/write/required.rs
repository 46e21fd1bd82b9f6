//! What a checkup must hold before it is written (notes/MHLW-XML.md §3.4, master `CASE01`): valid
//! numbers and dates, every item marked `1`, one item of each letter group, and 9N501/9N506 —
//! computed by `domain::stratify` when missing. A required item written as not performed or
//! without a value (an empty 結果値) is present.

use super::super::findings::{Finding, XCheck};
use super::super::hc08::{Observation, person_findings};
use super::super::master::master;
use super::Unit;
use crate::domain::number::is_dummy_institution;
use crate::domain::stratify::{Measures, stratify};
use crate::domain::{FiscalYear, age_at_fiscal_year_end, parse_date};

pub const METABO: &str = "9N501000000000011";
pub const LEVEL: &str = "9N506000000000011";

/// The required items and letter groups of the master, computed once: (code, depends on, the
/// answer of that item that makes it required) and (group, its codes). The lowercase groups b, c
/// and d (空腹時血糖, 随時血糖, HbA1c) are one choice: the master's header says only
/// 「同一項目から1項目」, and the rule needs one glucose measure of the three [I].
struct Rules {
    required: Vec<(String, String, String)>,
    groups: Vec<(String, Vec<String>)>,
}

fn rules() -> &'static Rules {
    static RULES: std::sync::OnceLock<Rules> = std::sync::OnceLock::new();
    RULES.get_or_init(|| {
        let mut required = Vec::new();
        let mut groups: Vec<(String, Vec<String>)> = Vec::new();
        let mut items: Vec<(&String, &super::super::master::Item)> = master().iter().collect();
        items.sort_by(|a, b| a.0.cmp(b.0));
        for (code, item) in items {
            let case = item.case01.as_str();
            if case == "1" {
                let abnormal = master().get(&item.depends_on).map(|parent| parent.abnormal.clone()).unwrap_or_default();
                required.push((code.clone(), item.depends_on.clone(), abnormal));
            } else if case.len() == 1 && case.as_bytes()[0].is_ascii_alphabetic() {
                let group = if matches!(case, "b" | "c" | "d") { "b/c/d".to_string() } else { case.to_string() };
                match groups.iter_mut().find(|g| g.0 == group) {
                    Some(g) => g.1.push(code.clone()),
                    None => groups.push((group, vec![code.clone()])),
                }
            }
        }
        groups.sort();
        Rules { required, groups }
    })
}

/// The item's name for a message (the code when the master has none).
fn name_of(code: &str) -> String {
    master().get(code).map_or_else(|| code.to_string(), |i| format!("{} {}", code, i.name))
}

/// The person and checkup columns' checks: `write` refuses what `read` warns about, but for the
/// samples' placeholder 機関番号 9999999999, which passes its check digit (a warning).
fn person(u: &Unit, file: &str, out: &mut Vec<Finding>) {
    for f in person_findings(&u.person, file, u.line) {
        let placeholder = f.check == XCheck::InstitutionDigit && is_dummy_institution(&f.value);
        out.push(if placeholder { f } else { f.error() });
    }
}

/// Adds 9N501 and 9N506 when missing (a warning each), from the checkup's own values.
fn fill_results(u: &mut Unit, file: &str, out: &mut Vec<Finding>) {
    let has = |u: &Unit, code: &str| u.observations.iter().any(|o| o.code == code);
    if has(u, METABO) && has(u, LEVEL) {
        return;
    }
    // a bad value makes the outcome 判定不能, as in kk-stratify
    let m = Measures::of_items(u.observations.iter().map(|o| (o.code.as_str(), o.value.as_str())));
    let sex = u.person[5].parse::<u8>().ok();
    let age = match (parse_date(&u.person[6]), parse_date(&u.person[8])) {
        (Ok(birth), Ok(day)) => Some(age_at_fiscal_year_end(birth, FiscalYear::of(day))),
        _ => None,
    };
    let outcome = stratify(&m, sex, age);
    for (code, value) in [(METABO, outcome.metabo.code()), (LEVEL, outcome.level.code())] {
        if has(u, code) {
            continue;
        }
        let value = value.to_string();
        out.push(Finding::new(file, u.line, code, XCheck::Computed, &value));
        let name = master().get(code).map(|i| i.name.clone()).unwrap_or_default();
        // beside the other 医師の判断 items: before 9N511 when it is there
        let at = u.observations.iter().position(|o| o.code.starts_with("9N511")).unwrap_or(u.observations.len());
        let at =
            if code == LEVEL { u.observations.iter().position(|o| o.code == METABO).map_or(at, |i| i + 1) } else { at };
        u.observations.insert(at, Observation { code: code.to_string(), name, value, unit: String::new() });
    }
}

/// Every check of one checkup; 9N501/9N506 filled in. The checkup is written unless a finding is
/// an error.
pub fn check(u: &mut Unit, file: &str) -> Vec<Finding> {
    let mut out = Vec::new();
    person(u, file, &mut out);
    fill_results(u, file, &mut out);
    let value = |code: &str| u.observations.iter().find(|o| o.code == code).map(|o| o.value.as_str());
    let mut missing = Vec::new();
    for (code, parent, abnormal) in &rules().required {
        let needed = parent.is_empty() || (!abnormal.is_empty() && value(parent) == Some(abnormal.as_str()));
        if needed && value(code).is_none() {
            missing.push(name_of(code));
        }
    }
    for (group, codes) in &rules().groups {
        if !codes.iter().any(|c| value(c).is_some()) {
            missing.push(format!("{group}群 ({} ほか)", name_of(&codes[0])));
        }
    }
    for o in &u.observations {
        if let Some(i) = master().get(&o.code)
            && !i.fits(&o.value)
        {
            let value = format!("{} ({})", o.value, i.format);
            out.push(Finding::new(file, u.line, &o.code, XCheck::Range, &value).error());
        }
    }
    if !missing.is_empty() {
        out.push(Finding::new(file, u.line, "", XCheck::MissingRequired, &missing.join("、")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rules_of_the_master() {
        let r = rules();
        let finding = r.required.iter().find(|x| x.0 == "9N066160800000049").unwrap();
        assert_eq!((finding.1.as_str(), finding.2.as_str()), ("9N066000000000011", "1"));
        assert!(r.required.iter().any(|x| x.0 == "9N516000000000049"));
        let names: Vec<&str> = r.groups.iter().map(|g| g.0.as_str()).collect();
        assert_eq!(names, ["A", "B", "C", "D", "E", "F", "G", "H", "J", "K", "L", "b/c/d"]);
        assert_eq!(r.groups.iter().find(|g| g.0 == "b/c/d").unwrap().1.len(), 12);
    }
}
