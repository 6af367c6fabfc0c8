/**
 * offloadThreshold: values of at least that many bytes are compressed, and stored compressed values
 * of at least that many bytes decompressed, off the main thread (core.compressAsync /
 * core.decompressAsync), without changing what is stored, what is read, or the order requests
 * are written and answered in. The active core is wrapped (vi.mock) to record which of its
 * compression entry points each value went through; everything else passes straight to it.
 */
import { createHash, randomBytes } from 'node:crypto';
import zlib from 'node:zlib';
import { describe, expect, it, vi } from 'vitest';
import type { Core } from '../ts/core/contract.js';
import { Client, DeserializeError, OptionError, ValueTooLargeError, type ClientOptions } from '../ts/index.js';
import { inspect, plant } from './support/raw.js';
import { mulberry32 } from './support/seeded-random.js';
import { useServerAndClient, withClient as withClientOn } from './support/server-and-client.js';

/** One call into the core's compression entry points, as the client made it. */
interface CoreCall {
  readonly op: string;
  readonly algorithm: string | undefined;
  readonly length: number;
  readonly level: number | undefined;
}

const recorder = vi.hoisted(() => ({ calls: [] as CoreCall[] }));

vi.mock('../ts/core/index.js', async (importOriginal) => {
  const mod = await importOriginal<typeof import('../ts/core/index.js')>();
  const real: Core = mod.core;
  const size = (data: unknown): number => (typeof data === 'string' ? Buffer.byteLength(data) : (data as Uint8Array).length);
  const record = (op: string, algorithm: string | undefined, data: unknown, level: number | undefined) =>
    recorder.calls.push({ op, algorithm, length: size(data), level });
  const wrappers: Record<string, (...args: never[]) => unknown> = {
    compressAsync: (algorithm: string, data: Uint8Array | string, level: number) => {
      record('compressAsync', algorithm, data, level);
      return real.compressAsync(algorithm as never, data, level);
    },
    decompressAsync: (algorithm: string, data: Uint8Array, max: number) => {
      record('decompressAsync', algorithm, data, undefined);
      return real.decompressAsync(algorithm as never, data, max);
    },
    compress: (data: Uint8Array, level: number) => (record('compress', 'zlib', data, level), real.compress(data, level)),
    compressText: (text: string, level: number) => (record('compressText', 'zlib', text, level), real.compressText(text, level)),
    decompress: (data: Uint8Array, max: number) => (record('decompress', 'zlib', data, undefined), real.decompress(data, max)),
    decompressText: (data: Uint8Array, max: number) => (record('decompressText', 'zlib', data, undefined), real.decompressText(data, max)),
    zstdCompress: (data: Uint8Array | string, level: number) => (record('zstdCompress', 'zstd', data, level), real.zstdCompress(data, level)),
    zstdDecompress: (data: Uint8Array, max: number) => (record('zstdDecompress', 'zstd', data, undefined), real.zstdDecompress(data, max)),
  };
  const bound = new Map<PropertyKey, unknown>();
  // An empty target: the real core may be frozen, and a proxy of a frozen object must return its own functions.
  const core = new Proxy({} as Core, {
    get(_, property) {
      if (typeof property === 'string' && property in wrappers) return wrappers[property];
      const value: unknown = Reflect.get(real, property);
      if (typeof value !== 'function') return value;
      let fn = bound.get(property);
      if (fn === undefined) bound.set(property, (fn = (value as (...args: unknown[]) => unknown).bind(real)));
      return fn;
    },
    has: (_, property) => property in real,
  });
  return { ...mod, core };
});

const ctx = useServerAndClient();
let n = 0;
const key = (name: string) => `offload:${name}:${++n}`;

const OFF_THREAD = new Set(['compressAsync', 'decompressAsync']);
const COMPRESS_OPS = new Set(['compress', 'compressText', 'zstdCompress', 'compressAsync']);
const DECOMPRESS_OPS = new Set(['decompress', 'decompressText', 'zstdDecompress', 'decompressAsync']);

/** Runs `body` with a fresh call record; returns the calls it made. */
async function recording(body: () => Promise<void>): Promise<CoreCall[]> {
  recorder.calls.length = 0;
  await body();
  return [...recorder.calls];
}

const compressions = (calls: CoreCall[]) => calls.filter((c) => COMPRESS_OPS.has(c.op));
const decompressions = (calls: CoreCall[]) => calls.filter((c) => DECOMPRESS_OPS.has(c.op));
const offThread = (calls: CoreCall[]) => calls.filter((c) => OFF_THREAD.has(c.op));

