use crate::js_error;
use memcache_core::Algorithm;
use napi::bindgen_prelude::Uint32ArraySlice;
use napi::Result;
use napi_derive::napi;

fn algorithm(id: u32) -> Result<Algorithm> {
    Algorithm::from_id(id).ok_or_else(|| js_error(format!("unknown hash algorithm id {id}")))
}

/// The libhashkit hash of `key` with algorithm `algorithm` (an index into HASH_ALGORITHMS).
#[napi]
pub fn hash(algorithm: u32, key: &[u8]) -> Result<u32> {
    Ok(self::algorithm(algorithm)?.hash(key))
}

/// Hashes each key of a packed batch (key i is `keys[offsets[i] .. offsets[i + 1])`) into `out[i]`.
#[napi]
pub fn hash_batch(
    algorithm: u32,
    keys: &[u8],
    offsets: &[u32],
    mut out: Uint32ArraySlice,
) -> Result<()> {
    // SAFETY: JS runs no code while this synchronous call holds the view.
    let out = unsafe { out.as_mut() };
    self::algorithm(algorithm)?
        .hash_batch(keys, offsets, out)
        .map_err(js_error)
}
