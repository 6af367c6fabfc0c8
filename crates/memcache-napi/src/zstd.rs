use crate::compress::{decompress_error, napi_failure, with_utf8, DecompressCode};
use crate::js_error;
use napi::bindgen_prelude::BufferSlice;
use napi::{Env, JsString, Result};
use napi_derive::napi;

// As in `compress`: outputs are copied into JS-owned Buffers, and `catch_unwind` turns a panic
// into a JS error.

/// One zstd frame of `data` at `level` (1-22), with its content size and checksum.
#[napi(catch_unwind)]
pub fn zstd_compress<'env>(env: &'env Env, data: &[u8], level: i32) -> Result<BufferSlice<'env>> {
    memcache_core::compress::zstd_compress_with(data, level, |out| BufferSlice::copy_from(env, out))
        .map_err(js_error)?
}

/// One zstd frame of the UTF-8 bytes of `text` (lone surrogates as U+FFFD, as in Buffer.from).
#[napi(catch_unwind)]
pub fn zstd_compress_text<'env>(
    env: &'env Env,
    text: JsString,
    level: i32,
) -> Result<BufferSlice<'env>> {
    with_utf8(env, &text, |bytes| {
        memcache_core::compress::zstd_compress_with(bytes, level, |out| {
            BufferSlice::copy_from(env, out)
        })
        .map_err(js_error)?
    })?
}

/// Decompresses one zstd frame spanning all of `data`. A failure's `code` says why, as for
/// `decompress`: `DecompressTooLarge` past `maxOutputLength` (whatever the frame header
/// declares), `DecompressCorrupt` for bad, truncated or trailing input.
#[napi(catch_unwind)]
pub fn zstd_decompress<'env>(
    env: &'env Env,
    data: &[u8],
    max_output_length: u32,
) -> Result<BufferSlice<'env>, DecompressCode> {
    let cap = max_output_length as usize;
    memcache_core::compress::zstd_decompress_with(data, cap, |out| BufferSlice::copy_from(env, out))
        .map_err(decompress_error)?
        .map_err(napi_failure)
}