/** A client with one connection to the file's server, closed afterwards. */
function withClient(options: ClientOptions, body: (client: Client) => Promise<void>): Promise<void> {
  return withClientOn([ctx.server.spec], { poolSize: 1, ...options }, body);
}

const WORDS = 'alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar papa quebec romeo sierra tango uniform victor whiskey xray yankee zulu one two three four five six seven eight nine ten red green blue cyan magenta yellow black white north south east west up down left right'.split(' ');

/** Compressible but not too much (about 3:1 with zlib): text of `size` bytes of random words. */
function prose(size: number, seed: number): string {
  const random = mulberry32(seed);
  const parts: string[] = [];
  let length = 0;
  while (length <= size) {
    const word = WORDS[Math.floor(random() * WORDS.length)]!;
    parts.push(word);
    length += word.length + 1;
  }
  return parts.join(' ').slice(0, size);
}

/** Shown instead of a value in assertions, so a mismatch of two 100 KB values prints a line. */
function summary(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return `string(${value.length}) ${JSON.stringify(value.slice(0, 24))} ${createHash('sha1').update(value).digest('hex').slice(0, 12)}`;
  if (Buffer.isBuffer(value)) return `Buffer(${value.length}) ${createHash('sha1').update(value).digest('hex').slice(0, 12)}`;
  return `${typeof value} ${JSON.stringify(value)?.slice(0, 60)}`;
}

function expectSame(actual: unknown, expected: unknown): void {
  expect(summary(actual)).toBe(summary(expected));
}

/** What the server holds under `k`: these flags and exactly these bytes (compared without a 100 KB diff). */
async function expectStored(k: string, flags: number, data: Buffer): Promise<void> {
  const item = await inspect(ctx.server, k);
  expect(item?.flags, k).toBe(flags);
  expect(summary(item?.data), k).toBe(summary(data));
}

const DEFAULT_OFFLOAD = 32 * 1024;

