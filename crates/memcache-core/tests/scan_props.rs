//! Scanner properties on generated input: no panics, no offsets outside the window, the same
//! records however a valid stream is cut into reads, never a verdict on a reply cut short, and
//! VALUE and VA data read by its declared length only, meta flags found wherever they stand. `PROPTEST_CASES` sets the cases per property
//! (2000 by default; `npm run fuzz` runs many more).

use memcache_core::scan::{scan, SCAN_STRIDE};
use memcache_core::ReplyKind;
use proptest::prelude::*;

const MALFORMED: u32 = ReplyKind::Malformed as u32;

fn scan_all(buf: &[u8], start: usize, end: usize, capacity: usize) -> Vec<Vec<u32>> {
    let mut out = vec![0u32; capacity * SCAN_STRIDE];
    let count = scan(buf, start as u32, end as u32, &mut out) as usize;
    out.chunks_exact(SCAN_STRIDE)
        .take(count)
        .map(<[u32]>::to_vec)
        .collect()
}

/// Fragments that reach deep into the parser when strung together at random.
fn protocol_soup() -> impl Strategy<Value = Vec<u8>> {
    let fragment = prop::sample::select(vec![
        &b"VALUE "[..],
        b"END",
        b"STAT ",
        b"VERSION",
        b"ERROR",
        b"SERVER_ERROR ",
        b"STORED",
        b"HD",
        b"VA ",
        b"EN",
        b"MN",
        b"ME ",
        b"f",
        b"O",
        b"\r\n",
        b"\r",
        b"\n",
        b" ",
        b"0",
        b"1",
        b"3",
        b"18446744073709551616",
        b"k",
        b"\xff",
    ]);
    prop::collection::vec(fragment, 0..60).prop_map(|parts| parts.concat())
}

fn any_input() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![prop::collection::vec(any::<u8>(), 0..600), protocol_soup()]
}

/// Checks the record invariants for a scan of `buf[start .. end)`.
fn check_invariants(buf: &[u8], start: usize, end: usize, capacity: usize) {
    let end_c = end.min(buf.len());
    let start_c = start.min(end_c);
    let records = scan_all(buf, start, end, capacity);
    assert!(records.len() <= capacity);
    let mut expected_start = start_c;
    for (i, r) in records.iter().enumerate() {
        assert!(ReplyKind::from_code(r[0]).is_some(), "kind {}", r[0]);
        assert_eq!(r[1] as usize, expected_start, "records are contiguous");
        let malformed = r[0] == MALFORMED;
        if malformed {
            assert_eq!(i, records.len() - 1, "MALFORMED is last");
            assert_eq!(r[1], r[2], "MALFORMED consumes nothing");
            assert!(r[4] <= 256);
        } else {
            assert!(
                r[1] < r[2] && r[2] as usize <= end_c,
                "record {r:?} outside {start_c}..{end_c}"
            );
        }
        // Fields lie within the record, or for MALFORMED within what was scanned.
        let field_end = if malformed { end_c } else { r[2] as usize };
        for (s, l) in [(r[3], r[4]), (r[5], r[6]), (r[8], r[9])] {
            if l > 0 {
                assert!(
                    s >= r[1] && (s + l) as usize <= field_end,
                    "field {s}+{l} outside {r:?}"
                );
            }
        }
        expected_start = r[2] as usize;
    }
}

/// Data blocks, with line ends in them now and then.
fn data() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(prop_oneof![any::<u8>(), Just(b'\r'), Just(b'\n')], 0..40)
}

/// Meta flags as memcached returns them: a letter and a token, maybe `f<u32>` and `O<opaque>`
/// somewhere among them. Returns the words and where the `f` and `O` went (first ones count).
fn meta_flags() -> impl Strategy<Value = (Vec<String>, Option<u32>, Option<String>)> {
    let other = prop_oneof![
        "[cstlhk][0-9]{1,8}",
        Just("t-1".to_owned()),
        "k[!-~]{1,20}",
        prop::sample::select(vec!["W", "X", "Z", "b", "q"]).prop_map(str::to_owned),
    ];
    (
        prop::collection::vec(other, 0..5),
        prop::option::of(any::<u32>()),
        prop::option::of("[!-~]{0,32}"),
        any::<prop::sample::Index>(),
        any::<prop::sample::Index>(),
    )
        .prop_map(|(mut words, flags, opaque, at_f, at_o)| {
            if let Some(f) = flags {
                words.insert(at_f.index(words.len() + 1), format!("f{f}"));
            }
            if let Some(o) = &opaque {
                words.insert(at_o.index(words.len() + 1), format!("O{o}"));
            }
            (words, flags, opaque)
        })
}

