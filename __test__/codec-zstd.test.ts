/**
 * zstd values through the client: `compressor: 'zstd'` writes one zstd frame under flag 32 (on top
 * of the serializer's flags), every client reads flag 32 and flag 8 whatever it writes with, a core
 * without zstd refuses a zstd value with an UnsupportedError (never a wrong value),
 * maxDecompressedLength holds on and off the main thread, and frames made by one core are read
 * through the client on the other. The cores' own zstd is tested in core-zstd.test.ts.
 */
import { createHash } from 'node:crypto';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { Core } from '../ts/core/contract.js';
import { core } from '../ts/core/index.js';
import { tsCore } from '../ts/core/ts-core/index.js';
import { Client, DeserializeError, FlagsError, OptionError, UnsupportedError, type ClientOptions } from '../ts/index.js';
import { native } from './support/cores.js';
import { inspect, plant } from './support/raw.js';
import { useServerAndClient, withClient as withClientOn } from './support/server-and-client.js';
import { rleFrame, sample } from './support/zstd-frames.js';

const ctx = useServerAndClient();
let n = 0;
const key = (name: string) => `zstd:${name}:${++n}`;

const ZSTD_MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);
const NO_ZSTD = `the active (${core.kind}) core has no zstd: node:zlib in Node ${process.versions.node} has none (it came in Node 22.15)`;

/** A test for a core with zstd; skipped, with the reason, without it. */
function zit(name: string, body: () => Promise<void>): void {
  it(name, async (t) => {
    if (!core.hasZstd) return t.skip(NO_ZSTD);
    await body();
  });
}

/** A test for a core without zstd; skipped where the active core has it. */
function noZstdIt(name: string, body: () => Promise<void>): void {
  it(name, async (t) => {
    if (core.hasZstd) return t.skip(`the active (${core.kind}) core has zstd`);
    await body();
  });
}

/** Every core here that has zstd, by name: the pure-TS one where node:zlib has it, the native one when built. */
function coresWithZstd(): [string, Core][] {
  const cores: [string, Core][] = [['ts', tsCore]];
  if (native.core !== undefined) cores.push(['native', native.core]);
  return cores.filter(([, each]) => each.hasZstd);
}

/** A client with one connection to the file's server, closed afterwards. */
function withClient(options: ClientOptions, body: (client: Client) => Promise<void>): Promise<void> {
  return withClientOn([ctx.server.spec], { poolSize: 1, ...options }, body);
}

/** offloadThreshold settings reading every compressed value on the main thread (0) and off it (1). */
const BOTH_PATHS = [
  ['main thread', 0],
  ['off the main thread', 1],
] as const;

function summary(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return `string(${value.length}) ${JSON.stringify(value.slice(0, 24))} ${createHash('sha1').update(value).digest('hex').slice(0, 12)}`;
  if (Buffer.isBuffer(value)) return `Buffer(${value.length}) ${createHash('sha1').update(value).digest('hex').slice(0, 12)}`;
  return `${typeof value} ${JSON.stringify(value, (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))?.slice(0, 80)}`;
}

function expectSame(actual: unknown, expected: unknown, what?: string): void {
  expect(summary(actual), what).toBe(summary(expected));
}

async function errorOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => `resolved with ${summary(value)}`,
    (error: unknown) => error,
  );
}

function constructionError(options: ClientOptions): unknown {
  try {
    void new Client([ctx.server.spec], options).close();
    return undefined;
  } catch (error) {
    return error;
  }
}

