//! Classifying one reply: a line, plus a data block for VALUE.

use super::decimal::{digit_run, parse_u32, parse_u64};
use super::line::{self, Line};
use super::record::{Record, ReplyKind, Span};
use super::MAX_LINE_LENGTH;

/// The reply starting at `pos`, or None while it is incomplete.
pub(super) fn parse(window: &[u8], pos: usize) -> Option<Record> {
    fast_value(window, pos).or_else(|| general(window, pos))
}

/// Any reply, by finding its line first and then classifying it.
fn general(window: &[u8], pos: usize) -> Option<Record> {
    match line::find(window, pos) {
        Line::Complete { content_end, next } => {
            let reply = Reply {
                window,
                start: pos,
                content_end,
                next,
            };
            reply.classify()
        }
        Line::Incomplete => None,
        Line::BareNewline { next } => Some(Record::malformed(pos, next)),
        Line::TooLong { stop } => Some(Record::malformed(pos, stop)),
    }
}

/// A complete reply line: content `[start, content_end)`, then `\r\n`, then `next`.
struct Reply<'a> {
    window: &'a [u8],
    start: usize,
    content_end: usize,
    next: usize,
}

impl Reply<'_> {
    fn classify(&self) -> Option<Record> {
        let content = &self.window[self.start..self.content_end];
        if content.first().is_some_and(u8::is_ascii_digit) {
            return Some(self.number(content));
        }
        let keyword_len = memchr::memchr(b' ', content).unwrap_or(content.len());
        // Where the text after `<keyword> ` starts, when there is a space.
        let rest = (keyword_len < content.len()).then(|| self.start + keyword_len + 1);
        let simple = |kind| self.simple(kind, rest);
        let record = match &content[..keyword_len] {
            b"END" => simple(ReplyKind::End),
            b"STORED" => simple(ReplyKind::Stored),
            b"NOT_STORED" => simple(ReplyKind::NotStored),
            b"EXISTS" => simple(ReplyKind::Exists),
            b"NOT_FOUND" => simple(ReplyKind::NotFound),
            b"DELETED" => simple(ReplyKind::Deleted),
            b"TOUCHED" => simple(ReplyKind::Touched),
            b"OK" => simple(ReplyKind::Ok),
            b"RESET" => simple(ReplyKind::Reset),
            b"ERROR" => self.message(ReplyKind::Error, rest),
            b"VERSION" => self.message(ReplyKind::Version, rest),
            b"CLIENT_ERROR" => self.message(ReplyKind::ClientError, rest),
            b"SERVER_ERROR" => self.message(ReplyKind::ServerError, rest),
            b"STAT" => self.stat(rest),
            b"VALUE" => return self.value(rest),
            _ => self.malformed(),
        };
        Some(record)
    }

    fn malformed(&self) -> Record {
        Record::malformed(self.start, self.next)
    }

    /// The span from `from` to the end of the line content (empty when `from` is the end).
    fn to_line_end(&self, from: usize) -> Span {
        (from, self.content_end - from)
    }

    /// A keyword that must stand alone on its line.
    fn simple(&self, kind: ReplyKind, rest: Option<usize>) -> Record {
        match rest {
            None => Record::bare(kind, self.start, self.next),
            Some(_) => self.malformed(),
        }
    }

    /// `<keyword>[ <text>]`: A is the text, empty (at the line end) when absent.
    fn message(&self, kind: ReplyKind, rest: Option<usize>) -> Record {
        let text = self.to_line_end(rest.unwrap_or(self.content_end));
        Record::with_a(kind, self.start, self.next, text)
    }

    /// Digits, then only spaces (memcached pads incr/decr results): A is the digits.
    fn number(&self, content: &[u8]) -> Record {
        let digits = digit_run(content);
        let padded = content[digits..].iter().all(|&b| b == b' ');
        if !padded || parse_u64(&content[..digits]).is_none() {
            return self.malformed();
        }
        Record::with_a(
            ReplyKind::Number,
            self.start,
            self.next,
            (self.start, digits),
        )
    }

    /// `STAT <name>[ <value>]`: name non-empty and space-free; value is the rest, maybe empty.
    fn stat(&self, rest: Option<usize>) -> Record {
        let Some(name_start) = rest else {
            return self.malformed();
        };
        let after = &self.window[name_start..self.content_end];
        let name_len = memchr::memchr(b' ', after).unwrap_or(after.len());
        if name_len == 0 {
            return self.malformed();
        }
        let name_end = name_start + name_len;
        let value_start = if name_end < self.content_end {
            name_end + 1
        } else {
            name_end
        };
        Record {
            b: self.to_line_end(value_start),
            ..Record::with_a(
                ReplyKind::Stat,
                self.start,
                self.next,
                (name_start, name_len),
            )
        }
    }

    /// `VALUE <key> <flags> <bytes>[ <cas>]`, single spaces, then `<bytes>` of data and `\r\n`.
    /// None while the data block is incomplete.
    fn value(&self, rest: Option<usize>) -> Option<Record> {
        let Some(header) = rest.and_then(|from| self.value_header(from)) else {
            return Some(self.malformed());
        };
        let data_start = self.next;
        // Checked for 32-bit targets, where a block this long could not be there anyway.
        let data_end = data_start.checked_add(header.bytes as usize)?;
        let reply_end = data_end.checked_add(2)?;
        if reply_end > self.window.len() {
            return None;
        }
        if &self.window[data_end..reply_end] != b"\r\n" {
            return Some(Record::malformed(self.start, reply_end));
        }
        Some(Record {
            kind: ReplyKind::Value,
            start: self.start,
            end: reply_end,
            a: header.key,
            b: (data_start, data_end - data_start),
            flags: header.flags,
            c: header.cas,
        })
    }

    /// The fields after `VALUE `, or None when they are not exactly 3 or 4 valid ones.
    fn value_header(&self, from: usize) -> Option<ValueHeader> {
        let mut fields = [(0, 0); 4];
        let count = split_fields(self.window, from, self.content_end, &mut fields)?;
        let text = |(start, len): Span| &self.window[start..start + len];
        let cas = match count {
            3 => (self.content_end, 0),
            4 => fields[3],
            _ => return None,
        };
        if count == 4 {
            parse_u64(text(cas))?;
        }
        let key = fields[0];
        if key.1 == 0 {
            return None;
        }
        Some(ValueHeader {
            key,
            flags: parse_u32(text(fields[1]))?,
            // A longer block could never fit the u32 offsets: waiting for it would hang.
            bytes: parse_u32(text(fields[2]))?,
            cas,
        })
    }
}