describe('offloadThreshold: which values leave the main thread', () => {
  it('compresses a value of at least offloadThreshold serialized bytes off the main thread, one byte less on it', async () => {
    for (const length of [2000, 5000]) {
      const text = prose(length, length);
      const bytes = Buffer.from(prose(length, length + 1));
      for (const [threshold, off] of [
        [length, true],
        [length + 1, false],
      ] as const) {
        await withClient({ compressionThreshold: 100, offloadThreshold: threshold }, async (client) => {
          const [k1, k2] = [key('text'), key('bytes')];
          const calls = await recording(async () => {
            await client.set(k1, text);
            await client.set(k2, bytes);
          });
          const made = compressions(calls);
          expect(made.map((c) => c.length)).toEqual([length, length]);
          expect(made.every((c) => OFF_THREAD.has(c.op))).toBe(off);
          if (off) expect(made.map((c) => c.algorithm)).toEqual(['zlib', 'zlib']);
          expect((await inspect(ctx.server, k1))?.flags).toBe(16 | 8);
          expect((await inspect(ctx.server, k2))?.flags).toBe(8);
          expectSame(await client.get(k1), text);
          expectSame(await client.get(k2), bytes);
        });
      }
    }
  });

  it('offloads from 32768 bytes by default', async () => {
    await withClient({ compressionThreshold: 1 }, async (client) => {
      const [at, below] = [key('at'), key('below')];
      const calls = await recording(async () => {
        await client.set(at, prose(DEFAULT_OFFLOAD, 1));
        await client.set(below, prose(DEFAULT_OFFLOAD - 1, 2));
      });
      expect(compressions(calls).map((c) => [c.length, OFF_THREAD.has(c.op)])).toEqual([
        [DEFAULT_OFFLOAD, true],
        [DEFAULT_OFFLOAD - 1, false],
      ]);
      expectSame(await client.get(at), prose(DEFAULT_OFFLOAD, 1));
      expectSame(await client.get(below), prose(DEFAULT_OFFLOAD - 1, 2));
    });
  });

  it('measures a string by its UTF-8 bytes, not its characters', async () => {
    // [text, offloaded]: 2-, 3- and 4-byte characters at and just under 32768 bytes.
    const cases: [string, boolean][] = [
      ['é'.repeat(16384), true],
      ['é'.repeat(16383) + 'a', false],
      ['€'.repeat(10923), true],
      ['€'.repeat(10922) + 'ab', true],
      ['€'.repeat(10922) + 'a', false],
      ['\u{1f600}'.repeat(8192), true],
      ['\u{1f600}'.repeat(8191) + 'abc', false],
    ];
    await withClient({ compressionThreshold: 1 }, async (client) => {
      for (const [text, off] of cases) {
        const bytes = Buffer.byteLength(text);
        expect(text.length).toBeLessThan(DEFAULT_OFFLOAD);
        expect(bytes).toBe(off ? Math.max(bytes, DEFAULT_OFFLOAD) : DEFAULT_OFFLOAD - 1);
        const k = key('utf8');
        const calls = await recording(() => client.set(k, text).then(() => undefined));
        const made = compressions(calls);
        expect(made).toHaveLength(1);
        expect(made[0], `${text.length} characters, ${bytes} bytes`).toMatchObject({ op: off ? 'compressAsync' : 'compressText', length: bytes });
        expect(await client.get(k)).toBe(text);
      }
    });
  });

  it('decompresses a stored value of at least offloadThreshold bytes off the main thread, one byte less on it', async () => {
    const text = prose(60_000, 4);
    const stored = zlib.deflateSync(Buffer.from(text));
    const k = key('stored');
    await plant(ctx.server, k, 16 | 8, stored);
    for (const [threshold, off] of [
      [stored.length, true],
      [stored.length + 1, false],
    ] as const) {
      await withClient({ offloadThreshold: threshold }, async (client) => {
        let got: unknown;
        const calls = await recording(async () => {
          got = await client.get(k);
        });
        expectSame(got, text);
        const read = decompressions(calls);
        expect(read).toHaveLength(1);
        expect(read[0]!.length).toBe(stored.length);
        expect(OFF_THREAD.has(read[0]!.op)).toBe(off);
        if (off) expect(read[0]!.algorithm).toBe('zlib');
      });
    }
  });

  it('offloadThreshold 0 keeps compression and decompression on the main thread', async () => {
    await withClient({ compressionThreshold: 100, offloadThreshold: 0 }, async (client) => {
      const [k1, k2] = [key('big-text'), key('big-bytes')];
      const text = prose(200_000, 5);
      const bytes = Buffer.from(prose(150_000, 6));
      const calls = await recording(async () => {
        await client.set(k1, text);
        await client.set(k2, bytes);
        expectSame(await client.get(k1), text);
        expectSame(await client.get(k2), bytes);
        const multi = await client.getMulti([k1, k2]);
        expectSame(multi.get(k1), text);
        expectSame(multi.get(k2), bytes);
      });
      expect(compressions(calls)).toHaveLength(2);
      expect(decompressions(calls)).toHaveLength(4);
      expect(offThread(calls)).toEqual([]);
    });
  });

  it('compresses only above compressionThreshold or with compress: true, whatever the size', async () => {
    const text = prose(100_000, 7);
    await withClient({}, async (client) => {
      const [plain, forced] = [key('default-off'), key('forced')];
      const calls = await recording(async () => {
        await client.set(plain, text);
        await client.set(forced, text, { compress: true });
      });
      expect(compressions(calls).map((c) => c.op)).toEqual(['compressAsync']);
      await expectStored(plain, 16, Buffer.from(text));
      expect((await inspect(ctx.server, forced))?.flags).toBe(16 | 8);
      expectSame(await client.get(forced), text);
    });
    await withClient({ compressionThreshold: 100 }, async (client) => {
      const refused = key('refused');
      const calls = await recording(() => client.set(refused, text, { compress: false }).then(() => undefined));
      expect(compressions(calls)).toEqual([]);
      await expectStored(refused, 16, Buffer.from(text));
    });
  });

  it('stores an offloaded value as is when compression does not make it smaller', async () => {
    await withClient({ compressionThreshold: 100, offloadThreshold: 1024 }, async (client) => {
      const bytesKey = key('noise');
      const noise = randomBytes(64 * 1024);
      const calls = await recording(() => client.set(bytesKey, noise).then(() => undefined));
      expect(compressions(calls).map((c) => c.op)).toEqual(['compressAsync']);
      await expectStored(bytesKey, 0, noise);
      expectSame(await client.get(bytesKey), noise);
    });
  });

  it('stores the bytes the value had when set was called, even if the caller changes them while it compresses', async () => {
    await withClient({ compressionThreshold: 100, offloadThreshold: 1024 }, async (client) => {
      const k = key('mutated');
      const original = Buffer.from(prose(100_000, 8));
      const buffer = Buffer.from(original);
      const stored = client.set(k, buffer);
      buffer.fill(0x41);
      expect(await stored).toBe(true);
      expectSame(await client.get(k), original);
    });
  });

  it('counts the compressed size of an offloaded value against maxValueLength', async () => {
    await withClient({ compressionThreshold: 100, offloadThreshold: 1024, maxValueLength: 20_000 }, async (client) => {
      const [fits, tooLarge] = [key('fits'), key('too-large')];
      const compressible = prose(40_000, 9);
      expect(await client.set(fits, compressible)).toBe(true);
      expectSame(await client.get(fits), compressible);
      await client.set(tooLarge, 'before');
      const error = await client.set(tooLarge, randomBytes(40_000)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValueTooLargeError);
      expect(error).toMatchObject({ code: 'MEMCACHE_VALUE_TOO_LARGE' });
      expect(await client.get(tooLarge)).toBe('before');
    });
  });

  it('never offloads a custom compressor: it runs on the main thread under flag 8', async () => {
    const used: string[] = [];
    const compressor = {
      compress: (data: Uint8Array) => (used.push('compress'), zlib.deflateSync(data)),
      decompress: (data: Uint8Array, max: number) => (used.push('decompress'), zlib.inflateSync(data, { maxOutputLength: max })),
    };
    await withClient({ compressionThreshold: 100, offloadThreshold: 1024, compressor }, async (client) => {
      const k = key('custom');
      const text = prose(200_000, 10);
      const calls = await recording(async () => {
        await client.set(k, text);
        expectSame(await client.get(k), text);
      });
      expect(used).toEqual(['compress', 'decompress']);
      expect(offThread(calls)).toEqual([]);
      const item = await inspect(ctx.server, k);
      expect(item?.flags).toBe(16 | 8);
      expect(item!.data.length).toBeGreaterThanOrEqual(1024);
      expect(zlib.inflateSync(item!.data).toString()).toBe(text);
    });
  });

  it('offloadThreshold must be an integer of 0 or more: an OptionError at construction', () => {
    for (const offloadThreshold of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '1000' as unknown as number]) {
      let error: unknown;
      try {
        new Client([ctx.server.spec], { offloadThreshold });
      } catch (e) {
        error = e;
      }
      expect(error, `offloadThreshold ${String(offloadThreshold)}`).toBeInstanceOf(OptionError);
      expect(error).toMatchObject({ code: 'MEMCACHE_BAD_OPTION', option: 'offloadThreshold' });
    }
    for (const offloadThreshold of [0, 1, 32768, 10_000_000]) void new Client([ctx.server.spec], { offloadThreshold }).close();
  });
});

