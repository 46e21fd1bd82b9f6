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

use std::collections::BTreeMap;
use std::hash::BuildHasher;

use hashbrown::HashTable;
use hashbrown::hash_table::Entry;
use jiff::civil::Date;
use rustc_hash::FxBuildHasher;

use super::person::PersonKey;

mod identity;

pub use identity::{SameIdentity, same_identity};

/// What the rule needs of a record.
pub trait Insured {
    /// The person key, when the record's key columns are valid.
    fn key(&self) -> Option<&PersonKey>;
    /// The identity key; empty when the record cannot be compared (values missing).
    fn identity(&self) -> &str;
    /// A hash of [`Insured::identity`] (a record may keep it, computed where it was read).
    fn identity_hash(&self) -> u64 {
        identity_hash(self.identity())
    }
    /// A hash of [`Insured::key`] (likewise; 0 without a key).
    fn key_hash(&self) -> u64 {
        self.key().map_or(0, key_hash)
    }
    fn acquired(&self) -> Option<Date>;
    fn lost(&self) -> Option<Date>;
    /// The physical line the record was read from (ties are ordered by it).
    fn line(&self) -> u64;
}

/// The hash [`Insured::key_hash`] stands for.
pub fn key_hash(key: &PersonKey) -> u64 {
    FxBuildHasher.hash_one(key)
}

/// A reference to a record is a record (a master is often a list of references to rows).
impl<R: Insured> Insured for &R {
    fn key(&self) -> Option<&PersonKey> {
        (**self).key()
    }
    fn identity(&self) -> &str {
        (**self).identity()
    }
    fn identity_hash(&self) -> u64 {
        (**self).identity_hash()
    }
    fn key_hash(&self) -> u64 {
        (**self).key_hash()
    }
    fn acquired(&self) -> Option<Date> {
        (**self).acquired()
    }
    fn lost(&self) -> Option<Date> {
        (**self).lost()
    }
    fn line(&self) -> u64 {
        (**self).line()
    }
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
    /// Room for `n` keys.
    pub fn reserve(&mut self, n: usize) {
        self.first.reserve(n, |_| 0);
    }

    /// The row holding `key`, if any.
    pub fn find<R: Insured>(&self, rows: &[R], key: &PersonKey) -> Option<usize> {
        self.first.find(key_hash(key), |&j| rows[j].key() == Some(key)).copied()
    }

    /// Indexes row `i` of `rows` (rows without a valid key cannot take part).
    pub fn add<R: Insured>(&mut self, rows: &[R], i: usize) {
        let Some(key) = rows[i].key() else { return };
        let rehash = |&j: &usize| rows[j].key_hash();
        match self.first.entry(rows[i].key_hash(), |&j| rows[j].key() == Some(key), rehash) {
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
    pub fn repeated(&self) -> Groups<usize> {
        let mut groups = Groups::new();
        for g in self.repeats.values() {
            groups.push(g.iter().copied());
        }
        groups
    }
}

/// The hash [`Insured::identity_hash`] stands for.
pub fn identity_hash(identity: &str) -> u64 {
    FxBuildHasher.hash_one(identity)
}

/// Groups of members, kept flat (one allocation, not one per group).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Groups<T> {
    members: Vec<T>,
    /// where each group starts, and one more entry for the end
    starts: Vec<usize>,
}

impl<T> Groups<T> {
    fn new() -> Groups<T> {
        Groups { members: Vec::new(), starts: vec![0] }
    }

    fn push(&mut self, group: impl IntoIterator<Item = T>) {
        self.members.extend(group);
        self.starts.push(self.members.len());
    }

    pub fn len(&self) -> usize {
        self.starts.len() - 1
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn iter(&self) -> impl Iterator<Item = &[T]> {
        self.starts.windows(2).map(|w| &self.members[w[0]..w[1]])
    }
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

    /// Kinds 2 and 3 among `master`, its records read on `threads` threads.
    fn identity_duplicates<R: Insured + Sync, T: Copy + Send>(
        master: &[R],
        as_of: Option<Date>,
        threads: usize,
        tag: impl Fn(usize) -> T + Sync,
    ) -> (Groups<T>, Groups<T>) {
        let (same, _) = same_identity(master, vec![(); threads], |_, i| tag(i));
        same.duplicates(master, as_of, |_| true)
    }

    fn groups(rows: &[Rec], as_of: Option<Date>) -> (Vec<Vec<u64>>, Vec<Vec<u64>>) {
        let refs: Vec<&Rec> = rows.iter().collect();
        let (k2, k3) = identity_duplicates(&refs, as_of, 1, |i| i);
        assert!(identity_duplicates(&refs, as_of, 3, |i| i) == (k2.clone(), k3.clone()), "threads change nothing");
        let lines = |g: Groups<usize>| g.iter().map(|g| g.iter().map(|&i| rows[i].line).collect()).collect();
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
        let repeated = index.repeated();
        let groups: Vec<&[usize]> = repeated.iter().collect();
        assert_eq!(groups, vec![&[0, 2, 3][..]], "6- and 8-digit insurers are one key");
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
