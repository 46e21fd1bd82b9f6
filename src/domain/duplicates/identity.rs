//! Duplicate kinds 2 and 3: the records that share an identity, found without a sort of them
//! all (their identity keys are partitioned, then spread over buckets in cache), read again only
//! where a key is shared and in record order, and split into the groups of the rule — each step
//! shared out among threads, every result the same whatever their number.

use std::ops::Range;

use jiff::civil::Date;

use super::{Groups, IdentityKey, Records};
use crate::domain::person::qualified_on;
use crate::parallel::{each_on_thread, ranges};

/// What the rule reads of one member of an identity group, read once (reading the records again
/// on every comparison of a sort would be most of the cost), and the caller's tag for it.
#[derive(Clone, Copy)]
struct Member<T> {
    /// the first bytes of the person key (8-digit insurer first): orders like the key, up to ties
    prefix: [u8; 24],
    acquired: Option<Date>,
    lost: Option<Date>,
    line: u64,
    index: u32,
    tag: T,
}

impl<T> Member<T> {
    fn of<R: Records + ?Sized>(records: &R, i: usize, tag: T) -> Member<T> {
        let mut prefix = [0u8; 24];
        if let Some(k) = records.key(i) {
            let n = k.len().min(24);
            prefix[..n].copy_from_slice(&k.as_bytes()[..n]);
        }
        Member {
            prefix,
            acquired: records.acquired(i),
            lost: records.lost(i),
            line: records.line(i),
            index: i as u32,
            tag,
        }
    }

    fn insurer(&self) -> &[u8] {
        &self.prefix[..8]
    }
}

/// Bits of a key's spread that choose its partition.
const PARTITION_BITS: u32 = 8;

/// The records (`0..n`) whose `key` is shared (a record without one takes no part), as runs of
/// one key each: their indices (flat, each run in index order), where each run starts (with one
/// more entry for the end) and each run's key. Each thread partitions the keys of its range of
/// records by the top bits of their `spread`; then each partition, about 4,000 keys of a
/// 1,000,000-row master, is settled in cache ([`shared_runs`]). The cost is linear in the
/// records, not a sort of them all, and no record is read out of order.
pub(super) fn shared_keys<K: Copy + Ord + Send + Sync>(
    n: usize,
    threads: usize,
    key: impl Fn(usize) -> Option<K> + Sync,
    spread: impl Fn(&K) -> u64 + Sync,
) -> (Vec<u32>, Vec<usize>, Vec<K>) {
    let partitions = 1usize << PARTITION_BITS;
    let scattered = each_on_thread(ranges(n, threads), |_, range| {
        let room = range.len() / partitions + range.len() / partitions / 4 + 16;
        let mut out: Vec<Vec<(K, u32)>> = (0..partitions).map(|_| Vec::with_capacity(room)).collect();
        for i in range {
            if let Some(k) = key(i) {
                out[(spread(&k) >> (64 - PARTITION_BITS)) as usize].push((k, i as u32));
            }
        }
        out
    });
    let found = each_on_thread(ranges(partitions, threads), |_, range| {
        let (mut flat, mut lens, mut keys) = (Vec::new(), Vec::new(), Vec::new());
        let (mut part, mut spread_out, mut counts) = (Vec::new(), Vec::new(), Vec::new());
        for p in range {
            part.clear();
            for from in &scattered {
                part.extend_from_slice(&from[p]);
            }
            shared_runs(&mut part, (&mut spread_out, &mut counts), &spread, |run| {
                flat.extend(run.iter().map(|x| x.1));
                lens.push(run.len());
                keys.push(run[0].0);
            });
        }
        (flat, lens, keys)
    });
    drop(scattered);
    let mut flat = Vec::with_capacity(found.iter().map(|f| f.0.len()).sum());
    let (mut runs, mut keys) = (vec![0], Vec::new());
    for (part, lens, part_keys) in found {
        let mut end = flat.len();
        flat.extend_from_slice(&part);
        for len in lens {
            end += len;
            runs.push(end);
        }
        keys.extend(part_keys);
    }
    (flat, runs, keys)
}

