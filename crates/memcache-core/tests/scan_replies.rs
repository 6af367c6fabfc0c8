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
    ReplyKind::from_code(code).expect("a reply kind")
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

/// Every reply kind once, text and meta mixed, with awkward data.
const STREAM: &[u8] = b"VALUE k1 0 5 123\r\nEND\r\n\r\nVALUE k2 4294967295 0\r\n\r\nEND\r\nSTORED\r\n\
NOT_STORED\r\nEXISTS\r\nNOT_FOUND\r\nDELETED\r\nTOUCHED\r\nOK\r\nRESET\r\nERROR\r\n18446744073709551615  \r\n\
STAT pid 1\r\nSTAT empty\r\nVERSION 1.6.21\r\nCLIENT_ERROR bad\r\nSERVER_ERROR \r\nEND\r\n\
HD c1 O1 kfoo\r\nVA 8 f42 c1 t-1 s8 O123 kfoo\r\nEN\r\nHD\r\n\r\nEN O7 kmissing\r\nNS O1\r\nEX\r\n\
NF O6\r\nVA 0 c5 O1 W\r\n\r\nME foo exp=-1 la=0 cas=1 fetch=yes cls=1 size=71\r\nMN\r\nGARBAGE\r\n";

#[test]
fn the_sample_stream_has_every_kind() {
    let mut kinds: Vec<u32> = seen(STREAM).iter().map(|r| r.kind).collect();
    kinds.sort_unstable();
    kinds.dedup();
    let all: Vec<u32> = ReplyKind::ALL.iter().map(|&k| k as u32).collect();
    assert_eq!(kinds, all);
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

/// A meta reply's record: (kind, flags text A, data B, client flags, opaque C).
fn meta(
    kind: ReplyKind,
    a: &str,
    b: &str,
    flags: u32,
    c: &str,
) -> (ReplyKind, String, String, u32, String) {
    (kind, a.into(), b.into(), flags, c.into())
}

#[test]
fn meta_codes_alone() {
    for (code, kind) in [
        ("HD", MetaHd),
        ("EN", MetaEn),
        ("NS", MetaNs),
        ("EX", MetaEx),
        ("NF", MetaNf),
        ("MN", MetaMn),
    ] {
        assert_eq!(
            only(format!("{code}\r\n").as_bytes()),
            plain(kind),
            "{code}"
        );
    }
    // Absent flags and opaque are empty spans at the line end.
    let r = &scan_records(b"HD\r\n", 0, 4, 1)[0];
    assert_eq!((r[3], r[4], r[7], r[8], r[9]), (2, 0, 0, 2, 0));
}

#[test]
fn meta_codes_are_whole_words() {
    assert_eq!(only(b"END\r\n"), plain(End));
    assert_eq!(only(b"EN\r\n"), plain(MetaEn));
    assert_eq!(only(b"EXISTS\r\n"), plain(Exists));
    assert_eq!(only(b"EX\r\n"), plain(MetaEx));
    assert_eq!(only(b"NOT_FOUND\r\n"), plain(NotFound));
    assert_eq!(only(b"NF\r\n"), plain(MetaNf));
    assert_eq!(only(b"NOT_STORED\r\n"), plain(NotStored));
    assert_eq!(only(b"NS\r\n"), plain(MetaNs));
    assert_eq!(only(b"OK\r\n"), plain(Ok));
    for line in [
        "ENX", "HDc1", "hd", "Hd", "H", "HD\tc1", "MNX", "VAL", "MEX foo", "OK c1",
    ] {
        assert!(is_malformed(format!("{line}\r\n").as_bytes()), "{line:?}");
    }
}

#[test]
fn meta_flags_give_the_text_the_client_flags_and_the_opaque() {
    assert_eq!(
        only(b"HD c1 O1 kfoo\r\n"),
        meta(MetaHd, "c1 O1 kfoo", "", 0, "1")
    );
    assert_eq!(
        only(b"EN O7 kmissing\r\n"),
        meta(MetaEn, "O7 kmissing", "", 0, "7")
    );
    assert_eq!(only(b"NS O1\r\n"), meta(MetaNs, "O1", "", 0, "1"));
    assert_eq!(
        only(b"EX c9 Oabc\r\n"),
        meta(MetaEx, "c9 Oabc", "", 0, "abc")
    );
    assert_eq!(only(b"NF O6\r\n"), meta(MetaNf, "O6", "", 0, "6"));
    assert_eq!(
        only(b"HD f4294967295 t-1 W\r\n"),
        meta(MetaHd, "f4294967295 t-1 W", "", u32::MAX, "")
    );
    assert_eq!(only(b"HD f007\r\n"), meta(MetaHd, "f007", "", 7, ""));
    assert_eq!(only(b"HD W\r\n"), meta(MetaHd, "W", "", 0, ""));
    // The first `f` and `O` count; later ones stay in the text, unchecked.
    assert_eq!(
        only(b"HD f1 O2 fx O3\r\n"),
        meta(MetaHd, "f1 O2 fx O3", "", 1, "2")
    );
    // A flag is an ASCII letter and then printable ASCII only: a garbled one (a control or
    // non-ASCII byte, a first byte no letter) must not pass for another flag, or for none.
    for garbled in [
        &b"HD O\xff\r1 k\x01\r\n"[..],
        b"VA 3 \x80f16 c7 O1\r\nabc\r\n",
        b"VA 0 f0 c7 \x80W O1\r\n\r\n",
        b"HD W\x80 O1\r\n",
        b"HD 1W\r\n",
    ] {
        assert!(
            is_malformed(garbled),
            "{:?}",
            String::from_utf8_lossy(garbled)
        );
    }
    // An absent opaque starts at the line end; an empty one just after its `O`.
    let r = &scan_records(b"HD c1\r\n", 0, 7, 1)[0];
    assert_eq!((r[3], r[4], r[8], r[9]), (3, 2, 5, 0));
    let r = &scan_records(b"HD O c1\r\n", 0, 9, 1)[0];
    assert_eq!((r[3], r[4], r[8], r[9]), (3, 4, 4, 0));
}

#[test]
fn meta_flags_must_be_single_spaced_and_f_a_u32() {
    for line in [
        "HD ",
        "HD  c1",
        "HD c1 ",
        "HD c1  O2",
        "EN  ",
        "NS c1 ",
        "HD f",
        "HD fx",
        "HD f-1",
        "HD f1x",
        "HD f4294967296",
        "HD c1 f18446744073709551616",
        "EX f0x1",
        "VA 1 f",
        "VA 1  f1",
        "VA 1 c1 ",
    ] {
        assert!(
            is_malformed(format!("{line}\r\nx\r\n").as_bytes()),
            "{line:?}"
        );
    }
}

#[test]
fn meta_values() {
    assert_eq!(
        only(b"VA 5 f42 c1 t-1 s5 O123 kfoo\r\nhello\r\n"),
        meta(MetaVa, "f42 c1 t-1 s5 O123 kfoo", "hello", 42, "123")
    );
    assert_eq!(only(b"VA 2\r\nhi\r\n"), meta(MetaVa, "", "hi", 0, ""));
    assert_eq!(
        only(b"VA 11 O1\r\nEN\r\nVA 1\r\n\n\r\n"),
        meta(MetaVa, "O1", "EN\r\nVA 1\r\n\n", 0, "1")
    );
    assert_eq!(
        only(b"VA 0004 f4294967295\r\nabcd\r\n"),
        meta(MetaVa, "f4294967295", "abcd", u32::MAX, "")
    );
    // Empty data is an empty span at the data start; absent flags at the line end.
    let r = &scan_records(b"VA 0\r\n\r\n", 0, 8, 1)[0];
    assert_eq!(
        (r[2], r[3], r[4], r[5], r[6], r[8], r[9]),
        (8, 4, 0, 6, 0, 4, 0)
    );
    for line in [
        "VA",
        "VA ",
        "VA x",
        "VA -1",
        "VA 1x",
        "VA 4294967296",
        "VA 1 fx",
        "va 1",
    ] {
        assert!(
            is_malformed(format!("{line}\r\nx\r\n").as_bytes()),
            "{line:?}"
        );
    }
}

#[test]
fn meta_value_data_must_end_in_crlf_and_is_awaited() {
    let records = seen(b"VA 1 O1\r\nxy\r\nMN\r\n");
    assert_eq!(records.len(), 1);
    assert_eq!(
        (records[0].kind, records[0].start, records[0].end),
        (Malformed as u32, 0, 0)
    );
    assert_eq!(
        records[0].a, "VA 1 O1\r\nxy\r",
        "A runs through the two bytes after the data"
    );
    for partial in [
        "VA 3\r\n",
        "VA 3\r\nab",
        "VA 3\r\nabc",
        "VA 3\r\nabc\r",
        "VA 4294967295 O1\r\n",
        "HD c1",
        "HD c1\r",
        "MN\r",
    ] {
        assert!(seen(partial.as_bytes()).is_empty(), "{partial:?}");
    }
    let data = "v".repeat(MAX_LINE_LENGTH * 3);
    let reply = format!("VA {} f1\r\n{data}\r\n", data.len());
    assert_eq!(only(reply.as_bytes()).2.len(), data.len());
}

#[test]
fn meta_no_op_and_debug() {
    assert_eq!(only(b"MN\r\n"), plain(MetaMn));
    for line in ["MN ", "MN x", "MN O1"] {
        assert!(is_malformed(format!("{line}\r\n").as_bytes()), "{line:?}");
    }
    let debug = |a: &str, b: &str| (MetaMe, a.to_owned(), b.to_owned(), 0, String::new());
    assert_eq!(
        only(b"ME foo exp=-1 la=0 cas=1 fetch=yes cls=1 size=71\r\n"),
        debug("foo", "exp=-1 la=0 cas=1 fetch=yes cls=1 size=71")
    );
    assert_eq!(only(b"ME Zm9vYg== exp=-1\r\n"), debug("Zm9vYg==", "exp=-1"));
    assert_eq!(only(b"ME foo\r\n"), debug("foo", ""));
    for line in ["ME", "ME ", "ME  foo x"] {
        assert!(is_malformed(format!("{line}\r\n").as_bytes()), "{line:?}");
    }
}

#[test]
fn meta_line_length_limit() {
    let longest = format!("HD O{}\r\n", "x".repeat(MAX_LINE_LENGTH - 4));
    assert_eq!(only(longest.as_bytes()).4.len(), MAX_LINE_LENGTH - 4);
    let too_long = format!("HD O{}\r\n", "x".repeat(MAX_LINE_LENGTH - 3));
    assert!(is_malformed(too_long.as_bytes()));
    assert!(seen(&too_long.as_bytes()[..MAX_LINE_LENGTH + 1]).is_empty());
}

/// Replies of memcached 1.6.18 to meta commands, text ones mixed in (`memcached -p <port>`,
/// each request written at once and every reply read back).
const CAPTURED: &[(&str, &[u8])] = &[
    ("mg foo v f c t s O123 / mn", b"EN O123\r\nMN\r\n"),
    (
        "ms foo 5 F42 T0 c O1 k / mg foo v f c t s O123 k / mg foo s v / mg foo / mg foo O9 k q / mg missing v O7 k / mg missing v q O8 / mn",
        b"HD c1 O1 kfoo\r\nVA 5 f42 c1 t-1 s5 O123 kfoo\r\nhello\r\nVA 5 s5\r\nhello\r\nHD\r\nHD O9 kfoo\r\nEN O7 kmissing\r\nMN\r\n",
    ),
    (
        "me foo / me missing / md foo O5 q / md foo O6 / mg foo v / ms foo 2 MR O1 / ms foo 2 ME / ms foo 2 ME / ms foo 2 C1 O3 / mn",
        b"ME foo exp=-1 la=0 cas=1 fetch=yes cls=1 size=71\r\nEN\r\nNF O6\r\nEN\r\nNS O1\r\nHD\r\nNS\r\nEX O3\r\nMN\r\n",
    ),
    (
        "ma cnt O1 / ma cnt N0 J13 v O2 t c / ma cnt v MD D20 / mg lease v c N30 O1 / mg lease v c N30 O2 / md lease I T30 / mg lease v c (twice) / mg foo v f h l t / mg foo x / mg foo O / mg / mn extra",
        b"NF O1\r\nVA 2 O2 t-1 c3\r\n13\r\nVA 1\r\n0\r\nVA 0 c5 O1 W\r\n\r\nVA 0 c5 O2 Z\r\n\r\nHD\r\nVA 0 c6 X W\r\n\r\nVA 0 c6 Z X\r\n\r\nVA 2 f0 h0 l1 t-1\r\nhi\r\nCLIENT_ERROR invalid flag\r\nHD O\r\nERROR\r\nMN\r\n",
    ),
    (
        "ms Zm9vYg== 3 b k c O1 / mg Zm9vYg== b k v O2 / me Zm9vYg== b / mg foo v q k O3 / mg nope v q k O4 / ms foo 2 O5 (3 bytes) / mn",
        b"HD kZm9vYg== b c7 O1\r\nVA 3 kZm9vYg== b O2\r\nbar\r\nME Zm9vYg== exp=-1 la=0 cas=7 fetch=yes cls=1 size=66\r\nVA 2 kfoo O3\r\nhi\r\nCLIENT_ERROR bad data chunk\r\nERROR\r\nMN\r\n",
    ),
    (
        "get foo / mg foo v / gets foo / mg foo c / delete nope / md nope / set a 0 0 1 / ms a 1 I / mn",
        b"VALUE foo 0 2\r\nhi\r\nEND\r\nVA 2\r\nhi\r\nVALUE foo 0 2 2\r\nhi\r\nEND\r\nHD c2\r\nNOT_FOUND\r\nNF\r\nSTORED\r\nHD\r\nMN\r\n",
    ),
];

#[test]
fn replies_captured_from_memcached() {
    let opaques = |stream: &[u8]| -> Vec<(u32, String, String)> {
        seen(stream)
            .into_iter()
            .map(|r| (r.kind, r.c, r.b))
            .collect()
    };
    let [(_, miss), (_, hit), (_, other), (_, counters), (_, binary), (_, mixed)] = CAPTURED else {
        unreachable!()
    };
    assert_eq!(
        opaques(miss),
        [
            (MetaEn as u32, "123".into(), String::new()),
            (MetaMn as u32, String::new(), String::new())
        ]
    );
    let hit = seen(hit);
    assert_eq!(
        (
            hit[1].kind,
            hit[1].a.as_str(),
            hit[1].b.as_str(),
            hit[1].flags,
            hit[1].c.as_str()
        ),
        (MetaVa as u32, "f42 c1 t-1 s5 O123 kfoo", "hello", 42, "123")
    );
    let kinds = |stream: &[u8]| -> Vec<ReplyKind> {
        seen(stream).iter().map(|r| kind_of(r.kind)).collect()
    };
    assert_eq!(
        kinds(other),
        [MetaMe, MetaEn, MetaNf, MetaEn, MetaNs, MetaHd, MetaNs, MetaEx, MetaMn]
    );
    assert_eq!(
        kinds(counters),
        [
            MetaNf,
            MetaVa,
            MetaVa,
            MetaVa,
            MetaVa,
            MetaHd,
            MetaVa,
            MetaVa,
            MetaVa,
            ClientError,
            MetaHd,
            Error,
            MetaMn
        ]
    );
    assert_eq!(
        kinds(binary),
        [MetaHd, MetaVa, MetaMe, MetaVa, ClientError, Error, MetaMn]
    );
    assert_eq!(
        kinds(mixed),
        [Value, End, MetaVa, Value, End, MetaHd, NotFound, MetaNf, Stored, MetaHd, MetaMn]
    );
    for (request, stream) in CAPTURED {
        let whole = scan_records(stream, 0, stream.len(), 64);
        assert!(whole.iter().all(|r| r[0] != Malformed as u32), "{request}");
        assert_eq!(
            whole.last().map(|r| r[2] as usize),
            Some(stream.len()),
            "{request}"
        );
        for split in 0..=stream.len() {
            let mut records = scan_records(&stream[..split], 0, split, 64);
            let consumed = records.last().map_or(0, |r| r[2] as usize);
            records.extend(scan_records(stream, consumed, stream.len(), 64));
            assert_eq!(records, whole, "{request}: split at {split}");
        }
    }
}
