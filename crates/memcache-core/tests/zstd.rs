//! zstd round trips, the decompression cap (declared sizes, streamed frames, windows), and
//! what counts as corrupt.

use memcache_core::{zstd_compress, zstd_decompress, CompressError};
use proptest::prelude::*;
use std::io::Write;

const MIB: usize = 1 << 20;

mod common;
use common::json_like;

/// A frame as a streaming writer makes it: no content size in the header (the size was never
/// known), so the decoder must stream it; `window_log` sets the window it declares.
fn streamed_frame(data: &[u8], level: i32, window_log: Option<u32>) -> Vec<u8> {
    let mut encoder = zstd::stream::write::Encoder::new(Vec::new(), level).expect("encoder");
    encoder.include_contentsize(false).expect("param");
    if let Some(log) = window_log {
        encoder.window_log(log).expect("param");
    }
    encoder.write_all(data).expect("write");
    let frame = encoder.finish().expect("finish");
    assert!(
        matches!(zstd::zstd_safe::get_frame_content_size(&frame), Ok(None)),
        "no declared size"
    );
    frame
}

fn is_corrupt(result: Result<Vec<u8>, CompressError>) -> bool {
    matches!(result, Err(CompressError::Corrupt(_)))
}

#[test]
fn round_trips_at_several_sizes_and_levels() {
    for len in [0, 1, 100, 4096, 70_000, 300_000] {
        let data = json_like(len);
        for level in [1, 3, 9, 19] {
            let frame = zstd_compress(&data, level).expect("valid level");
            assert_eq!(&frame[..4], &[0x28, 0xb5, 0x2f, 0xfd], "the zstd magic");
            assert!(
                matches!(zstd::zstd_safe::get_frame_content_size(&frame), Ok(Some(n)) if n == len as u64),
                "the size is declared"
            );
            let back = zstd_decompress(&frame, len).expect("round trip");
            assert!(back == data, "{len} bytes at level {level}");
        }
    }
    let data = json_like(20_000);
    let ultra = zstd_compress(&data, 22).expect("level 22");
    assert_eq!(
        zstd_decompress(&ultra, data.len()).expect("round trip"),
        data
    );
}

#[test]
fn higher_levels_compress_better() {
    let data = json_like(200_000);
    let fast = zstd_compress(&data, 1).expect("compress").len();
    let best = zstd_compress(&data, 19).expect("compress").len();
    assert!(best < fast, "{best} at 19 vs {fast} at 1");
    assert!(fast < data.len() / 4);
}

#[test]
fn invalid_levels_are_refused() {
    for level in [0, -1, 23, i32::MIN, i32::MAX] {
        assert_eq!(
            zstd_compress(b"x", level),
            Err(CompressError::InvalidZstdLevel(level))
        );
    }
}

#[test]
fn empty_input_round_trips_under_a_zero_cap() {
    let frame = zstd_compress(b"", 3).expect("compress");
    assert_eq!(zstd_decompress(&frame, 0).expect("decompress"), b"");
    let streamed = streamed_frame(b"", 3, None);
    assert_eq!(zstd_decompress(&streamed, 0).expect("decompress"), b"");
}

#[test]
fn the_cap_is_inclusive_on_both_paths() {
    let data = json_like(100_000);
    for frame in [
        zstd_compress(&data, 3).expect("compress"),
        streamed_frame(&data, 3, None),
    ] {
        assert_eq!(
            zstd_decompress(&frame, data.len()).expect("exactly the cap"),
            data
        );
        assert_eq!(
            zstd_decompress(&frame, data.len() - 1),
            Err(CompressError::TooLarge {
                cap: data.len() - 1
            })
        );
        assert_eq!(
            zstd_decompress(&frame, 0),
            Err(CompressError::TooLarge { cap: 0 })
        );
    }
}

#[test]
fn frames_from_a_streaming_writer_are_read() {
    for len in [1, 5000, 1_000_003] {
        let data = json_like(len);
        for level in [1, 3, 12] {
            let frame = streamed_frame(&data, level, None);
            assert!(
                zstd_decompress(&frame, len).expect("round trip") == data,
                "{len} at {level}"
            );
            assert!(zstd_decompress(&frame, 4 * MIB).expect("under a larger cap") == data);
        }
    }
}

