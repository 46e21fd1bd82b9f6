//! Disclosure control for answers that leave the federation: `--aggregate-only` refuses a result
//! that could name a person, and `--min-cell N` hides small counts and whatever would give them
//! back by subtraction from a total shown beside them.
//!
//! The rule, exactly:
//! - a **count** column is one whose name ends in 数 (対象者数, 受診者数, 件数 …) or starts with
//!   `count(` or `sum(`, and whose values are whole numbers; a **rate** column's name ends in 率
//!   or 割合; every other column is a **label**;
//! - primary suppression: every count below N (0 included) becomes `*`;
//! - totals shown: a count column equal on every row to the sum of two or more other count
//!   columns (対象者数 = 受診者数 + 未受診者数; looked for among up to 6 count columns), and a
//!   row whose labels are 計・合計・総数・総計・小計・全体 or empty in some columns (性別 = 計,
//!   年齢階級 = 計) while its counts are the sums over the rows with real labels there and its
//!   labels elsewhere;
//! - secondary suppression: while a total and its parts have exactly one hidden cell among them,
//!   the smallest visible one of them is hidden too (that one cell could be got back by
//!   subtraction); this repeats until no such group is left;
//! - a rate on a row with a hidden count is hidden too (rate × denominator gives the count).

use std::collections::HashMap;

use rusqlite::types::Value;

use crate::cmd::anonymize::rules::is_identifying;
use crate::error::{Error, Result};

/// The labels that mark a total row.
const TOTAL_LABELS: [&str; 7] = ["計", "合計", "総数", "総計", "小計", "全体", ""];

/// What a column of the result is, for suppression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Count,
    Rate,
    Label,
}

/// A cell's whole number, if it holds one.
fn whole(v: &Value) -> Option<i64> {
    match v {
        Value::Integer(n) => Some(*n),
        _ => None,
    }
}

fn is_count_name(name: &str) -> bool {
    let lower = name.to_lowercase();
    name.ends_with('数') || lower.starts_with("count(") || lower.starts_with("sum(")
}

fn kinds(header: &[String], rows: &[Vec<Value>]) -> Vec<Kind> {
    (0..header.len())
        .map(|c| {
            let whole = rows.iter().all(|r| matches!(r[c], Value::Integer(_) | Value::Null));
            if is_count_name(&header[c]) && whole {
                Kind::Count
            } else if header[c].ends_with('率') || header[c].ends_with("割合") {
                Kind::Rate
            } else {
                Kind::Label
            }
        })
        .collect()
}

/// `--aggregate-only`: refused when a result column is identifying by its name or by the table
/// column it comes from (`origins`: the source column of each, where SQLite knows it), when the
/// statement aggregates nothing (`aggregates`), or when every count of every row is 0 or 1 (one
/// row a person).
pub fn check_aggregate(
    header: &[String],
    origins: &[Option<String>],
    aggregates: bool,
    rows: &[Vec<Value>],
) -> Result<()> {
    let refuse = |detail: String| Err(Error::Disclosure { detail });
    for (name, origin) in header.iter().zip(origins) {
        let source = origin.as_deref().unwrap_or(name);
        for n in [name.as_str(), source] {
            if is_identifying(n) || n == super::load::KEY_COLUMN {
                return refuse(format!("列「{name}」は個人を特定する列 ({n}) です"));
            }
        }
    }
    if !aggregates {
        return refuse("集計関数 (count・sum など) を使っていない問い合わせです".into());
    }
    let kinds = kinds(header, rows);
    if !kinds.contains(&Kind::Count) {
        return refuse("件数の列 (名前が「数」で終わる列、count(…)) がありません".into());
    }
    let per_person = rows.len() > 1
        && rows.iter().all(|r| {
            kinds.iter().zip(r).all(|(k, v)| *k != Kind::Count || matches!(v, Value::Integer(0 | 1) | Value::Null))
        });
    if per_person {
        return refuse("どの行も件数が 0 か 1 で、1 行が 1 人の結果です".into());
    }
    Ok(())
}

