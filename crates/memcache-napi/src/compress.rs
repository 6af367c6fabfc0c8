use crate::js_error;
use memcache_core::CompressError;
use napi::bindgen_prelude::{BufferSlice, FromNapiValue};
use napi::{check_status, sys, Env, JsString, JsValue, Result};
use napi_derive::napi;
use std::cell::RefCell;
use std::ffi::c_void;
use std::sync::atomic::{AtomicBool, Ordering};

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

/// zlib-compresses the UTF-8 bytes of `text` (what `compress(Buffer.from(text))` does), encoding
/// it into a reused buffer rather than a fresh Buffer: for 256 KB of text that was ~60 µs of
/// allocation and page faults per call.
#[napi(catch_unwind)]
pub fn compress_text<'env>(
    env: &'env Env,
    text: JsString,
    level: i32,
) -> Result<BufferSlice<'env>> {
    with_utf8(env, &text, |bytes| {
        memcache_core::compress::compress_with(bytes, level, |out| BufferSlice::copy_from(env, out))
            .map_err(js_error)?
    })?
}

thread_local! {
    // The UTF-8 form of the text being compressed, kept between calls.
    static UTF8: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// A text buffer larger than this is freed after use rather than kept for the next call.
const UTF8_RETAIN: usize = 2 << 20;

/// Runs `f` on the UTF-8 bytes of `text` (lone surrogates become U+FFFD, as in Buffer.from).
pub(crate) fn with_utf8<R>(env: &Env, text: &JsString, f: impl FnOnce(&[u8]) -> R) -> Result<R> {
    let mut units = 0;
    // SAFETY: a null buffer asks for the length only (in UTF-16 code units).
    check_status!(unsafe {
        sys::napi_get_value_string_utf16(env.raw(), text.raw(), std::ptr::null_mut(), 0, &mut units)
    })?;
    // At most 3 UTF-8 bytes per UTF-16 unit (a surrogate pair is 2 units for 4 bytes), plus the
    // terminator napi writes: one pass, never truncated.
    let size = units * 3 + 1;
    UTF8.with_borrow_mut(|buf| {
        if buf.len() < size {
            buf.resize(size, 0);
        }
        let mut written = 0;
        // SAFETY: `buf` holds `size` writable bytes.
        check_status!(unsafe {
            sys::napi_get_value_string_utf8(
                env.raw(),
                text.raw(),
                buf.as_mut_ptr().cast(),
                size,
                &mut written,
            )
        })?;
        let result = f(&buf[..written]);
        if buf.len() > UTF8_RETAIN {
            *buf = Vec::new();
        }
        Ok(result)
    })
}

/// Inflates one zlib stream. A failure's `code` says why: `DecompressTooLarge` when the output
/// would pass `maxOutputLength`, `DecompressCorrupt` when the input is no valid zlib stream.
#[napi(catch_unwind)]
pub fn decompress<'env>(
    env: &'env Env,
    data: &[u8],
    max_output_length: u32,
) -> Result<BufferSlice<'env>, DecompressCode> {
    let cap = max_output_length as usize;
    memcache_core::compress::decompress_with(data, cap, |out| BufferSlice::copy_from(env, out))
        .map_err(decompress_error)?
        .map_err(napi_failure)
}

/// Inflates one zlib stream and returns the text its bytes hold as UTF-8 (what `decompress`
/// then `Buffer#toString()` gives), without a Buffer in between. Long ASCII text becomes an
/// external string over a Rust allocation; errors as for `decompress`.
#[napi(catch_unwind)]
pub fn decompress_text<'env>(
    env: &'env Env,
    data: &[u8],
    max_output_length: u32,
) -> Result<JsString<'env>, DecompressCode> {
    let cap = max_output_length as usize;
    memcache_core::compress::decompress_with(data, cap, |out| text(env, out))
        .map_err(decompress_error)?
        .map_err(napi_failure)
}

/// The `code` of an error thrown by `decompress`, `decompressText` or `zstdDecompress`, or of a
/// rejection of `decompressAsync` (napi-rs makes the status of an `Error` the JS error's `code`). `ts/core/native-core.ts` reads the reason from it, never
/// from the message, which is for people.
pub enum DecompressCode {
    /// The output would pass the cap.
    TooLarge,
    /// Not one complete, valid zlib stream or zstd frame.
    Corrupt,
    /// Anything else (never expected): napi's own status name, as the binding's other errors carry.
    Napi(napi::Status),
}

impl AsRef<str> for DecompressCode {
    fn as_ref(&self) -> &str {
        match self {
            DecompressCode::TooLarge => "DecompressTooLarge",
            DecompressCode::Corrupt => "DecompressCorrupt",
            DecompressCode::Napi(status) => status.as_ref(),
        }
    }
}

