//! zlib and zstd, compress and decompress, on the libuv thread pool: each call queues one task
//! whose `compute` runs the memcache-core function off the main thread and whose `resolve` makes
//! the Buffer back on it. Rejections carry the `code`s of the synchronous forms.

use crate::compress::{decompress_error, DecompressCode};
use memcache_core::compress::{compress, decompress, zstd_compress, zstd_decompress};
use memcache_core::CompressError;
use napi::bindgen_prelude::{
    AsyncTask, BufferSlice, FromNapiValue, ToNapiValue, Uint8Array, Unknown,
};
use napi::{Env, Result, ScopedTask, Status};
use napi_derive::napi;

/// Algorithm ids, as `ts/core/native-core.ts` sends them.
#[derive(Clone, Copy)]
enum Algorithm {
    Zlib,
    Zstd,
}

impl Algorithm {
    fn from_id(id: u32) -> Result<Algorithm> {
        match id {
            0 => Ok(Algorithm::Zlib),
            1 => Ok(Algorithm::Zstd),
            _ => Err(napi::Error::new(
                Status::InvalidArg,
                format!("unknown compression algorithm id {id}"),
            )),
        }
    }
}

/// What a task reads while it runs. A `Uint8Array` holds a reference to the caller's array, so
/// V8 can neither collect nor move its bytes until the task is dropped, on the main thread,
/// after `resolve`: no copy, whatever the size. (The caller must not write to it meanwhile, nor
/// transfer its ArrayBuffer; the contract says so.) Text is encoded to UTF-8 on the calling
/// thread, into bytes the task owns.
enum Input {
    Bytes(Uint8Array),
    Text(String),
}

impl Input {
    fn bytes(&self) -> &[u8] {
        match self {
            Input::Bytes(array) => array,
            Input::Text(text) => text.as_bytes(),
        }
    }
}

/// One compression or decompression, queued on the thread pool.
pub struct CompressionTask {
    algorithm: Algorithm,
    input: Input,
    /// Compress at this level, or (None) decompress under `cap`.
    level: Option<i32>,
    cap: usize,
}

impl CompressionTask {
    fn run(&self) -> std::result::Result<Vec<u8>, CompressError> {
        let data = self.input.bytes();
        match (self.algorithm, self.level) {
            (Algorithm::Zlib, Some(level)) => compress(data, level),
            (Algorithm::Zstd, Some(level)) => zstd_compress(data, level),
            (Algorithm::Zlib, None) => decompress(data, self.cap),
            (Algorithm::Zstd, None) => zstd_decompress(data, self.cap),
        }
    }
}

impl<'env> ScopedTask<'env> for CompressionTask {
    type Output = std::result::Result<Vec<u8>, CompressError>;
    type JsValue = BufferSlice<'env>;

    /// On a thread-pool thread. A panic (flate2 asserts on zlib codes that should never occur)
    /// becomes an error: unwinding out of the pool's callback would abort the process.
    fn compute(&mut self) -> Result<Self::Output> {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.run()))
            .or_else(|_| Ok(Err(CompressError::Internal("compression panicked".into()))))
    }

    /// On the main thread: the output copied into a JS-owned Buffer (see `compress.rs`), or the
    /// rejection with its `code`.
    fn resolve(&mut self, env: &'env Env, output: Self::Output) -> Result<Self::JsValue> {
        match output {
            Ok(bytes) => BufferSlice::copy_from(env, bytes),
            Err(error) => Err(rejection(env, decompress_error(error))),
        }
    }
}

/// `error` as the JS error the promise rejects with. A task's errors carry a napi `Status`; the
/// JS error made here keeps our own `code` and travels back verbatim.
fn rejection(env: &Env, error: napi::Error<DecompressCode>) -> napi::Error {
    // SAFETY: on the main thread, in the env the task completes in.
    let made = unsafe { ToNapiValue::to_napi_value(env.raw(), error) }
        .and_then(|value| unsafe { Unknown::from_napi_value(env.raw(), value) });
    match made {
        Ok(value) => napi::Error::from(value),
        Err(failure) => failure,
    }
}

fn queue(
    algorithm: u32,
    input: Input,
    level: Option<i32>,
    cap: u32,
) -> Result<AsyncTask<CompressionTask>> {
    Ok(AsyncTask::new(CompressionTask {
        algorithm: Algorithm::from_id(algorithm)?,
        input,
        level,
        cap: cap as usize,
    }))
}

/// Compresses `data` on the thread pool: algorithm 0 is zlib (`level` -1 to 9), 1 is zstd
/// (`level` 1 to 22). `data` must not change until the promise settles.
#[napi(ts_return_type = "Promise<Buffer>")]
pub fn compress_async(
    algorithm: u32,
    data: Uint8Array,
    level: i32,
) -> Result<AsyncTask<CompressionTask>> {
    queue(algorithm, Input::Bytes(data), Some(level), 0)
}

/// `compressAsync` of the UTF-8 bytes of `text` (lone surrogates as U+FFFD), encoded here on the
/// calling thread.
#[napi(ts_return_type = "Promise<Buffer>")]
pub fn compress_text_async(
    algorithm: u32,
    text: String,
    level: i32,
) -> Result<AsyncTask<CompressionTask>> {
    queue(algorithm, Input::Text(text), Some(level), 0)
}

/// Decompresses `data` on the thread pool, as `decompress` (algorithm 0) or `zstdDecompress`
/// (1) do, rejecting with their `code`s.
#[napi(ts_return_type = "Promise<Buffer>")]
pub fn decompress_async(
    algorithm: u32,
    data: Uint8Array,
    max_output_length: u32,
) -> Result<AsyncTask<CompressionTask>> {
    queue(algorithm, Input::Bytes(data), None, max_output_length)
}