describe("compressor: 'zstd' writes flag 32", () => {
  zit("stores compressed values under flag 32 on top of the serializer's flags: text 48, bytes 32, msgpack 96", async () => {
    const text = sample(5000).toString();
    const bytes = sample(6000);
    const object = { list: Array.from({ length: 300 }, (_, i) => ({ id: i, name: `item ${i}` })) };
    const large = sample(200_000).toString();
    await withClient({ compressor: 'zstd', compressionThreshold: 100 }, async (client) => {
      const cases: [string, unknown, number][] = [
        [key('text'), text, 16 | 32],
        [key('bytes'), bytes, 32],
        [key('msgpack'), object, 64 | 32],
        [key('large-text'), large, 16 | 32],
        [key('small'), 'short', 16],
      ];
      for (const [k, value] of cases) expect(await client.set(k, value), k).toBe(true);
      for (const [k, value, flags] of cases) {
        const item = await inspect(ctx.server, k);
        expect(item?.flags, k).toBe(flags);
        if ((flags & 32) !== 0) {
          expect(item!.data.subarray(0, 4), k).toEqual(ZSTD_MAGIC);
          expect(item!.data.length).toBeLessThan(Buffer.byteLength(typeof value === 'string' ? value : Buffer.isBuffer(value) ? value : JSON.stringify(value)));
        }
        if (typeof value === 'string' || Buffer.isBuffer(value)) expectSame(await client.get(k), value, k);
        else expect(await client.get(k)).toEqual(value);
      }
      const [, , , [largeKey]] = cases;
      const stored = await inspect(ctx.server, largeKey!);
      expect(core.zstdDecompress(stored!.data, 1 << 20).toString()).toBe(large);
    });
  });

  it("zlib stays the default: flag 8, python-memcached's, a plain RFC 1950 stream", async () => {
    const text = sample(5000).toString();
    const large = sample(100_000).toString();
    for (const options of [{}, { compressor: 'zlib' }] as ClientOptions[]) {
      await withClient({ compressionThreshold: 100, ...options }, async (client) => {
        const [k, big] = [key('zlib'), key('zlib-large')];
        await client.set(k, text);
        await client.set(big, large);
        for (const [each, value] of [
          [k, text],
          [big, large],
        ] as const) {
          const item = await inspect(ctx.server, each);
          expect(item?.flags).toBe(16 | 8);
          expect(zlib.inflateSync(item!.data).toString()).toBe(value);
          expectSame(await client.get(each), value);
        }
      });
    }
  });

  noZstdIt("is an OptionError at construction where the core has no zstd", async () => {
    for (const options of [{ compressor: 'zstd' }, { compressor: 'zstd', compressionLevel: 3 }] as ClientOptions[]) {
      const error = constructionError(options);
      expect(error).toBeInstanceOf(OptionError);
      expect(error).toMatchObject({ code: 'MEMCACHE_BAD_OPTION', option: 'compressor' });
    }
  });

  it('compressionLevel: zlib takes -1 and 0-9, zstd -1 and 1-22; anything else is an OptionError at construction', () => {
    const bad = (options: ClientOptions) => {
      const error = constructionError(options);
      expect(error, JSON.stringify(options)).toBeInstanceOf(OptionError);
      expect(error).toMatchObject({ code: 'MEMCACHE_BAD_OPTION', option: 'compressionLevel' });
    };
    for (const compressionLevel of [-1, 0, 1, 6, 9]) expect(constructionError({ compressionLevel })).toBeUndefined();
    for (const compressionLevel of [-2, 10, 22, 1.5, Number.NaN, '6' as unknown as number]) {
      bad({ compressionLevel });
      bad({ compressor: 'zlib', compressionLevel });
    }
    if (!core.hasZstd) return;
    for (const compressionLevel of [-1, 1, 3, 10, 19, 22]) expect(constructionError({ compressor: 'zstd', compressionLevel })).toBeUndefined();
    for (const compressionLevel of [-2, 0, 23, 100, 2.5]) bad({ compressor: 'zstd', compressionLevel });
  });

  zit('compressionLevel -1 is zstd level 3; other levels are used as given, on and off the main thread', async () => {
    const small = sample(20_000);
    const large = sample(100_000);
    for (const [setting, level] of [
      [-1, 3],
      [1, 1],
      [19, 19],
    ] as const) {
      await withClient({ compressor: 'zstd', compressionLevel: setting, compressionThreshold: 100 }, async (client) => {
        const [k, big] = [key(`level${setting}`), key(`level${setting}-large`)];
        await client.set(k, small);
        await client.set(big, large);
        expect(Buffer.compare((await inspect(ctx.server, k))!.data, core.zstdCompress(small, level)), `level ${setting}, main thread`).toBe(0);
        const offThread = await inspect(ctx.server, big);
        expect(offThread?.flags).toBe(32);
        expect(Buffer.compare(offThread!.data, await core.compressAsync('zstd', large, level)), `level ${setting}, off the main thread`).toBe(0);
        expectSame(await client.get(big), large);
      });
    }
  });

  it('compressionLevel -1 is zlib level 6 for the default compressor', async () => {
    const small = sample(20_000);
    for (const [setting, level] of [
      [-1, 6],
      [1, 1],
      [9, 9],
    ] as const) {
      await withClient({ compressionLevel: setting, compressionThreshold: 100 }, async (client) => {
        const k = key(`zlib-level${setting}`);
        await client.set(k, small);
        expect(Buffer.compare((await inspect(ctx.server, k))!.data, core.compress(small, level)), `zlib level ${setting}`).toBe(0);
      });
    }
  });
});

