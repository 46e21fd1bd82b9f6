//! Rows checked on worker threads, a batch at a time, with results delivered in input order, so
//! a tool's output is the same bytes whatever the number of threads.

use std::collections::BTreeMap;
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};

use super::{Chunk, CsvInput, InputContext};
use crate::error::{Error, Result};

/// Worker threads to use: `KK_THREADS` if set (1 = no extra threads, for a shared server),
/// else the machine's cores, at most 4 (the reading thread is the limit past that).
pub fn worker_count() -> usize {
    match std::env::var("KK_THREADS").ok().and_then(|v| v.parse::<usize>().ok()) {
        Some(n) => n.clamp(1, 64),
        None => std::thread::available_parallelism().map_or(1, |n| n.get().min(4)),
    }
}

type Job = (u64, Chunk);

/// Reads `input` in chunks of whole records, runs `work` on each chunk on one of `workers` (one
/// thread each; one worker means no threads), and hands the results to `collect` in input order. Returns
/// the workers, for what they counted. The first error in input order wins, so errors are
/// reported as a single thread would report them.
pub fn for_each_batch<W, T>(
    input: &mut CsvInput,
    mut workers: Vec<W>,
    work: impl Fn(&mut W, &InputContext, &Chunk) -> Result<T> + Sync,
    mut collect: impl FnMut(T) -> Result<()>,
) -> Result<Vec<W>>
where
    W: Send,
    T: Send,
{
    let ctx = input.context();
    if workers.len() <= 1 {
        let mut spare = Vec::new();
        while let Some(chunk) = input.next_chunk(spare)? {
            if let Some(w) = workers.first_mut() {
                collect(work(w, &ctx, &chunk)?)?;
            }
            spare = chunk.bytes;
        }
        return Ok(workers);
    }
    threaded(input, workers, &work, collect)
}

/// [`for_each_batch`] with a thread per worker: the reading thread cuts chunks, sends them out
/// and delivers the results in input order as they come back.
fn threaded<W, T>(
    input: &mut CsvInput,
    mut workers: Vec<W>,
    work: &(impl Fn(&mut W, &InputContext, &Chunk) -> Result<T> + Sync),
    mut collect: impl FnMut(T) -> Result<()>,
) -> Result<Vec<W>>
where
    W: Send,
    T: Send,
{
    let ctx = input.context();
    let (job_tx, job_rx) = mpsc::sync_channel::<Job>(workers.len() * 2);
    let job_rx: Mutex<Receiver<Job>> = Mutex::new(job_rx);
    std::thread::scope(|scope| {
        let (res_tx, res_rx) = mpsc::channel::<(u64, Result<T>, Vec<u8>)>();
        let handles: Vec<_> = workers
            .drain(..)
            .map(|mut w| {
                let (job_rx, res_tx, ctx) = (&job_rx, res_tx.clone(), Arc::clone(&ctx));
                scope.spawn(move || {
                    loop {
                        let job = match job_rx.lock() {
                            Ok(rx) => rx.recv(),
                            Err(_) => break,
                        };
                        let Ok((seq, chunk)) = job else { break };
                        let result = work(&mut w, &ctx, &chunk);
                        if res_tx.send((seq, result, chunk.bytes)).is_err() {
                            break;
                        }
                    }
                    w
                })
            })
            .collect();
        drop(res_tx);

        let mut pool: Vec<Vec<u8>> = Vec::new();
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
            let chunk = match input.next_chunk(pool.pop().unwrap_or_default()) {
                Ok(Some(chunk)) => chunk,
                Ok(None) => break,
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            };
            if job_tx.send((sent, chunk)).is_err() {
                break;
            }
            sent += 1;
            while let Ok((seq, result, bytes)) = res_rx.try_recv() {
                pool.push(bytes);
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
        // a worker that panicked lost its chunk: the panic goes on, as with one thread, rather
        // than the run ending with that chunk's rows silently missing
        let mut workers: Vec<W> = Vec::with_capacity(handles.len());
        for h in handles {
            match h.join() {
                Ok(w) => workers.push(w),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        // Results before a reading error still count first: that is the order one thread sees.
        let delivered = if next < sent { deliver(&mut waiting, &mut next) } else { Ok(()) };
        match (delivered, failure) {
            (Err(e), _) | (Ok(()), Some(e)) => Err(e),
            (Ok(()), None) => Ok(workers),
        }
    })
}
