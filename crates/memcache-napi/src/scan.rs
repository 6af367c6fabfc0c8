use napi::bindgen_prelude::Uint32ArraySlice;
use napi_derive::napi;

/// Scans `buf[start .. end)` for complete replies into `out` (SCAN_STRIDE words each);
/// returns the record count. Bounds are clamped to the real lengths.
#[napi]
pub fn scan(buf: &[u8], start: u32, end: u32, mut out: Uint32ArraySlice) -> u32 {
    // SAFETY: JS runs no code while this synchronous call holds the view.
    memcache_core::scan(buf, start, end, unsafe { out.as_mut() })
}
