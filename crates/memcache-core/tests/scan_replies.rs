//! The scanner on canned replies: every kind, the edge cases of each, and splits.

use memcache_core::scan::{scan, MAX_LINE_LENGTH, SCAN_STRIDE};
use memcache_core::ReplyKind::{self, *};

/// A record with its spans resolved to text, for readable assertions.
#[derive(Debug, PartialEq, Eq)]
struct Seen {
    kind: u32,
    start: u32,
    end: u32,
    a: String,
    b: String,
    flags: u32,
    c: String,
}

fn text(buf: &[u8], start: u32, len: u32) -> String {
    String::from_utf8_lossy(&buf[start as usize..(start + len) as usize]).into_owned()
}

fn scan_records(buf: &[u8], start: usize, end: usize, capacity: usize) -> Vec<[u32; SCAN_STRIDE]> {
    let mut out = vec![0u32; capacity * SCAN_STRIDE];
    let count = scan(buf, start as u32, end as u32, &mut out) as usize;
    out.chunks_exact(SCAN_STRIDE)
        .take(count)
        .map(|r| r.try_into().expect("stride"))
        .collect()
}

fn seen(buf: &[u8]) -> Vec<Seen> {
    scan_records(buf, 0, buf.len(), 64)
        .iter()
        .map(|r| Seen {
            kind: r[0],
            start: r[1],
            end: r[2],
            a: text(buf, r[3], r[4]),
            b: text(buf, r[5], r[6]),
            flags: r[7],
            c: text(buf, r[8], r[9]),
        })
        .collect()
}

/// The one record `reply` scans to, as (kind, A, B, flags, C), checking it spans all of `reply`.
fn only(reply: &[u8]) -> (ReplyKind, String, String, u32, String) {
    let records = seen(reply);
    assert_eq!(
        records.len(),
        1,
        "{:?}: {records:?}",
        String::from_utf8_lossy(reply)
    );
    let r = &records[0];
    assert_eq!((r.start, r.end), (0, reply.len() as u32), "{r:?}");
    let kind = kind_of(r.kind);
    (kind, r.a.clone(), r.b.clone(), r.flags, r.c.clone())
}

fn kind_of(code: u32) -> ReplyKind {
    [
        End,
        Stored,
        NotStored,
        Exists,
        NotFound,
        Deleted,
        Touched,
        Ok,
        Reset,
        Error,
        Number,
        Stat,
        Version,
        ClientError,
        ServerError,
        Value,
        Malformed,
    ][code as usize - 1]
}

fn plain(kind: ReplyKind) -> (ReplyKind, String, String, u32, String) {
    (kind, String::new(), String::new(), 0, String::new())
}

fn with_a(kind: ReplyKind, a: &str) -> (ReplyKind, String, String, u32, String) {
    (kind, a.into(), String::new(), 0, String::new())
}

fn is_malformed(reply: &[u8]) -> bool {
    let records = seen(reply);
    records.len() == 1 && records[0].kind == Malformed as u32
}

#[test]
fn bare_keywords() {
    let cases = [
        ("END", End),
        ("STORED", Stored),
        ("NOT_STORED", NotStored),
        ("EXISTS", Exists),
        ("NOT_FOUND", NotFound),
        ("DELETED", Deleted),
        ("TOUCHED", Touched),
        ("OK", Ok),
        ("RESET", Reset),
        ("ERROR", Error),
    ];
    for (word, kind) in cases {
        assert_eq!(
            only(format!("{word}\r\n").as_bytes()),
            plain(kind),
            "{word}"
        );
    }
}

#[test]
fn bare_keywords_take_nothing_after_them() {
    for line in [
        "END ",
        "END x",
        "STORED 1",
        "OK\t",
        "end",
        "Stored",
        "ENDX",
        "DELETED  ",
    ] {
        assert!(is_malformed(format!("{line}\r\n").as_bytes()), "{line:?}");
    }
}