describe('ordering while values compress off the main thread', () => {
  const LARGE = 80_000;
  const options: ClientOptions = { compressionThreshold: 1024 };

  it('a get issued right after an unawaited set of a large value returns that value', async () => {
    await withClient(options, async (client) => {
      const k = key('set-get');
      const large = prose(LARGE, 11);
      const stored = client.set(k, large);
      const got = client.get(k);
      expect(await stored).toBe(true);
      expectSame(await got, large);
    });
  });

  it('an unawaited large set followed by a small set leaves the small value', async () => {
    await withClient(options, async (client) => {
      const k = key('large-small');
      const sets = [client.set(k, prose(LARGE, 12)), client.set(k, 'small')];
      const got = client.get(k);
      expect(await Promise.all(sets)).toEqual([true, true]);
      expect(await got).toBe('small');
      expect(await client.get(k)).toBe('small');
    });
  });

  it('gets between sets see each set in turn: large, small, large', async () => {
    await withClient(options, async (client) => {
      const k = key('interleaved');
      const [a, b] = [prose(LARGE, 13), prose(LARGE + 1000, 14)];
      const calls = [client.set(k, a), client.get(k), client.set(k, 'tiny'), client.get(k), client.set(k, b), client.get(k), client.delete(k), client.get(k)];
      const results = await Promise.all(calls);
      expect(results.map(summary)).toEqual([true, a, true, 'tiny', true, b, true, undefined].map(summary));
    });
  });

  it('a noreply large set is still written before the get after it', async () => {
    await withClient(options, async (client) => {
      const k = key('noreply');
      const large = prose(LARGE, 15);
      await client.set(k, 'old');
      const stored = client.set(k, large, { noreply: true });
      const got = client.get(k);
      await stored;
      expectSame(await got, large);
    });
  });

  it('a large value that cannot be stored fails its own set only; requests after it keep their order', async () => {
    await withClient({ ...options, maxValueLength: 20_000 }, async (client) => {
      const k = key('failed-between');
      const calls = [client.set(k, 'first'), client.set(k, randomBytes(60_000)), client.get(k), client.set(k, prose(LARGE, 16)), client.get(k)];
      const settled = await Promise.allSettled(calls);
      expect(settled[0]).toEqual({ status: 'fulfilled', value: true });
      expect(settled[1]?.status).toBe('rejected');
      expect((settled[1] as PromiseRejectedResult).reason).toBeInstanceOf(ValueTooLargeError);
      expect(settled[2]).toEqual({ status: 'fulfilled', value: 'first' });
      expect(settled[3]).toEqual({ status: 'fulfilled', value: true });
      expectSame((settled[4] as PromiseFulfilledResult<unknown>).value, prose(LARGE, 16));
    });
  });

  it('a burst of mixed operations on a few keys reads its own writes in call order (poolSize 1)', async () => {
    const random = mulberry32(0x5eed);
    const keys = Array.from({ length: 5 }, (_, i) => key(`burst${i}`));
    // The last is stored at more than offloadThreshold, so its reads are decompressed off the main thread too.
    const bases = [prose(40_000, 21), prose(64_000, 22), prose(90_000, 23), prose(200_000, 24)];
    await withClient({ compressionThreshold: 1024 }, async (client) => {
      const model = new Map<string, unknown>();
      const checks: { what: string; promise: Promise<unknown>; expected: unknown }[] = [];
      let large = 0;
      for (let i = 0; i < 300; i++) {
        const k = keys[Math.floor(random() * keys.length)]!;
        const roll = random();
        if (roll < 0.35) {
          const base = bases[Math.floor(random() * bases.length)]!;
          const value = random() < 0.7 ? `${i}:${base}` : Buffer.from(`${i}:${base}`);
          large++;
          model.set(k, value);
          checks.push({ what: `#${i} set ${k} large`, promise: client.set(k, value), expected: true });
        } else if (roll < 0.55) {
          // Small: some below compressionThreshold, some above it (compressed on the main thread).
          const value = random() < 0.5 ? `small ${i}` : `${i}:${prose(3000, i)}`;
          model.set(k, value);
          checks.push({ what: `#${i} set ${k} small`, promise: client.set(k, value), expected: true });
        } else if (roll < 0.85) {
          checks.push({ what: `#${i} get ${k}`, promise: client.get(k), expected: model.get(k) });
        } else if (roll < 0.92) {
          const existed = model.has(k);
          model.delete(k);
          checks.push({ what: `#${i} delete ${k}`, promise: client.delete(k), expected: existed });
        } else {
          const expected = keys.map((each) => model.get(each));
          checks.push({ what: `#${i} getMulti`, promise: client.getMulti(keys).then((r) => keys.map((each) => r.get(each))), expected });
        }
      }
      expect(large).toBeGreaterThan(50);
      const results = await Promise.all(checks.map((c) => c.promise));
      const mismatches = checks.flatMap((check, i) => {
        const got = Array.isArray(check.expected) ? (results[i] as unknown[]).map(summary) : summary(results[i]);
        const want = Array.isArray(check.expected) ? check.expected.map(summary) : summary(check.expected);
        return JSON.stringify(got) === JSON.stringify(want) ? [] : [`${check.what}: got ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`];
      });
      expect(mismatches).toEqual([]);
      for (const k of keys) expectSame(await client.get(k), model.get(k));
    });
  });

  it('setMulti of large and small values stores each exactly, the large ones compressed', async () => {
    await withClient({ compressionThreshold: 1024, offloadThreshold: 8192 }, async (client) => {
      const entries: [string, string | Buffer][] = [
        [key('sm-large1'), prose(100_000, 31)],
        [key('sm-small1'), 'small one'],
        [key('sm-large2'), Buffer.from(prose(50_000, 32))],
        [key('sm-mid'), prose(4000, 33)],
        [key('sm-large3'), prose(70_000, 34)],
        [key('sm-small2'), Buffer.from('small two')],
      ];
      const calls = await recording(async () => {
        expect(await client.setMulti(entries)).toEqual([]);
      });
      expect(offThread(calls).map((c) => c.length).sort((a, b) => a - b)).toEqual([50_000, 70_000, 100_000]);
      const expectedFlags = [16 | 8, 16, 8, 16 | 8, 16 | 8, 0];
      for (const [i, [k, value]] of entries.entries()) {
        expect((await inspect(ctx.server, k))?.flags, k).toBe(expectedFlags[i]);
        expectSame(await client.get(k), value);
      }
      const multi = await client.getMulti(entries.map(([k]) => k));
      expect(multi.errors.size).toBe(0);
      for (const [k, value] of entries) expectSame(multi.get(k), value);
    });
  });

  it('setMulti followed at once by a get of one of its large values returns that value', async () => {
    await withClient(options, async (client) => {
      const [k1, k2] = [key('smg1'), key('smg2')];
      const large = prose(LARGE, 35);
      const stored = client.setMulti([
        [k1, large],
        [k2, 'x'],
      ]);
      const got = client.get(k1);
      expect(await stored).toEqual([]);
      expectSame(await got, large);
    });
  });

  it('getMulti of large compressed values, decompressed off the main thread, returns exact values', async () => {
    await withClient({ compressionThreshold: 1024 }, async (client) => {
      const entries = Array.from({ length: 6 }, (_, i) => [key(`gm${i}`), i % 2 === 0 ? prose(220_000 + i * 1000, 40 + i) : Buffer.from(prose(200_000, 40 + i))] as const);
      for (const [k, value] of entries) await client.set(k, value);
      const plain = key('gm-plain');
      await client.set(plain, 'plain');
      for (const [k] of entries) expect((await inspect(ctx.server, k))!.data.length).toBeGreaterThanOrEqual(DEFAULT_OFFLOAD);
      let multi: Awaited<ReturnType<Client['getMulti']>> | undefined;
      const calls = await recording(async () => {
        multi = await client.getMulti([...entries.map(([k]) => k), plain, key('gm-missing')]);
      });
      expect(decompressions(calls).map((c) => c.op)).toEqual(entries.map(() => 'decompressAsync'));
      expect(multi!.errors.size).toBe(0);
      expect(multi!.size).toBe(entries.length + 1);
      for (const [k, value] of entries) expectSame(multi!.get(k), value);
      expect(multi!.get(plain)).toBe('plain');
    });
  });

  it('gets of values decompressed off the main thread, with small gets between, each return their own value', async () => {
    await withClient({ compressionThreshold: 1024 }, async (client) => {
      const [big, small] = [key('order-big'), key('order-small')];
      const large = prose(300_000, 50);
      await client.set(big, large);
      await client.set(small, 'small');
      expect((await inspect(ctx.server, big))!.data.length).toBeGreaterThanOrEqual(DEFAULT_OFFLOAD);
      const values = await Promise.all([big, small, big, small, 'order-absent'].map((k) => client.get(k)));
      expect(values.map(summary)).toEqual([large, 'small', large, 'small', undefined].map(summary));
    });
  });
});

