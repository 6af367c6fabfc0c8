/**
 * Native against pure-TS: identical hashes, ring placements, scanner records (text and meta
 * replies) and mutually readable zlib on generated inputs. Skipped, with the reason shown, when
 * the binding is not built.
 */
import fc from 'fast-check';
import { deflateSync, inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { type Core, CoreDecompressError, HASH_ALGORITHMS, type RingServer } from '../ts/core/contract.js';
import { tsCore } from '../ts/core/ts-core/index.js';
import { native } from './support/cores.js';
import { keyBatch } from './support/key-batch.js';
import { CAPTURED_META_REPLIES, junkStream, metaReplyStream, replyStream } from './support/reply-streams.js';
import { scanArrivals, scanOnce } from './support/scan-records.js';

const encoder = new TextEncoder();

/** Keys as bytes: any bytes, high bytes only, and UTF-8 text. */
const keyBytes = fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  fc.uint8Array({ min: 0x80, max: 0xff, maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }).map((s) => encoder.encode(s)),
);

const ringServer: fc.Arbitrary<RingServer> = fc.record({
  host: fc.oneof(
    fc.tuple(fc.nat(255), fc.nat(255)).map(([a, b]) => `10.0.${a}.${b}`),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }),
  ),
  port: fc.oneof(fc.constant(11211), fc.nat(65535)),
  weight: fc.oneof(fc.constant(1), fc.nat(1000)),
});

/** The outcome of a decompression: the bytes as hex, or the error's reason. */
function outcome(core: Core, data: Uint8Array, cap: number): string {
  try {
    return core.decompress(data, cap).toString('hex');
  } catch (err) {
    if (err instanceof CoreDecompressError) return `error:${err.reason}`;
    throw err;
  }
}

function runDifferential(nativeCore: Core): void {
  const cores = [nativeCore, tsCore] as const;

  it('gives the same hash for every algorithm, incl. non-ASCII and raw high bytes', () => {
    fc.assert(
      fc.property(keyBytes, (key) => {
        for (const algorithm of HASH_ALGORITHMS) {
          expect(nativeCore.hash(algorithm, key), algorithm).toBe(tsCore.hash(algorithm, key));
        }
      }),
      { numRuns: 400 },
    );
  });

  it('gives the same hashBatch results', () => {
    fc.assert(
      fc.property(fc.array(keyBytes, { maxLength: 30 }), fc.constantFrom(...HASH_ALGORITHMS), (keys, algorithm) => {
        const { keys: packed, offsets } = keyBatch(keys);
        const [a, b] = cores.map((core) => {
          const out = new Uint32Array(keys.length);
          core.hashBatch(algorithm, packed, offsets, out);
          return Array.from(out);
        });
        expect(a).toEqual(b);
      }),
      { numRuns: 100 },
    );
  });

  it('builds the same rings and places every key on the same server', () => {
    fc.assert(
      fc.property(
        fc.array(ringServer, { maxLength: 12 }),
        fc.constantFrom('libmemcached', 'spymemcached' as const),
        fc.array(keyBytes, { maxLength: 40 }),
        fc.array(fc.nat({ max: 0xffffffff }), { maxLength: 20 }),
        (servers, format, keys, hashes) => {
          const [a, b] = cores.map((core) => core.createRing(servers, format));
          expect(a.pointCount).toBe(b.pointCount);
          for (const key of keys) expect(a.lookup(key)).toBe(b.lookup(key));
          for (const hash of [0, 0xffffffff, ...hashes]) expect(a.lookupHash(hash)).toBe(b.lookupHash(hash));
          const { keys: packed, offsets } = keyBatch(keys);
          const [outA, outB] = [a, b].map((ring) => {
            const out = new Int32Array(keys.length);
            ring.lookupBatch(packed, offsets, out);
            return Array.from(out);
          });
          expect(outA).toEqual(outB);
        },
      ),
      { numRuns: 60 },
    );
  });

  /** Both cores give the same records for `stream`, whole and cut at every byte. */
  function sameRecordsAtEveryCut(stream: Buffer, capacity: number): void {
    const whole = scanOnce(nativeCore, stream).words;
    expect(scanOnce(tsCore, stream).words).toEqual(whole);
    for (let cut = 0; cut <= stream.length; cut++) {
      const arrivals = [cut, stream.length];
      const [a, b] = cores.map((core) => scanArrivals(core, stream, arrivals, capacity));
      expect(a, `cut at ${cut}`).toEqual(b);
      expect(a, `cut at ${cut}`).toEqual(whole);
    }
  }

  it('scans reply streams, text and meta mixed, cut at every byte into the same records', () => {
    fc.assert(
      fc.property(replyStream, fc.integer({ min: 1, max: 4 }), sameRecordsAtEveryCut),
      { numRuns: 60 },
    );
  });

  it('scans meta reply streams cut at every byte into the same records', () => {
    fc.assert(
      fc.property(metaReplyStream, fc.integer({ min: 1, max: 4 }), sameRecordsAtEveryCut),
      { numRuns: 60 },
    );
  });

  it.each(CAPTURED_META_REPLIES)('scans what memcached sent to `$request` into the same records, cut at every byte', ({ reply }) => {
    for (const capacity of [1, 3, 64]) sameRecordsAtEveryCut(Buffer.from(reply, 'latin1'), capacity);
  });

  it('scans arbitrary bytes, from any start to any end, into the same records', () => {
    fc.assert(
      fc.property(junkStream, fc.nat(), fc.nat(), (buf, x, y) => {
        const start = buf.length === 0 ? 0 : x % (buf.length + 1);
        const end = start + (buf.length === 0 ? 0 : y % (buf.length - start + 1));
        const [a, b] = cores.map((core) => scanOnce(core, buf, start, end, 8).words);
        expect(a).toEqual(b);
      }),
      { numRuns: 1000 },
    );
  });

  it('decompresses what the other core compressed, and node:zlib both ways', () => {
    const payload = fc.oneof(
      fc.uint8Array({ maxLength: 4000 }),
      fc.array(fc.constantFrom('alpha', 'beta', '{"id":1}', ' '), { maxLength: 800 }).map((w) => encoder.encode(w.join(''))),
    );
    fc.assert(
      fc.property(payload, fc.integer({ min: -1, max: 9 }), (data, level) => {
        const expected = Buffer.from(data).toString('hex');
        for (const [writer, reader] of [cores, [...cores].reverse()]) {
          expect(reader.decompress(writer.compress(data, level), data.length).toString('hex')).toBe(expected);
        }
        for (const core of cores) {
          expect(inflateSync(core.compress(data, level)).toString('hex')).toBe(expected);
          expect(core.decompress(deflateSync(data, { level }), data.length).toString('hex')).toBe(expected);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('agrees on the outcome of damaged streams and of every cap', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 2000 }), fc.nat(), fc.nat(255), fc.nat(2100), (data, at, mask, cap) => {
        const packed = deflateSync(data);
        expect(outcome(nativeCore, packed, cap)).toBe(outcome(tsCore, packed, cap));
        const damaged = Buffer.from(packed);
        damaged[at % damaged.length] ^= mask;
        expect(outcome(nativeCore, damaged, 64 << 20)).toBe(outcome(tsCore, damaged, 64 << 20));
      }),
      { numRuns: 300 },
    );
  });
}

describe('native core against pure-TS core', () => {
  if (native.core !== undefined) {
    runDifferential(native.core);
  } else {
    const reason = native.reason;
    it('runs with the native binding', (ctx) => ctx.skip(reason));
  }
});
