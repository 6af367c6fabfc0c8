/**
 * memcached reply streams, text and meta protocol mixed as on one connection: fast-check
 * generators, valid and not, and replies captured from a real memcached.
 */
import fc from 'fast-check';

const latin1 = (s: string): Buffer => Buffer.from(s, 'latin1');

/** Bytes that make parsers trip: line ends, spaces, digits, keyword starts, meta codes and flags. */
const TRICKY = ['\r\n', '\r', '\n', ' ', '0', '9', 'END', 'VALUE ', 'STAT ', 'HD', 'VA ', 'EN', 'MN', ' O', ' f', '\x00', '\xff'];
const trickyBytes = fc
  .array(fc.oneof(fc.constantFrom(...TRICKY).map(latin1), fc.uint8Array({ maxLength: 8 }).map((b) => Buffer.from(b))), { maxLength: 12 })
  .map((parts) => Buffer.concat(parts));

const key = fc.stringMatching(/^[!-~]{1,40}$/);
const u32 = fc.oneof(fc.constantFrom(0, 1, 4294967295), fc.nat({ max: 4294967295 }));
const u64Digits = fc.oneof(fc.constantFrom('0', '18446744073709551615', '18446744073709551616'), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map(String));
const text = fc.stringMatching(/^[ -~]{0,30}$/);

const valueReply = fc
  .record({ key, flags: u32, data: fc.oneof(trickyBytes, fc.uint8Array({ maxLength: 60 }).map((b) => Buffer.from(b))), cas: fc.option(u64Digits) })
  .map(({ key: k, flags, data, cas }) =>
    Buffer.concat([latin1(`VALUE ${k} ${flags} ${data.length}${cas === null ? '' : ` ${cas}`}\r\n`), data, latin1('\r\n')]),
  );

const lineReply = fc.oneof(
  fc.constantFrom('END', 'STORED', 'NOT_STORED', 'EXISTS', 'NOT_FOUND', 'DELETED', 'TOUCHED', 'OK', 'RESET', 'ERROR'),
  fc.tuple(fc.constantFrom('ERROR', 'VERSION', 'CLIENT_ERROR', 'SERVER_ERROR'), fc.option(text)).map(([k, t]) => (t === null ? k : `${k} ${t}`)),
  fc.tuple(fc.stringMatching(/^[a-z_]{1,12}$/), fc.option(text)).map(([name, v]) => (v === null ? `STAT ${name}` : `STAT ${name} ${v}`)),
  fc.tuple(u64Digits, fc.nat({ max: 3 })).map(([digits, pad]) => digits + ' '.repeat(pad)),
).map((line) => latin1(`${line}\r\n`));

/** VALUE headers whose numbers may be out of range, with a short data block after them. */
const valueNearMiss = fc
  .tuple(key, u64Digits, u64Digits, fc.option(u64Digits), trickyBytes)
  .map(([k, flags, bytes, cas, data]) => latin1(`VALUE ${k} ${flags} ${bytes}${cas === null ? '' : ` ${cas}`}\r\n${data.toString('latin1')}\r\n`));

/** Decimal digits as a server might pad them: leading zeros, up to past a field's range. */
const nearU32Edge = fc.constantFrom('999999999', '4294967295', '4294967296', '9999999999', '99999999999', '9999999999999999999', '99999999999999999999');
const paddedDigits = fc.tuple(fc.nat({ max: 12 }), fc.oneof(u64Digits, u32.map(String), nearU32Edge)).map(([zeros, digits]) => '0'.repeat(zeros) + digits);
/** A key's bytes, any but a space: control bytes, a lone `\r`, bytes past ASCII. */
const oddKey = fc.array(fc.oneof(fc.integer({ min: 0x21, max: 0xff }), fc.constantFrom(0x00, 0x09, 0x0d, 0x0a, 0x7f)), { minLength: 1, maxLength: 20 }).map((b) => Buffer.from(b).toString('latin1'));