describe('reading zstd values (flag 32), whatever the client writes with', () => {
  const customCompressor = {
    compress: (data: Uint8Array) => zlib.deflateSync(data),
    decompress: (data: Uint8Array, max: number) => zlib.inflateSync(data, { maxOutputLength: max }),
  };
  const readers: [string, ClientOptions][] = [
    ['zlib client', {}],
    ['zstd client', { compressor: 'zstd' }],
    ['custom-compressor client', { compressor: customCompressor }],
  ];

  zit('every client reads zstd values: text, bytes, integers, frames with and without a declared size', async () => {
    const text = sample(50_000).toString();
    const planted: [string, number, Buffer, unknown][] = [
      [key('text'), 16 | 32, core.zstdCompress(text, 3), text],
      [key('bytes'), 32, core.zstdCompress(sample(40_000), 19), sample(40_000)],
      [key('int'), 2 | 32, core.zstdCompress(Buffer.from('1234567'), 3), 1234567],
      [key('rle-text'), 16 | 32, rleFrame(300, { blockSize: 1000, byte: 0x62 }), 'b'.repeat(300_000)],
      [key('rle-bytes'), 32, rleFrame(2, { blockSize: 100, byte: 0x63 }), Buffer.alloc(200, 'c')],
    ];
    for (const [k, flags, data] of planted) await plant(ctx.server, k, flags, data);
    for (const [name, options] of readers) {
      for (const [path, offloadThreshold] of BOTH_PATHS) {
        await withClient({ ...options, offloadThreshold }, async (client) => {
          for (const [k, , , expected] of planted) expectSame(await client.get(k), expected, `${name}, ${path}: ${k}`);
          const multi = await client.getMulti(planted.map(([k]) => k));
          expect([...multi.errors.keys()], `${name}, ${path}`).toEqual([]);
          for (const [k, , , expected] of planted) expectSame(multi.get(k), expected, `${name}, ${path}, getMulti: ${k}`);
        });
      }
    }
  });

  zit("a zstd client reads zlib values (flag 8), python-memcached's included", async () => {
    const text = 'x'.repeat(100_000);
    const k = key('python-zlib');
    await plant(ctx.server, k, 16 | 8, zlib.deflateSync(Buffer.from(text)));
    const bytes = key('python-zlib-bytes');
    await plant(ctx.server, bytes, 8, zlib.deflateSync(sample(70_000)));
    for (const [path, offloadThreshold] of BOTH_PATHS) {
      await withClient({ compressor: 'zstd', offloadThreshold }, async (client) => {
        expect(await client.get(k), path).toBe(text);
        expectSame(await client.get(bytes), sample(70_000), path);
      });
    }
  });

  noZstdIt('without zstd in the core, a zstd value is an UnsupportedError for that key only, on and off the main thread', async () => {
    const frames: [string, Buffer][] = [
      ['small frame', rleFrame(3, { blockSize: 100 })],
      ['large frame', rleFrame(400, { blockSize: 100 })],
    ];
    if (native.core !== undefined) frames.push(['native frame', native.core.zstdCompress(sample(100_000), 3)]);
    const zstdKeys = frames.map(([name]) => key(name.replace(' ', '-')));
    for (const [i, [, frame]] of frames.entries()) await plant(ctx.server, zstdKeys[i]!, 16 | 32, frame);
    const [zlibKey, plainKey] = [key('zlib-neighbour'), key('plain-neighbour')];
    await plant(ctx.server, zlibKey, 16 | 8, zlib.deflateSync(Buffer.from('zlib still reads')));
    await plant(ctx.server, plainKey, 16, 'plain');
    for (const [name, options] of readers.filter(([, o]) => o.compressor !== 'zstd')) {
      for (const offloadThreshold of [0, 1, 1024, 32768]) {
        const what = `${name}, offloadThreshold ${offloadThreshold}`;
        await withClient({ ...options, offloadThreshold }, async (client) => {
          for (const k of zstdKeys) {
            const error = await errorOf(client.get(k));
            expect(error, `${what}: ${k}`).toBeInstanceOf(UnsupportedError);
            expect(error).toMatchObject({ code: 'MEMCACHE_UNSUPPORTED' });
          }
          const multi = await client.getMulti([...zstdKeys, zlibKey, plainKey]);
          expect([...multi.keys()].sort(), what).toEqual([plainKey, zlibKey].sort());
          expect(multi.get(zlibKey)).toBe('zlib still reads');
          expect(multi.get(plainKey)).toBe('plain');
          expect([...multi.errors.keys()].sort(), what).toEqual([...zstdKeys].sort());
          for (const error of multi.errors.values()) expect(error).toMatchObject({ code: 'MEMCACHE_UNSUPPORTED' });
          expect(await client.get(plainKey), what).toBe('plain');
        });
      }
    }
  });

  zit('a corrupt zstd frame is a DeserializeError for that key, on and off the main thread', async () => {
    const corrupt = [
      Buffer.concat([ZSTD_MAGIC, Buffer.from('not a frame at all')]),
      Buffer.from('no magic at all, but flag 32'),
      core.zstdCompress(sample(50_000), 3).subarray(0, -10),
      Buffer.concat([core.zstdCompress(sample(4_000), 3), Buffer.from('trailing junk')]),
    ];
    const keys = corrupt.map(() => key('corrupt'));
    for (const [i, data] of corrupt.entries()) await plant(ctx.server, keys[i]!, 16 | 32, data);
    const good = key('good');
    await plant(ctx.server, good, 16 | 32, core.zstdCompress('good', 3));
    for (const [path, offloadThreshold] of BOTH_PATHS) {
      await withClient({ offloadThreshold }, async (client) => {
        for (const k of keys) {
          const error = await errorOf(client.get(k));
          expect(error, `${path}: ${k}`).toBeInstanceOf(DeserializeError);
          expect(error).toMatchObject({ code: 'MEMCACHE_DESERIALIZE' });
        }
        const multi = await client.getMulti([...keys, good]);
        expect(multi.get(good)).toBe('good');
        expect([...multi.errors.keys()].sort()).toEqual([...keys].sort());
      });
    }
  });

  it('flags 8 and 32 together are a FlagsError, found before decompressing', async () => {
    const k = key('both-bits');
    await plant(ctx.server, k, 16 | 8 | 32, zlib.deflateSync(Buffer.from('either')));
    for (const [path, offloadThreshold] of BOTH_PATHS) {
      await withClient({ offloadThreshold }, async (client) => {
        const error = await errorOf(client.get(k));
        expect(error, path).toBeInstanceOf(FlagsError);
        expect(error).toMatchObject({ code: 'MEMCACHE_UNSUPPORTED_FLAGS', flags: 16 | 8 | 32 });
      });
    }
  });
});

