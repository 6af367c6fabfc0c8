//! zstd (RFC 8878): one frame per value, on libzstd (the `zstd` crate, built from its C source).
//!
//! Decompression never grows past the cap, whatever the frame header says:
//! - a frame that declares its content size is read in one shot into a buffer of exactly that
//!   size when it fits the cap (libzstd checks the output matches the declaration), and refused
//!   as too large before any output is allocated when it does not;
//! - a frame without a declared size is streamed into a buffer that doubles towards cap + 1, as
//!   the zlib path does. The decoder then also allocates the window the frame declares: up to
//!   8 MB whatever the cap (so frames from streaming writers at any level up to 19 are read),
//!   larger only under a cap as large (`window_log_max`). Only what is decoded, at most the cap
//!   plus one 128 KB block, is ever written to it.

use super::{with_scratch, CompressError};
use ::zstd::zstd_safe::zstd_sys::ZSTD_ErrorCode;
use ::zstd::zstd_safe::{
    self, CCtx, CParameter, DCtx, DParameter, ErrorCode, InBuffer, OutBuffer, ResetDirective,
};
use std::cell::RefCell;

/// Levels `zstd_compress` takes: zstd's regular ones (its negative "fast" levels are left out).
pub const ZSTD_LEVELS: std::ops::RangeInclusive<i32> = 1..=22;

thread_local! {
    // A compression context is ~1-3 MB at the usual levels: each thread keeps one, and one
    // decompression context (~160 KB), rather than allocating them per call.
    static COMPRESSOR: RefCell<Option<CCtx<'static>>> = const { RefCell::new(None) };
    static DECOMPRESSOR: RefCell<Option<DCtx<'static>>> = const { RefCell::new(None) };
}

/// Contexts that grew past this (high levels on large inputs) are freed after use.
const CONTEXT_RETAIN: usize = 8 << 20;

/// The magic numbers of skippable frames: 0x184D2A50 to 0x184D2A5F.
const SKIPPABLE_MASK: u32 = 0xFFFF_FFF0;
const SKIPPABLE_MAGIC: u32 = 0x184D_2A50;

/// Window sizes (log2) a streamed frame may ask for. Every standard level up to 19 writes
/// windows of at most 8 MB, so those are always read; larger ones (levels 20-22 on data of unknown
/// size) only when the cap is at least as large, and never past 128 MB (zstd's own default, which
/// node:zlib keeps too).
const WINDOW_LOG_FLOOR: u32 = 23;
const WINDOW_LOG_CEILING: u32 = 27;

/// Smallest output buffer of the streaming path, which doubles from there towards the cap.
const FIRST_CHUNK: usize = 16 * 1024;

/// One zstd frame of `data` at `level` (1..=22), with its content size and a checksum.
pub fn zstd_compress(data: &[u8], level: i32) -> Result<Vec<u8>, CompressError> {
    zstd_compress_with(data, level, <[u8]>::to_vec)
}

/// Like `zstd_compress`, handing the frame to `take` (which copies it out) instead of
/// allocating a Vec of its own.
pub fn zstd_compress_with<R>(
    data: &[u8],
    level: i32,
    take: impl FnOnce(&[u8]) -> R,
) -> Result<R, CompressError> {
    if !ZSTD_LEVELS.contains(&level) {
        return Err(CompressError::InvalidZstdLevel(level));
    }
    with_scratch(|out| {
        out.clear();
        out.reserve(zstd_safe::compress_bound(data.len()));
        with_context(&COMPRESSOR, new_compressor, CCtx::sizeof, |cctx| {
            cctx.set_parameter(CParameter::CompressionLevel(level))
                .map_err(internal)?;
            // Fills the spare capacity (all of compress_bound) and sets the length.
            cctx.compress2(out, data).map_err(internal)
        })??;
        Ok(take(out))
    })
}

/// Decompresses one zstd frame that must span all of `data`, producing at most `cap` bytes.
pub fn zstd_decompress(data: &[u8], cap: usize) -> Result<Vec<u8>, CompressError> {
    zstd_decompress_with(data, cap, <[u8]>::to_vec)
}

/// Like `zstd_decompress`, handing the output to `take` (which copies it out). No output buffer
/// ever passes `cap` + 1 bytes, and the decoder's own window is bounded (see the module docs).
pub fn zstd_decompress_with<R>(
    data: &[u8],
    cap: usize,
    take: impl FnOnce(&[u8]) -> R,
) -> Result<R, CompressError> {
    let frame_len = one_frame(data)?;
    let declared = zstd_safe::get_frame_content_size(data)
        .map_err(|_| CompressError::Corrupt("zstd: bad frame header".into()))?;
    with_scratch(|out| {
        let len = with_context(
            &DECOMPRESSOR,
            DCtx::try_create,
            DCtx::sizeof,
            |dctx| match declared {
                Some(size) if size > cap as u64 => Err(CompressError::TooLarge { cap }),
                Some(size) => one_shot(dctx, data, size as usize, out),
                None => streaming(dctx, &data[..frame_len], cap, out),
            },
        )??;
        Ok(take(&out[..len]))
    })
}