#[test]
fn messages() {
    assert_eq!(
        only(b"ERROR unknown command\r\n"),
        with_a(Error, "unknown command")
    );
    assert_eq!(only(b"VERSION 1.6.21\r\n"), with_a(Version, "1.6.21"));
    assert_eq!(only(b"VERSION\r\n"), with_a(Version, ""));
    assert_eq!(only(b"VERSION \r\n"), with_a(Version, ""));
    assert_eq!(
        only(b"CLIENT_ERROR bad data chunk\r\n"),
        with_a(ClientError, "bad data chunk")
    );
    assert_eq!(only(b"CLIENT_ERROR\r\n"), with_a(ClientError, ""));
    assert_eq!(
        only(b"SERVER_ERROR out of memory\r\n"),
        with_a(ServerError, "out of memory")
    );
    assert_eq!(
        only(b"SERVER_ERROR  two  spaces \r\n"),
        with_a(ServerError, " two  spaces ")
    );
    assert!(is_malformed(b"SERVER_ERRORx\r\n"));
    assert!(is_malformed(b"server_error x\r\n"));
}

#[test]
fn empty_message_starts_at_the_line_end() {
    let r = &scan_records(b"VERSION\r\n", 0, 9, 1)[0];
    assert_eq!((r[3], r[4]), (7, 0));
    let r = &scan_records(b"ERROR \r\n", 0, 8, 1)[0];
    assert_eq!((r[3], r[4]), (6, 0));
}

#[test]
fn numbers() {
    assert_eq!(only(b"0\r\n"), with_a(Number, "0"));
    assert_eq!(only(b"42\r\n"), with_a(Number, "42"));
    assert_eq!(only(b"42   \r\n"), with_a(Number, "42"));
    assert_eq!(only(b"007\r\n"), with_a(Number, "007"));
    assert_eq!(
        only(b"18446744073709551615\r\n"),
        with_a(Number, "18446744073709551615")
    );
    assert_eq!(
        only(b"000000000000000000000018446744073709551615\r\n"),
        with_a(Number, "000000000000000000000018446744073709551615")
    );
    for line in [
        "18446744073709551616",
        "99999999999999999999",
        "-1",
        "+1",
        " 1",
        "1x",
        "1 x",
        "1\t",
        "1.5",
    ] {
        assert!(is_malformed(format!("{line}\r\n").as_bytes()), "{line:?}");
    }
}

#[test]
fn stats() {
    let stat = |a: &str, b: &str| (Stat, a.to_owned(), b.to_owned(), 0, String::new());
    assert_eq!(only(b"STAT pid 1234\r\n"), stat("pid", "1234"));
    assert_eq!(
        only(b"STAT version 1.6.21 extra words\r\n"),
        stat("version", "1.6.21 extra words")
    );
    assert_eq!(
        only(b"STAT items:1:number 5\r\n"),
        stat("items:1:number", "5")
    );
    assert_eq!(only(b"STAT name\r\n"), stat("name", ""));
    assert_eq!(only(b"STAT name \r\n"), stat("name", ""));
    assert_eq!(only(b"STAT name  x\r\n"), stat("name", " x"));
    for line in ["STAT", "STAT ", "STAT  x 1", "stat pid 1", "STATS pid 1"] {
        assert!(is_malformed(format!("{line}\r\n").as_bytes()), "{line:?}");
    }
    let r = &scan_records(b"STAT name\r\n", 0, 11, 1)[0];
    assert_eq!(
        (r[5], r[6]),
        (9, 0),
        "an empty value starts at the line end"
    );
}

#[test]
fn values() {
    assert_eq!(
        only(b"VALUE k 5 3\r\nabc\r\n"),
        (Value, "k".into(), "abc".into(), 5, String::new())
    );
    assert_eq!(
        only(b"VALUE key:1 4294967295 0 18446744073709551615\r\n\r\n"),
        (
            Value,
            "key:1".into(),
            String::new(),
            u32::MAX,
            "18446744073709551615".into()
        )
    );
    assert_eq!(
        only(b"VALUE k 0 12 77\r\nEND\r\nVALUE \n\r\n"),
        (Value, "k".into(), "END\r\nVALUE \n".into(), 0, "77".into())
    );
    let r = &scan_records(b"VALUE k 0 1\r\nx\r\n", 0, 16, 1)[0];
    assert_eq!(
        (r[5], r[6], r[8], r[9]),
        (13, 1, 11, 0),
        "absent cas starts at the line end"
    );
}

