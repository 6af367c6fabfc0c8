/**
 * The TypeScript decoding path under generated input (fast-check): the reply reader (socket reads
 * to records, with its carry buffer) and a whole connection fed by a scripted server. Arbitrary
 * bytes and arbitrary splits of valid streams: nothing throws out of an event handler, nothing
 * hangs, no value is read past its declared length, and malformed input is a ProtocolError for
 * the calls in flight and closes that connection. FUZZ_RUNS scales the run counts (`npm run fuzz`).
 */
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { F_A_LEN, F_A_START, F_B_LEN, F_B_START, F_C_LEN, F_C_START, F_END, F_FLAGS, F_START, ReplyKind, SCAN_STRIDE } from '../ts/core/index.js';
import { ReplyReader, type ReplySink } from '../ts/connection/reply-reader.js';
import { Client, MemcacheError, type Serializer } from '../ts/index.js';
import { eventually, startFakeServer, type FakeServer } from './support/fake-server.js';
import { junkStream, replyStream } from './support/reply-streams.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 0);
/** Runs of a cheap property, and of one that opens a connection per run. */
const CHEAP_RUNS = RUNS > 0 ? RUNS : 300;
const SOCKET_RUNS = RUNS > 0 ? Math.max(20, Math.round(RUNS / 10)) : 40;

const uncaught: unknown[] = [];
const onUncaught = (error: unknown) => uncaught.push(error);
beforeAll(() => {
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onUncaught);
});
afterAll(() => {
  process.off('uncaughtException', onUncaught);
  process.off('unhandledRejection', onUncaught);
});
afterEach(() => {
  expect(uncaught).toEqual([]);
});

/** Cut points into a buffer of `length` bytes, sorted, distinct, inside it. */
function cutsOf(length: number, cuts: number[]): number[] {
  return [...new Set(cuts.map((c) => (length === 0 ? 0 : c % (length + 1))))].sort((a, b) => a - b);
}

function pieces(stream: Buffer, cuts: number[]): Buffer[] {
  const points = [0, ...cutsOf(stream.length, cuts), stream.length];
  return points.slice(1).map((end, i) => stream.subarray(points[i], end)).filter((p) => p.length > 0);
}

/** A reply record with its fields copied out (the reader's buffer is reused). */
interface Copied {
  kind: number;
  length: number;
  a: string;
  b: string;
  c: string;
  flags: number;
}

/** A sink that checks every record's bounds, copies it, and stops at MALFORMED as a connection does. */
class RecordingSink implements ReplySink {
  readonly records: Copied[] = [];
  stopped = false;

  onRecords(buf: Buffer, rec: Uint32Array, count: number): boolean {
    expect(this.stopped).toBe(false);
    for (let i = 0; i < count; i++) {
      const off = i * SCAN_STRIDE;
      const kind = rec[off];
      const [start, end] = [rec[off + F_START], rec[off + F_END]];
      expect(start).toBeLessThanOrEqual(end);
      expect(end).toBeLessThanOrEqual(buf.length);
      const field = (s: number, l: number) => {
        if (l === 0) return '';
        // A field lies within its record; MALFORMED's excerpt within what was scanned.
        expect(s).toBeGreaterThanOrEqual(start);
        expect(s + l).toBeLessThanOrEqual(kind === ReplyKind.MALFORMED ? buf.length : end);
        return buf.toString('latin1', s, s + l);
      };
      this.records.push({
        kind,
        length: end - start,
        a: field(rec[off + F_A_START], rec[off + F_A_LEN]),
        b: field(rec[off + F_B_START], rec[off + F_B_LEN]),
        c: field(rec[off + F_C_START], rec[off + F_C_LEN]),
        flags: rec[off + F_FLAGS],
      });
      if (kind === ReplyKind.MALFORMED) {
        this.stopped = true;
        return false;
      }
    }
    return true;
  }
}

function readAll(chunks: Buffer[]): RecordingSink {
  const reader = new ReplyReader();
  const sink = new RecordingSink();
  for (const chunk of chunks) {
    if (sink.stopped) break;
    reader.push(chunk, sink);
  }
  return sink;
}