/// The length of the one regular frame `data` must be, checked by walking its block headers
/// (no decoding): a truncated frame, a skippable frame, or bytes after the frame are corrupt.
fn one_frame(data: &[u8]) -> Result<usize, CompressError> {
    let magic = data
        .get(..4)
        .map(|m| u32::from_le_bytes([m[0], m[1], m[2], m[3]]));
    if magic.is_some_and(|m| m & SKIPPABLE_MASK == SKIPPABLE_MAGIC) {
        return Err(CompressError::Corrupt(
            "zstd: a skippable frame, not a data frame".into(),
        ));
    }
    let frame_len = zstd_safe::find_frame_compressed_size(data).map_err(corrupt)?;
    if frame_len < data.len() {
        let extra = data.len() - frame_len;
        return Err(CompressError::Corrupt(format!(
            "zstd: {extra} bytes after the end of the frame"
        )));
    }
    Ok(frame_len)
}

/// Decodes a frame that declared `size` (within the cap) straight into `out[..size]`.
fn one_shot(
    dctx: &mut DCtx<'static>,
    data: &[u8],
    size: usize,
    out: &mut Vec<u8>,
) -> Result<usize, CompressError> {
    out.clear();
    out.reserve(size);
    // Writes into the spare capacity and sets the length. libzstd checks the output against the
    // declared size, so a frame that lies about it is corrupt, never a longer output.
    dctx.decompress(out, data).map_err(corrupt)
}

/// Streams a frame of unknown size into `out`, grown as needed, never past `cap` + 1 bytes
/// (one byte past the cap is how an overrun shows).
fn streaming(
    dctx: &mut DCtx<'static>,
    frame: &[u8],
    cap: usize,
    out: &mut Vec<u8>,
) -> Result<usize, CompressError> {
    dctx.reset(ResetDirective::SessionOnly).map_err(internal)?;
    dctx.set_parameter(DParameter::WindowLogMax(window_log_max(cap)))
        .map_err(internal)?;
    let limit = cap.saturating_add(1);
    let mut input = InBuffer::around(frame);
    let mut written = 0;
    loop {
        if written == out.len() {
            let wanted = (out.len() * 2)
                .max(FIRST_CHUNK)
                .max(frame.len().saturating_mul(4));
            let size = if wanted > limit / 2 { limit } else { wanted };
            out.reserve_exact(size.saturating_sub(out.len()));
            out.resize(size, 0);
        }
        let window = out.len().min(limit);
        let in_before = input.pos();
        let mut output = OutBuffer::around_pos(&mut out[..window], written);
        let remaining = dctx
            .decompress_stream(&mut output, &mut input)
            .map_err(|code| stream_error(code, cap))?;
        let progressed = output.pos() != written || input.pos() != in_before;
        written = output.pos();
        if written > cap {
            return Err(CompressError::TooLarge { cap });
        }
        if remaining == 0 {
            // `one_frame` made `frame` exactly one frame, so the input is used up here.
            return Ok(written);
        }
        if !progressed && written < window {
            return Err(CompressError::Corrupt("zstd: truncated frame".into()));
        }
    }
}

/// A compression context that writes the content's checksum (XXH64, 4 bytes) into each frame,
/// so a damaged value is caught as zlib's Adler-32 catches it, at a cost lost in the noise.
fn new_compressor() -> Option<CCtx<'static>> {
    let mut cctx = CCtx::try_create()?;
    cctx.set_parameter(CParameter::ChecksumFlag(true)).ok()?;
    Some(cctx)
}

/// log2 of the largest window a streamed frame may use under `cap` (see WINDOW_LOG_FLOOR).
fn window_log_max(cap: usize) -> u32 {
    let needed = usize::BITS - cap.saturating_sub(1).leading_zeros();
    needed.clamp(WINDOW_LOG_FLOOR, WINDOW_LOG_CEILING)
}

/// Runs `f` on this thread's context in `slot`, made on first use and freed afterwards when it grew big.
fn with_context<C, R>(
    slot: &'static std::thread::LocalKey<RefCell<Option<C>>>,
    create: impl FnOnce() -> Option<C>,
    size: impl Fn(&C) -> usize,
    f: impl FnOnce(&mut C) -> R,
) -> Result<R, CompressError> {
    slot.with_borrow_mut(|slot| {
        if slot.is_none() {
            *slot = create();
        }
        let Some(context) = slot.as_mut() else {
            return Err(CompressError::Internal("zstd: out of memory".into()));
        };
        let result = f(context);
        if size(context) > CONTEXT_RETAIN {
            *slot = None;
        }
        Ok(result)
    })
}

fn stream_error(code: ErrorCode, cap: usize) -> CompressError {
    if zstd_safe::is_error_kind(
        code,
        ZSTD_ErrorCode::ZSTD_error_frameParameter_windowTooLarge,
    ) {
        // Decoding would need a window larger than the cap allows (and than 8 MB).
        return CompressError::TooLarge { cap };
    }
    corrupt(code)
}

fn corrupt(code: ErrorCode) -> CompressError {
    CompressError::Corrupt(format!("zstd: {}", zstd_safe::get_error_name(code)))
}

fn internal(code: ErrorCode) -> CompressError {
    CompressError::Internal(format!("zstd: {}", zstd_safe::get_error_name(code)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_limits_follow_the_cap_between_8_and_128_mb() {
        assert_eq!(window_log_max(0), WINDOW_LOG_FLOOR);
        assert_eq!(window_log_max(1 << 20), WINDOW_LOG_FLOOR);
        assert_eq!(window_log_max((8 << 20) + 1), 24);
        assert_eq!(window_log_max(64 << 20), 26);
        assert_eq!(window_log_max(usize::MAX), WINDOW_LOG_CEILING);
    }
}