#[test]
fn value_headers_must_be_exact() {
    let bad = [
        "VALUE",
        "VALUE ",
        "VALUE k",
        "VALUE k 0",
        "VALUE k 0 1 2 3",
        "VALUE k 0 1 ",
        "VALUE  k 0 1",
        "VALUE k  0 1",
        "VALUE k 0 1  2",
        "VALUE k -1 1",
        "VALUE k 0 -1",
        "VALUE k 4294967296 1",
        "VALUE k 0 4294967296",
        "VALUE k 0 1 18446744073709551616",
        "VALUE k 0 1 x",
        "VALUE k 0x1 1",
        "value k 0 1",
        "VALUE k 0 1\t",
    ];
    for line in bad {
        assert!(
            is_malformed(format!("{line}\r\nx\r\n").as_bytes()),
            "{line:?}"
        );
    }
}

#[test]
fn value_data_must_end_in_crlf() {
    let records = seen(b"VALUE k 0 1\r\nxy\r\nEND\r\n");
    assert_eq!(records.len(), 1);
    assert_eq!(
        (records[0].kind, records[0].start, records[0].end),
        (Malformed as u32, 0, 0)
    );
    assert_eq!(
        records[0].a, "VALUE k 0 1\r\nxy\r",
        "A runs through the two bytes after the data"
    );
    assert!(is_malformed(b"VALUE k 0 1\r\nx\n\r"));
    assert!(is_malformed(b"VALUE k 0 1\r\nx\r\r"));
}

#[test]
fn incomplete_replies_wait() {
    for partial in [
        "",
        "E",
        "END",
        "END\r",
        "VALUE k 0 3\r\n",
        "VALUE k 0 3\r\nab",
        "VALUE k 0 3\r\nabc",
        "VALUE k 0 3\r\nabc\r",
        "VALUE k 0 4294967295\r\n",
        "STAT x",
    ] {
        assert!(seen(partial.as_bytes()).is_empty(), "{partial:?}");
    }
}

#[test]
fn line_endings_must_be_crlf() {
    for bad in ["END\n", "\n", "\r\n", "END\n\r\n", "STORED\r\r\n"] {
        assert!(is_malformed(bad.as_bytes()), "{bad:?}");
    }
    let records = seen(b"END\nEND\r\n");
    assert_eq!(
        (records[0].start, records[0].end, records[0].a.as_str()),
        (0, 0, "END\n")
    );
}

#[test]
fn line_length_limit() {
    let longest = format!("SERVER_ERROR {}\r\n", "x".repeat(MAX_LINE_LENGTH - 13));
    assert_eq!(only(longest.as_bytes()).0, ServerError);
    let too_long = format!("SERVER_ERROR {}\r\n", "x".repeat(MAX_LINE_LENGTH - 12));
    let records = seen(too_long.as_bytes());
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].kind, Malformed as u32);
    assert_eq!(records[0].end, 0, "MALFORMED consumes nothing");
    assert_eq!(records[0].a.len(), 256, "A shows at most 256 bytes");
    let unfinished = "x".repeat(MAX_LINE_LENGTH + 1);
    assert!(
        seen(unfinished.as_bytes()).is_empty(),
        "8193 bytes may still end in \\r\\n"
    );
    assert!(is_malformed("x".repeat(MAX_LINE_LENGTH + 2).as_bytes()));
}

#[test]
fn huge_values_are_not_line_limited() {
    let data = "v".repeat(MAX_LINE_LENGTH * 3);
    let reply = format!("VALUE k 1 {}\r\n{data}\r\n", data.len());
    assert_eq!(only(reply.as_bytes()).2.len(), data.len());
}

#[test]
fn a_malformed_reply_ends_the_scan() {
    let records = seen(b"STORED\r\nBOGUS\r\nEND\r\n");
    let kinds: Vec<u32> = records.iter().map(|r| r.kind).collect();
    assert_eq!(kinds, [Stored as u32, Malformed as u32]);
    assert_eq!(
        (records[1].start, records[1].end, records[1].a.as_str()),
        (8, 8, "BOGUS\r\n")
    );
}