describe('every command with values compressed or decompressed off the main thread', () => {
  it('get, gets, gat, gats, getMulti, getItem and fetch return the value itself, not a promise of it', async () => {
    await withClient({ compressionThreshold: 1024, offloadThreshold: 1 }, async (client) => {
      const k = key('reads');
      const large = prose(120_000, 80);
      await client.set(k, large);
      const calls = await recording(async () => {
        expectSame(await client.get(k), large);
        const got = await client.gets(k);
        expectSame(got?.value, large);
        expectSame(await client.gat(k, 100), large);
        const gats = await client.gats(k, 100);
        expectSame(gats?.value, large);
        expect(gats?.cas).toEqual(got?.cas);
        expectSame((await client.getMulti([k])).get(k), large);
        expectSame(await client.fetch(k, () => 'loader ran', { ttl: 100 }), large);
      });
      expect(decompressions(calls).every((c) => c.op === 'decompressAsync')).toBe(true);
      expect(decompressions(calls).length).toBeGreaterThanOrEqual(6);
      const item = await client.getItem(k).catch((e: unknown) => e);
      if (item instanceof Error) expect(item).toMatchObject({ code: 'MEMCACHE_UNSUPPORTED' }); // protocol 'text'
      else expectSame((item as { value: unknown } | undefined)?.value, large);
    });
  });

  it("a caller's deserializer that throws (anything) on a value decompressed off the main thread fails that read with a DeserializeError naming the server, its cause the throw, as on the main thread", async () => {
    const k = key('deserializer-throws-off-thread');
    await withClient({ compressionThreshold: 1024 }, async (client) => void (await client.set(k, prose(120_000, 80))));
    for (const thrown of [new Error('plain'), 'a string', Object.create(null) as object]) {
      for (const offloadThreshold of [1, 0]) {
        const serializer = { serialize: () => ({ bytes: '', flags: 0 }), deserialize: () => { throw thrown; } };
        await withClient({ compressionThreshold: 1024, offloadThreshold, serializer }, async (client) => {
          const expected = { code: 'MEMCACHE_DESERIALIZE', cause: thrown, server: client.serverFor(k) };
          const where = `offloadThreshold ${offloadThreshold}, ${String(typeof thrown)}`;
          await expect(client.get(k), where).rejects.toMatchObject(expected);
          await expect(client.gets(k), where).rejects.toMatchObject(expected);
          expect((await client.getMulti([k])).errors.get(k), where).toMatchObject(expected);
          await expect(client.fetch(k, () => 'loader ran', { ttl: 100 }), where).rejects.toMatchObject(expected);
          const item = await client.getItem(k).catch((e: unknown) => e);
          if ((item as { code?: string }).code !== 'MEMCACHE_UNSUPPORTED') expect(item, where).toMatchObject(expected); // protocol 'text': no getItem
        });
      }
    }
  });

  it('a getItem aborted while its value is decompressed off the main thread, which then fails, leaves nothing unhandled', async () => {
    const k = key('get-item-aborted');
    await withClient({ compressionThreshold: 1024 }, async (client) => void (await client.set(k, 'a'.repeat(200_000))));
    await withClient({ offloadThreshold: 1, maxDecompressedLength: 1000 }, async (client) => {
      const probe = await client.getItem(k).catch((e: { code?: string }) => e.code);
      if (probe === 'MEMCACHE_UNSUPPORTED') return; // protocol 'text': no getItem
      for (let i = 0; i < 20; i++) {
        const controller = new AbortController();
        const call = client.getItem(k, { signal: controller.signal });
        setImmediate(() => controller.abort());
        await expect(call).rejects.toMatchObject({ code: expect.stringMatching(/^MEMCACHE_(ABORTED|DESERIALIZE)$/) });
      }
      await new Promise((resolve) => setTimeout(resolve, 50)); // the decompressions still running have failed by now
      expect(await client.version()).toHaveLength(1);
    });
  });

  it('cas, add, replace and fetch store large values in order', async () => {
    await withClient({ compressionThreshold: 1024 }, async (client) => {
      const [k, added, fetched] = [key('cas'), key('added'), key('fetched')];
      const [a, b, c] = [prose(90_000, 81), prose(90_000, 82), prose(90_000, 83)];
      await client.set(k, a);
      const { cas } = (await client.gets(k))!;
      const results = await Promise.all([client.cas(k, b, cas), client.get(k), client.cas(k, c, cas), client.replace(k, c), client.get(k)]);
      expect(results.map(summary)).toEqual([true, b, false, true, c].map(summary));
      const adds = await Promise.all([client.add(added, a), client.add(added, b), client.get(added)]);
      expect(adds.map(summary)).toEqual([true, false, a].map(summary));
      let loads = 0;
      const loaded = await client.fetch(fetched, () => (loads++, c), { ttl: 100 });
      expectSame(loaded, c);
      expectSame(await client.fetch(fetched, () => (loads++, 'again'), { ttl: 100 }), c);
      expectSame(await client.get(fetched), c);
      expect(loads).toBe(1);
    });
  });
});