/** Many tiny replies, to outgrow the reader's record array in one read. */
const manyReplies = fc.integer({ min: 250, max: 700 }).map((n) => Buffer.from('END\r\n'.repeat(n)));
/** Values longer than the reader's initial carry buffer, to make it grow while a reply is cut. */
const bigValue = fc
  .tuple(fc.integer({ min: 10_000, max: 60_000 }), fc.integer({ min: 0, max: 255 }))
  .map(([length, byte]) => Buffer.concat([Buffer.from(`VALUE big 7 ${length}\r\n`), Buffer.alloc(length, byte), Buffer.from('\r\nEND\r\n')]));
const anyStream = fc.oneof({ weight: 6, arbitrary: replyStream }, { weight: 3, arbitrary: junkStream }, manyReplies, bigValue);
const cuts = fc.array(fc.nat(), { maxLength: 12 });

describe('the reply reader', () => {
  it('gives the same records however a stream is cut into reads, all within bounds, never throwing', () => {
    fc.assert(
      fc.property(anyStream, cuts, (stream, at) => {
        const whole = readAll([stream]);
        const split = readAll(pieces(stream, at));
        expect(split.records).toEqual(whole.records);
        // A record never reaches past the bytes it declares: the lengths add up to what was consumed.
        const consumed = whole.records.filter((r) => r.kind !== ReplyKind.MALFORMED).reduce((n, r) => n + r.length, 0);
        expect(consumed).toBeLessThanOrEqual(stream.length);
      }),
      { numRuns: CHEAP_RUNS },
    );
  });

  it('one byte at a time, too', () => {
    fc.assert(
      fc.property(fc.oneof(replyStream, junkStream), (stream) => {
        const bytes = [...stream].map((b) => Buffer.from([b]));
        expect(readAll(bytes).records).toEqual(readAll([stream]).records);
      }),
      { numRuns: Math.round(CHEAP_RUNS / 3) },
    );
  });

  it('reads a VALUE by its declared length, whatever the data holds', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), cuts, (data, at) => {
        const stream = Buffer.concat([Buffer.from(`VALUE k 5 ${data.length}\r\n`), data, Buffer.from('\r\nEND\r\n')]);
        const { records } = readAll(pieces(stream, at));
        expect(records.map((r) => r.kind)).toEqual([ReplyKind.VALUE, ReplyKind.END]);
        expect(Buffer.from(records[0].b, 'latin1').equals(Buffer.from(data))).toBe(true);
      }),
      { numRuns: CHEAP_RUNS },
    );
  });

  it('reads a meta VA by its declared length, and its opaque and client flags wherever they stand', () => {
    const flagWords = fc.array(fc.constantFrom('c12', 't-1', 's3', 'kkey', 'W', 'Z'), { maxLength: 4 });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), flagWords, fc.nat(), fc.nat({ max: 0xffffffff }), cuts, (data, words, at, flags, splits) => {
        const all: string[] = [...words];
        all.splice(at % (all.length + 1), 0, `f${flags}`, 'O42');
        const stream = Buffer.concat([Buffer.from(`VA ${data.length} ${all.join(' ')}\r\n`), data, Buffer.from('\r\nMN\r\n')]);
        const { records } = readAll(pieces(stream, splits));
        expect(records.map((r) => r.kind)).toEqual([ReplyKind.META_VA, ReplyKind.META_MN]);
        expect(Buffer.from(records[0].b, 'latin1').equals(Buffer.from(data))).toBe(true);
        expect([records[0].a, records[0].flags, records[0].c]).toEqual([all.join(' '), flags, '42']);
      }),
      { numRuns: CHEAP_RUNS },
    );
  });
});

/** Values come back as the exact bytes stored: no text decoding in the way. */
const rawBytes: Serializer = {
  serialize: (value) => ({ bytes: value as Uint8Array, flags: 0 }),
  deserialize: (bytes) => Buffer.from(bytes),
};

/** What the scripted server answers, set by each run. */
let answer: (socket: import('node:net').Socket, request: string) => void = () => {};
let fake: FakeServer;

beforeAll(async () => {
  fake = await startFakeServer((socket, data) => answer(socket, data.toString('latin1')));
});
afterAll(async () => {
  await fake?.close();
});

/** Writes `chunks` one per turn of the event loop, so that each is its own socket read. */
function drip(socket: import('node:net').Socket, chunks: Buffer[]): void {
  const next = () => {
    const chunk = chunks.shift();
    if (chunk === undefined || socket.destroyed) return;
    socket.write(chunk);
    setTimeout(next, 0);
  };
  next();
}