#[test]
fn a_multi_get_reply() {
    let stream = b"VALUE a 0 1 10\r\n1\r\nVALUE bb 3 2 11\r\n22\r\nEND\r\n";
    let records = seen(stream);
    let kinds: Vec<u32> = records.iter().map(|r| r.kind).collect();
    assert_eq!(kinds, [Value as u32, Value as u32, End as u32]);
    assert_eq!(
        (
            records[1].a.as_str(),
            records[1].b.as_str(),
            records[1].flags
        ),
        ("bb", "22", 3)
    );
    assert_eq!(records[2].end as usize, stream.len());
}

#[test]
fn stops_when_out_is_full() {
    let stream = b"STORED\r\nDELETED\r\nEND\r\n";
    let first = scan_records(stream, 0, stream.len(), 2);
    assert_eq!(first.len(), 2);
    let rest = scan_records(stream, first[1][2] as usize, stream.len(), 2);
    assert_eq!((rest.len(), rest[0][0]), (1, End as u32));
    let mut short = [7u32; SCAN_STRIDE - 1];
    assert_eq!(scan(stream, 0, stream.len() as u32, &mut short), 0);
    assert_eq!(
        short,
        [7; SCAN_STRIDE - 1],
        "a partial slot is never written"
    );
}

#[test]
fn offsets_are_absolute_and_bounds_are_clamped() {
    let buf = b"junkSTORED\r\nEND\r\n";
    let records = scan_records(buf, 4, buf.len(), 8);
    assert_eq!((records[0][1], records[0][2]), (4, 12));
    assert!(
        scan_records(buf, 4, 11, 8).is_empty(),
        "`end` hides the \\n"
    );
    assert_eq!(
        scan_records(buf, 4, 1_000_000, 8).len(),
        2,
        "end is clamped to the buffer"
    );
    assert!(scan_records(buf, 1_000, 2_000, 8).is_empty());
    assert!(
        scan_records(buf, 12, 4, 8).is_empty(),
        "start past end scans nothing"
    );
}

/// Every reply kind once, with awkward data.
const STREAM: &[u8] = b"VALUE k1 0 5 123\r\nEND\r\n\r\nVALUE k2 4294967295 0\r\n\r\nEND\r\nSTORED\r\n\
NOT_STORED\r\nEXISTS\r\nNOT_FOUND\r\nDELETED\r\nTOUCHED\r\nOK\r\nRESET\r\nERROR\r\n18446744073709551615  \r\n\
STAT pid 1\r\nSTAT empty\r\nVERSION 1.6.21\r\nCLIENT_ERROR bad\r\nSERVER_ERROR \r\nEND\r\nGARBAGE\r\n";

#[test]
fn the_sample_stream_has_every_kind() {
    let mut kinds: Vec<u32> = seen(STREAM).iter().map(|r| r.kind).collect();
    kinds.sort_unstable();
    kinds.dedup();
    assert_eq!(kinds, (1..=17).collect::<Vec<u32>>());
}

#[test]
fn splitting_at_every_byte_gives_the_same_records() {
    let whole = scan_records(STREAM, 0, STREAM.len(), 64);
    for split in 0..=STREAM.len() {
        // The first read sees only `split` bytes, as if the rest had not arrived.
        let mut records = scan_records(&STREAM[..split], 0, split, 64);
        let consumed = records.last().map_or(0, |r| r[2] as usize);
        if records.last().is_none_or(|r| r[0] != Malformed as u32) {
            records.extend(scan_records(STREAM, consumed, STREAM.len(), 64));
        }
        assert_eq!(records, whole, "split at {split}");
    }
}

#[test]
fn one_record_at_a_time_gives_the_same_records() {
    let whole = scan_records(STREAM, 0, STREAM.len(), 64);
    let mut records = Vec::new();
    let mut pos = 0;
    while let [record] = scan_records(STREAM, pos, STREAM.len(), 1)[..] {
        records.push(record);
        if record[0] == Malformed as u32 {
            break;
        }
        pos = record[2] as usize;
    }
    assert_eq!(records, whole);
}
