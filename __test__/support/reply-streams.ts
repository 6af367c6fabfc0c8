/** fast-check generators of memcached text-protocol reply streams, valid and not. */
import fc from 'fast-check';

const latin1 = (s: string): Buffer => Buffer.from(s, 'latin1');

/** Bytes that make parsers trip: line ends, spaces, digits, keyword starts. */
const TRICKY = ['\r\n', '\r', '\n', ' ', '0', '9', 'END', 'VALUE ', 'STAT ', '\x00', '\xff'];
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

/** One reply, valid (mostly) or a line of near-misses and junk. */
const anyReply = fc.oneof(
  { weight: 4, arbitrary: valueReply },
  { weight: 4, arbitrary: lineReply },
  { weight: 1, arbitrary: trickyBytes },
  { weight: 1, arbitrary: valueNearMiss },
);

/** A stream of replies back to back, mostly valid, sometimes with junk anywhere. */
export const replyStream: fc.Arbitrary<Buffer> = fc.array(anyReply, { minLength: 1, maxLength: 12 }).map((parts) => Buffer.concat(parts));

/** Arbitrary bytes, weighted towards the protocol's own tokens. */
export const junkStream: fc.Arbitrary<Buffer> = fc.oneof(
  fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
  fc.array(fc.oneof(trickyBytes, lineReply, valueReply, valueNearMiss), { maxLength: 10 }).map((parts) => Buffer.concat(parts)),
);
