//! zlib round trips, the decompression cap, and what counts as corrupt.

use memcache_core::{compress, decompress, CompressError};
use proptest::prelude::*;

mod common;
use common::json_like;

#[test]
fn round_trips_at_every_level() {
    let data = json_like(20_000);
    for level in -1..=9 {
        let packed = compress(&data, level).expect("valid level");
        assert_eq!(packed[0], 0x78, "a zlib header");
        assert_eq!(
            decompress(&packed, data.len()).expect("round trip"),
            data,
            "level {level}"
        );
    }
}

#[test]
fn default_level_is_six() {
    let data = json_like(50_000);
    assert_eq!(compress(&data, -1), compress(&data, 6));
}

#[test]
fn invalid_levels_are_refused() {
    for level in [-2, 10, i32::MIN, i32::MAX] {
        assert_eq!(
            compress(b"x", level),
            Err(CompressError::InvalidLevel(level))
        );
    }
}

#[test]
fn empty_input_round_trips() {
    let packed = compress(b"", 6).expect("compress");
    assert_eq!(decompress(&packed, 0).expect("decompress"), b"");
}

#[test]
fn ten_megabytes_of_zeros_stop_at_a_one_megabyte_cap() {
    let zeros = vec![0u8; 10 * 1024 * 1024];
    let packed = compress(&zeros, 6).expect("compress");
    assert!(packed.len() < 20_000);
    let cap = 1024 * 1024;
    assert_eq!(
        decompress(&packed, cap),
        Err(CompressError::TooLarge { cap })
    );
    assert_eq!(
        decompress(&packed, zeros.len()).expect("fits").len(),
        zeros.len()
    );
}

#[test]
fn the_cap_is_inclusive() {
    let data = json_like(100_000);
    let packed = compress(&data, 6).expect("compress");
    assert_eq!(
        decompress(&packed, data.len())
            .expect("exactly the cap")
            .len(),
        data.len()
    );
    assert!(matches!(
        decompress(&packed, data.len() - 1),
        Err(CompressError::TooLarge { .. })
    ));
    assert!(matches!(
        decompress(&packed, 0),
        Err(CompressError::TooLarge { .. })
    ));
}

fn is_corrupt(result: Result<Vec<u8>, CompressError>) -> bool {
    matches!(result, Err(CompressError::Corrupt(_)))
}

#[test]
fn corrupt_inputs() {
    let data = json_like(10_000);
    let packed = compress(&data, 6).expect("compress");
    assert!(is_corrupt(decompress(b"", 1 << 20)), "empty");
    assert!(
        is_corrupt(decompress(b"not zlib at all", 1 << 20)),
        "garbage"
    );
    assert!(
        is_corrupt(decompress(&packed[..packed.len() - 1], 1 << 20)),
        "truncated checksum"
    );
    assert!(
        is_corrupt(decompress(&packed[..packed.len() / 2], 1 << 20)),
        "truncated body"
    );
    let mut trailing = packed.clone();
    trailing.push(0);
    assert!(
        is_corrupt(decompress(&trailing, 1 << 20)),
        "trailing garbage"
    );
    let mut bad_sum = packed.clone();
    *bad_sum.last_mut().expect("non-empty") ^= 1;
    assert!(is_corrupt(decompress(&bad_sum, 1 << 20)), "bad adler32");
    let mut raw_deflate = Vec::new();
    raw_deflate.extend_from_slice(&packed[2..]);
    assert!(
        is_corrupt(decompress(&raw_deflate, 1 << 20)),
        "no zlib header"
    );
}

proptest! {
    #[test]
    fn arbitrary_data_round_trips(data in prop::collection::vec(any::<u8>(), 0..5000), level in -1i32..=9) {
        let packed = compress(&data, level).expect("compress");
        prop_assert_eq!(decompress(&packed, data.len()).expect("decompress"), data);
    }

    #[test]
    fn arbitrary_input_never_panics(data in prop::collection::vec(any::<u8>(), 0..300), cap in 0usize..5000) {
        if let Ok(out) = decompress(&data, cap) {
            prop_assert!(out.len() <= cap);
        }
    }
}

