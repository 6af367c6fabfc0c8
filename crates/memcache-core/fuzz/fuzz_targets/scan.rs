//! The reply scanner on arbitrary bytes: it never panics, never reports a record or a field
//! outside the window, stops at a MALFORMED record, and gives the same records when the input
//! arrives in two reads (the first byte of the input picks the cut).
#![no_main]

use libfuzzer_sys::fuzz_target;
use memcache_core::scan::{scan, SCAN_STRIDE};
use memcache_core::ReplyKind;

const MALFORMED: u32 = ReplyKind::Malformed as u32;

/// Scans `buf[start..end)` to exhaustion, as a client does, 3 records per call; returns the records.
fn scan_reads(buf: &[u8], reads: &[usize]) -> Vec<[u32; SCAN_STRIDE]> {
    let mut out = vec![0u32; 3 * SCAN_STRIDE];
    let mut records = Vec::new();
    let mut consumed = 0usize;
    for &end in reads {
        loop {
            let count = scan(&buf[..end], consumed as u32, end as u32, &mut out) as usize;
            if count == 0 {
                break;
            }
            for r in out.chunks_exact(SCAN_STRIDE).take(count) {
                let r: [u32; SCAN_STRIDE] = r.try_into().unwrap();
                assert!(ReplyKind::from_code(r[0]).is_some(), "kind {}", r[0]);
                assert_eq!(r[1] as usize, consumed, "records are contiguous");
                assert!(r[2] as usize <= end, "record past the window");
                for (s, l) in [(r[3], r[4]), (r[5], r[6]), (r[8], r[9])] {
                    if l > 0 {
                        assert!(s as usize >= consumed && (s + l) as usize <= end, "field outside the window");
                    }
                }
                records.push(r);
                if r[0] == MALFORMED {
                    return records;
                }
                consumed = r[2] as usize;
            }
        }
    }
    records
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, input)) = data.split_first() else { return };
    let whole = scan_reads(input, &[input.len()]);
    let cut = if input.is_empty() { 0 } else { pick as usize * input.len() / 255 };
    let split = scan_reads(input, &[cut, input.len()]);
    assert_eq!(whole, split);
});
