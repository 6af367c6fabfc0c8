//! Large inputs deflated in parts on several threads, pigz-style, into one ordinary zlib stream:
//! each part is raw deflate primed with the 32 KB before it (so the ratio hardly moves), every
//! part but the last ends on a byte-aligned sync flush, and the Adler-32s of the parts combine
//! into the stream's. Any zlib inflates the result.
//!
//! The calling thread takes part 0, then any part no helper has claimed yet, then waits for the
//! parts helpers did claim: on a busy machine it does the work itself, no slower than one thread
//! plus a few microseconds. Helpers (one per extra core, at most `MAX_HELPERS`) start on first use
//! and sleep between jobs.

use super::{deflate, CompressError};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::thread;

/// Inputs shorter than this are deflated by the calling thread alone: below it, waking a helper
/// costs about what it saves.
pub(super) const MIN_INPUT: usize = 96 * 1024;
/// Parts are about this long (at least two, for inputs of MIN_INPUT and more).
const PART_TARGET: usize = 128 * 1024;
/// Deflate's window: the history each part is primed with.
const WINDOW: usize = 32 * 1024;
const MAX_HELPERS: usize = 3;

/// One parallel compression: its parts, claimed in order by whichever thread comes first.
struct Job {
    /// The whole input. Valid while the calling thread waits in `compress`, and read only by a
    /// thread that has claimed a part, which it can do only before the caller returns.
    data: *const u8,
    len: usize,
    level: u32,
    bounds: Vec<usize>,
    next: AtomicUsize,
    parts: Vec<Mutex<Option<Result<Part, CompressError>>>>,
    finished: Mutex<usize>,
    all_finished: Condvar,
}

// SAFETY: `data` is only read, and only while the caller keeps it alive (see `Job::data`).
unsafe impl Send for Job {}
unsafe impl Sync for Job {}

struct Part {
    bytes: Vec<u8>,
    adler: u32,
}

impl Job {
    fn part_count(&self) -> usize {
        self.bounds.len() - 1
    }

    /// Claims and compresses parts until none is left unclaimed.
    fn work(&self) {
        loop {
            let index = self.next.fetch_add(1, Ordering::AcqRel);
            if index >= self.part_count() {
                return;
            }
            // SAFETY: a part was claimed, so the caller is still waiting for it and `data` lives.
            let data = unsafe { std::slice::from_raw_parts(self.data, self.len) };
            let result = std::panic::catch_unwind(|| self.compress_part(data, index))
                .unwrap_or_else(|_| Err(CompressError::Internal("deflate panicked".into())));
            *lock(&self.parts[index]) = Some(result);
            let mut finished = lock(&self.finished);
            *finished += 1;
            if *finished == self.part_count() {
                self.all_finished.notify_all();
            }
        }
    }

    fn compress_part(&self, data: &[u8], index: usize) -> Result<Part, CompressError> {
        let (start, end) = (self.bounds[index], self.bounds[index + 1]);
        let dictionary = &data[start.saturating_sub(WINDOW)..start];
        let last = index + 1 == self.part_count();
        let mut bytes = Vec::new();
        deflate::compress_part(&data[start..end], dictionary, last, self.level, &mut bytes)?;
        let adler = zlib_rs::adler32::adler32(1, &data[start..end]);
        Ok(Part { bytes, adler })
    }

    fn wait(&self) {
        let mut finished = lock(&self.finished);
        while *finished < self.part_count() {
            finished = self
                .all_finished
                .wait(finished)
                .unwrap_or_else(|e| e.into_inner());
        }
    }
}

/// Helper threads waiting for jobs.
struct Pool {
    queue: Mutex<VecDeque<Arc<Job>>>,
    ready: Condvar,
    helpers: usize,
}

impl Pool {
    fn start() -> Option<Pool> {
        let cores = thread::available_parallelism().map_or(1, |n| n.get());
        let helpers = (cores - 1).min(MAX_HELPERS);
        (helpers > 0).then(|| Pool {
            queue: Mutex::new(VecDeque::new()),
            ready: Condvar::new(),
            helpers,
        })
    }

    fn serve(&self) {
        loop {
            let job = {
                let mut queue = lock(&self.queue);
                loop {
                    if let Some(job) = queue.pop_front() {
                        break job;
                    }
                    queue = self.ready.wait(queue).unwrap_or_else(|e| e.into_inner());
                }
            };
            job.work();
        }
    }
}