/// Hands each run of `part`'s entries that share a key (two or more, sorted by index) to `run`.
/// The entries are spread over about as many buckets as there are of them by the next bits of
/// their `spread` (one counting pass, `scratch` reused), and only a bucket of two or more is
/// sorted: linear, where a sort of the whole part costs a dozen comparisons an entry.
fn shared_runs<K: Copy + Ord>(
    part: &mut [(K, u32)],
    (spread_out, counts): (&mut Vec<(K, u32)>, &mut Vec<u32>),
    spread: impl Fn(&K) -> u64,
    mut run: impl FnMut(&[(K, u32)]),
) {
    if part.len() < 64 {
        part.sort_unstable();
        part.chunk_by(|x, y| x.0 == y.0).filter(|r| r.len() > 1).for_each(run);
        return;
    }
    let bits = part.len().next_power_of_two().trailing_zeros();
    let bucket = |k: &K| ((spread(k) << PARTITION_BITS) >> (64 - bits)) as usize;
    counts.clear();
    counts.resize((1 << bits) + 1, 0);
    for (k, _) in part.iter() {
        counts[bucket(k) + 1] += 1;
    }
    for b in 1..counts.len() {
        counts[b] += counts[b - 1];
    }
    spread_out.clear();
    spread_out.resize(part.len(), part[0]);
    for &entry in part.iter() {
        let at = &mut counts[bucket(&entry.0)];
        spread_out[*at as usize] = entry;
        *at += 1;
    }
    // counts[b] is now where bucket b ends (and bucket b + 1 starts)
    let mut start = 0;
    for &end in &counts[..counts.len() - 1] {
        let end = end as usize;
        if end - start > 1 {
            let bucket = &mut spread_out[start..end];
            bucket.sort_unstable();
            bucket.chunk_by(|x, y| x.0 == y.0).filter(|r| r.len() > 1).for_each(&mut run);
        }
        start = end;
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

/// Gathers the records that share an identity. Only the records whose identity key is shared
/// are read again, in index order, shared out in index ranges among threads, one for each of
/// `states`: `tag` is called once for each of those records with the state of the thread that
/// reads it. Returns the states too.
pub fn same_identity<R, T, S>(
    records: &R,
    states: Vec<S>,
    tag: impl Fn(&mut S, usize) -> T + Sync,
) -> (SameIdentity<T>, Vec<S>)
where
    R: Records + ?Sized,
    T: Copy + Send,
    S: Send,
{
    let threads = states.len().max(1);
    let (flat, runs, keys) = shared_keys(
        records.len(),
        threads,
        |i| (!records.identity(i).is_empty()).then(|| records.identity_key(i)),
        |k: &IdentityKey| k.spread(),
    );
    // each record's place among the members (u32::MAX: none)
    let mut place = vec![u32::MAX; records.len()];
    for (p, &i) in flat.iter().enumerate() {
        place[i as usize] = p as u32;
    }
    // a packed key is the identity itself; the runs of a hashed one may hold several
    let mixed: Vec<u32> =
        runs.iter().zip(&keys).filter(|(_, k)| !k.is_exact()).map(|(&start, _)| start as u32).collect();
    let per_thread = ranges(records.len(), states.len()).into_iter().zip(states).collect();
    let read = each_on_thread(per_thread, |_, (range, mut state): (Range<usize>, S)| {
        let mut read: Vec<(u32, Member<T>)> = Vec::with_capacity(flat.len() / threads + 1);
        for i in range {
            let p = place[i];
            if p != u32::MAX {
                read.push((p, Member::of(records, i, tag(&mut state, i))));
            }
        }
        (read, state)
    });
    drop(place);
    let mut states = Vec::with_capacity(read.len());
    let Some(fill) = read.iter().find_map(|(r, _)| r.first().map(|m| m.1)) else {
        states.extend(read.into_iter().map(|(_, s)| s));
        return (SameIdentity { members: Vec::new(), runs: vec![0] }, states);
    };
    let mut members = vec![fill; flat.len()];
    for (part, state) in read {
        for (p, m) in part {
            members[p as usize] = m;
        }
        states.push(state);
    }
    let runs = split_mixed(records, &mut members, runs, mixed);
    (SameIdentity { members, runs }, states)
}

/// Splits each run of `mixed` (given by where it starts, in order) into one run an identity:
/// sorted by identity, stable (index order within each). Only the runs of a hashed key can hold
/// more than one identity, and nearly never do.
fn split_mixed<R: Records + ?Sized, T: Copy>(
    records: &R,
    members: &mut [Member<T>],
    runs: Vec<usize>,
    mixed: Vec<u32>,
) -> Vec<usize> {
    if mixed.is_empty() {
        return runs;
    }
    let mut split = vec![0];
    for w in runs.windows(2) {
        if mixed.binary_search(&(w[0] as u32)).is_err() {
            split.push(w[1]);
            continue;
        }
        let run = &mut members[w[0]..w[1]];
        run.sort_by(|a, b| records.identity(a.index as usize).cmp(records.identity(b.index as usize)));
        let mut end = w[0];
        for class in run.chunk_by(|a, b| records.identity(a.index as usize) == records.identity(b.index as usize)) {
            end += class.len();
            split.push(end);
        }
    }
    split
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

/// Groups found by one thread: their members copied out, each group sorted by key, and where
/// each group ends.
struct Found<T> {
    members: Vec<Member<T>>,
    ends: Vec<usize>,
}

impl<T: Copy> Found<T> {
    fn new() -> Found<T> {
        Found { members: Vec::new(), ends: Vec::new() }
    }

    fn add(&mut self, group: &[Member<T>], by_key: impl Fn(&Member<T>, &Member<T>) -> std::cmp::Ordering) {
        let start = self.members.len();
        self.members.extend_from_slice(group);
        self.members[start..].sort_by(by_key);
        self.ends.push(self.members.len());
    }
}

impl<T: Copy + Send + Sync> SameIdentity<T> {
    /// Kinds 2 and 3 among the gathered `records` that `keep` (by index) accepts, worked out on
    /// `threads` threads: the groups of each kind, each group sorted by key and line, the groups
    /// in the order of their first members, each member given as its tag.
    pub fn duplicates<R: Records + ?Sized>(
        self,
        records: &R,
        as_of: Option<Date>,
        threads: usize,
        keep: impl Fn(usize) -> bool + Sync,
    ) -> (Groups<T>, Groups<T>) {
        let by_key = |a: &Member<T>, b: &Member<T>| {
            (a.prefix.cmp(&b.prefix))
                .then_with(|| records.key(a.index as usize).cmp(&records.key(b.index as usize)))
                .then(a.line.cmp(&b.line))
        };
        let SameIdentity { members, runs } = self;
        // the runs cut into parts of about as many members each, one a thread
        let per = members.len().div_ceil(threads.max(1)).max(1);
        let mut runs_per_part: Vec<&[usize]> = Vec::new();
        let mut start = 0;
        for r in 1..runs.len() {
            if runs[r] - runs[start] >= per || r + 1 == runs.len() {
                runs_per_part.push(&runs[start..=r]);
                start = r;
            }
        }
        let found = each_on_thread(runs_per_part, |_, runs| {
            let (mut kind2, mut kind3) = (Found::new(), Found::new());
            let mut same: Vec<Member<T>> = Vec::new();
            for w in runs.windows(2) {
                same.clear();
                same.extend(members[w[0]..w[1]].iter().filter(|m| keep(m.index as usize)));
                if same.len() < 2 {
                    continue;
                }
                // kind 2: within one insurer
                same.sort_by(|a, b| a.insurer().cmp(b.insurer()));
                for by_insurer in same.chunk_by_mut(|a, b| a.insurer() == b.insurer()).filter(|g| g.len() > 1) {
                    overlapping_runs(by_insurer, as_of, |run| {
                        if run.len() > 1 {
                            kind2.add(run, by_key);
                        }
                    });
                }
                // kind 3: a run of overlapping periods that spans more than one insurer
                overlapping_runs(&mut same, as_of, |run| {
                    if run.iter().any(|m| m.insurer() != run[0].insurer()) {
                        kind3.add(run, by_key);
                    }
                });
            }
            (kind2, kind3)
        });
        drop(members);
        let (kind2, kind3): (Vec<Found<T>>, Vec<Found<T>>) = found.into_iter().unzip();
        // the groups by their first members (key, then line), as the members were
        let ordered = |_, parts: Vec<Found<T>>| {
            let mut groups: Vec<&[Member<T>]> = Vec::new();
            for part in &parts {
                let mut start = 0;
                for &end in &part.ends {
                    groups.push(&part.members[start..end]);
                    start = end;
                }
            }
            groups.sort_by(|a, b| by_key(&a[0], &b[0]));
            let mut out = Groups::new();
            for g in groups {
                out.push(g.iter().map(|m| m.tag));
            }
            out
        };
        let mut both = each_on_thread(vec![kind2, kind3], ordered).into_iter();
        let kind2 = both.next().unwrap_or_else(Groups::new);
        (kind2, both.next().unwrap_or_else(Groups::new))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// Runs found by partitions and buckets are the groups of equal keys a plain map makes, in
    /// index order, whatever the number of threads — with many keys to a partition and keys
    /// whose spreads collide.
    #[test]
    fn shared_keys_are_the_groups_of_equal_keys() {
        let n = 60_000;
        // a key for most records, from a pool small enough that many repeat
        let key = |i: usize| (!i.is_multiple_of(7)).then(|| (i as u64).wrapping_mul(2_654_435_761) % 40_000);
        let mut want: BTreeMap<u64, Vec<u32>> = BTreeMap::new();
        for i in 0..n {
            if let Some(k) = key(i) {
                want.entry(k).or_default().push(i as u32);
            }
        }
        let mut want: Vec<Vec<u32>> = want.into_values().filter(|g| g.len() > 1).collect();
        want.sort();
        for (threads, spread) in [(1, 0), (2, 0), (3, 0), (2, 1)] {
            // spread 1: every key in one partition and a handful of buckets
            let spreads = |k: &u64| if spread == 0 { k.wrapping_mul(0x9E37_79B9_7F4A_7C15) } else { k % 3 };
            let (flat, runs, keys) = shared_keys(n, threads, key, spreads);
            let mut got: Vec<Vec<u32>> = runs.windows(2).map(|w| flat[w[0]..w[1]].to_vec()).collect();
            for (g, k) in got.iter().zip(&keys) {
                assert!(g.iter().all(|&i| key(i as usize) == Some(*k)));
            }
            got.sort();
            assert_eq!(got, want, "{threads} threads");
        }
    }
}