describe('maxDecompressedLength on both paths (zstd)', () => {
  zit('a zstd value expanding past it is a DeserializeError on the main thread and off it; exactly at it is read', async () => {
    const SIZE = 30_000;
    const frames: [string, Buffer, string][] = [
      ['small rle frame, no declared size', rleFrame(3, { blockSize: 10_000 }), 'a'.repeat(SIZE)],
      ['large rle frame, no declared size', rleFrame(300, { blockSize: 100 }), 'a'.repeat(SIZE)],
      ['frame with its size declared', core.zstdCompress(sample(SIZE), 3), sample(SIZE).toString()],
    ];
    for (const [name, frame, expected] of frames) {
      const k = key('zstd-bomb');
      await plant(ctx.server, k, 16 | 32, frame);
      // Stored length at offloadThreshold: off the main thread; one byte under it: on it.
      for (const offloadThreshold of [frame.length, frame.length + 1]) {
        const path = offloadThreshold === frame.length ? 'off the main thread' : 'main thread';
        await withClient({ offloadThreshold, maxDecompressedLength: SIZE }, async (client) => {
          expectSame(await client.get(k), expected, `${name}, ${path}, at the cap`);
        });
        await withClient({ offloadThreshold, maxDecompressedLength: SIZE - 1 }, async (client) => {
          const error = await errorOf(client.get(k));
          expect(error, `${name}, ${path}, one byte past the cap`).toBeInstanceOf(DeserializeError);
          expect(error).toMatchObject({ code: 'MEMCACHE_DESERIALIZE' });
          const multi = await client.getMulti([k]);
          expect(multi.errors.get(k)).toBeInstanceOf(DeserializeError);
          await client.set(`${k}:after`, 'fine');
          expect(await client.get(`${k}:after`)).toBe('fine');
        });
      }
    }
  });

  zit('a frame expanding enormously fails fast off the main thread too', async () => {
    // 1000 blocks of 128 KB: 128 MiB from 4 KB of frame.
    const k = key('huge');
    await plant(ctx.server, k, 32, rleFrame(1000));
    for (const [path, offloadThreshold] of BOTH_PATHS) {
      await withClient({ offloadThreshold, maxDecompressedLength: 1 << 20 }, async (client) => {
        const started = performance.now();
        const error = await errorOf(client.get(k));
        expect(error, path).toBeInstanceOf(DeserializeError);
        expect(performance.now() - started, path).toBeLessThan(2000);
      });
    }
  });
});

