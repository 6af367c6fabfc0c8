//! The flags a meta reply returns after its code (and after a VA's datalen): words of one flag
//! letter and an optional token (`c123`, `t-1`, `Oabc`, `kkey`, `W`), single spaces between them.

use super::decimal::parse_u32;
use super::record::{Record, ReplyKind, Span};

/// What a record keeps of a meta reply's flags, so the protocol layer can match a reply to its
/// request without reading the flags again.
pub(super) struct ReturnedFlags {
    /// All of them, from the first flag to the line end; empty, at the line end, when none.
    text: Span,
    /// The first `f` flag's value (the item's client flags); 0 without one.
    client_flags: u32,
    /// The first `O` flag's token (the opaque, without its `O`); empty, at the line end, without one.
    opaque: Span,
}

impl ReturnedFlags {
    /// The record of a meta reply `[start, end)` with these flags: A, FLAGS and C set.
    pub fn record(&self, kind: ReplyKind, start: usize, end: usize) -> Record {
        Record {
            kind,
            start,
            end,
            a: self.text,
            b: (0, 0),
            flags: self.client_flags,
            c: self.opaque,
        }
    }
}

/// Reads the flags `window[from .. line_end)`; `from` is None when the line ends before any
/// (no space after the code). None when they are malformed: an empty flag (a space leading,
/// doubled or trailing), a flag not an ASCII letter followed by printable ASCII (a garbled `f`
/// or `W` must not pass for another flag, or for none), or a first `f` flag whose token is not
/// a decimal u32. Later `f` and `O` flags (memcached never repeats one) are left to the text.
pub(super) fn returned_flags(
    window: &[u8],
    from: Option<usize>,
    line_end: usize,
) -> Option<ReturnedFlags> {
    let Some(from) = from else {
        return Some(ReturnedFlags {
            text: (line_end, 0),
            client_flags: 0,
            opaque: (line_end, 0),
        });
    };
    let mut client_flags = None;
    let mut opaque = None;
    let mut start = from;
    // Flags are a few bytes each: a plain split beats a memchr call per flag.
    for flag in window[from..line_end].split(|&byte| byte == b' ') {
        if !is_flag_word(flag) {
            return None;
        }
        match flag.first()? {
            b'f' if client_flags.is_none() => client_flags = Some(parse_u32(&flag[1..])?),
            b'O' if opaque.is_none() => opaque = Some((start + 1, flag.len() - 1)),
            _ => {}
        }
        start += flag.len() + 1;
    }
    Some(ReturnedFlags {
        text: (from, line_end - from),
        client_flags: client_flags.unwrap_or(0),
        opaque: opaque.unwrap_or((line_end, 0)),
    })
}

/// A meta flag word: an ASCII letter, then printable ASCII (0x21-0x7e) only.
fn is_flag_word(flag: &[u8]) -> bool {
    match flag.split_first() {
        Some((first, rest)) => {
            first.is_ascii_alphabetic() && rest.iter().all(|&byte| (0x21..=0x7e).contains(&byte))
        }
        None => false,
    }
}
