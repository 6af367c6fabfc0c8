//! Scanner for memcached replies, text and meta protocol mixed in one stream, per
//! `ts/core/contract.ts`: one call turns a whole socket read into fixed-size records of absolute
//! offsets, without copying or allocating.

mod decimal;
mod fast;
mod line;
mod meta;
mod record;
mod reply;

pub use self::record::ReplyKind;

/// Words per record in the output.
pub const SCAN_STRIDE: usize = 10;
/// Record field offsets (u32 words).
pub const F_KIND: usize = 0;
pub const F_START: usize = 1;
pub const F_END: usize = 2;
pub const F_A_START: usize = 3;
pub const F_A_LEN: usize = 4;
pub const F_B_START: usize = 5;
pub const F_B_LEN: usize = 6;
pub const F_FLAGS: usize = 7;
pub const F_C_START: usize = 8;
pub const F_C_LEN: usize = 9;

/// Longest reply line (without its `\r\n`); a longer one is MALFORMED.
pub const MAX_LINE_LENGTH: usize = 8192;
/// Most bytes a MALFORMED record's field A shows.
pub const MALFORMED_EXCERPT: usize = 256;

/// Scans `buf[start .. end)` and writes one record of SCAN_STRIDE words per complete reply
/// into `out`, stopping when `out` is full, at an incomplete reply, or after a MALFORMED
/// record. Returns the number of records written. `start` and `end` are clamped to `buf`,
/// so it never panics and never reads outside `[start, end)`.
///
/// Edge cases, decided with the pure-TS twin (`ts/core/ts-core/scanner.ts`), which must agree:
/// - A line ends at its first `\n`, which must follow `\r`; a bare `\n` or an empty line is
///   MALFORMED, a lone `\r` inside a line is an ordinary byte. A line is judged only once
///   complete, except that MAX_LINE_LENGTH + 2 bytes without `\n` are MALFORMED at once.
/// - Keywords are exact and case-sensitive; END .. RESET take nothing after them, not even a
///   space. ERROR, VERSION, CLIENT_ERROR, SERVER_ERROR: alone, A is empty; else one space and
///   A is the rest of the line as is.
/// - `STAT <name>[ <value>]`: name up to the next space, non-empty; value is the rest after
///   that one space, maybe empty.
/// - NUMBER: digits then only spaces (not in A); the value must fit a u64.
/// - `VALUE <key> <flags> <bytes>[ <cas>]`: single spaces, no trailing space, non-empty key;
///   flags and bytes fit a u32, cas a u64; data must be followed by `\r\n` (judged once
///   `bytes + 2` data bytes are there). Decimal fields may have leading zeros.
/// - Meta replies: a two-letter code as a whole word (`EN` is not `END`). HD, EN, NS, EX, NF
///   and `VA <datalen>` take flags: after one space, words separated by single spaces, none
///   empty (no leading, doubled or trailing space); A is their text, FLAGS the first `f` flag's
///   value (which must fit a u32), C the first `O` flag's token without its `O`. The datalen
///   fits a u32 and the data is read as VALUE's. MN stands alone; `ME <key>[ <rest>]` is read
///   as STAT is.
/// - An empty field starts where it would have been (the line end for an empty message, STAT
///   value, absent cas, meta flags or opaque; the data start for empty data); fields a kind
///   lacks are 0.
/// - MALFORMED consumes nothing (F_END = F_START); A covers the bytes judged (the line with its
///   `\n`, a VALUE or VA through the two bytes after its data, or the over-long window), at
///   most 256.
pub fn scan(buf: &[u8], start: u32, end: u32, out: &mut [u32]) -> u32 {
    let end = (end as usize).min(buf.len());
    let start = (start as usize).min(end);
    // Everything past `end` is out of reach of the parsers from here on.
    let window = &buf[..end];
    let mut written = 0;
    let mut pos = start;
    for slot in out.chunks_exact_mut(SCAN_STRIDE) {
        if pos >= end {
            break;
        }
        let Some(record) = reply::parse(window, pos) else {
            break;
        };
        record.write(slot);
        written += 1;
        if record.kind == ReplyKind::Malformed {
            break;
        }
        pos = record.end;
    }
    written
}