describe('closing and aborting while a value compresses', () => {
  it('a set aborted while its value compresses is never sent; the requests after it are', async () => {
    await withClient({ compressionThreshold: 1024 }, async (client) => {
      const k = key('aborted');
      await client.set(k, 'old');
      const controller = new AbortController();
      const aborted = client.set(k, prose(200_000, 90), { signal: controller.signal });
      const got = client.get(k);
      controller.abort();
      const error = await errorOf(aborted);
      expect(error).toMatchObject({ code: 'MEMCACHE_ABORTED' });
      expect(await got).toBe('old');
      await client.set(k, 'new');
      expect(await client.get(k)).toBe('new');
      expect(await client.get(k)).toBe('new');
    });
  });

  it('close() lets a set still compressing finish and store its value', async () => {
    const client = new Client([ctx.server.spec], { compressionThreshold: 1024, poolSize: 1 });
    const k = key('close');
    const large = prose(200_000, 91);
    await client.set(k, 'old');
    const stored = client.set(k, large);
    await client.close();
    expect(await stored).toBe(true);
    const item = await inspect(ctx.server, k);
    expect(item?.flags).toBe(16 | 8);
    expect(summary(zlib.inflateSync(item!.data).toString())).toBe(summary(large));
  });

  it('destroy() while a value compresses fails its set with a ClientClosedError, without hanging', async () => {
    const client = new Client([ctx.server.spec], { compressionThreshold: 1024, poolSize: 1 });
    await client.connect();
    const failed = errorOf(client.set(key('destroy'), prose(200_000, 92)));
    await client.destroy();
    const error = await failed;
    expect(error).toMatchObject({ code: 'MEMCACHE_CLIENT_CLOSED' });
  });
});

