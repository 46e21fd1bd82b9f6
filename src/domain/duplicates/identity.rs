//! Duplicate kinds 2 and 3: the records that share an identity, found without a sort of them
//! all (their hashes are bucketed), read again only where a hash is shared, and split into the
//! groups of the rule.

use jiff::civil::Date;

use super::{Groups, Insured};
use crate::domain::person::qualified_on;

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

/// Where a member's identity was copied to: start and length in the gathered texts.
type Text = (usize, usize);

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

/// The indices of `pairs` (hash, index) whose hash is shared, as runs of one hash each (flat,
/// with where each run starts and one more entry for the end). The pairs are bucketed by the
/// hash's top bits in one counting pass, about 8 a bucket, and each bucket is sorted in cache:
/// the cost is linear in the pairs, not a sort of them all.
fn shared_hashes(pairs: &[(u64, u32)]) -> (Vec<u32>, Vec<usize>) {
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
    let mut gathered: Vec<Option<(Member<T>, Text)>> = vec![None; flat.len()];
    let (mut texts, mut states) = (Vec::new(), Vec::new());
    for (read, part_texts, state) in parts {
        let base = texts.len();
        for (p, m, start, len) in read {
            gathered[p as usize] = Some((m, (base + start, len)));
        }
        texts.extend_from_slice(&part_texts);
        states.push(state);
    }
    let (mut members, mut at): (Vec<Member<T>>, Vec<Text>) = gathered.into_iter().flatten().unzip();
    // one identity per hash nearly always; when different identities share one, the run is
    // split (sorted by identity, stable: index order within each)
    let mut split = vec![0];
    for run in runs.windows(2) {
        let text = |&(start, len): &Text| &texts[start..start + len];
        let (run_at, run_members) = (&mut at[run[0]..run[1]], &mut members[run[0]..run[1]]);
        if run_at.iter().all(|a| text(a) == text(&run_at[0])) {
            split.push(run[1]);
            continue;
        }
        let mut both: Vec<(Member<T>, Text)> = run_members.iter().copied().zip(run_at.iter().copied()).collect();
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
