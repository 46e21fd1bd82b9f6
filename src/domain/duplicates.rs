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

use std::hash::BuildHasher;

use std::collections::BTreeMap;

use hashbrown::HashTable;
use hashbrown::hash_table::Entry;
use jiff::civil::Date;
use rustc_hash::FxBuildHasher;

use super::person::{PersonKey, qualified_on};

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

/// What the rule reads of one member of an identity group, read once (the records are
/// scattered in memory: reading them on every comparison of a sort would be most of the cost),
/// and the caller's tag for it.
#[derive(Clone, Copy)]
struct Member<T> {
    /// the first bytes of the person key (8-digit insurer first): orders like the key, up to ties
    prefix: [u8; 24],
    acquired: Option<Date>,
    lost: Option<Date>,
    line: u64,
    index: usize,
    tag: T,
}

impl<T> Member<T> {
    fn of<R: Insured>(r: &R, index: usize, tag: T) -> Member<T> {
        let mut prefix = [0u8; 24];
        if let Some(k) = r.key() {
            let b: &str = std::borrow::Borrow::borrow(k);
            let n = b.len().min(24);
            prefix[..n].copy_from_slice(&b.as_bytes()[..n]);
        }
        Member { prefix, acquired: r.acquired(), lost: r.lost(), line: r.line(), index, tag }
    }

    fn insurer(&self) -> &[u8] {
        &self.prefix[..8]
    }
}

/// The connected runs of overlapping qualification periods [取得日, 喪失日) among `members`, as
/// index ranges after sorting them by 取得日. With `as_of`, only those qualified on that day
/// count (moved to the front), and they all overlap.
fn overlapping_runs<T: Copy>(members: &mut [Member<T>], as_of: Option<Date>, mut run: impl FnMut(&[Member<T>])) {
    if let Some(d) = as_of {
        members.sort_by_key(|m| !m.acquired.is_some_and(|a| qualified_on(a, m.lost, d)));
        let n = members.iter().take_while(|m| m.acquired.is_some_and(|a| qualified_on(a, m.lost, d))).count();
        run(&members[..n]);
        return;
    }
    members.sort_by_key(|m| (m.acquired, m.line));
    let mut start = 0;
    // where the current run ends: None = open-ended (no 喪失日)
    let mut end: Option<Date> = None;
    for i in 0..members.len() {
        let m = members[i];
        let overlaps = i > 0 && end.is_none_or(|e| m.acquired.is_some_and(|a| a < e));
        if overlaps {
            end = end.zip(m.lost).map(|(e, l)| e.max(l));
        } else {
            if i > 0 {
                run(&members[start..i]);
            }
            start = i;
            end = m.lost;
        }
    }
    if !members.is_empty() {
        run(&members[start..]);
    }
}

/// The hash [`Insured::identity_hash`] stands for.
pub fn identity_hash(identity: &str) -> u64 {
    FxBuildHasher.hash_one(identity)
}