#[test]
fn a_bomb_that_declares_its_size_stops_before_decoding() {
    let zeros = vec![0u8; 64 * MIB];
    let frame = zstd_compress(&zeros, 3).expect("compress");
    assert!(frame.len() < 8 * 1024, "{} bytes", frame.len());
    assert_eq!(
        zstd_decompress(&frame, MIB),
        Err(CompressError::TooLarge { cap: MIB })
    );
    assert_eq!(
        zstd_decompress(&frame, zeros.len()).expect("fits").len(),
        zeros.len()
    );
}

#[test]
fn a_bomb_of_unknown_size_stops_at_the_cap() {
    let zeros = vec![0u8; 64 * MIB];
    let frame = streamed_frame(&zeros, 3, None);
    assert!(frame.len() < 8 * 1024, "{} bytes", frame.len());
    assert_eq!(
        zstd_decompress(&frame, MIB),
        Err(CompressError::TooLarge { cap: MIB })
    );
    assert_eq!(
        zstd_decompress(&frame, zeros.len() - 1),
        Err(CompressError::TooLarge {
            cap: zeros.len() - 1
        })
    );
    assert_eq!(
        zstd_decompress(&frame, zeros.len()).expect("fits").len(),
        zeros.len()
    );
}

#[test]
fn windows_up_to_8_mb_are_always_read_larger_ones_only_under_a_cap_as_large() {
    let data = json_like(10_000);
    let eight = streamed_frame(&data, 3, Some(23));
    assert_eq!(
        zstd_decompress(&eight, data.len()).expect("8 MB window, small cap"),
        data
    );
    let big = streamed_frame(&data, 3, Some(25));
    assert_eq!(
        zstd_decompress(&big, MIB),
        Err(CompressError::TooLarge { cap: MIB }),
        "a 32 MB window under a 1 MB cap"
    );
    assert_eq!(
        zstd_decompress(&big, 32 * MIB).expect("cap as large as the window"),
        data
    );
}

#[test]
fn corrupt_inputs() {
    let data = json_like(10_000);
    let frame = zstd_compress(&data, 3).expect("compress");
    let streamed = streamed_frame(&data, 3, None);
    assert!(is_corrupt(zstd_decompress(b"", MIB)), "empty");
    assert!(
        is_corrupt(zstd_decompress(b"not zstd at all", MIB)),
        "garbage"
    );
    assert!(
        is_corrupt(zstd_decompress(&frame[..3], MIB)),
        "part of the magic"
    );
    for f in [&frame, &streamed] {
        assert!(
            is_corrupt(zstd_decompress(&f[..f.len() - 1], MIB)),
            "one byte short"
        );
        assert!(is_corrupt(zstd_decompress(&f[..f.len() / 2], MIB)), "half");
        assert!(is_corrupt(zstd_decompress(&f[..6], MIB)), "the header only");
        let mut trailing = f.clone();
        trailing.push(0);
        assert!(
            is_corrupt(zstd_decompress(&trailing, MIB)),
            "a trailing byte"
        );
        assert!(
            is_corrupt(zstd_decompress(&[&f[..], &f[..]].concat(), MIB)),
            "two frames"
        );
    }
    let mut bad_sum = frame.clone();
    *bad_sum.last_mut().expect("non-empty") ^= 1;
    assert!(is_corrupt(zstd_decompress(&bad_sum, MIB)), "bad checksum");
    let mut bad_body = frame.clone();
    let middle = bad_body.len() / 2;
    bad_body[middle] ^= 0x55;
    assert!(
        is_corrupt(zstd_decompress(&bad_body, MIB)),
        "a flipped body byte"
    );
}

