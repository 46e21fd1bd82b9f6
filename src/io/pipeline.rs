//! Rows checked on worker threads, a batch at a time, with results delivered in input order, so
//! a tool's output is the same bytes whatever the number of threads.

use std::collections::BTreeMap;
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};

use csv::ByteRecord;

use super::{CsvInput, InputContext};
use crate::error::{Error, Result};

/// Rows per batch: large enough that handing a batch to a thread costs nothing next to checking it.
pub const BATCH_ROWS: usize = 4096;

/// Worker threads to use: `KK_THREADS` if set (1 = no extra threads, for a shared server),
/// else the machine's cores, at most 4 (the reading thread is the limit past that).
pub fn worker_count() -> usize {
    match std::env::var("KK_THREADS").ok().and_then(|v| v.parse::<usize>().ok()) {
        Some(n) => n.clamp(1, 64),
        None => std::thread::available_parallelism().map_or(1, |n| n.get().min(4)),
    }
}

type Job = (u64, Vec<ByteRecord>);

/// Reads `input` in batches, runs `work` on each batch on one of `workers` (one thread each;
/// one worker means no threads), and hands the results to `collect` in input order. Returns
/// the workers, for what they counted. The first error in input order wins, so errors are
/// reported as a single thread would report them.
pub fn for_each_batch<W, T>(
    input: &mut CsvInput,
    mut workers: Vec<W>,
    work: impl Fn(&mut W, &InputContext, &[ByteRecord]) -> Result<T> + Sync,
    mut collect: impl FnMut(T) -> Result<()>,
) -> Result<Vec<W>>
where
    W: Send,
    T: Send,
{
    let ctx = input.context();
    if workers.len() <= 1 {
        let mut batch = Vec::new();
        while input.next_batch(&mut batch, BATCH_ROWS)? > 0 {
            if let Some(w) = workers.first_mut() {
                collect(work(w, &ctx, &batch)?)?;
            }
        }
        return Ok(workers);
    }
    let (job_tx, job_rx) = mpsc::sync_channel::<Job>(workers.len() * 2);
    let job_rx: Mutex<Receiver<Job>> = Mutex::new(job_rx);
    std::thread::scope(|scope| {
        let (res_tx, res_rx) = mpsc::channel::<(u64, Result<T>, Vec<ByteRecord>)>();
        let handles: Vec<_> = workers
            .drain(..)
            .map(|mut w| {
                let (job_rx, res_tx, ctx, work) = (&job_rx, res_tx.clone(), Arc::clone(&ctx), &work);
                scope.spawn(move || {
                    loop {
                        let job = match job_rx.lock() {
                            Ok(rx) => rx.recv(),
                            Err(_) => break,
                        };
                        let Ok((seq, batch)) = job else { break };
                        let result = work(&mut w, &ctx, &batch);
                        if res_tx.send((seq, result, batch)).is_err() {
                            break;
                        }
                    }
                    w
                })
            })
            .collect();
        drop(res_tx);

        let mut pool: Vec<Vec<ByteRecord>> = Vec::new();
        let mut waiting: BTreeMap<u64, Result<T>> = BTreeMap::new();
        let mut next = 0u64;
        let mut failure: Option<Error> = None;
        // Hands over every result that is next in order; the first error stops everything.
        let mut deliver = |waiting: &mut BTreeMap<u64, Result<T>>, next: &mut u64| -> Result<()> {
            while let Some(result) = waiting.remove(next) {
                *next += 1;
                collect(result?)?;
            }
            Ok(())
        };
        let mut sent = 0u64;
        loop {
            let mut batch = pool.pop().unwrap_or_default();
            match input.next_batch(&mut batch, BATCH_ROWS) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
            if job_tx.send((sent, batch)).is_err() {
                break;
            }
            sent += 1;
            while let Ok((seq, result, batch)) = res_rx.try_recv() {
                pool.push(batch);
                waiting.insert(seq, result);
            }
            if let Err(e) = deliver(&mut waiting, &mut next) {
                failure = Some(e);
                break;
            }
        }
        drop(job_tx);
        for (seq, result, _) in res_rx.iter() {
            waiting.insert(seq, result);
        }
        let workers: Vec<W> = handles.into_iter().filter_map(|h| h.join().ok()).collect();
        // Results before a reading error still count first: that is the order one thread sees.
        let delivered = if next < sent { deliver(&mut waiting, &mut next) } else { Ok(()) };
        match (delivered, failure) {
            (Err(e), _) | (Ok(()), Some(e)) => Err(e),
            (Ok(()), None) => Ok(workers),
        }
    })
}
