//! Packed key batches for hashing and ring lookups.

use memcache_core::{Algorithm, BatchError, PointFormat, Ring, RingServer};

fn pack(keys: &[&str]) -> (Vec<u8>, Vec<u32>) {
    let mut bytes = Vec::new();
    let mut offsets = vec![0];
    for key in keys {
        bytes.extend_from_slice(key.as_bytes());
        offsets.push(bytes.len() as u32);
    }
    (bytes, offsets)
}

const KEYS: [&str; 4] = ["apple", "", "carrot", "k\u{e9}y"];

#[test]
fn hash_batch_matches_single_hashes() {
    let (bytes, offsets) = pack(&KEYS);
    for algorithm in Algorithm::ALL {
        let mut out = [0u32; 5];
        algorithm
            .hash_batch(&bytes, &offsets, &mut out)
            .expect("valid batch");
        let expected: Vec<u32> = KEYS.iter().map(|k| algorithm.hash(k.as_bytes())).collect();
        assert_eq!(out[..4], expected[..], "{}", algorithm.name());
        assert_eq!(out[4], 0, "slots past the batch are untouched");
    }
}

#[test]
fn lookup_batch_matches_single_lookups() {
    let servers = [
        RingServer {
            host: "a",
            port: 11211,
            weight: 1,
        },
        RingServer {
            host: "b",
            port: 11211,
            weight: 2,
        },
    ];
    let ring = Ring::new(&servers, PointFormat::Libmemcached);
    let (bytes, offsets) = pack(&KEYS);
    let mut out = [0i32; 4];
    ring.lookup_batch(&bytes, &offsets, &mut out)
        .expect("valid batch");
    let expected: Vec<i32> = KEYS.iter().map(|k| ring.lookup(k.as_bytes())).collect();
    assert_eq!(out[..], expected[..]);
    let mut out = [7i32; 4];
    Ring::default()
        .lookup_batch(&bytes, &offsets, &mut out)
        .expect("valid batch");
    assert_eq!(out, [-1; 4], "an empty ring answers -1");
}

#[test]
fn empty_batches() {
    let mut out: [u32; 0] = [];
    assert_eq!(Algorithm::Md5.hash_batch(b"", &[], &mut out), Ok(()));
    assert_eq!(Algorithm::Md5.hash_batch(b"", &[0], &mut out), Ok(()));
}

#[test]
fn bad_batches_are_errors() {
    let (bytes, offsets) = pack(&KEYS);
    let mut short = [0u32; 3];
    assert_eq!(
        Algorithm::Crc.hash_batch(&bytes, &offsets, &mut short),
        Err(BatchError::OutTooShort { keys: 4, out: 3 })
    );
    let mut out = [0u32; 4];
    assert_eq!(
        Algorithm::Crc.hash_batch(&bytes, &[0, 5, 6, 3], &mut out),
        Err(BatchError::BadOffsets { index: 2 }),
        "reversed"
    );
    assert_eq!(out, [0; 4], "nothing is written when the batch is bad");
    assert_eq!(
        Algorithm::Crc.hash_batch(&bytes, &[0, 999], &mut out),
        Err(BatchError::BadOffsets { index: 0 }),
        "past the end"
    );
}
