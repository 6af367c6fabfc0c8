//! Packed key batches: key i is `keys[offsets[i] .. offsets[i + 1])`, results go to `out[i]`.

use std::fmt;

/// Why a batch could not be processed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BatchError {
    /// `out` holds fewer slots than there are keys.
    OutTooShort { keys: usize, out: usize },
    /// `offsets[index] .. offsets[index + 1]` is reversed or past the end of `keys`.
    BadOffsets { index: usize },
}

impl fmt::Display for BatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BatchError::OutTooShort { keys, out } => {
                write!(f, "out holds {out} results but the batch has {keys} keys")
            }
            BatchError::BadOffsets { index } => {
                write!(
                    f,
                    "offsets {index} and {} do not delimit a key within keys",
                    index + 1
                )
            }
        }
    }
}

impl std::error::Error for BatchError {}

/// Writes `f(key i)` to `out[i]` for every key of the batch. The whole batch is checked
/// first, so on an error nothing has been written.
pub fn map_keys<T>(
    keys: &[u8],
    offsets: &[u32],
    out: &mut [T],
    f: impl Fn(&[u8]) -> T,
) -> Result<(), BatchError> {
    let count = offsets.len().saturating_sub(1);
    if out.len() < count {
        return Err(BatchError::OutTooShort {
            keys: count,
            out: out.len(),
        });
    }
    let delimits = |bounds: &[u32]| bounds[0] <= bounds[1] && bounds[1] as usize <= keys.len();
    if let Some(index) = offsets.windows(2).position(|bounds| !delimits(bounds)) {
        return Err(BatchError::BadOffsets { index });
    }
    for (bounds, slot) in offsets.windows(2).zip(out.iter_mut()) {
        *slot = f(&keys[bounds[0] as usize..bounds[1] as usize]);
    }
    Ok(())
}