/// One meta reply, serialized.
fn meta_reply() -> impl Strategy<Value = Vec<u8>> {
    let line = |code: &str, words: &[String]| {
        let mut line = code.to_owned();
        for word in words {
            line.push(' ');
            line.push_str(word);
        }
        line.push_str("\r\n");
        line.into_bytes()
    };
    prop_oneof![
        (
            prop::sample::select(vec!["HD", "EN", "NS", "EX", "NF"]),
            meta_flags()
        )
            .prop_map(move |(code, (words, _, _))| line(code, &words)),
        (data(), meta_flags()).prop_map(move |(data, (words, _, _))| {
            let mut reply = line(&format!("VA {}", data.len()), &words);
            reply.extend_from_slice(&data);
            reply.extend_from_slice(b"\r\n");
            reply
        }),
        Just(b"MN\r\n".to_vec()),
        ("[!-~]{1,20}", "[ -~]{0,30}")
            .prop_map(|(key, rest)| format!("ME {key} {rest}\r\n").into_bytes()),
    ]
}

/// One valid reply, text or meta, serialized.
fn valid_reply() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![text_reply(), meta_reply()]
}

/// One valid text-protocol reply, serialized.
fn text_reply() -> impl Strategy<Value = Vec<u8>> {
    let word = "[!-~]{1,20}";
    let data = data();
    prop_oneof![
        prop::sample::select(vec![
            "END",
            "STORED",
            "NOT_STORED",
            "EXISTS",
            "NOT_FOUND",
            "DELETED",
            "TOUCHED",
            "OK",
            "RESET",
            "ERROR",
        ])
        .prop_map(|w| format!("{w}\r\n").into_bytes()),
        (any::<u64>(), 0..3usize)
            .prop_map(|(n, pad)| format!("{n}{}\r\n", " ".repeat(pad)).into_bytes()),
        (word, "[ -~]{0,30}").prop_map(|(n, v)| format!("STAT {n} {v}\r\n").into_bytes()),
        (
            prop::sample::select(vec!["VERSION", "CLIENT_ERROR", "SERVER_ERROR"]),
            "[ -~]{0,30}"
        )
            .prop_map(|(k, m)| format!("{k} {m}\r\n").into_bytes()),
        (word, any::<u32>(), data, prop::option::of(any::<u64>())).prop_map(
            |(key, flags, data, cas)| {
                let cas = cas.map_or(String::new(), |c| format!(" {c}"));
                let mut reply = format!("VALUE {key} {flags} {}{cas}\r\n", data.len()).into_bytes();
                reply.extend_from_slice(&data);
                reply.extend_from_slice(b"\r\n");
                reply
            }
        ),
    ]
}

