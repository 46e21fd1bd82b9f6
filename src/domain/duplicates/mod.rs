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
//! The rule works on any table of records through [`Records`], so it is tested here on plain
//! values and used by kk-import on its checked rows (whose texts are kept in a few large buffers,
//! not one string per record).

use std::hash::BuildHasher;

use hashbrown::HashTable;
use hashbrown::hash_table::Entry;
use jiff::civil::Date;
use rustc_hash::FxBuildHasher;

mod identity;
mod identity_key;

pub use identity::{SameIdentity, same_identity};
pub use identity_key::IdentityKey;

/// What the rule needs of a table of records, record by record (by index).
pub trait Records: Sync {
    /// How many records there are.
    fn len(&self) -> usize;
    /// Whether there are none.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The person key's text ([`super::person::PersonKey`] borrowed as `str`), when the record's
    /// key columns are valid.
    fn key(&self, i: usize) -> Option<&str>;
    /// The identity key; empty when the record cannot be compared (values missing).
    fn identity(&self, i: usize) -> &str;
    /// [`Records::identity`] as the search compares it (a table may keep it, made where the
    /// record was read).
    fn identity_key(&self, i: usize) -> IdentityKey {
        IdentityKey::of(self.identity(i))
    }
    /// A hash of [`Records::key`] (likewise; 0 without a key).
    fn key_hash(&self, i: usize) -> u64 {
        self.key(i).map_or(0, key_hash)
    }
    fn acquired(&self, i: usize) -> Option<Date>;
    fn lost(&self, i: usize) -> Option<Date>;
    /// The physical line the record was read from (ties are ordered by it).
    fn line(&self, i: usize) -> u64;
}

/// The hash [`Records::key_hash`] stands for: of the key's text.
pub fn key_hash(key: &str) -> u64 {
    FxBuildHasher.hash_one(key)
}

/// Rows by person key: the first row of each key (for applying a diff to a master).
#[derive(Default)]
pub struct KeyIndex {
    first: HashTable<u32>,
}

impl KeyIndex {
    /// The index of every row of `rows` (of a key on several rows, the first).
    pub fn of<R: Records + ?Sized>(rows: &R) -> KeyIndex {
        let mut index = KeyIndex::default();
        index.first.reserve(rows.len(), |_| 0);
        for i in 0..rows.len() {
            index.add(rows, i);
        }
        index
    }

    /// The row holding `key`, if any.
    pub fn find<R: Records + ?Sized>(&self, rows: &R, key: &str) -> Option<usize> {
        self.first.find(key_hash(key), |&j| rows.key(j as usize) == Some(key)).map(|&j| j as usize)
    }

    /// Indexes row `i` of `rows`, unless its key is there already (rows without a valid key
    /// cannot take part).
    pub fn add<R: Records + ?Sized>(&mut self, rows: &R, i: usize) {
        let Some(key) = rows.key(i) else { return };
        let rehash = |&j: &u32| rows.key_hash(j as usize);
        if let Entry::Vacant(e) = self.first.entry(rows.key_hash(i), |&j| rows.key(j as usize) == Some(key), rehash) {
            e.insert(i as u32);
        }
    }
}

