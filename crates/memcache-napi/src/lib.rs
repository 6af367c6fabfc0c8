//! The N-API binding of memcache-native: converts JavaScript arguments, calls
//! `memcache-core`, and turns its errors into JavaScript errors. Nothing else lives here.
//! Typed-array and Buffer arguments are borrowed in place, never copied.

pub mod compress;
pub mod compress_async;
pub mod hash;
pub mod ring;
pub mod scan;
pub mod zstd;

/// A JavaScript Error with `message`.
fn js_error(message: impl std::fmt::Display) -> napi::Error {
    napi::Error::new(napi::Status::InvalidArg, message.to_string())
}