/// The helpers, started on first use; None on a single core or when no thread could start.
fn pool() -> Option<&'static Pool> {
    static POOL: OnceLock<Option<&'static Pool>> = OnceLock::new();
    *POOL.get_or_init(|| {
        let pool: &'static Pool = Box::leak(Box::new(Pool::start()?));
        let mut started = 0;
        for i in 0..pool.helpers {
            let spawned = thread::Builder::new()
                .name(format!("memcache-deflate-{i}"))
                .stack_size(256 * 1024)
                .spawn(move || pool.serve());
            started += usize::from(spawned.is_ok());
        }
        (started > 0).then_some(pool)
    })
}

/// A poisoned lock only means a part panicked, which its result already reports.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// Part boundaries: `parts + 1` offsets, parts of nearly equal length.
fn split(len: usize) -> Vec<usize> {
    let parts = len.div_ceil(PART_TARGET).max(2);
    (0..=parts).map(|i| len * i / parts).collect()
}

/// zlib's header for `level` (its FLEVEL field is informational).
fn header(level: u32) -> [u8; 2] {
    let flevel: u16 = match level {
        0 | 1 => 0,
        2..=5 => 1,
        6 => 2,
        _ => 3,
    };
    let check = (0x78u16 << 8) | (flevel << 6);
    let flg = (flevel << 6) as u8 + (31 - (check % 31)) as u8 % 31;
    [0x78, flg]
}

/// Compresses `data` in parts over the helpers into `out` (cleared first). Returns false, having
/// done nothing, when the input is too short or there are no helpers.
pub(super) fn compress(data: &[u8], level: u32, out: &mut Vec<u8>) -> Result<bool, CompressError> {
    if data.len() < MIN_INPUT {
        return Ok(false);
    }
    let Some(pool) = pool() else {
        return Ok(false);
    };
    let bounds = split(data.len());
    let count = bounds.len() - 1;
    let job = Arc::new(Job {
        data: data.as_ptr(),
        len: data.len(),
        level,
        bounds,
        next: AtomicUsize::new(0),
        parts: (0..count).map(|_| Mutex::new(None)).collect(),
        finished: Mutex::new(0),
        all_finished: Condvar::new(),
    });
    {
        let mut queue = lock(&pool.queue);
        for _ in 0..(count - 1).min(pool.helpers) {
            queue.push_back(Arc::clone(&job));
        }
    }
    pool.ready.notify_all();
    job.work();
    job.wait();
    assemble(&job, level, out)?;
    Ok(true)
}

fn assemble(job: &Job, level: u32, out: &mut Vec<u8>) -> Result<(), CompressError> {
    let mut parts = Vec::with_capacity(job.part_count());
    for slot in &job.parts {
        match lock(slot).take() {
            Some(Ok(part)) => parts.push(part),
            Some(Err(error)) => return Err(error),
            None => {
                return Err(CompressError::Internal(
                    "a part was never compressed".into(),
                ))
            }
        }
    }
    out.clear();
    out.reserve(2 + parts.iter().map(|p| p.bytes.len()).sum::<usize>() + 4);
    out.extend_from_slice(&header(level));
    let mut adler = 1;
    for (i, part) in parts.iter().enumerate() {
        out.extend_from_slice(&part.bytes);
        let len = job.bounds[i + 1] - job.bounds[i];
        adler = zlib_rs::adler32::adler32_combine(adler, part.adler, len as u64);
    }
    out.extend_from_slice(&adler.to_be_bytes());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_valid_zlib_headers() {
        for level in 0..=9 {
            let [cmf, flg] = header(level);
            assert_eq!(cmf, 0x78);
            assert_eq!(
                ((u16::from(cmf) << 8) | u16::from(flg)) % 31,
                0,
                "level {level}"
            );
            assert_eq!(flg & 0x20, 0, "no preset dictionary");
        }
    }

    #[test]
    fn parts_cover_the_input_evenly() {
        assert_eq!(split(MIN_INPUT).len(), 3);
        assert_eq!(split(256 * 1024), vec![0, 128 * 1024, 256 * 1024]);
        let bounds = split(1_000_003);
        assert_eq!(*bounds.last().unwrap(), 1_000_003);
        assert!(bounds.windows(2).all(|w| w[1] - w[0] <= PART_TARGET));
    }
}