async function errorOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => `resolved with ${summary(value)}`,
    (error: unknown) => error,
  );
}

describe('maxDecompressedLength on both paths (zlib)', () => {
  it('a value expanding past it is a DeserializeError on the main thread and off it; exactly at it is read', async () => {
    const small = Buffer.alloc(100_000, 'x');
    const smallStored = zlib.deflateSync(small);
    const large = Buffer.from(prose(100_000, 60));
    const largeStored = zlib.deflateSync(large);
    const threshold = 1024;
    expect(smallStored.length).toBeLessThan(threshold);
    expect(largeStored.length).toBeGreaterThanOrEqual(threshold);
    const [onMain, offMain] = [key('bomb-main'), key('bomb-off')];
    await plant(ctx.server, onMain, 8, smallStored);
    await plant(ctx.server, offMain, 8, largeStored);
    for (const [cap, fits] of [
      [100_000, true],
      [99_999, false],
    ] as const) {
      await withClient({ offloadThreshold: threshold, maxDecompressedLength: cap }, async (client) => {
        const calls = await recording(async () => {
          for (const [k, expected] of [
            [onMain, small],
            [offMain, large],
          ] as const) {
            if (fits) {
              expectSame(await client.get(k), expected);
            } else {
              const error = await client.get(k).catch((e: unknown) => e);
              expect(error, k).toBeInstanceOf(DeserializeError);
              expect(error).toMatchObject({ code: 'MEMCACHE_DESERIALIZE', server: client.serverFor(k) });
            }
          }
          const multi = await client.getMulti([onMain, offMain, 'absent']);
          if (fits) {
            expect(multi.errors.size).toBe(0);
            expectSame(multi.get(onMain), small);
            expectSame(multi.get(offMain), large);
          } else {
            expect(multi.size).toBe(0);
            expect([...multi.errors.keys()].sort()).toEqual([offMain, onMain].sort());
            for (const error of multi.errors.values()) expect(error).toMatchObject({ code: 'MEMCACHE_DESERIALIZE', server: client.serverFor(onMain) });
          }
        });
        const seen = decompressions(calls).map((c) => `${c.length}:${OFF_THREAD.has(c.op) ? 'off' : 'main'}`);
        const expected = [`${smallStored.length}:main`, `${largeStored.length}:off`];
        expect(seen.slice(0, 2)).toEqual(expected);
        expect(seen.slice(2).sort()).toEqual([...expected].sort());
        for (const k of fits ? [] : [onMain, offMain]) {
          await expect(client.fetch(k, () => 'loader ran', { ttl: 60 }), k).rejects.toMatchObject({ code: 'MEMCACHE_DESERIALIZE', server: client.serverFor(k) });
        }
        // The connection is still in step: a plain value reads as written.
        const after = key('after-bomb');
        await client.set(after, 'fine');
        expect(await client.get(after)).toBe('fine');
      });
    }
  });
});

