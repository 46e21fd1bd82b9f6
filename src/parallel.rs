//! Work shared out among scoped threads, results in a fixed order, so that what a tool writes
//! does not depend on how many threads did it.

use std::ops::Range;

/// Runs `f` on each of `inputs` (with its position), each on a thread of its own — none for a
/// single input — and returns the results in input order. A panic on a thread goes on as a panic
/// of the caller (never a result silently missing).
pub fn each_on_thread<I: Send, O: Send>(inputs: Vec<I>, f: impl Fn(usize, I) -> O + Sync) -> Vec<O> {
    if inputs.len() <= 1 {
        return inputs.into_iter().enumerate().map(|(k, input)| f(k, input)).collect();
    }
    std::thread::scope(|scope| {
        let f = &f;
        let handles: Vec<_> =
            inputs.into_iter().enumerate().map(|(k, input)| scope.spawn(move || f(k, input))).collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))).collect()
    })
}

/// `0..n` cut into `parts` consecutive ranges of nearly equal length (at least one range; some
/// may be empty).
pub fn ranges(n: usize, parts: usize) -> Vec<Range<usize>> {
    let parts = parts.max(1);
    let per = n.div_ceil(parts);
    (0..parts).map(|k| (k * per).min(n)..((k + 1) * per).min(n)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_cover_everything_once_in_order() {
        for n in [0, 1, 7, 100] {
            for parts in [0, 1, 2, 3, 8] {
                let r = ranges(n, parts);
                assert_eq!(r.len(), parts.max(1));
                assert_eq!(r.iter().flat_map(|r| r.clone()).collect::<Vec<_>>(), (0..n).collect::<Vec<_>>());
            }
        }
    }

    #[test]
    fn results_come_back_in_input_order() {
        let out = each_on_thread((0..5).collect(), |k, x: u32| (k, x * 2));
        assert_eq!(out, vec![(0, 0), (1, 2), (2, 4), (3, 6), (4, 8)]);
        assert_eq!(each_on_thread(vec![3], |_, x: u32| x), vec![3]);
    }
}
