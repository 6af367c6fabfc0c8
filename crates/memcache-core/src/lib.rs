//! napi-free core of memcache-native: libhashkit hashes, the ketama ring, the reply scanner
//! (text and meta protocol), and zlib and zstd compression. `crates/memcache-napi` exposes it to JavaScript.

pub mod batch;
pub mod compress;
pub mod hash;
pub mod ketama;
pub mod scan;

pub use batch::{map_keys, BatchError};
pub use compress::{compress, decompress, zstd_compress, zstd_decompress, CompressError};
pub use hash::Algorithm;
pub use ketama::{PointFormat, Ring, RingServer};
pub use scan::{scan, ReplyKind};