#[test]
fn reused_buffers_still_enforce_caps() {
    // Each thread keeps its output buffer; a big earlier output must not loosen a later cap.
    let big = json_like(300_000);
    let packed = compress(&big, 6).expect("compress");
    assert_eq!(decompress(&packed, 1 << 20).expect("fits"), big);
    assert!(matches!(
        decompress(&packed, 1000),
        Err(CompressError::TooLarge { cap: 1000 })
    ));
    let small = json_like(999);
    assert_eq!(
        decompress(&compress(&small, 1).expect("compress"), 999).expect("fits"),
        small
    );
    assert!(is_corrupt(decompress(&packed[..100], 1 << 20)));
    assert_eq!(
        decompress(&packed, big.len()).expect("exactly the cap"),
        big
    );
}

#[test]
fn levels_switch_between_calls() {
    let data = json_like(30_000);
    let fast = compress(&data, 1).expect("compress");
    let best = compress(&data, 9).expect("compress");
    assert_eq!(
        compress(&data, 1).expect("compress"),
        fast,
        "same level, same bytes"
    );
    assert!(best.len() < fast.len());
    assert_eq!(decompress(&best, data.len()).expect("round trip"), data);
}

fn inflate_with_flate2(packed: &[u8]) -> Vec<u8> {
    use std::io::Read;
    let mut out = Vec::new();
    flate2::read::ZlibDecoder::new(packed)
        .read_to_end(&mut out)
        .expect("a valid zlib stream");
    out
}

#[test]
fn large_inputs_split_over_threads_are_one_ordinary_stream() {
    // From 96 KB on, deflate runs in parts on several threads (when there are cores for it);
    // any inflater must read the result as one stream, checksum included.
    for len in [96 * 1024 - 1, 96 * 1024, 256 * 1024, 1_000_003] {
        let data = json_like(len);
        for level in [0, 1, 6, 9] {
            let packed = compress(&data, level).expect("compress");
            assert_eq!(
                inflate_with_flate2(&packed),
                data,
                "{len} bytes, level {level}"
            );
            assert_eq!(decompress(&packed, len).expect("round trip"), data);
        }
    }
}

#[test]
fn splitting_barely_moves_the_ratio() {
    let data = json_like(512 * 1024);
    let packed = compress(&data, 6).expect("compress");
    let mut single = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::new(6));
    std::io::Write::write_all(&mut single, &data).expect("write");
    let single = single.finish().expect("finish");
    assert!(
        packed.len() <= single.len() + single.len() / 50,
        "{} bytes split vs {} in one stream",
        packed.len(),
        single.len()
    );
}

#[test]
fn threads_compressing_at_once_share_the_helpers() {
    let handles: Vec<_> = (0..6)
        .map(|t| {
            std::thread::spawn(move || {
                let data = json_like(200_000 + t * 10_000);
                for _ in 0..5 {
                    let packed = compress(&data, 6).expect("compress");
                    assert_eq!(decompress(&packed, data.len()).expect("round trip"), data);
                }
            })
        })
        .collect();
    for handle in handles {
        handle.join().expect("no panic");
    }
}

#[test]
fn outputs_past_the_first_guess_still_inflate() {
    // 4 MB of zeros deflate to ~4 KB: far past libdeflate's first output buffer, so the
    // streaming inflate finishes it; the cap still holds on that path.
    let zeros = vec![0u8; 4 << 20];
    let packed = compress(&zeros, 6).expect("compress");
    assert_eq!(
        decompress(&packed, 8 << 20).expect("fits").len(),
        zeros.len()
    );
    assert_eq!(
        decompress(&packed, zeros.len())
            .expect("exactly the cap")
            .len(),
        zeros.len()
    );
    assert_eq!(
        decompress(&packed, zeros.len() - 1),
        Err(CompressError::TooLarge {
            cap: zeros.len() - 1
        })
    );
}