describe('zstd across cores', () => {
  it('a zstd frame made by each core, stored raw with flag 32, is read through the client (UnsupportedError without zstd)', async (t) => {
    const makers = coresWithZstd();
    if (makers.length === 0) return t.skip('no core here makes zstd frames (no native binding, and node:zlib has no zstd)');
    const text = sample(120_000).toString();
    const bytes = sample(3_000);
    for (const [maker, each] of makers) {
      const [textKey, bytesKey] = [key(`${maker}-text`), key(`${maker}-bytes`)];
      await plant(ctx.server, textKey, 16 | 32, each.zstdCompress(text, 3));
      await plant(ctx.server, bytesKey, 32, await each.compressAsync('zstd', bytes, 7));
      for (const [path, offloadThreshold] of BOTH_PATHS) {
        await withClient({ offloadThreshold }, async (client) => {
          const what = `frame from the ${maker} core, read by the ${core.kind} core ${path}`;
          if (core.hasZstd) {
            expectSame(await client.get(textKey), text, what);
            expectSame(await client.get(bytesKey), bytes, what);
          } else {
            expect(await errorOf(client.get(textKey)), what).toBeInstanceOf(UnsupportedError);
            expect(await errorOf(client.get(bytesKey)), what).toBeInstanceOf(UnsupportedError);
          }
        });
      }
    }
  });

  zit("a value written with compressor 'zstd', on and off the main thread, is read by every core's zstdDecompress", async () => {
    const readers = coresWithZstd();
    expect(readers.length).toBeGreaterThan(0);
    const small = sample(10_000).toString();
    const large = sample(250_000);
    await withClient({ compressor: 'zstd', compressionThreshold: 100 }, async (client) => {
      const [smallKey, largeKey] = [key('written-small'), key('written-large')];
      await client.set(smallKey, small);
      await client.set(largeKey, large);
      const smallItem = await inspect(ctx.server, smallKey);
      const largeItem = await inspect(ctx.server, largeKey);
      expect(smallItem?.flags).toBe(16 | 32);
      expect(largeItem?.flags).toBe(32);
      for (const [name, each] of readers) {
        expect(each.zstdDecompress(smallItem!.data, small.length).toString(), `${name} core`).toBe(small);
        expect(Buffer.compare(each.zstdDecompress(largeItem!.data, large.length), large), `${name} core`).toBe(0);
        expect(Buffer.compare(await each.decompressAsync('zstd', largeItem!.data, large.length), large), `${name} core, async`).toBe(0);
      }
    });
  });
});

describe('zstd values in order and in batches', () => {
  zit('a get right after an unawaited large zstd set returns it; a small set after a large one wins', async () => {
    await withClient({ compressor: 'zstd', compressionThreshold: 1024 }, async (client) => {
      const [k, j] = [key('order'), key('order2')];
      const large = sample(200_000).toString();
      const calls = [client.set(k, large), client.get(k), client.set(j, large), client.set(j, 'small'), client.get(j)];
      const results = await Promise.all(calls);
      expect(results.map(summary)).toEqual([true, large, true, true, 'small'].map(summary));
      expect((await inspect(ctx.server, k))?.flags).toBe(16 | 32);
    });
  });

  zit('setMulti and getMulti of large and small zstd values return exact values', async () => {
    await withClient({ compressor: 'zstd', compressionThreshold: 1024, offloadThreshold: 4096 }, async (client) => {
      const entries: [string, string | Buffer][] = [
        [key('b-large'), sample(150_000).toString()],
        [key('b-small'), 'tiny'],
        [key('b-mid'), sample(3000).toString()],
        [key('b-bytes'), sample(100_000)],
      ];
      expect(await client.setMulti(entries)).toEqual([]);
      const flags = await Promise.all(entries.map(([k]) => inspect(ctx.server, k).then((item) => item?.flags)));
      expect(flags).toEqual([16 | 32, 16, 16 | 32, 32]);
      const multi = await client.getMulti(entries.map(([k]) => k));
      expect(multi.errors.size).toBe(0);
      for (const [k, value] of entries) expectSame(multi.get(k), value, k);
    });
  });
});
