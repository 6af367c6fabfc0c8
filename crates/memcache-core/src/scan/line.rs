//! Finding the end of one reply line.

use super::MAX_LINE_LENGTH;

/// What lies at a position where a reply line should start.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Line {
    /// A line ending in `\r\n`: its content is `[pos, content_end)`, the next reply starts at `next`.
    Complete { content_end: usize, next: usize },
    /// No `\n` yet, and still short enough to become a valid line.
    Incomplete,
    /// A `\n` without its `\r`; `next` is just past the `\n`.
    BareNewline { next: usize },
    /// More than MAX_LINE_LENGTH bytes without `\r\n`; `stop` is the end of the bytes examined.
    TooLong { stop: usize },
}

/// Locates the line starting at `pos`, looking no further than a maximal line.
pub(super) fn find(window: &[u8], pos: usize) -> Line {
    let limit = window.len().min(pos + MAX_LINE_LENGTH + 2);
    match memchr::memchr(b'\n', &window[pos..limit]) {
        Some(offset) => {
            let newline = pos + offset;
            if offset > 0 && window[newline - 1] == b'\r' {
                Line::Complete {
                    content_end: newline - 1,
                    next: newline + 1,
                }
            } else {
                Line::BareNewline { next: newline + 1 }
            }
        }
        None if limit - pos == MAX_LINE_LENGTH + 2 => Line::TooLong { stop: limit },
        None => Line::Incomplete,
    }
}