/** VALUE and VA headers with odd bytes and padded numbers: what the scanners' fast paths must leave to the careful one. */
const oddValueHeader = fc.oneof(
  fc
    .tuple(oddKey, paddedDigits, fc.option(paddedDigits), trickyBytes)
    .map(([k, flags, cas, data]) => latin1(`VALUE ${k} ${flags} ${data.length}${cas === null ? '' : ` ${cas}`}\r\n${data.toString('latin1')}\r\n`)),
  fc
    .tuple(fc.nat({ max: 12 }), fc.array(fc.oneof(oddKey, paddedDigits.map((d) => `f${d}`), oddKey.map((k) => `O${k}`)), { maxLength: 4 }), trickyBytes)
    .map(([zeros, words, data]) => latin1(`${withFlags(`VA ${'0'.repeat(zeros)}${data.length}`, words)}\r\n${data.toString('latin1')}\r\n`)),
);

/** Meta flags other than `f` and `O`: a letter and a token, or a letter alone. */
const metaFlag = fc.oneof(
  fc.tuple(fc.constantFrom('c', 's', 't', 'l', 'h'), fc.nat()).map(([letter, n]) => `${letter}${n}`),
  fc.constant('t-1'),
  key.map((k) => `k${k}`),
  fc.constantFrom('W', 'X', 'Z', 'b'),
);
const opaque = fc.stringMatching(/^[!-~]{0,32}$/);

/** Returned meta flags as memcached writes them: single spaces, maybe `f<u32>` and `O<opaque>` anywhere. */
const metaFlags = fc
  .tuple(fc.array(metaFlag, { maxLength: 5 }), fc.option(u32), fc.option(opaque), fc.nat(), fc.nat())
  .map(([words, flags, op, atF, atO]) => {
    const all = [...words];
    if (flags !== null) all.splice(atF % (all.length + 1), 0, `f${flags}`);
    if (op !== null) all.splice(atO % (all.length + 1), 0, `O${op}`);
    return all;
  });

const withFlags = (head: string, words: readonly string[]): string => (words.length === 0 ? head : `${head} ${words.join(' ')}`);

const metaReply = fc.oneof(
  fc.tuple(fc.constantFrom('HD', 'EN', 'NS', 'EX', 'NF'), metaFlags).map(([code, words]) => latin1(`${withFlags(code, words)}\r\n`)),
  fc
    .tuple(fc.oneof(trickyBytes, fc.uint8Array({ maxLength: 60 }).map((b) => Buffer.from(b))), metaFlags)
    .map(([data, words]) => Buffer.concat([latin1(`${withFlags(`VA ${data.length}`, words)}\r\n`), data, latin1('\r\n')])),
  fc.constant(latin1('MN\r\n')),
  fc.tuple(key, fc.option(text)).map(([k, rest]) => latin1(rest === null ? `ME ${k}\r\n` : `ME ${k} ${rest}\r\n`)),
);

/** Meta replies slightly off: datalen or `f` out of range or not digits, doubled or trailing spaces. */
const metaNearMiss = fc
  .tuple(
    fc.constantFrom('HD', 'VA', 'EN', 'MN', 'ME', 'NF'),
    fc.option(u64Digits),
    fc.array(fc.oneof(metaFlag, u64Digits.map((d) => `f${d}`), fc.constantFrom('f', 'fx', 'O', '')), { maxLength: 4 }),
    fc.constantFrom(' ', '  '),
    fc.constantFrom('', ' '),
    trickyBytes,
  )
  .map(([code, length, words, gap, trail, data]) => {
    const head = length === null ? code : `${code} ${length}`;
    return latin1(`${[head, ...words].join(gap)}${trail}\r\n${data.toString('latin1')}\r\n`);
  });

/** One reply, valid (mostly) or a line of near-misses and junk. */
const anyReply = fc.oneof(
  { weight: 4, arbitrary: valueReply },
  { weight: 4, arbitrary: lineReply },
  { weight: 4, arbitrary: metaReply },
  { weight: 1, arbitrary: trickyBytes },
  { weight: 1, arbitrary: valueNearMiss },
  { weight: 1, arbitrary: metaNearMiss },
  { weight: 1, arbitrary: oddValueHeader },
);

/** A stream of replies back to back, text and meta, mostly valid, sometimes with junk anywhere. */
export const replyStream: fc.Arbitrary<Buffer> = fc.array(anyReply, { minLength: 1, maxLength: 12 }).map((parts) => Buffer.concat(parts));

