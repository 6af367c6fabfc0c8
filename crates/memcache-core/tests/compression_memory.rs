//! Decompression's memory stays near its cap, measured with a counting allocator
//! (its own test binary, so no other test's allocations interfere; its tests measure one at a time).

use memcache_core::{compress, decompress, CompressError};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::{Mutex, MutexGuard};

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let live = LIVE.fetch_add(layout.size(), Relaxed) + layout.size();
        PEAK.fetch_max(live, Relaxed);
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Held for a whole test: the harness runs tests on several threads, and the count is
/// process-wide, so one test's allocations would show in another's peak.
fn one_at_a_time() -> MutexGuard<'static, ()> {
    static TURN: Mutex<()> = Mutex::new(());
    TURN.lock().unwrap_or_else(|e| e.into_inner())
}

/// Peak bytes allocated while `f` runs. libzstd allocates through Rust's allocator in tests (see
/// the `with-rust-allocator` dev-dependency), so its allocations are counted too.
fn peak_during<R>(f: impl FnOnce() -> R) -> (R, usize) {
    let before = LIVE.load(Relaxed);
    PEAK.store(before, Relaxed);
    let result = f();
    (result, PEAK.load(Relaxed) - before)
}

#[test]
fn a_decompression_bomb_uses_about_the_cap() {
    let _turn = one_at_a_time();
    let packed = compress(&vec![0u8; 16 << 20], 6).expect("compress");
    let cap = 1 << 20;
    let (result, used) = peak_during(|| decompress(&packed, cap));
    assert_eq!(result, Err(CompressError::TooLarge { cap }));
    // The output buffer (at most cap + 1, with its half-size predecessor while this counting
    // allocator's realloc copies), plus inflate's state and 32 KB window.
    assert!(
        used < (cap + 1) * 3 / 2 + 128 * 1024,
        "peak {used} bytes for a {cap}-byte cap"
    );
}

#[test]
fn a_zstd_bomb_that_declares_its_size_allocates_nothing_for_its_output() {
    let _turn = one_at_a_time();
    let packed = memcache_core::zstd_compress(&vec![0u8; 64 << 20], 3).expect("compress");
    let cap = 1 << 20;
    let (result, used) = peak_during(|| memcache_core::zstd_decompress(&packed, cap));
    assert_eq!(result, Err(CompressError::TooLarge { cap }));
    // The decompression context (made on first use: ~160 KB), no output buffer.
    eprintln!("declared-size zstd bomb: peak {used} bytes");
    assert!(used < 256 * 1024, "peak {used} bytes for a {cap}-byte cap");
}

#[test]
fn a_zstd_bomb_of_unknown_size_uses_about_the_cap_plus_its_window() {
    let _turn = one_at_a_time();
    use std::io::Write;
    let mut encoder = zstd::stream::write::Encoder::new(Vec::new(), 3).expect("encoder");
    encoder.include_contentsize(false).expect("param");
    encoder.write_all(&vec![0u8; 64 << 20]).expect("write");
    let packed = encoder.finish().expect("finish");
    let cap = 1 << 20;
    let (result, used) = peak_during(|| memcache_core::zstd_decompress(&packed, cap));
    assert_eq!(result, Err(CompressError::TooLarge { cap }));
    // The output buffer as for zlib, plus the decoder's context and buffers: the 2 MB window
    // level 3 declares (allocated, written only as far as decoded), a 128 KB input block, tables.
    let window = 2 << 20;
    eprintln!("unknown-size zstd bomb: peak {used} bytes");
    assert!(
        used < (cap + 1) * 3 / 2 + window + 768 * 1024,
        "peak {used} bytes for a {cap}-byte cap"
    );
}