#[test]
fn skippable_frames_are_not_values() {
    // Magic 0x184D2A50, then a 4-byte length, then that many bytes.
    let skippable = [0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3];
    assert!(is_corrupt(zstd_decompress(&skippable, MIB)), "alone");
    let frame = zstd_compress(b"value", 3).expect("compress");
    assert!(
        is_corrupt(zstd_decompress(&[&frame[..], &skippable[..]].concat(), MIB)),
        "after a frame"
    );
    assert!(
        is_corrupt(zstd_decompress(&[&skippable[..], &frame[..]].concat(), MIB)),
        "before a frame"
    );
}

#[test]
fn a_frame_that_lies_about_its_size_is_corrupt() {
    let data = json_like(5000);
    let frame = zstd_compress(&data, 3).expect("compress");
    // Header: magic, descriptor, then (single segment, 2-byte size field for 256..65791) the
    // size minus 256, little-endian.
    let descriptor = frame[4];
    assert_eq!(descriptor >> 6, 1, "a 2-byte content size field");
    assert_ne!(descriptor & 0x20, 0, "single segment");
    let mut lying = frame.clone();
    let declared = u16::from_le_bytes([lying[5], lying[6]]) - 10;
    lying[5..7].copy_from_slice(&declared.to_le_bytes());
    assert!(
        is_corrupt(zstd_decompress(&lying, MIB)),
        "declares 10 bytes too few"
    );
}

#[test]
fn contexts_reused_across_calls_keep_each_call_apart() {
    // Each thread keeps its contexts and output buffer: an error, a big output or another path
    // in between must change nothing for the next call.
    let big = json_like(300_000);
    let frame = zstd_compress(&big, 3).expect("compress");
    let streamed = streamed_frame(&big, 3, None);
    assert_eq!(zstd_decompress(&frame, MIB).expect("fits"), big);
    assert!(matches!(
        zstd_decompress(&streamed, 1000),
        Err(CompressError::TooLarge { cap: 1000 })
    ));
    assert!(is_corrupt(zstd_decompress(
        &streamed[..streamed.len() - 3],
        MIB
    )));
    assert_eq!(zstd_decompress(&streamed, MIB).expect("fits"), big);
    let small = json_like(999);
    assert_eq!(
        zstd_decompress(&zstd_compress(&small, 19).expect("compress"), 999).expect("fits"),
        small
    );
    assert_eq!(
        zstd_decompress(&frame, big.len()).expect("exactly the cap"),
        big
    );
    assert_eq!(
        zstd_compress(&small, 3),
        zstd_compress(&small, 3),
        "same level, same bytes"
    );
}

#[test]
fn threads_compressing_at_once_get_their_own_results() {
    let handles: Vec<_> = (0..6)
        .map(|t| {
            std::thread::spawn(move || {
                let data = json_like(50_000 + t * 10_000);
                for level in [1, 3, 9] {
                    let frame = zstd_compress(&data, level).expect("compress");
                    assert_eq!(
                        zstd_decompress(&frame, data.len()).expect("round trip"),
                        data
                    );
                }
            })
        })
        .collect();
    for handle in handles {
        handle.join().expect("no panic");
    }
}

proptest! {
    #[test]
    fn arbitrary_data_round_trips(data in prop::collection::vec(any::<u8>(), 0..5000), level in 1i32..=19) {
        let frame = zstd_compress(&data, level).expect("compress");
        prop_assert_eq!(zstd_decompress(&frame, data.len()).expect("decompress"), data);
    }

    #[test]
    fn arbitrary_input_never_panics(data in prop::collection::vec(any::<u8>(), 0..300), cap in 0usize..5000) {
        if let Ok(out) = zstd_decompress(&data, cap) {
            prop_assert!(out.len() <= cap);
        }
    }

    #[test]
    fn damaged_frames_never_panic_nor_pass_the_cap(
        at in any::<prop::sample::Index>(),
        flip in 1u8..=255,
        cap in 0usize..3000,
    ) {
        let frame = zstd_compress(&json_like(2000), 3).expect("compress");
        let mut damaged = frame.clone();
        damaged[at.index(frame.len())] ^= flip;
        if let Ok(out) = zstd_decompress(&damaged, cap) {
            prop_assert!(out.len() <= cap);
        }
    }
}