/** A stream of valid meta replies only. */
export const metaReplyStream: fc.Arbitrary<Buffer> = fc.array(metaReply, { minLength: 1, maxLength: 12 }).map((parts) => Buffer.concat(parts));

/** Arbitrary bytes, weighted towards the protocol's own tokens. */
export const junkStream: fc.Arbitrary<Buffer> = fc.oneof(
  fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
  fc
    .array(fc.oneof(trickyBytes, lineReply, valueReply, valueNearMiss, metaReply, metaNearMiss, oddValueHeader), { maxLength: 10 })
    .map((parts) => Buffer.concat(parts)),
);

/**
 * What memcached 1.6.18 (Debian 12) answered to meta commands, text ones mixed in: each request
 * (commands separated by ` / `) written at once on a fresh connection, every reply read back.
 * The same streams are in crates/memcache-core/tests/scan_replies.rs.
 */
export const CAPTURED_META_REPLIES: ReadonlyArray<{ readonly request: string; readonly reply: string }> = [
  { request: 'mg foo v f c t s O123 / mn', reply: 'EN O123\r\nMN\r\n' },
  {
    request: 'ms foo 5 F42 T0 c O1 k / mg foo v f c t s O123 k / mg foo s v / mg foo / mg foo O9 k q / mg missing v O7 k / mg missing v q O8 / mn',
    reply: 'HD c1 O1 kfoo\r\nVA 5 f42 c1 t-1 s5 O123 kfoo\r\nhello\r\nVA 5 s5\r\nhello\r\nHD\r\nHD O9 kfoo\r\nEN O7 kmissing\r\nMN\r\n',
  },
  {
    request: 'me foo / me missing / md foo O5 q / md foo O6 / mg foo v / ms foo 2 MR O1 / ms foo 2 ME / ms foo 2 ME / ms foo 2 C1 O3 / mn',
    reply: 'ME foo exp=-1 la=0 cas=1 fetch=yes cls=1 size=71\r\nEN\r\nNF O6\r\nEN\r\nNS O1\r\nHD\r\nNS\r\nEX O3\r\nMN\r\n',
  },
  {
    request:
      'ma cnt O1 / ma cnt N0 J13 v O2 t c / ma cnt v MD D20 / mg lease v c N30 O1 / mg lease v c N30 O2 / md lease I T30 / mg lease v c (twice) / mg foo v f h l t / mg foo x / mg foo O / mg / mn extra',
    reply:
      'NF O1\r\nVA 2 O2 t-1 c3\r\n13\r\nVA 1\r\n0\r\nVA 0 c5 O1 W\r\n\r\nVA 0 c5 O2 Z\r\n\r\nHD\r\nVA 0 c6 X W\r\n\r\nVA 0 c6 Z X\r\n\r\n' +
      'VA 2 f0 h0 l1 t-1\r\nhi\r\nCLIENT_ERROR invalid flag\r\nHD O\r\nERROR\r\nMN\r\n',
  },
  {
    request: 'ms Zm9vYg== 3 b k c O1 / mg Zm9vYg== b k v O2 / me Zm9vYg== b / mg foo v q k O3 / mg nope v q k O4 / ms foo 2 O5 (3 bytes) / mn',
    reply:
      'HD kZm9vYg== b c7 O1\r\nVA 3 kZm9vYg== b O2\r\nbar\r\nME Zm9vYg== exp=-1 la=0 cas=7 fetch=yes cls=1 size=66\r\nVA 2 kfoo O3\r\nhi\r\n' +
      'CLIENT_ERROR bad data chunk\r\nERROR\r\nMN\r\n',
  },
  {
    request: 'get foo / mg foo v / gets foo / mg foo c / delete nope / md nope / set a 0 0 1 / ms a 1 I / mn',
    reply: 'VALUE foo 0 2\r\nhi\r\nEND\r\nVA 2\r\nhi\r\nVALUE foo 0 2 2\r\nhi\r\nEND\r\nHD c2\r\nNOT_FOUND\r\nNF\r\nSTORED\r\nHD\r\nMN\r\n',
  },
];
