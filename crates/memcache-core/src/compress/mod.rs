//! zlib (RFC 1950) and zstd (RFC 8878, `zstd`) compression, and decompression that never grows
//! past a cap.
//!
//! Measured on the 16 KB / 256 KB JSON of the benchmark (`bench/PROFILE.md`):
//! - deflate: zlib-rs. libdeflate is no faster at level 6 from 32 KB on (1.4 ms vs 1.0 ms at
//!   256 KB), so compression stays on zlib-rs, and large inputs are split over threads
//!   (`parallel`), which is what pays there.
//! - inflate: libdeflate, 2.5-3x faster than zlib-rs; it is one-shot, so a stream that outgrows
//!   its first guess at the output size finishes on zlib-rs's streaming inflate (`inflate`).

mod deflate;
mod inflate;
mod parallel;
mod zstd;

pub use self::zstd::{
    zstd_compress, zstd_compress_with, zstd_decompress, zstd_decompress_with, ZSTD_LEVELS,
};

use std::cell::RefCell;
use std::fmt;

thread_local! {
    // Outputs are often hundreds of KB: allocating them per call costs page faults every call
    // (glibc hands big blocks back to the OS), so each thread keeps one output buffer.
    static SCRATCH: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Output buffers larger than this are freed after use rather than kept for the next call.
const SCRATCH_RETAIN: usize = 1 << 20;

/// Level used for -1, as zlib does.
const DEFAULT_LEVEL: u32 = 6;

/// Why `compress` or `decompress` failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CompressError {
    /// The zlib level is not -1 or 0..=9.
    InvalidLevel(i32),
    /// The zstd level is not 1..=22.
    InvalidZstdLevel(i32),
    /// The output would pass the cap.
    TooLarge { cap: usize },
    /// Not one complete, valid zlib stream or zstd frame (bad data, truncated, or trailing bytes).
    Corrupt(String),
    /// The compressor itself failed (never expected; reported rather than panicking).
    Internal(String),
}

impl fmt::Display for CompressError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CompressError::InvalidLevel(level) => {
                write!(f, "compression level {level} is not -1 or 0..9")
            }
            CompressError::InvalidZstdLevel(level) => {
                write!(f, "zstd compression level {level} is not 1..22")
            }
            CompressError::TooLarge { cap } => write!(f, "decompressed data exceeds {cap} bytes"),
            CompressError::Corrupt(why) => write!(f, "invalid compressed data: {why}"),
            CompressError::Internal(why) => write!(f, "compression failed: {why}"),
        }
    }
}

impl std::error::Error for CompressError {}

/// zlib-compresses `data` at `level` (0..=9, or -1 for the default 6).
pub fn compress(data: &[u8], level: i32) -> Result<Vec<u8>, CompressError> {
    compress_with(data, level, <[u8]>::to_vec)
}

/// Like `compress`, handing the compressed bytes to `take` (which copies them out) instead
/// of allocating a Vec of their own. Inputs of `parallel::MIN_INPUT` bytes and more are
/// compressed in parts on several threads when the machine has more than one core.
pub fn compress_with<R>(
    data: &[u8],
    level: i32,
    take: impl FnOnce(&[u8]) -> R,
) -> Result<R, CompressError> {
    let level = match level {
        -1 => DEFAULT_LEVEL,
        0..=9 => level as u32,
        _ => return Err(CompressError::InvalidLevel(level)),
    };
    with_scratch(|out| {
        if !parallel::compress(data, level, out)? {
            deflate::compress(data, level, out)?;
        }
        Ok(take(out))
    })
}

/// Inflates one zlib stream that must span all of `data`, producing at most `cap` bytes.
pub fn decompress(data: &[u8], cap: usize) -> Result<Vec<u8>, CompressError> {
    decompress_with(data, cap, <[u8]>::to_vec)
}

/// Like `decompress`, handing the output to `take` (which copies it out). No buffer ever
/// passes `cap` + 1 bytes; a growing one briefly holds 1.5 × that at most.
pub fn decompress_with<R>(
    data: &[u8],
    cap: usize,
    take: impl FnOnce(&[u8]) -> R,
) -> Result<R, CompressError> {
    with_scratch(|out| {
        let len = inflate::decompress(data, cap, out)?;
        Ok(take(&out[..len]))
    })
}

/// Runs `f` on this thread's output buffer, dropping the buffer afterwards when it grew big.
fn with_scratch<R>(f: impl FnOnce(&mut Vec<u8>) -> R) -> R {
    SCRATCH.with_borrow_mut(|scratch| {
        let result = f(scratch);
        if scratch.capacity() > SCRATCH_RETAIN {
            *scratch = Vec::new();
        }
        result
    })
}

/// zlib's compressBound, plus the zlib wrapper.
fn compress_bound(len: usize) -> usize {
    len + (len >> 12) + (len >> 14) + (len >> 25) + 13 + 6
}
