use crate::js_error;
use memcache_core::CompressError;
use napi::bindgen_prelude::BufferSlice;
use napi::{Env, Result};
use napi_derive::napi;

// Outputs are copied into JS-owned Buffers: handing over Rust allocations as external Buffers
// made every call pay for a fresh allocation plus V8's external-memory bookkeeping.
// `catch_unwind`: flate2 asserts on zlib return codes that should never occur; if one did,
// a JS error beats aborting the process.

/// zlib-compresses `data` at `level` (0-9, -1 for 6).
#[napi(catch_unwind)]
pub fn compress<'env>(env: &'env Env, data: &[u8], level: i32) -> Result<BufferSlice<'env>> {
    memcache_core::compress::compress_with(data, level, |out| BufferSlice::copy_from(env, out))
        .map_err(js_error)?
}

/// Inflates one zlib stream. Errors' messages start with `too_large:` or `corrupt:`.
#[napi(catch_unwind)]
pub fn decompress<'env>(
    env: &'env Env,
    data: &[u8],
    max_output_length: u32,
) -> Result<BufferSlice<'env>> {
    let cap = max_output_length as usize;
    memcache_core::compress::decompress_with(data, cap, |out| BufferSlice::copy_from(env, out))
        .map_err(|error| match error {
            CompressError::TooLarge { .. } => napi::Error::from_reason(format!("too_large: {error}")),
            CompressError::Corrupt(_) => napi::Error::from_reason(format!("corrupt: {error}")),
            _ => napi::Error::from_reason(error.to_string()),
        })?
}