/// A core failure with its `code`: the decompression reasons, `InvalidArg` for a bad level (as
/// `js_error` gives the compressions), `GenericFailure` for the never-expected rest.
pub(crate) fn decompress_error(error: CompressError) -> napi::Error<DecompressCode> {
    let code = match error {
        CompressError::TooLarge { .. } => DecompressCode::TooLarge,
        CompressError::Corrupt(_) => DecompressCode::Corrupt,
        CompressError::InvalidLevel(_) | CompressError::InvalidZstdLevel(_) => {
            DecompressCode::Napi(napi::Status::InvalidArg)
        }
        CompressError::Internal(_) => DecompressCode::Napi(napi::Status::GenericFailure),
    };
    napi::Error::new(code, error)
}

/// A failure of napi itself (making the output value), with its status kept as the code.
pub(crate) fn napi_failure(error: napi::Error) -> napi::Error<DecompressCode> {
    napi::Error::new(DecompressCode::Napi(error.status), &error.reason)
}

/// ASCII text at least this long is handed to V8 as an external string. V8 would copy longer
/// one-byte strings into its large-object space, fresh pages every time: 256 KB took ~190 µs
/// that way against ~15 µs for a copy into a reused malloc block (measured, Node 20).
const EXTERNAL_MIN: usize = 128 * 1024;

/// False once creating an external string failed (Node before 20.4 lacks the call): copy after.
static EXTERNAL_STRINGS: AtomicBool = AtomicBool::new(true);

/// `bytes` as a JS string: decoded as UTF-8 (invalid sequences become U+FFFD, as in Node), or,
/// when ASCII, taken one byte per character.
fn text<'env>(env: &'env Env, bytes: &[u8]) -> Result<JsString<'env>> {
    let mut value = std::ptr::null_mut();
    let ascii = bytes.is_ascii();
    if ascii && bytes.len() >= EXTERNAL_MIN && EXTERNAL_STRINGS.load(Ordering::Relaxed) {
        if let Some(external) = external_latin1(env, bytes.to_vec()) {
            value = external;
        } else {
            EXTERNAL_STRINGS.store(false, Ordering::Relaxed);
        }
    }
    if value.is_null() {
        let (ptr, len) = (bytes.as_ptr().cast(), bytes.len() as isize);
        // SAFETY: `bytes` is valid for `len` bytes; V8 copies them.
        check_status!(unsafe {
            if ascii {
                sys::napi_create_string_latin1(env.raw(), ptr, len, &mut value)
            } else {
                sys::napi_create_string_utf8(env.raw(), ptr, len, &mut value)
            }
        })?;
    }
    // SAFETY: `value` is a string just created in this env.
    unsafe { JsString::from_napi_value(env.raw(), value) }
}

/// An external one-byte string over `bytes`, which the string then owns (freed by its
/// finalizer). V8 does not count such memory towards its GC pressure by itself, so it is
/// reported with napi_adjust_external_memory, up before and down in the finalizer: without
/// that, a loop reading large values grew to gigabytes before any collection ran. None, with
/// `bytes` freed, when the call fails.
fn external_latin1(env: &Env, bytes: Vec<u8>) -> Option<sys::napi_value> {
    let mut bytes = std::mem::ManuallyDrop::new(bytes);
    let (ptr, len, capacity) = (bytes.as_mut_ptr(), bytes.len(), bytes.capacity());
    let hint = Box::into_raw(Box::new((len, capacity)));
    let mut value = std::ptr::null_mut();
    let mut copied = false;
    let mut total = 0;
    // SAFETY: a live env. `ptr` holds `len` initialized bytes that stay alive until the
    // finalizer runs: exactly once when the call succeeds (at once if V8 copied them, which
    // also takes the count back down), never when it fails.
    let status = unsafe {
        sys::napi_adjust_external_memory(env.raw(), len as i64, &mut total);
        sys::node_api_create_external_string_latin1(
            env.raw(),
            ptr.cast(),
            len as isize,
            Some(free_external),
            hint.cast(),
            &mut value,
            &mut copied,
        )
    };
    if status == sys::Status::napi_ok {
        return Some(value);
    }
    // SAFETY: the call failed, so nothing else owns the hint or the bytes.
    unsafe {
        sys::napi_adjust_external_memory(env.raw(), -(len as i64), &mut total);
        drop(Box::from_raw(hint));
        std::mem::ManuallyDrop::drop(&mut bytes);
    }
    None
}

/// An external string's finalizer: frees its bytes (`data`; length and capacity in `hint`) and
/// takes them back out of the external-memory count.
unsafe extern "C" fn free_external(
    env: sys::node_api_basic_env,
    data: *mut c_void,
    hint: *mut c_void,
) {
    // SAFETY: `hint` is the Box made in external_latin1 and `data` the buffer of the Vec whose
    // length and capacity it holds; each is freed once, here.
    let (len, capacity) = *unsafe { Box::from_raw(hint.cast::<(usize, usize)>()) };
    drop(unsafe { Vec::from_raw_parts(data.cast::<u8>(), len, capacity) });
    let mut total = 0;
    // SAFETY: adjusting the count is allowed from a finalizer (a "basic" env call).
    unsafe { sys::napi_adjust_external_memory(env.cast(), -(len as i64), &mut total) };
}
