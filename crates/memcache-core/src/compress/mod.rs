//! zlib (RFC 1950) compression, and decompression that never grows past a cap.

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};
use std::cell::RefCell;
use std::fmt;

thread_local! {
    // zlib state is ~270 KB for deflate and ~40 KB for inflate, and outputs are often hundreds
    // of KB: allocating them per call costs page faults every call (glibc hands big blocks back
    // to the OS), so each thread keeps its coders and one output buffer.
    static ENCODER: RefCell<Option<(u32, Compress)>> = const { RefCell::new(None) };
    static DECODER: RefCell<Option<Decompress>> = const { RefCell::new(None) };
    static SCRATCH: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Output buffers larger than this are freed after use rather than kept for the next call.
const SCRATCH_RETAIN: usize = 1 << 20;

/// Level used for -1, as zlib does.
const DEFAULT_LEVEL: u32 = 6;
/// Smallest output buffer for decompression, which doubles from there towards the cap.
const FIRST_CHUNK: usize = 16 * 1024;

/// Why `compress` or `decompress` failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CompressError {
    /// The level is not -1 or 0..=9.
    InvalidLevel(i32),
    /// The output would pass the cap.
    TooLarge { cap: usize },
    /// Not one complete, valid zlib stream (bad data, truncated, or trailing bytes).
    Corrupt(String),
}

impl fmt::Display for CompressError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CompressError::InvalidLevel(level) => {
                write!(f, "compression level {level} is not -1 or 0..9")
            }
            CompressError::TooLarge { cap } => write!(f, "decompressed data exceeds {cap} bytes"),
            CompressError::Corrupt(why) => write!(f, "invalid zlib data: {why}"),
        }
    }
}

impl std::error::Error for CompressError {}

/// zlib-compresses `data` at `level` (0..=9, or -1 for the default 6).
pub fn compress(data: &[u8], level: i32) -> Result<Vec<u8>, CompressError> {
    compress_with(data, level, <[u8]>::to_vec)
}

/// Like `compress`, handing the compressed bytes to `take` (which copies them out) instead
/// of allocating a Vec of their own.
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
    ENCODER.with_borrow_mut(|slot| {
        let encoder = match slot {
            Some((cached, encoder)) if *cached == level => {
                encoder.reset();
                encoder
            }
            _ => {
                let fresh = Compress::new(Compression::new(level), true);
                &mut slot.insert((level, fresh)).1
            }
        };
        with_scratch(|out| {
            deflate(encoder, data, out)?;
            Ok(take(out))
        })
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

fn deflate(encoder: &mut Compress, data: &[u8], out: &mut Vec<u8>) -> Result<(), CompressError> {
    out.clear();
    // zlib's compressBound: the output always fits, so one call finishes the stream.
    out.reserve(compress_bound(data.len()));
    loop {
        let consumed = encoder.total_in() as usize;
        let status = encoder
            .compress_vec(&data[consumed..], out, FlushCompress::Finish)
            .map_err(|e| CompressError::Corrupt(e.to_string()))?;
        if status == Status::StreamEnd {
            return Ok(());
        }
        out.reserve(out.capacity().max(64));
    }
}

/// zlib's compressBound, plus the zlib wrapper.
fn compress_bound(len: usize) -> usize {
    len + (len >> 12) + (len >> 14) + (len >> 25) + 13 + 6
}

/// Inflates one zlib stream that must span all of `data`, producing at most `cap` bytes.
pub fn decompress(data: &[u8], cap: usize) -> Result<Vec<u8>, CompressError> {
    decompress_with(data, cap, <[u8]>::to_vec)
}

/// Like `decompress`, handing the output to `take` (which copies it out). The output buffer
/// never passes `cap` + 1 bytes (one byte past the cap is how an overrun shows); it doubles as
/// it fills, so a copying `realloc` briefly holds the old and new buffers, 1.5 × that at most.
pub fn decompress_with<R>(
    data: &[u8],
    cap: usize,
    take: impl FnOnce(&[u8]) -> R,
) -> Result<R, CompressError> {
    DECODER.with_borrow_mut(|slot| {
        let decoder = match slot {
            Some(decoder) => {
                decoder.reset(true);
                decoder
            }
            None => slot.insert(Decompress::new(true)),
        };
        with_scratch(|out| {
            let len = inflate(decoder, data, cap, out)?;
            Ok(take(&out[..len]))
        })
    })
}

/// Inflates into `out` (grown as needed, never past `cap` + 1 bytes); returns the output length.
fn inflate(
    decoder: &mut Decompress,
    data: &[u8],
    cap: usize,
    out: &mut Vec<u8>,
) -> Result<usize, CompressError> {
    let limit = cap.saturating_add(1);
    let mut written = 0;
    loop {
        if written == out.len() {
            let wanted = (out.len() * 2)
                .max(FIRST_CHUNK)
                .max(data.len().saturating_mul(4));
            // Straight to the limit when one more doubling would pass it, so a grown buffer is
            // always at least twice the one it replaces.
            let size = if wanted > limit / 2 { limit } else { wanted };
            // Exact, so the buffer never passes the limit (`resize` alone may double).
            out.reserve_exact(size - out.len());
            out.resize(size, 0);
        }
        let window = out.len().min(limit);
        let (in_before, out_before) = (decoder.total_in(), decoder.total_out());
        let status = decoder
            .decompress(
                &data[in_before as usize..],
                &mut out[written..window],
                FlushDecompress::None,
            )
            .map_err(|e| CompressError::Corrupt(e.to_string()))?;
        written += (decoder.total_out() - out_before) as usize;
        if written > cap {
            return Err(CompressError::TooLarge { cap });
        }
        if status == Status::StreamEnd {
            return finish(decoder.total_in() as usize, data.len(), written);
        }
        let stalled = (decoder.total_in(), decoder.total_out()) == (in_before, out_before);
        if stalled && written < window {
            // Room left and input used up, yet no stream end.
            return Err(CompressError::Corrupt("truncated stream".into()));
        }
    }
}

fn finish(consumed: usize, available: usize, written: usize) -> Result<usize, CompressError> {
    if consumed == available {
        Ok(written)
    } else {
        let extra = available - consumed;
        Err(CompressError::Corrupt(format!(
            "{extra} bytes after the end of the stream"
        )))
    }
}
