//! Decompression's memory stays near its cap, measured with a counting allocator
//! (its own test binary, so no other test's allocations interfere).

use memcache_core::{compress, decompress, CompressError};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

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

#[test]
fn a_decompression_bomb_uses_about_the_cap() {
    let packed = compress(&vec![0u8; 16 << 20], 6).expect("compress");
    let cap = 1 << 20;
    let before = LIVE.load(Relaxed);
    PEAK.store(before, Relaxed);
    assert_eq!(
        decompress(&packed, cap),
        Err(CompressError::TooLarge { cap })
    );
    let used = PEAK.load(Relaxed) - before;
    // The output buffer (at most cap + 1, with its half-size predecessor while this counting
    // allocator's realloc copies), plus inflate's state and 32 KB window.
    assert!(
        used < (cap + 1) * 3 / 2 + 128 * 1024,
        "peak {used} bytes for a {cap}-byte cap"
    );
}