/// Cases per property: `PROPTEST_CASES`, else 2000.
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn a_stream_cut_short_gives_only_the_replies_before_the_cut(
        replies in prop::collection::vec(valid_reply(), 1..12),
        cut in any::<prop::sample::Index>(),
    ) {
        let stream = replies.concat();
        let whole = scan_all(&stream, 0, stream.len(), 64);
        let cut = cut.index(stream.len() + 1);
        // However much of the buffer lies beyond the cut, nothing past it is read.
        let prefix = scan_all(&stream, 0, cut, 64);
        let complete: Vec<_> = whole.iter().filter(|r| r[2] as usize <= cut).cloned().collect();
        prop_assert_eq!(prefix, complete);
    }

    #[test]
    fn value_data_is_exactly_the_declared_bytes(
        data in prop::collection::vec(prop_oneof![any::<u8>(), Just(b'\r'), Just(b'\n')], 0..300),
        flags in any::<u32>(),
        cas in prop::option::of(any::<u64>()),
        extra in prop::collection::vec(any::<u8>(), 0..8),
    ) {
        let cas_text = cas.map_or(String::new(), |c| format!(" {c}"));
        let mut stream = format!("VALUE key {flags} {}{cas_text}\r\n", data.len()).into_bytes();
        let data_start = stream.len();
        stream.extend_from_slice(&data);
        stream.extend_from_slice(b"\r\nEND\r\n");
        let value_end = data_start + data.len() + 2;
        stream.extend_from_slice(&extra); // whatever follows is never part of the value
        let records = scan_all(&stream, 0, stream.len(), 2);
        prop_assert!(records.len() == 2);
        let value = &records[0];
        prop_assert_eq!(value[0], ReplyKind::Value as u32);
        prop_assert_eq!(value[2] as usize, value_end);
        prop_assert_eq!(value[5] as usize, data_start);
        prop_assert_eq!(&stream[value[5] as usize..(value[5] + value[6]) as usize], &data[..]);
        prop_assert_eq!(value[7], flags);
        prop_assert_eq!(records[1][0], ReplyKind::End as u32);
        // Data one byte longer or shorter than declared is never taken for a value.
        for declared in [data.len() + 1, data.len().saturating_sub(1)] {
            if declared == data.len() { continue; }
            let mut wrong = format!("VALUE key {flags} {declared}\r\n").into_bytes();
            wrong.extend_from_slice(&data);
            wrong.extend_from_slice(b"\r\nEND\r\n");
            let records = scan_all(&wrong, 0, wrong.len(), 2);
            if let Some(first) = records.first() {
                if first[0] == ReplyKind::Value as u32 {
                    prop_assert_eq!(first[6] as usize, declared);
                    prop_assert!(first[2] as usize <= wrong.len());
                }
            }
        }
    }

    #[test]
    fn meta_flags_are_found_wherever_they_stand(
        code in prop::sample::select(vec!["HD", "EN", "NS", "EX", "NF", "VA"]),
        (words, flags, opaque) in meta_flags(),
        data in data(),
    ) {
        let head = if code == "VA" { format!("VA {}", data.len()) } else { code.to_owned() };
        let text = words.join(" ");
        let line = if words.is_empty() { head.clone() } else { format!("{head} {text}") };
        let mut stream = format!("{line}\r\n").into_bytes();
        if code == "VA" {
            stream.extend_from_slice(&data);
            stream.extend_from_slice(b"\r\n");
        }
        stream.extend_from_slice(b"MN\r\n");
        let records = scan_all(&stream, 0, stream.len(), 4);
        prop_assert_eq!(records.len(), 2);
        let r = &records[0];
        let field = |start: u32, len: u32| &stream[start as usize..(start + len) as usize];
        prop_assert_eq!(field(r[3], r[4]), text.as_bytes());
        prop_assert_eq!(r[7], flags.unwrap_or(0));
        prop_assert_eq!(field(r[8], r[9]), opaque.as_deref().unwrap_or("").as_bytes());
        if opaque.is_none() {
            prop_assert_eq!(r[8] as usize, line.len(), "an absent opaque starts at the line end");
        }
        if words.is_empty() {
            prop_assert_eq!(r[3] as usize, line.len(), "absent flags start at the line end");
        }
        if code == "VA" {
            prop_assert_eq!(r[0], ReplyKind::MetaVa as u32);
            prop_assert_eq!(field(r[5], r[6]), &data[..]);
        } else {
            prop_assert_eq!((r[5], r[6]), (0, 0));
        }
        prop_assert_eq!(records[1][0], ReplyKind::MetaMn as u32);
    }

    #[test]
    fn meta_value_data_is_exactly_the_declared_bytes(
        data in prop::collection::vec(prop_oneof![any::<u8>(), Just(b'\r'), Just(b'\n')], 0..300),
        declared_off in -2i64..=2,
    ) {
        // Declared one or two bytes off, a VA is never read past its declared length.
        let declared = (data.len() as i64 + declared_off).max(0) as usize;
        let mut stream = format!("VA {declared} O1\r\n").into_bytes();
        let data_start = stream.len();
        stream.extend_from_slice(&data);
        stream.extend_from_slice(b"\r\nMN\r\n");
        let records = scan_all(&stream, 0, stream.len(), 2);
        if let Some(first) = records.first() {
            if first[0] == ReplyKind::MetaVa as u32 {
                prop_assert_eq!(first[5] as usize, data_start);
                prop_assert_eq!(first[6] as usize, declared);
                prop_assert_eq!(first[2] as usize, data_start + declared + 2);
            }
        }
        if declared == data.len() {
            prop_assert_eq!(records.len(), 2);
            prop_assert_eq!(&stream[records[0][5] as usize..(records[0][5] + records[0][6]) as usize], &data[..]);
        }
    }

    #[test]
    fn arbitrary_bytes_keep_the_invariants(
        buf in any_input(),
        start in 0usize..700,
        end in 0usize..700,
        capacity in 0usize..8,
    ) {
        check_invariants(&buf, start, end, capacity);
        check_invariants(&buf, 0, buf.len(), 64);
    }

    #[test]
    fn valid_streams_scan_the_same_however_they_are_read(
        replies in prop::collection::vec(valid_reply(), 1..12),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..6),
        capacity in 1usize..4,
    ) {
        let stream = replies.concat();
        let whole = scan_all(&stream, 0, stream.len(), 64);
        prop_assert_eq!(whole.len(), replies.len());
        prop_assert!(whole.iter().all(|r| r[0] != MALFORMED));
        let mut ends: Vec<usize> = cuts.iter().map(|c| c.index(stream.len() + 1)).collect();
        ends.push(stream.len());
        ends.sort_unstable();
        // A client appending each read to its buffer and scanning from what it consumed so far.
        let mut records = Vec::new();
        let mut consumed = 0;
        for read_end in ends {
            loop {
                let batch = scan_all(&stream[..read_end], consumed, read_end, capacity);
                let Some(last) = batch.last() else { break };
                consumed = last[2] as usize;
                records.extend(batch);
            }
        }
        prop_assert_eq!(records, whole);
    }
}