/// Kind 1: the groups of records that share a person key (a record without a valid key takes
/// no part), each in record order, the groups in the order of their first records. Found by the
/// keys' hashes on `threads` threads, as identities are; the keys of a shared hash are compared.
pub fn repeated_keys<R: Records + ?Sized>(records: &R, threads: usize) -> Groups<usize> {
    let (flat, runs, _) =
        identity::shared_keys(records.len(), threads, |i| records.key(i).map(|_| records.key_hash(i)), |&h: &u64| h);
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for w in runs.windows(2) {
        let mut run: Vec<usize> = flat[w[0]..w[1]].iter().map(|&i| i as usize).collect();
        // stable: record order within each key
        run.sort_by(|&a, &b| records.key(a).cmp(&records.key(b)));
        groups.extend(
            run.chunk_by(|&a, &b| records.key(a) == records.key(b)).filter(|g| g.len() > 1).map(<[usize]>::to_vec),
        );
    }
    groups.sort_unstable_by_key(|g| g[0]);
    let mut out = Groups::new();
    for g in groups {
        out.push(g);
    }
    out
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
    use crate::domain::person::{PersonKey, identity_key};
    use jiff::civil::date;

    struct Rec {
        key: PersonKey,
        identity: String,
        acquired: Date,
        lost: Option<Date>,
        line: u64,
    }

    impl Records for [Rec] {
        fn len(&self) -> usize {
            <[Rec]>::len(self)
        }
        fn key(&self, i: usize) -> Option<&str> {
            Some(std::borrow::Borrow::borrow(&self[i].key))
        }
        fn identity(&self, i: usize) -> &str {
            &self[i].identity
        }
        fn acquired(&self, i: usize) -> Option<Date> {
            Some(self[i].acquired)
        }
        fn lost(&self, i: usize) -> Option<Date> {
            self[i].lost
        }
        fn line(&self, i: usize) -> u64 {
            self[i].line
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
    fn identity_duplicates<T: Copy + Send + Sync>(
        master: &[Rec],
        as_of: Option<Date>,
        threads: usize,
        tag: impl Fn(usize) -> T + Sync,
    ) -> (Groups<T>, Groups<T>) {
        let (same, _) = same_identity(master, vec![(); threads], |_, i| tag(i));
        same.duplicates(master, as_of, threads, |_| true)
    }

    /// The same records, every identity given one hash: different identities must still be
    /// told apart by their text.
    struct Colliding<'a>(&'a [Rec]);

    impl Records for Colliding<'_> {
        fn len(&self) -> usize {
            self.0.len()
        }
        fn key(&self, i: usize) -> Option<&str> {
            self.0.key(i)
        }
        fn identity(&self, i: usize) -> &str {
            self.0.identity(i)
        }
        fn identity_key(&self, _: usize) -> IdentityKey {
            IdentityKey::hashed(42)
        }
        fn key_hash(&self, _: usize) -> u64 {
            42
        }
        fn acquired(&self, i: usize) -> Option<Date> {
            self.0.acquired(i)
        }
        fn lost(&self, i: usize) -> Option<Date> {
            self.0.lost(i)
        }
        fn line(&self, i: usize) -> u64 {
            self.0.line(i)
        }
    }

    fn groups(rows: &[Rec], as_of: Option<Date>) -> (Vec<Vec<u64>>, Vec<Vec<u64>>) {
        let (k2, k3) = identity_duplicates(rows, as_of, 1, |i| i);
        assert!(identity_duplicates(rows, as_of, 3, |i| i) == (k2.clone(), k3.clone()), "threads change nothing");
        for threads in [1, 2, 3] {
            let colliding = Colliding(rows);
            let (same, _) = same_identity(&colliding, vec![(); threads], |_, i| i);
            let found = same.duplicates(&colliding, as_of, threads, |_| true);
            assert!(found == (k2.clone(), k3.clone()), "a shared hash changes nothing");
        }
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
        for threads in [1, 2, 3] {
            let repeated = repeated_keys(&rows[..], threads);
            let groups: Vec<&[usize]> = repeated.iter().collect();
            assert_eq!(groups, vec![&[0, 2, 3][..]], "6- and 8-digit insurers are one key");
            let repeated = repeated_keys(&Colliding(&rows), threads);
            assert_eq!(repeated.iter().collect::<Vec<_>>(), vec![&[0, 2, 3][..]], "a shared hash changes nothing");
        }
        let index = KeyIndex::of(&rows[..]);
        assert_eq!(index.find(&rows[..], std::borrow::Borrow::borrow(&rows[1].key)), Some(1));
        assert_eq!(index.find(&rows[..], std::borrow::Borrow::borrow(&rows[3].key)), Some(0), "the first row");
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

    #[test]
    fn identities_that_share_a_hash_are_split_before_grouping() {
        // four identities in one table (under Colliding, one hash): each group is found alone
        let rows = vec![
            rec("130013", "1", "キムラ", date(2010, 4, 1), None, 2),
            rec("130013", "2", "スズキ", date(2010, 4, 1), None, 3),
            rec("130013", "3", "キムラ", date(2012, 4, 1), None, 4),
            rec("06132013", "4", "スズキ", date(2011, 4, 1), None, 5),
            rec("06132013", "5", "タナカ", date(2011, 4, 1), None, 6),
            rec("130013", "6", "サトウ", date(2011, 4, 1), None, 7),
        ];
        assert_eq!(groups(&rows, None), (vec![vec![2, 4]], vec![vec![3, 5]]), "groups sorted by key");
    }
}