describe("python-memcached's zlib values (flag 8, RFC 1950)", () => {
  it('are read on the main thread and off it', async () => {
    const text = 'x'.repeat(100_000);
    const stored = zlib.deflateSync(Buffer.from(text));
    const k = key('python');
    await plant(ctx.server, k, 16 | 8, stored);
    for (const [offloadThreshold, off] of [
      [DEFAULT_OFFLOAD, false],
      [stored.length, true],
    ] as const) {
      await withClient({ offloadThreshold }, async (client) => {
        const calls = await recording(async () => {
          expect(await client.get(k)).toBe(text);
          expect((await client.getMulti([k])).get(k)).toBe(text);
        });
        expect(decompressions(calls).map((c) => OFF_THREAD.has(c.op))).toEqual([off, off]);
      });
    }
    const bigText = prose(200_000, 70);
    const bigStored = zlib.deflateSync(Buffer.from(bigText), { level: 9 });
    expect(bigStored.length).toBeGreaterThanOrEqual(DEFAULT_OFFLOAD);
    const big = key('python-big');
    await plant(ctx.server, big, 16 | 8, bigStored);
    await withClient({}, async (client) => {
      const calls = await recording(async () => expectSame(await client.get(big), bigText));
      expect(decompressions(calls).map((c) => c.op)).toEqual(['decompressAsync']);
    });
  });
});
