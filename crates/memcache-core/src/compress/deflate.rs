//! Deflate on zlib-rs: a whole zlib stream, or one raw part of a stream split over threads.

use super::{compress_bound, CompressError};
use flate2::{Compress, Compression, FlushCompress, Status};
use std::cell::RefCell;

thread_local! {
    // Deflate state is ~270 KB: each thread keeps its coders (one with the zlib wrapper, one
    // raw, for parts) rather than allocating them per call.
    static ZLIB: RefCell<Option<(u32, Compress)>> = const { RefCell::new(None) };
    static RAW: RefCell<Option<(u32, Compress)>> = const { RefCell::new(None) };
}

type Slot = RefCell<Option<(u32, Compress)>>;

/// Runs `f` on this thread's coder of `slot` for `level`, reset (or new when the level changed).
fn with_coder<R>(
    slot: &'static std::thread::LocalKey<Slot>,
    level: u32,
    zlib_header: bool,
    f: impl FnOnce(&mut Compress) -> R,
) -> R {
    slot.with_borrow_mut(|slot| {
        let coder = match slot {
            Some((cached, coder)) if *cached == level => {
                coder.reset();
                coder
            }
            _ => {
                let fresh = Compress::new(Compression::new(level), zlib_header);
                &mut slot.insert((level, fresh)).1
            }
        };
        f(coder)
    })
}

/// One complete zlib stream of `data` into `out` (cleared first).
pub(super) fn compress(data: &[u8], level: u32, out: &mut Vec<u8>) -> Result<(), CompressError> {
    with_coder(&ZLIB, level, true, |coder| {
        run(coder, data, FlushCompress::Finish, out)
    })
}

/// `data` as raw deflate blocks, `dictionary` (the input just before it) primed as history.
/// A `last` part ends the stream; any other ends byte-aligned on a sync flush, without the final
/// bit, so parts concatenate into one stream.
pub(super) fn compress_part(
    data: &[u8],
    dictionary: &[u8],
    last: bool,
    level: u32,
    out: &mut Vec<u8>,
) -> Result<(), CompressError> {
    with_coder(&RAW, level, false, |coder| {
        if !dictionary.is_empty() {
            coder
                .set_dictionary(dictionary)
                .map_err(|e| CompressError::Internal(e.to_string()))?;
        }
        let flush = if last {
            FlushCompress::Finish
        } else {
            FlushCompress::Sync
        };
        run(coder, data, flush, out)
    })
}

fn run(
    coder: &mut Compress,
    data: &[u8],
    flush: FlushCompress,
    out: &mut Vec<u8>,
) -> Result<(), CompressError> {
    out.clear();
    // zlib's compressBound (plus room for a sync flush's empty block): the output always fits,
    // so one call normally finishes.
    out.reserve(compress_bound(data.len()) + 16);
    let start = coder.total_in();
    loop {
        let consumed = (coder.total_in() - start) as usize;
        let status = coder
            .compress_vec(&data[consumed..], out, flush)
            .map_err(|e| CompressError::Internal(e.to_string()))?;
        let all_in = (coder.total_in() - start) as usize == data.len();
        let finished = match flush {
            FlushCompress::Finish => status == Status::StreamEnd,
            // A flush is complete once deflate stops short of filling the output.
            _ => all_in && out.len() < out.capacity(),
        };
        if finished {
            return Ok(());
        }
        out.reserve(out.capacity().max(64));
    }
}
