//! The duplicate rule of the insured master (SPEC §2 重複リスト), in one place:
//! - kind 1 同一キー: the same person key on more than one row of one input (every such row is
//!   withheld, E201);
//! - kind 2 同一保険者内の同一人物: one identity (normalized 氏名カナ + 生年月日 + 性別,
//!   [`super::person::identity_key`]) under two keys of one insurer, qualified at the same time;
//! - kind 3 保険者間の資格重複: one identity qualified at two insurers at the same time.
//!
//! "At the same time" means qualification periods [取得日, 喪失日) that overlap (grouped into
//! connected runs), or, with an as-of date, both qualified on that day.
//!
//! The rule works on any record type through [`Insured`], so it is tested here on plain values
//! and used by kk-import on its checked rows.

use std::collections::{BTreeMap, HashSet};
use std::hash::BuildHasher;

use hashbrown::HashTable;
use hashbrown::hash_table::Entry;
use jiff::civil::Date;
use rustc_hash::{FxBuildHasher, FxHashMap};

use super::person::{PersonKey, qualified_on};

/// What the rule needs of a record.
pub trait Insured {
    /// The person key, when the record's key columns are valid.
    fn key(&self) -> Option<&PersonKey>;
    /// The identity key; empty when the record cannot be compared (values missing).
    fn identity(&self) -> &str;
    fn acquired(&self) -> Option<Date>;
    fn lost(&self) -> Option<Date>;
    /// The physical line the record was read from (ties are ordered by it).
    fn line(&self) -> u64;
}

/// Kind 1: rows by person key, built as rows arrive — the first row of each key, and the groups
/// of rows that repeat a key.
#[derive(Default)]
pub struct KeyIndex {
    first: HashTable<usize>,
    /// first row → every row of that key, for keys seen more than once
    repeats: BTreeMap<usize, Vec<usize>>,
}

impl KeyIndex {
    fn hash(key: &PersonKey) -> u64 {
        FxBuildHasher.hash_one(key)
    }

    /// Room for `n` keys.
    pub fn reserve(&mut self, n: usize) {
        self.first.reserve(n, |_| 0);
    }

    /// The row holding `key`, if any.
    pub fn find<R: Insured>(&self, rows: &[R], key: &PersonKey) -> Option<usize> {
        self.first.find(Self::hash(key), |&j| rows[j].key() == Some(key)).copied()
    }

    /// Indexes row `i` of `rows` (rows without a valid key cannot take part).
    pub fn add<R: Insured>(&mut self, rows: &[R], i: usize) {
        let Some(key) = rows[i].key() else { return };
        let rehash = |&j: &usize| rows[j].key().map_or(0, Self::hash);
        match self.first.entry(Self::hash(key), |&j| rows[j].key() == Some(key), rehash) {
            Entry::Occupied(e) => {
                let f = *e.get();
                self.repeats.entry(f).or_insert_with(|| vec![f]).push(i);
            }
            Entry::Vacant(e) => {
                e.insert(i);
            }
        }
    }

    /// The groups of rows that share a key (kind 1), in the order of their first rows.
    pub fn repeated(&self) -> Vec<Vec<usize>> {
        self.repeats.values().cloned().collect()
    }
}

/// Qualification periods [取得日, 喪失日) that overlap, grouped into connected runs. With
/// `as_of`, only records qualified on that day count, and they all overlap.
fn overlapping_runs<R: Insured>(master: &[&R], mut idx: Vec<usize>, as_of: Option<Date>) -> Vec<Vec<usize>> {
    if let Some(d) = as_of {
        idx.retain(|&i| master[i].acquired().is_some_and(|a| qualified_on(a, master[i].lost(), d)));
        return vec![idx];
    }
    idx.sort_by_key(|&i| (master[i].acquired(), master[i].line()));
    let mut runs: Vec<Vec<usize>> = Vec::new();
    // where the current run ends: None = open-ended (no 喪失日)
    let mut end: Option<Date> = None;
    for i in idx {
        let r = master[i];
        let overlaps = !runs.is_empty() && end.is_none_or(|e| r.acquired().is_some_and(|a| a < e));
        if overlaps && let Some(run) = runs.last_mut() {
            run.push(i);
            end = end.zip(r.lost()).map(|(e, l)| e.max(l));
        } else {
            runs.push(vec![i]);
            end = r.lost();
        }
    }
    runs
}