struct ValueHeader {
    key: Span,
    flags: u32,
    bytes: u32,
    cas: Span,
}

/// Splits `window[from .. to)` at every single space into `fields` (empty fields included).
/// Returns how many there are, or None when there are more than `fields` holds.
fn split_fields(window: &[u8], from: usize, to: usize, fields: &mut [Span]) -> Option<usize> {
    let mut start = from;
    for (count, field) in fields.iter_mut().enumerate() {
        let len = memchr::memchr(b' ', &window[start..to]).unwrap_or(to - start);
        *field = (start, len);
        if start + len == to {
            return Some(count + 1);
        }
        start += len + 1;
    }
    None
}

/// A complete, well-formed `VALUE <key> <flags> <bytes>[ <cas>]\r\n<data>\r\n` at `pos`, read in
/// one pass (the bulk of multi-get replies: about twice as fast as finding the line first).
/// None for anything else, incomplete or malformed included: `general` then decides, so this
/// never changes a result, only how fast the common one is reached.
fn fast_value(window: &[u8], pos: usize) -> Option<Record> {
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
                if let Some(fast) = fast_value(window, 0) {
                    prop_assert_eq!(Some(fast), general(window, 0));
                }
            }
        }
    }

    #[test]
    fn the_fast_path_reads_the_common_replies() {
        let reply = b"VALUE some:key 16 5 123\r\nhello\r\nVALUE k 0 0\r\n\r\n";
        let first = fast_value(reply, 0).expect("fast");
        assert_eq!(Some(first), general(reply, 0));
        assert_eq!(first.c, (20, 3));
        let second = fast_value(reply, first.end).expect("fast");
        assert_eq!(Some(second), general(reply, first.end));
        assert_eq!(second.b, (first.end + 13, 0));
        // Cut anywhere, it waits (or defers): never a wrong record.
        for cut in 0..reply.len() {
            if let Some(record) = fast_value(&reply[..cut], 0) {
                assert_eq!(record.end, first.end);
            }
        }
    }
}
