//! One-pass readers of the replies that come in bulk (VALUE, VA), tried before the general
//! path (`reply::general`) finds the line and classifies it: about twice as fast. Each returns
//! a record only for a complete, well-formed reply, the very record `general` gives; for
//! anything else None, and `general` decides. The property tests below hold them to that.

use super::meta::returned_flags;
use super::record::{Record, ReplyKind};
use super::MAX_LINE_LENGTH;

/// A complete, well-formed `VALUE <key> <flags> <bytes>[ <cas>]\r\n<data>\r\n` at `pos`, read in
/// one pass (the bulk of multi-get replies: about twice as fast as finding the line first).
/// None for anything else, incomplete or malformed included: `general` then decides, so this
/// never changes a result, only how fast the common one is reached.
pub(super) fn value(window: &[u8], pos: usize) -> Option<Record> {
    const PREFIX: &[u8] = b"VALUE ";
    if !window.get(pos..)?.starts_with(PREFIX) {
        return None;
    }
    let key_start = pos + PREFIX.len();
    // The key ends at its space; a `\n` first means the line is short of fields.
    let key_len = memchr::memchr2(b' ', b'\n', &window[key_start..])?;
    if key_len == 0 || window[key_start + key_len] != b' ' {
        return None;
    }
    let (flags, after_flags) = digits(window, key_start + key_len + 1)?;
    if window.get(after_flags) != Some(&b' ') {
        return None;
    }
    let (bytes, after_bytes) = digits(window, after_flags + 1)?;
    let (cas, line_end) = match window.get(after_bytes)? {
        b'\r' => ((after_bytes, 0), after_bytes),
        b' ' => {
            let (_, after_cas) = digits(window, after_bytes + 1)?;
            ((after_bytes + 1, after_cas - after_bytes - 1), after_cas)
        }
        _ => return None,
    };
    // `general` judges lines past MAX_LINE_LENGTH (and everything odd about the terminator).
    if line_end - pos > MAX_LINE_LENGTH || window.get(line_end..line_end + 2)? != b"\r\n" {
        return None;
    }
    let flags = u32::try_from(flags).ok()?;
    let bytes = u32::try_from(bytes).ok()?;
    let data_start = line_end + 2;
    let data_end = data_start.checked_add(bytes as usize)?;
    let reply_end = data_end.checked_add(2)?;
    if window.get(data_end..reply_end)? != b"\r\n" {
        return None;
    }
    Some(Record {
        kind: ReplyKind::Value,
        start: pos,
        end: reply_end,
        a: (key_start, key_len),
        b: (data_start, bytes as usize),
        flags,
        c: cas,
    })
}

/// A complete, well-formed `VA <datalen>[ <flags>]\r\n<data>\r\n` at `pos`, read in one pass
/// (the bulk of a pipeline of `mg ... v`), as `value` does for VALUE: None for anything
/// else, and then `general` decides.
pub(super) fn meta_value(window: &[u8], pos: usize) -> Option<Record> {
    if !window.get(pos..)?.starts_with(b"VA ") {
        return None;
    }
    let (bytes, after_len) = digits(window, pos + 3)?;
    let limit = window.len().min(pos + MAX_LINE_LENGTH + 2);
    let newline = after_len + memchr::memchr(b'\n', window.get(after_len..limit)?)?;
    let line_end = newline - 1;
    if line_end < after_len || window[line_end] != b'\r' {
        return None;
    }
    let flags_from = match window[after_len] {
        _ if after_len == line_end => None,
        b' ' => Some(after_len + 1),
        _ => return None,
    };
    let flags = returned_flags(window, flags_from, line_end)?;
    let bytes = u32::try_from(bytes).ok()? as usize;
    let data_start = newline + 1;
    let data_end = data_start.checked_add(bytes)?;
    let reply_end = data_end.checked_add(2)?;
    if window.get(data_end..reply_end)? != b"\r\n" {
        return None;
    }
    Some(Record {
        b: (data_start, bytes),
        ..flags.record(ReplyKind::MetaVa, pos, reply_end)
    })
}