/// Kinds 2 and 3 among the records of a master: the groups of each kind, each group sorted by
/// key and line, the groups in the order of their first members.
pub fn identity_duplicates<R: Insured>(master: &[&R], as_of: Option<Date>) -> (Vec<Vec<usize>>, Vec<Vec<usize>>) {
    let mut first: FxHashMap<&str, usize> = FxHashMap::default();
    first.reserve(master.len());
    let mut same: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, r) in master.iter().enumerate().filter(|(_, r)| !r.identity().is_empty()) {
        let f = *first.entry(r.identity()).or_insert(i);
        if f != i {
            same.entry(f).or_insert_with(|| vec![f]).push(i);
        }
    }
    drop(first);
    let insurer = |i: usize| master[i].key().map(PersonKey::insurer8);
    let (mut kind2, mut kind3) = (Vec::new(), Vec::new());
    for members in same.into_values() {
        let mut by_insurer: BTreeMap<Option<&str>, Vec<usize>> = BTreeMap::new();
        for &i in &members {
            by_insurer.entry(insurer(i)).or_default().push(i);
        }
        for idx in by_insurer.into_values().filter(|v| v.len() > 1) {
            kind2.extend(overlapping_runs(master, idx, as_of).into_iter().filter(|run| run.len() > 1));
        }
        for run in overlapping_runs(master, members, as_of) {
            let insurers: HashSet<_> = run.iter().map(|&i| insurer(i)).collect();
            if insurers.len() > 1 {
                kind3.push(run);
            }
        }
    }
    // by key, then line; compared in place (a key is never cloned to sort)
    let order = |&a: &usize, &b: &usize| (master[a].key(), master[a].line()).cmp(&(master[b].key(), master[b].line()));
    for g in kind2.iter_mut().chain(kind3.iter_mut()) {
        g.sort_by(order);
    }
    kind2.sort_by(|a, b| order(&a[0], &b[0]));
    kind3.sort_by(|a, b| order(&a[0], &b[0]));
    (kind2, kind3)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::person::identity_key;
    use jiff::civil::date;

    struct Rec {
        key: PersonKey,
        identity: String,
        acquired: Date,
        lost: Option<Date>,
        line: u64,
    }

    impl Insured for Rec {
        fn key(&self) -> Option<&PersonKey> {
            Some(&self.key)
        }
        fn identity(&self) -> &str {
            &self.identity
        }
        fn acquired(&self) -> Option<Date> {
            Some(self.acquired)
        }
        fn lost(&self) -> Option<Date> {
            self.lost
        }
        fn line(&self) -> u64 {
            self.line
        }
    }

    fn rec(insurer: &str, bango: &str, kana: &str, acquired: Date, lost: Option<Date>, line: u64) -> Rec {
        Rec {
            key: PersonKey::from_checked(insurer, "1", bango, "01"),
            identity: identity_key(kana, "19700101", "1"),
            acquired,
            lost,
            line,
        }
    }

    fn groups(rows: &[Rec], as_of: Option<Date>) -> (Vec<Vec<u64>>, Vec<Vec<u64>>) {
        let refs: Vec<&Rec> = rows.iter().collect();
        let (k2, k3) = identity_duplicates(&refs, as_of);
        let lines = |g: Vec<Vec<usize>>| g.into_iter().map(|g| g.into_iter().map(|i| rows[i].line).collect()).collect();
        (lines(k2), lines(k3))
    }

    #[test]
    fn kind_1_groups_every_row_of_a_repeated_key() {
        let d = date(2020, 4, 1);
        let rows = vec![
            rec("130013", "1", "ア", d, None, 2),
            rec("130013", "2", "イ", d, None, 3),
            rec("00130013", "1", "ウ", d, None, 4),
            rec("130013", "1", "エ", d, None, 5),
        ];
        let mut index = KeyIndex::default();
        for i in 0..rows.len() {
            index.add(&rows, i);
        }
        assert_eq!(index.repeated(), vec![vec![0, 2, 3]], "6- and 8-digit insurers are one key");
        assert_eq!(index.find(&rows, &rows[1].key), Some(1));
    }

    #[test]
    fn kind_2_is_one_identity_under_two_keys_of_one_insurer_at_once() {
        let rows = vec![
            rec("130013", "1", "ヤマダ　タロウ", date(2010, 4, 1), None, 2),
            rec("130013", "2", "ヤマダタロウ", date(2020, 4, 1), None, 3),
            rec("130013", "3", "ヤマダ タロウ", date(2000, 4, 1), Some(date(2005, 4, 1)), 4),
        ];
        // the third was lost long before the others were acquired: not at the same time
        assert_eq!(groups(&rows, None), (vec![vec![2, 3]], vec![]));
    }

    #[test]
    fn kind_3_is_one_identity_at_two_insurers_at_once() {
        let rows = vec![
            rec("130013", "1", "スズキ　ハナコ", date(2010, 4, 1), Some(date(2021, 4, 1)), 2),
            rec("06132013", "9", "スズキ　ハナコ", date(2021, 3, 1), None, 3),
        ];
        assert_eq!(groups(&rows, None), (vec![], vec![vec![2, 3]]), "sorted by key: 00130013 first");
    }

    #[test]
    fn periods_that_only_touch_do_not_overlap() {
        // 喪失日 is the first day without qualification: lost 2021-04-01, acquired 2021-04-01
        let rows = vec![
            rec("130013", "1", "サトウ　イチロウ", date(2010, 4, 1), Some(date(2021, 4, 1)), 2),
            rec("06132013", "9", "サトウ　イチロウ", date(2021, 4, 1), None, 3),
        ];
        assert_eq!(groups(&rows, None), (vec![], vec![]));
    }

    #[test]
    fn with_an_as_of_date_only_those_qualified_that_day_count() {
        let rows = vec![
            rec("130013", "1", "タナカ　ジロウ", date(2010, 4, 1), Some(date(2021, 4, 1)), 2),
            rec("06132013", "9", "タナカ　ジロウ", date(2021, 3, 1), None, 3),
        ];
        assert_eq!(groups(&rows, Some(date(2021, 3, 15))), (vec![], vec![vec![2, 3]]));
        assert_eq!(groups(&rows, Some(date(2021, 4, 1))), (vec![], vec![]), "the first lost on that day");
    }

    #[test]
    fn different_birth_or_sex_is_another_person() {
        let mut rows = vec![
            rec("130013", "1", "イトウ　ミキ", date(2010, 4, 1), None, 2),
            rec("130013", "2", "イトウ　ミキ", date(2010, 4, 1), None, 3),
        ];
        rows[1].identity = identity_key("イトウ　ミキ", "19700102", "1");
        assert_eq!(groups(&rows, None), (vec![], vec![]));
        rows[1].identity = identity_key("イトウ　ミキ", "19700101", "2");
        assert_eq!(groups(&rows, None), (vec![], vec![]));
    }

    #[test]
    fn many_people_of_one_name_form_one_group_per_connected_run() {
        // three at one insurer: A and B overlap, C starts after both ended
        let rows = vec![
            rec("130013", "1", "キムラ", date(2010, 4, 1), Some(date(2015, 4, 1)), 2),
            rec("130013", "2", "キムラ", date(2014, 4, 1), Some(date(2016, 4, 1)), 3),
            rec("130013", "3", "キムラ", date(2016, 4, 1), None, 4),
        ];
        assert_eq!(groups(&rows, None), (vec![vec![2, 3]], vec![]));
    }
}
