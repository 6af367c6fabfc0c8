//! Classifying one reply: a line, plus a data block for VALUE and VA. Text and meta replies
//! share a stream, told apart by their first word.

use super::decimal::{digit_run, parse_u32, parse_u64};
use super::fast;
use super::line::{self, Line};
use super::meta::returned_flags;
use super::record::{Record, ReplyKind, Span};

/// The reply starting at `pos`, or None while it is incomplete.
pub(super) fn parse(window: &[u8], pos: usize) -> Option<Record> {
    fast::value(window, pos)
        .or_else(|| fast::meta_value(window, pos))
        .or_else(|| general(window, pos))
}

/// Any reply, by finding its line first and then classifying it.
pub(super) fn general(window: &[u8], pos: usize) -> Option<Record> {
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
            b"STAT" => self.named(ReplyKind::Stat, rest),
            b"VALUE" => return self.value(rest),
            b"HD" => self.meta(ReplyKind::MetaHd, rest),
            b"VA" => return self.meta_value(rest),
            b"EN" => self.meta(ReplyKind::MetaEn, rest),
            b"NS" => self.meta(ReplyKind::MetaNs, rest),
            b"EX" => self.meta(ReplyKind::MetaEx, rest),
            b"NF" => self.meta(ReplyKind::MetaNf, rest),
            b"MN" => simple(ReplyKind::MetaMn),
            b"ME" => self.named(ReplyKind::MetaMe, rest),
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

    /// `STAT <name>[ <value>]` and `ME <key>[ <k>=<v>...]`: the name non-empty and space-free
    /// (A); the value is the rest of the line, maybe empty (B).
    fn named(&self, kind: ReplyKind, rest: Option<usize>) -> Record {
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
            ..Record::with_a(kind, self.start, self.next, (name_start, name_len))
        }
    }

    /// `VALUE <key> <flags> <bytes>[ <cas>]`, single spaces, then `<bytes>` of data and `\r\n`.
    /// None while the data block is incomplete.
    fn value(&self, rest: Option<usize>) -> Option<Record> {
        let Some(header) = rest.and_then(|from| self.value_header(from)) else {
            return Some(self.malformed());
        };
        let record = Record {
            kind: ReplyKind::Value,
            start: self.start,
            end: self.next,
            a: header.key,
            b: (0, 0),
            flags: header.flags,
            c: header.cas,
        };
        self.with_data(header.bytes, record)
    }

    /// `record` with the data block of `bytes` bytes after the line as B, and ending after the
    /// block's `\r\n`. None while the block is incomplete; MALFORMED when the data is not
    /// followed by `\r\n` (judged once `bytes + 2` bytes are there).
    fn with_data(&self, bytes: u32, record: Record) -> Option<Record> {
        let data_start = self.next;
        // Checked for 32-bit targets, where a block this long could not be there anyway.
        let data_end = data_start.checked_add(bytes as usize)?;
        let reply_end = data_end.checked_add(2)?;
        if reply_end > self.window.len() {
            return None;
        }
        if &self.window[data_end..reply_end] != b"\r\n" {
            return Some(Record::malformed(self.start, reply_end));
        }
        Some(Record {
            end: reply_end,
            b: (data_start, data_end - data_start),
            ..record
        })
    }

    /// A meta `<code>[ <flags>]`: A is the flags, FLAGS the `f` flag's value, C the opaque.
    fn meta(&self, kind: ReplyKind, rest: Option<usize>) -> Record {
        match returned_flags(self.window, rest, self.content_end) {
            Some(flags) => flags.record(kind, self.start, self.next),
            None => self.malformed(),
        }
    }

    /// `VA <datalen>[ <flags>]`, then `<datalen>` bytes of data and `\r\n`: as `meta`, with the
    /// data as B. The datalen must fit a u32, as a VALUE's bytes. None while the data is incomplete.
    fn meta_value(&self, rest: Option<usize>) -> Option<Record> {
        let Some(from) = rest else {
            return Some(self.malformed());
        };
        let after = &self.window[from..self.content_end];
        let len_digits = memchr::memchr(b' ', after).unwrap_or(after.len());
        let len_end = from + len_digits;
        let flags_from = (len_end < self.content_end).then_some(len_end + 1);
        let header = parse_u32(&after[..len_digits]).zip(returned_flags(
            self.window,
            flags_from,
            self.content_end,
        ));
        let Some((bytes, flags)) = header else {
            return Some(self.malformed());
        };
        self.with_data(
            bytes,
            flags.record(ReplyKind::MetaVa, self.start, self.next),
        )
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