/// A run of at least one ASCII digit at `from` as a u64 (None when empty or past 2^64-1), and
/// the index just past it.
fn digits(window: &[u8], from: usize) -> Option<(u64, usize)> {
    let mut value = 0u64;
    let mut at = from;
    while let Some(&byte) = window.get(at) {
        let digit = byte.wrapping_sub(b'0');
        if digit > 9 {
            break;
        }
        value = value.checked_mul(10)?.checked_add(u64::from(digit))?;
        at += 1;
    }
    (at > from).then_some((value, at))
}

#[cfg(test)]
mod tests {
    use super::super::reply::general;
    use super::*;
    use proptest::prelude::*;

    /// VALUE lines that are valid, nearly valid, or cut short.
    fn value_like() -> impl Strategy<Value = Vec<u8>> {
        let part = prop::sample::select(vec![
            &b"VALUE "[..],
            b"VALUE",
            b"k",
            b"key:1",
            b" ",
            b"0",
            b"7",
            b"3",
            b"4294967296",
            b"18446744073709551616",
            b"\r\n",
            b"\r",
            b"\n",
            b"abc",
            b"END\r\n",
        ]);
        prop::collection::vec(part, 0..14).prop_map(|parts| parts.concat())
    }

    proptest! {
        #[test]
        fn the_fast_path_agrees_with_the_general_one(mut bytes in value_like(), tail in 0usize..8) {
            // A well-formed prefix now and then, so the fast path is taken often enough.
            if tail == 0 {
                bytes = [&b"VALUE k 0 3\r\nabc\r\n"[..], &bytes].concat();
            }
            for end in 0..=bytes.len() {
                let window = &bytes[..end];
                if let Some(fast) = value(window, 0) {
                    prop_assert_eq!(Some(fast), general(window, 0));
                }
            }
        }
    }

    /// VA replies that are valid, nearly valid, or cut short.
    fn meta_value_like() -> impl Strategy<Value = Vec<u8>> {
        let part = prop::sample::select(vec![
            &b"VA "[..],
            b"VA",
            b" ",
            b"0",
            b"3",
            b"4294967296",
            b"f1",
            b"fx",
            b"O1",
            b"c9",
            b"\r\n",
            b"\r",
            b"\n",
            b"abc",
            b"MN\r\n",
        ]);
        prop::collection::vec(part, 0..14).prop_map(|parts| parts.concat())
    }

    proptest! {
        #[test]
        fn the_meta_fast_path_agrees_with_the_general_one(mut bytes in meta_value_like(), tail in 0usize..8) {
            if tail == 0 {
                bytes = [&b"VA 3 f1 O2\r\nabc\r\n"[..], &bytes].concat();
            }
            for end in 0..=bytes.len() {
                let window = &bytes[..end];
                if let Some(fast) = meta_value(window, 0) {
                    prop_assert_eq!(Some(fast), general(window, 0));
                }
            }
        }
    }

    #[test]
    fn the_meta_fast_path_reads_the_common_replies() {
        let reply = b"VA 5 f42 c1 O123 kfoo\r\nhello\r\nVA 0\r\n\r\n";
        let first = meta_value(reply, 0).expect("fast");
        assert_eq!(Some(first), general(reply, 0));
        assert_eq!((first.flags, first.c), (42, (13, 3)));
        let second = meta_value(reply, first.end).expect("fast");
        assert_eq!(Some(second), general(reply, first.end));
        for cut in 0..reply.len() {
            if let Some(record) = meta_value(&reply[..cut], 0) {
                assert_eq!(record.end, first.end);
            }
        }
        // A line past the limit is left to `general`, which calls it MALFORMED.
        let long = format!("VA 1 O{}\r\nx\r\n", "x".repeat(MAX_LINE_LENGTH));
        assert_eq!(meta_value(long.as_bytes(), 0), None);
    }

    #[test]
    fn the_fast_path_reads_the_common_replies() {
        let reply = b"VALUE some:key 16 5 123\r\nhello\r\nVALUE k 0 0\r\n\r\n";
        let first = value(reply, 0).expect("fast");
        assert_eq!(Some(first), general(reply, 0));
        assert_eq!(first.c, (20, 3));
        let second = value(reply, first.end).expect("fast");
        assert_eq!(Some(second), general(reply, first.end));
        assert_eq!(second.b, (first.end + 13, 0));
        // Cut anywhere, it waits (or defers): never a wrong record.
        for cut in 0..reply.len() {
            if let Some(record) = value(&reply[..cut], 0) {
                assert_eq!(record.end, first.end);
            }
        }
    }
}