/// The cells to hide under `--min-cell n`: `hidden[row][column]`, and how many.
pub fn suppress(header: &[String], rows: &[Vec<Value>], n: i64) -> (Vec<Vec<bool>>, u64) {
    let kinds = kinds(header, rows);
    let count = |r: usize, c: usize| whole(&rows[r][c]);
    let mut hidden: Vec<Vec<bool>> = (0..rows.len())
        .map(|r| (0..header.len()).map(|c| kinds[c] == Kind::Count && count(r, c).is_some_and(|v| v < n)).collect())
        .collect();
    let groups = total_groups(&kinds, rows);
    loop {
        let mut changed = false;
        for g in &groups {
            if g.iter().filter(|&&(r, c)| hidden[r][c]).count() != 1 {
                continue;
            }
            // the smallest visible part (the total last: it is the largest)
            let next =
                g.iter().skip(1).chain(g.first()).filter(|&&(r, c)| !hidden[r][c]).min_by_key(|&&(r, c)| count(r, c));
            if let Some(&(r, c)) = next {
                hidden[r][c] = true;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    for (r, row) in hidden.iter_mut().enumerate() {
        if (0..header.len()).any(|c| kinds[c] == Kind::Count && row[c]) {
            for c in 0..header.len() {
                if kinds[c] == Kind::Rate && !matches!(rows[r][c], Value::Null) {
                    row[c] = true;
                }
            }
        }
    }
    let total = hidden.iter().flatten().filter(|h| **h).count() as u64;
    (hidden, total)
}

/// The additive groups of cells a reader could subtract within: each a total cell first, then
/// its parts.
fn total_groups(kinds: &[Kind], rows: &[Vec<Value>]) -> Vec<Vec<(usize, usize)>> {
    let counts: Vec<usize> = (0..kinds.len()).filter(|&c| kinds[c] == Kind::Count).collect();
    let labels: Vec<usize> = (0..kinds.len()).filter(|&c| kinds[c] == Kind::Label).collect();
    let int = |r: usize, c: usize| whole(&rows[r][c]);
    let mut groups = Vec::new();
    // a total column: T = the sum of a set of other count columns on every row
    if (3..=6).contains(&counts.len()) && !rows.is_empty() {
        for &t in &counts {
            let others: Vec<usize> = counts.iter().copied().filter(|&c| c != t).collect();
            for mask in 1u32..(1 << others.len()) {
                if mask.count_ones() < 2 {
                    continue;
                }
                let parts: Vec<usize> = (0..others.len()).filter(|i| mask & (1 << i) != 0).map(|i| others[i]).collect();
                let holds = (0..rows.len()).all(|r| {
                    let sum: Option<i64> = parts.iter().map(|&c| int(r, c)).sum();
                    sum.is_some() && sum == int(r, t)
                });
                if holds {
                    for r in 0..rows.len() {
                        groups.push(std::iter::once((r, t)).chain(parts.iter().map(|&c| (r, c))).collect());
                    }
                }
            }
        }
    }
    // a total row: labels that mark a total in some columns, its members' labels elsewhere
    let text = |r: usize, c: usize| match &rows[r][c] {
        Value::Text(t) => t.trim().to_string(),
        Value::Integer(v) => v.to_string(),
        Value::Real(f) => f.to_string(),
        _ => String::new(),
    };
    let is_total = |r: usize, c: usize| TOTAL_LABELS.contains(&text(r, c).as_str());
    // for each set of label columns some row totals over: the other rows by their labels
    // elsewhere, those with a real label in each of those columns (a subtotal over fewer
    // columns is not a member)
    let over_of = |t: usize| -> Vec<usize> { labels.iter().copied().filter(|&l| is_total(t, l)).collect() };
    let mut members_by: HashMap<Vec<usize>, HashMap<Vec<String>, Vec<usize>>> = HashMap::new();
    for t in 0..rows.len() {
        let over = over_of(t);
        if over.is_empty() || members_by.contains_key(&over) {
            continue;
        }
        let mut by_rest: HashMap<Vec<String>, Vec<usize>> = HashMap::new();
        for r in (0..rows.len()).filter(|&r| over.iter().all(|&l| !is_total(r, l))) {
            let rest = labels.iter().filter(|l| !over.contains(l)).map(|&l| text(r, l)).collect();
            by_rest.entry(rest).or_default().push(r);
        }
        members_by.insert(over, by_rest);
    }
    for t in 0..rows.len() {
        let over = over_of(t);
        let Some(by_rest) = members_by.get(&over) else { continue };
        let rest: Vec<String> = labels.iter().filter(|l| !over.contains(l)).map(|&l| text(t, l)).collect();
        let Some(members) = by_rest.get(&rest).filter(|m| m.len() >= 2) else { continue };
        for &c in &counts {
            let sum: Option<i64> = members.iter().map(|&r| int(r, c)).sum();
            if sum.is_some() && sum == int(t, c) {
                groups.push(std::iter::once((t, c)).chain(members.iter().map(|&r| (r, c))).collect());
            }
        }
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(header: &[&str], rows: &[&[&str]]) -> (Vec<String>, Vec<Vec<Value>>) {
        let header = header.iter().map(|s| s.to_string()).collect();
        let rows = rows
            .iter()
            .map(|r| {
                r.iter().map(|v| v.parse::<i64>().map_or_else(|_| Value::Text(v.to_string()), Value::Integer)).collect()
            })
            .collect();
        (header, rows)
    }

    fn shown(header: &[String], rows: &[Vec<Value>], n: i64) -> Vec<String> {
        let (hidden, _) = suppress(header, rows, n);
        rows.iter()
            .zip(&hidden)
            .map(|(r, h)| {
                r.iter()
                    .zip(h)
                    .map(|(v, h)| match (h, v) {
                        (true, _) => "*".to_string(),
                        (false, Value::Integer(n)) => n.to_string(),
                        (false, Value::Text(t)) => t.clone(),
                        _ => String::new(),
                    })
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .collect()
    }

    #[test]
    fn a_small_count_beside_a_total_row_hides_one_more() {
        let (h, r) = table(
            &["保険者番号", "性別", "受診者数"],
            &[&["1", "1", "3"], &["1", "2", "20"], &["1", "3", "15"], &["1", "計", "38"]],
        );
        assert_eq!(shown(&h, &r, 10), ["1,1,*", "1,2,20", "1,3,*", "1,計,38"]);
    }

    #[test]
    fn a_total_column_and_a_rate_follow_a_hidden_count() {
        let (h, r) = table(
            &["区分", "対象者数", "受診者数", "未受診者数", "受診率"],
            &[&["a", "30", "4", "26", "13.3"], &["b", "40", "20", "20", "50.0"]],
        );
        assert_eq!(shown(&h, &r, 10), ["a,30,*,*,*", "b,40,20,20,50.0"]);
    }

    #[test]
    fn no_total_no_secondary() {
        let (h, r) = table(&["区分", "件数"], &[&["a", "3"], &["b", "30"], &["c", "0"]]);
        assert_eq!(shown(&h, &r, 10), ["a,*", "b,30", "c,*"]);
    }

    #[test]
    fn per_person_results_and_identifying_columns_are_refused() {
        let (h, r) = table(&["氏名", "件数"], &[&["x", "12"]]);
        assert!(check_aggregate(&h, &[None, None], true, &r).is_err());
        let (h, r) = table(&["n", "件数"], &[&["x", "12"]]);
        assert!(check_aggregate(&h, &[Some("氏名カナ".into()), None], true, &r).is_err());
        let (h, r) = table(&["区分", "件数"], &[&["x", "1"], &["y", "1"]]);
        assert!(check_aggregate(&h, &[None, None], true, &r).is_err());
        let (h, r) = table(&["区分", "件数"], &[&["x", "12"], &["y", "1"]]);
        assert!(check_aggregate(&h, &[None, None], true, &r).is_ok());
        assert!(check_aggregate(&h, &[None, None], false, &r).is_err());
    }
}