describe('a connection', () => {
  it('answers every get with exactly its value, however the replies are cut', async () => {
    const items = fc.uniqueArray(
      fc.record({ key: fc.stringMatching(/^[a-z0-9]{1,12}$/), value: fc.option(fc.uint8Array({ maxLength: 400 }), { freq: 4 }) }),
      { minLength: 1, maxLength: 8, selector: (item) => item.key },
    );
    await fc.assert(
      fc.asyncProperty(items, cuts, async (list, at) => {
        const values = new Map(list.map(({ key, value }) => [key, value]));
        let buffered = '';
        answer = (socket, request) => {
          buffered += request;
          let end: number;
          const replies: Buffer[] = [];
          while ((end = buffered.indexOf('\r\n')) >= 0) {
            const line = buffered.slice(0, end);
            buffered = buffered.slice(end + 2);
            for (const key of line.split(' ').slice(1)) {
              const value = values.get(key);
              if (value) replies.push(Buffer.from(`VALUE ${key} 0 ${value.length}\r\n`), Buffer.from(value), Buffer.from('\r\n'));
            }
            replies.push(Buffer.from('END\r\n'));
          }
          drip(socket, pieces(Buffer.concat(replies), at));
        };
        const mc = new Client(fake.spec, { serializer: rawBytes, timeout: 2000 });
        try {
          const results = await Promise.all(list.map(({ key }) => mc.get(key)));
          list.forEach(({ value }, i) => {
            if (value === null) expect(results[i]).toBeUndefined();
            else expect(Buffer.from(value).equals(results[i] as Buffer)).toBe(true);
          });
        } finally {
          await mc.close();
        }
      }),
      { numRuns: SOCKET_RUNS },
    );
  });

  it('fed arbitrary bytes, settles every call in time with a typed error or a valid answer, and closes on a ProtocolError', async () => {
    const TIMEOUT = 150;
    const seen = new Set<string>();
    const allowed = new Set(['MEMCACHE_PROTOCOL', 'MEMCACHE_TIMEOUT', 'MEMCACHE_CONNECTION', 'MEMCACHE_CLIENT_ERROR', 'MEMCACHE_SERVER_ERROR', 'MEMCACHE_UNKNOWN_COMMAND', 'MEMCACHE_DESERIALIZE']);
    await fc.assert(
      fc.asyncProperty(fc.oneof(junkStream, replyStream), cuts, fc.integer({ min: 1, max: 3 }), async (junk, at, calls) => {
        let answered = false;
        answer = (socket) => {
          if (answered) return; // one answer per connection; it stays open
          answered = true;
          drip(socket, pieces(junk, at));
        };
        const accepted = fake.accepted;
        const mc = new Client(fake.spec, { serializer: rawBytes, timeout: TIMEOUT, retries: 0 });
        try {
          const started = performance.now();
          const outcomes = await Promise.allSettled(Array.from({ length: calls }, (_, i) => mc.get(`k${i}`)));
          expect(performance.now() - started).toBeLessThan(TIMEOUT + 1000);
          const errors = outcomes.filter((o) => o.status === 'rejected').map((o) => (o as PromiseRejectedResult).reason);
          for (const error of errors) {
            expect(error).toBeInstanceOf(MemcacheError);
            expect(allowed).toContain((error as MemcacheError).code);
            seen.add((error as MemcacheError).code);
          }
          if (errors.some((e) => e.code === 'MEMCACHE_PROTOCOL')) {
            // The client closed that connection; the next call opens another.
            await eventually(() => fake.open === 0, 2000);
            answered = false;
            answer = (socket) => socket.write('END\r\n');
            expect(await mc.get('after')).toBeUndefined();
            expect(fake.accepted).toBe(accepted + 2);
          }
        } finally {
          await mc.close();
          await eventually(() => fake.open === 0, 2000);
        }
      }),
      { numRuns: SOCKET_RUNS },
    );
    // The runs went where they should: malformed input, and input cut short.
    expect(seen).toContain('MEMCACHE_PROTOCOL');
    expect(seen).toContain('MEMCACHE_TIMEOUT');
  });
});
