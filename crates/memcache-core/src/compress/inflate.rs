//! Inflate: libdeflate in one shot into a buffer sized by a guess; a stream that outgrows the
//! guess is inflated again by zlib-rs, streaming, with the buffer doubling up to the cap.

use super::CompressError;
use flate2::{Decompress, FlushDecompress, Status};
use libdeflate_sys as ld;
use std::cell::RefCell;
use std::ptr::NonNull;

/// A libdeflate decompressor (a few KB of tables), freed with its thread.
struct Libdeflate(NonNull<ld::libdeflate_decompressor>);

impl Libdeflate {
    fn new() -> Option<Libdeflate> {
        // SAFETY: no preconditions; a null return means out of memory.
        NonNull::new(unsafe { ld::libdeflate_alloc_decompressor() }).map(Libdeflate)
    }
}

impl Drop for Libdeflate {
    fn drop(&mut self) {
        // SAFETY: allocated by libdeflate_alloc_decompressor, freed once.
        unsafe { ld::libdeflate_free_decompressor(self.0.as_ptr()) }
    }
}

thread_local! {
    static LIBDEFLATE: RefCell<Option<Libdeflate>> = const { RefCell::new(None) };
    // zlib-rs inflate state (~40 KB), for the streams that outgrow the first guess.
    static STREAMING: RefCell<Option<Decompress>> = const { RefCell::new(None) };
}

/// The first output buffer holds this many times the input (JSON and text deflate 5-10x)...
const GUESS_RATIO: usize = 16;
/// ...and at least this much: small outputs are not worth a second pass.
const GUESS_MIN: usize = 64 * 1024;
/// Smallest output buffer of the streaming inflate, which doubles from there towards the cap.
const FIRST_CHUNK: usize = 16 * 1024;

/// Outcome of the one-shot attempt.
enum OneShot {
    Done(usize),
    /// The output did not fit in `out[..size]`.
    TooSmall,
}

/// Inflates one zlib stream spanning all of `data` into `out`, at most `cap` bytes; returns
/// the output length. `out` may come back longer than that (it is a reused scratch buffer).
pub(super) fn decompress(
    data: &[u8],
    cap: usize,
    out: &mut Vec<u8>,
) -> Result<usize, CompressError> {
    let guess = data
        .len()
        .saturating_mul(GUESS_RATIO)
        .max(GUESS_MIN)
        .min(cap);
    match one_shot(data, guess, out)? {
        OneShot::Done(len) => Ok(len),
        OneShot::TooSmall if guess >= cap => Err(CompressError::TooLarge { cap }),
        OneShot::TooSmall => streaming(data, cap, out),
    }
}

fn one_shot(data: &[u8], size: usize, out: &mut Vec<u8>) -> Result<OneShot, CompressError> {
    if out.len() < size {
        // Zeroed once per growth of the scratch buffer, not per call.
        out.resize(size, 0);
    }
    LIBDEFLATE.with_borrow_mut(|slot| {
        if slot.is_none() {
            *slot = Libdeflate::new();
        }
        let Some(decompressor) = slot.as_ref() else {
            return Err(CompressError::Internal("libdeflate: out of memory".into()));
        };
        let (mut consumed, mut produced) = (0usize, 0usize);
        // SAFETY: the decompressor is live; `data` and `out[..size]` are valid for the lengths
        // given and do not overlap; libdeflate writes only within `out[..size]`.
        let result = unsafe {
            ld::libdeflate_zlib_decompress_ex(
                decompressor.0.as_ptr(),
                data.as_ptr().cast(),
                data.len(),
                out.as_mut_ptr().cast(),
                size,
                &mut consumed,
                &mut produced,
            )
        };
        match result {
            ld::libdeflate_result_LIBDEFLATE_SUCCESS if consumed == data.len() => {
                Ok(OneShot::Done(produced))
            }
            ld::libdeflate_result_LIBDEFLATE_SUCCESS => Err(CompressError::Corrupt(format!(
                "zlib: {} bytes after the end of the stream",
                data.len() - consumed
            ))),
            ld::libdeflate_result_LIBDEFLATE_INSUFFICIENT_SPACE => Ok(OneShot::TooSmall),
            _ => Err(CompressError::Corrupt(
                "zlib: bad or truncated stream".into(),
            )),
        }
    })
}

/// zlib-rs streaming inflate into `out`, grown as needed, never past `cap` + 1 bytes (one byte
/// past the cap is how an overrun shows).
fn streaming(data: &[u8], cap: usize, out: &mut Vec<u8>) -> Result<usize, CompressError> {
    STREAMING.with_borrow_mut(|slot| {
        let decoder = match slot {
            Some(decoder) => {
                decoder.reset(true);
                decoder
            }
            None => slot.insert(Decompress::new(true)),
        };
        inflate(decoder, data, cap, out)
    })
}

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
            .map_err(|e| CompressError::Corrupt(format!("zlib: {e}")))?;
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
            return Err(CompressError::Corrupt("zlib: truncated stream".into()));
        }
    }
}

fn finish(consumed: usize, available: usize, written: usize) -> Result<usize, CompressError> {
    if consumed == available {
        Ok(written)
    } else {
        let extra = available - consumed;
        Err(CompressError::Corrupt(format!(
            "zlib: {extra} bytes after the end of the stream"
        )))
    }
}