/// The indices of `pairs` (hash, index) whose hash is shared, as runs of one hash each (flat,
/// with where each run starts and one more entry for the end). The pairs are bucketed by the
/// hash's top bits in one counting pass, about 8 a bucket, and each bucket is sorted in cache:
/// the cost is linear in the pairs, not a sort of them all.
pub fn shared_hashes(pairs: &[(u64, u32)]) -> (Vec<u32>, Vec<usize>) {
    let bits = (usize::BITS - pairs.len().leading_zeros()).saturating_sub(3).max(1);
    let bucket = |h: u64| (h >> (64 - bits)) as usize;
    let mut starts = vec![0usize; (1 << bits) + 1];
    for &(h, _) in pairs {
        starts[bucket(h) + 1] += 1;
    }
    for b in 1..starts.len() {
        starts[b] += starts[b - 1];
    }
    let mut sorted = vec![(0u64, 0u32); pairs.len()];
    let mut next = starts.clone();
    for &(h, i) in pairs {
        let b = bucket(h);
        sorted[next[b]] = (h, i);
        next[b] += 1;
    }
    let (mut flat, mut runs) = (Vec::new(), vec![0]);
    for b in starts.windows(2) {
        let part = &mut sorted[b[0]..b[1]];
        part.sort_unstable();
        for run in part.chunk_by(|x, y| x.0 == y.0).filter(|run| run.len() > 1) {
            flat.extend(run.iter().map(|p| p.1));
            runs.push(flat.len());
        }
    }
    (flat, runs)
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

/// The records that share an identity, with what the rule needs of each: the first half of
/// kinds 2 and 3, which does not depend on which records end up in the master.
pub struct SameIdentity<T> {
    /// runs of members of one identity, each in index order
    members: Vec<Member<T>>,
    /// where each run starts, and one more entry for the end
    runs: Vec<usize>,
}

/// Gathers the records that share an identity. Only the records whose identity hash is shared
/// are read again, and in index order (scattered records read in random order would be most of
/// the cost), shared out in index ranges among threads, one for each of `states`: `tag` is
/// called once for each of those records with the state of the thread that reads it. Returns
/// the states too.
pub fn same_identity<R, T, S>(
    records: &[R],
    states: Vec<S>,
    tag: impl Fn(&mut S, usize) -> T + Sync,
) -> (SameIdentity<T>, Vec<S>)
where
    R: Insured + Sync,
    T: Copy + Send,
    S: Send,
{
    let pairs: Vec<(u64, u32)> = records
        .iter()
        .enumerate()
        .filter(|(_, r)| !r.identity().is_empty())
        .map(|(i, r)| (r.identity_hash(), i as u32))
        .collect();
    let (flat, runs) = shared_hashes(&pairs);
    drop(pairs);
    // the positions in `flat` in index order, cut into one range a thread
    let mut order: Vec<u32> = (0..flat.len() as u32).collect();
    order.sort_unstable_by_key(|&p| flat[p as usize]);
    let per_thread = order.len().div_ceil(states.len().max(1));
    let read = |(k, mut state): (usize, S)| {
        let range = &order[(k * per_thread).min(order.len())..((k + 1) * per_thread).min(order.len())];
        // each member with its identity, copied out as it is read (compared below, in run order)
        let mut read = Vec::with_capacity(range.len());
        let mut texts: Vec<u8> = Vec::new();
        for &p in range {
            let i = flat[p as usize] as usize;
            let identity = records[i].identity().as_bytes();
            read.push((p, Member::of(&records[i], i, tag(&mut state, i)), texts.len(), identity.len()));
            texts.extend_from_slice(identity);
        }
        (read, texts, state)
    };
    let parts: Vec<_> = if states.len() <= 1 {
        states.into_iter().enumerate().map(read).collect()
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> = states.into_iter().enumerate().map(|s| scope.spawn(|| read(s))).collect();
            handles.into_iter().map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))).collect()
        })
    };
    let mut gathered: Vec<Option<(Member<T>, (usize, usize))>> = vec![None; flat.len()];
    let (mut texts, mut states) = (Vec::new(), Vec::new());
    for (read, part_texts, state) in parts {
        let base = texts.len();
        for (p, m, start, len) in read {
            gathered[p as usize] = Some((m, (base + start, len)));
        }
        texts.extend_from_slice(&part_texts);
        states.push(state);
    }
    let (mut members, mut at): (Vec<Member<T>>, Vec<(usize, usize)>) = gathered.into_iter().flatten().unzip();
    // one identity per hash nearly always; when different identities share one, the run is
    // split (sorted by identity, stable: index order within each)
    let mut split = vec![0];
    for run in runs.windows(2) {
        let text = |&(start, len): &(usize, usize)| &texts[start..start + len];
        let (run_at, run_members) = (&mut at[run[0]..run[1]], &mut members[run[0]..run[1]]);
        if run_at.iter().all(|a| text(a) == text(&run_at[0])) {
            split.push(run[1]);
            continue;
        }
        let mut both: Vec<(Member<T>, (usize, usize))> = run_members.iter().copied().zip(run_at.iter().copied()).collect();
        both.sort_by(|a, b| text(&a.1).cmp(text(&b.1)));
        let mut end = run[0];
        for class in both.chunk_by(|a, b| text(&a.1) == text(&b.1)) {
            end += class.len();
            split.push(end);
        }
        for (k, (m, a)) in both.into_iter().enumerate() {
            (run_members[k], run_at[k]) = (m, a);
        }
    }
    (SameIdentity { members, runs: split }, states)
}

impl<T: Copy> SameIdentity<T> {
    /// Kinds 2 and 3 among the gathered `records` that `keep` (by index) accepts: the groups of
    /// each kind, each group sorted by key and line, the groups in the order of their first
    /// members, each member given as its tag.
    pub fn duplicates<R: Insured>(
        self,
        records: &[R],
        as_of: Option<Date>,
        keep: impl Fn(usize) -> bool,
    ) -> (Groups<T>, Groups<T>) {
        let by_key = |a: &Member<T>, b: &Member<T>| {
            (a.prefix.cmp(&b.prefix))
                .then_with(|| records[a.index].key().cmp(&records[b.index].key()))
                .then(a.line.cmp(&b.line))
        };
        let SameIdentity { mut members, runs } = self;
        // the groups found, as members copied out and sorted by key
        let (mut kind2, mut kind3): (Vec<Member<T>>, Vec<Member<T>>) = (Vec::new(), Vec::new());
        let (mut ends2, mut ends3): (Vec<usize>, Vec<usize>) = (Vec::new(), Vec::new());
        let add = |out: &mut Vec<Member<T>>, ends: &mut Vec<usize>, run: &[Member<T>]| {
            let start = out.len();
            out.extend_from_slice(run);
            out[start..].sort_by(by_key);
            ends.push(out.len());
        };
        let mut same: Vec<Member<T>> = Vec::new();
        for w in runs.windows(2) {
            same.clear();
            same.extend(members[w[0]..w[1]].iter().filter(|m| keep(m.index)));
            if same.len() < 2 {
                continue;
            }
            // kind 2: within one insurer
            same.sort_by(|a, b| a.insurer().cmp(b.insurer()));
            for by_insurer in same.chunk_by_mut(|a, b| a.insurer() == b.insurer()).filter(|g| g.len() > 1) {
                overlapping_runs(by_insurer, as_of, |run| {
                    if run.len() > 1 {
                        add(&mut kind2, &mut ends2, run);
                    }
                });
            }
            // kind 3: a run of overlapping periods that spans more than one insurer
            overlapping_runs(&mut same, as_of, |run| {
                if run.iter().any(|m| m.insurer() != run[0].insurer()) {
                    add(&mut kind3, &mut ends3, run);
                }
            });
        }
        members.clear();
        // the groups by their first members (key, then line), as the members were
        let ordered = |members: Vec<Member<T>>, ends: Vec<usize>| {
            let mut ranges: Vec<(usize, usize)> =
                ends.iter().scan(0, |start, &end| Some((std::mem::replace(start, end), end))).collect();
            ranges.sort_by(|a, b| by_key(&members[a.0], &members[b.0]));
            let mut groups = Groups::new();
            for (start, end) in ranges {
                groups.push(members[start..end].iter().map(|m| m.tag));
            }
            groups
        };
        (ordered(kind2, ends2), ordered(kind3, ends3))
    }
}

/// Kinds 2 and 3 among the records of a master (see [`SameIdentity::duplicates`]).
/// The records are read on `threads` threads.
pub fn identity_duplicates<R: Insured + Sync, T: Copy + Send>(
    master: &[R],
    as_of: Option<Date>,
    threads: usize,
    tag: impl Fn(usize) -> T + Sync,
) -> (Groups<T>, Groups<T>) {
    let (same, _) = same_identity(master, vec![(); threads], |_, i| tag(i));
    same.duplicates(master, as_of, |_| true)
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
        let groups: Vec<&[usize]> = index.repeated().iter().collect();
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
