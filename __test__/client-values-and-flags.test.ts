/**
 * Values and flags, python-memcached compatible both ways: items planted with raw protocol commands
 * (as python-memcached writes them) are read by the client, and what the client writes is checked byte
 * for byte on the server.
 */
import { randomBytes } from 'node:crypto';
import { types } from 'node:util';
import zlib from 'node:zlib';
import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { Client, DeserializeError, FlagsError, SerializeError, ValueTooLargeError, type Serializer } from '../ts/index.js';
import { inspect, plant } from './support/raw.js';
import { useServerAndClient } from './support/server-and-client.js';

const ctx = useServerAndClient();
let n = 0;
const key = (name: string) => `flags:${name}:${++n}`;

describe('reading what python-memcached writes', () => {
  it('flags 0 is bytes, 16 is UTF-8 text', async () => {
    const [bytes, text] = [key('bytes'), key('text')];
    await plant(ctx.server, bytes, 0, Buffer.from([0, 1, 2, 255]));
    await plant(ctx.server, text, 16, Buffer.from('héllo ✓', 'utf8'));
    expect(await ctx.client.get(bytes)).toEqual(Buffer.from([0, 1, 2, 255]));
    expect(await ctx.client.get(text)).toBe('héllo ✓');
  });

  it('flags 2 (int) is a number, a bigint past 2^53; 4 (Python 2 long) is always a bigint', async () => {
    const cases: [number, string, number | bigint][] = [
      [2, '123', 123],
      [2, '-45', -45],
      [2, '0', 0],
      [4, '9007199254740993', 9007199254740993n],
      [2, '-123456789012345678901234567890', -123456789012345678901234567890n],
      [4, '77', 77n],
      [4, '-3', -3n],
    ];
    for (const [flags, text, expected] of cases) {
      const k = key('int');
      await plant(ctx.server, k, flags, text);
      expect(await ctx.client.get(k)).toBe(expected);
    }
  });

  it('flag 8 is zlib (RFC 1950) over the other flags', async () => {
    const [text, int, bytes] = [key('ztext'), key('zint'), key('zbytes')];
    await plant(ctx.server, text, 8 | 16, zlib.deflateSync(Buffer.from('compressed ✓ '.repeat(50))));
    await plant(ctx.server, int, 8 | 2, zlib.deflateSync(Buffer.from('31337')));
    await plant(ctx.server, bytes, 8, zlib.deflateSync(Buffer.alloc(1000, 9)));
    expect(await ctx.client.get(text)).toBe('compressed ✓ '.repeat(50));
    expect(await ctx.client.get(int)).toBe(31337);
    expect(await ctx.client.get(bytes)).toEqual(Buffer.alloc(1000, 9));
  });

  it('a pickle (flag 1) or unknown flag bits is a FlagsError for that key, and the connection stays usable', async () => {
    const [pickle, unknown, good] = [key('pickle'), key('unknown'), key('good')];
    await plant(ctx.server, pickle, 1, Buffer.from('80049505000000000000004b2a2e', 'hex'));
    await plant(ctx.server, unknown, 256 | 16, 'x');
    await ctx.client.set(good, 'fine');
    const error = await ctx.client.get(pickle).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FlagsError);
    expect(error).toMatchObject({ code: 'MEMCACHE_UNSUPPORTED_FLAGS', flags: 1 });
    await expect(ctx.client.get(unknown)).rejects.toMatchObject({ code: 'MEMCACHE_UNSUPPORTED_FLAGS', flags: 272 });
    expect(await ctx.client.get(good)).toBe('fine');
  });

  it('unknown flag bits are a FlagsError even with the compression bit among them: checked before decompressing', async () => {
    const cases: [number, Buffer][] = [
      [0xffff_ffff, Buffer.from('x')],
      [99999, Buffer.from('x')],
      [8 | 256, zlib.deflateSync(Buffer.from('valid zlib'))],
      [8 | 1, Buffer.from('a pickle, compressed')],
      [8 | 2 | 16, zlib.deflateSync(Buffer.from('12'))],
    ];
    for (const [flags, data] of cases) {
      const k = key('unknown-z');
      await plant(ctx.server, k, flags, data);
      const error = await ctx.client.get(k).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FlagsError);
      expect(error).toMatchObject({ code: 'MEMCACHE_UNSUPPORTED_FLAGS', flags });
      const multi = await ctx.client.getMulti([k]);
      expect(multi.errors.get(k)).toBeInstanceOf(FlagsError);
    }
  });

  it('a msgpack item (flag 64) that is not exactly one valid msgpack value is a DeserializeError', async () => {
    const corrupt: Buffer[] = [
      Buffer.from([0xc1]), // the one byte msgpack never uses
      Buffer.from([0x92, 0x01, 0xc1]), // ... inside an array
      Buffer.from([0x81, 0xa1, 0x61, 0xc1]), // ... as a map value
      Buffer.from([0x81, 0xc1, 0x01]), // ... as a map key
      Buffer.from([0x01, 0x02]), // a value, then trailing bytes
      Buffer.from([0x92, 0x01]), // truncated
      Buffer.alloc(0),
    ];
    for (const data of corrupt) {
      const [plain, zipped] = [key('bad-msgpack'), key('bad-msgpack-z')];
      await plant(ctx.server, plain, 64, data);
      await plant(ctx.server, zipped, 64 | 8, zlib.deflateSync(data));
      await expect(ctx.client.get(plain)).rejects.toMatchObject({ code: 'MEMCACHE_DESERIALIZE' });
      await expect(ctx.client.get(zipped)).rejects.toBeInstanceOf(DeserializeError);
    }
    // 0xc1 as data (a uint8, a string, bytes) is no invalid byte.
    const k = key('msgpack-c1-data');
    const value = { n: 0xc1, s: '\u00c1\u0141', b: Buffer.from([0xc1, 0xc1]), f: new Float64Array([-1.5e-300]) };
    await ctx.client.set(k, value);
    expect((await inspect(ctx.server, k))!.data.includes(0xc1)).toBe(true);
    expect(await ctx.client.get(k)).toEqual(value);
  });

  it('getMulti returns the readable keys and lists the unreadable ones in errors', async () => {
    const [pickle, good, corrupt] = [key('m-pickle'), key('m-good'), key('m-corrupt')];
    await plant(ctx.server, pickle, 1, 'pickled');
    await plant(ctx.server, corrupt, 8, 'not zlib');
    await ctx.client.set(good, 'fine');
    const result = await ctx.client.getMulti([pickle, good, corrupt, key('m-miss')]);
    expect([...result]).toEqual([[good, 'fine']]);
    expect(result.errors.get(pickle)).toBeInstanceOf(FlagsError);
    expect(result.errors.get(corrupt)).toBeInstanceOf(DeserializeError);
    expect(result.errors.size).toBe(2);
  });

  it('concurrent gets merged into one request each get their own outcome', async () => {
    const [pickle, good] = [key('c-pickle'), key('c-good')];
    await plant(ctx.server, pickle, 1, 'pickled');
    await ctx.client.set(good, 'fine');
    const [a, b] = await Promise.allSettled([ctx.client.get(pickle), ctx.client.get(good)]);
    expect(a.status).toBe('rejected');
    expect(b).toEqual({ status: 'fulfilled', value: 'fine' });
  });

  it('a compressed value that expands past maxDecompressedLength fails cleanly (zip bomb)', async () => {
    const small = new Client([ctx.server.spec], { maxDecompressedLength: 1024 * 1024 });
    try {
      const k = key('bomb');
      await plant(ctx.server, k, 8 | 16, zlib.deflateSync(Buffer.alloc(50 * 1024 * 1024)));
      const error = await small.get(k).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DeserializeError);
      expect((error as Error).message).toMatch(/maxDecompressedLength/);
      await small.set(k, 'ok');
      expect(await small.get(k)).toBe('ok');
    } finally {
      await small.close();
    }
  });
});

describe('writing what python-memcached reads', () => {
  it('strings as flags 16 UTF-8, bytes as flags 0', async () => {
    const [text, buffer, u8] = [key('w-text'), key('w-buf'), key('w-u8')];
    await ctx.client.set(text, 'ünïcode');
    await ctx.client.set(buffer, Buffer.from([1, 2, 3]));
    await ctx.client.set(u8, new Uint8Array([4, 5]));
    expect(await inspect(ctx.server, text)).toEqual({ flags: 16, data: Buffer.from('ünïcode') });
    expect(await inspect(ctx.server, buffer)).toEqual({ flags: 0, data: Buffer.from([1, 2, 3]) });
    expect(await inspect(ctx.server, u8)).toEqual({ flags: 0, data: Buffer.from([4, 5]) });
    expect(await ctx.client.get(u8)).toEqual(Buffer.from([4, 5]));
  });

  it('safe integers as flags 2 (int), bigints as flags 4 (long), decimal text', async () => {
    const cases: [number | bigint, number, string][] = [
      [42, 2, '42'],
      [-7, 2, '-7'],
      [Number.MAX_SAFE_INTEGER, 2, '9007199254740991'],
      [2n ** 70n, 4, '1180591620717411303424'],
      [-(2n ** 64n), 4, '-18446744073709551616'],
    ];
    for (const [value, flags, text] of cases) {
      const k = key('w-int');
      await ctx.client.set(k, value);
      expect(await inspect(ctx.server, k)).toEqual({ flags, data: Buffer.from(text) });
      expect(await ctx.client.get(k)).toBe(value);
    }
  });

  it('a bigint reads back as a bigint whatever its size and sign, a number as a number', async () => {
    const values: (number | bigint)[] = [-5n, 5n, 0n, -1n, -(2n ** 53n) + 1n, 2n ** 53n - 1n, -5, 0, 7];
    for (const value of values) {
      const k = key('int-type');
      await ctx.client.set(k, value);
      expect((await inspect(ctx.server, k))?.flags).toBe(typeof value === 'bigint' ? 4 : 2);
      expect(await ctx.client.get(k)).toBe(value);
      expect((await ctx.client.getMulti([k])).get(k)).toBe(value);
      expect((await ctx.client.gets(k))?.value).toBe(value);
    }
    const zipped = new Client([ctx.server.spec], { compressionThreshold: 1 });
    try {
      const k = key('int-type-z');
      const big = -(10n ** 40n);
      await zipped.set(k, big, { compress: true });
      expect(await zipped.get(k)).toBe(big);
    } finally {
      await zipped.close();
    }
  });

  it('everything else as msgpack under flag 64, round-tripping its type', async () => {
    const values: unknown[] = [
      { a: 1, nested: { list: [1, 'two', null] } },
      [1, 2, 3],
      true,
      false,
      null,
      1.5,
      -0.25,
      NaN,
      2 ** 60,
      new Date('2024-01-02T03:04:05.678Z'),
      new Map<unknown, unknown>([['a', 1], [2, 'b']]),
      new Set(['x', 'y']),
      new Float64Array([1.5, -2]),
      new Int32Array([7, -8]),
      { big: 2n ** 80n, buf: Buffer.from('raw') },
    ];
    for (const value of values) {
      const k = key('msgpack');
      await ctx.client.set(k, value);
      expect((await inspect(ctx.server, k))?.flags).toBe(64);
      expect(await ctx.client.get(k)).toEqual(value);
    }
    const k = key('msgpack-raw');
    await ctx.client.set(k, { hello: 'world' });
    expect(new Packr({ moreTypes: true }).unpack((await inspect(ctx.server, k))!.data)).toEqual({ hello: 'world' });
  });

  it('refuses undefined, functions and symbols before sending', async () => {
    for (const value of [undefined, () => 1, Symbol('s')]) {
      const k = key('unstorable');
      await expect(ctx.client.set(k, value)).rejects.toBeInstanceOf(SerializeError);
      expect(await inspect(ctx.server, k)).toBeUndefined();
    }
  });
});

describe('compression', () => {
  const text = 'compress me please '.repeat(100);

  it('is off by default', async () => {
    const k = key('off');
    await ctx.client.set(k, text);
    expect((await inspect(ctx.server, k))?.flags).toBe(16);
  });

  it('applies above compressionThreshold, as zlib python-memcached can read', async () => {
    const zc = new Client([ctx.server.spec], { compressionThreshold: 100 });
    try {
      const [big, smallKey] = [key('above'), key('below')];
      await zc.set(big, text);
      await zc.set(smallKey, 'short');
      const stored = await inspect(ctx.server, big);
      expect(stored?.flags).toBe(8 | 16);
      expect(zlib.inflateSync(stored!.data).toString()).toBe(text);
      expect(stored!.data.length).toBeLessThan(text.length);
      expect((await inspect(ctx.server, smallKey))?.flags).toBe(16);
      expect(await zc.get(big)).toBe(text);
      expect(await ctx.client.get(big)).toBe(text);
    } finally {
      await zc.close();
    }
  });

  it('keeps a value uncompressed when compression would not make it smaller', async () => {
    const zc = new Client([ctx.server.spec], { compressionThreshold: 10 });
    try {
      const k = key('random');
      const noise = Buffer.from(Array.from({ length: 500 }, () => Math.floor(Math.random() * 256)));
      await zc.set(k, noise);
      expect(await inspect(ctx.server, k)).toEqual({ flags: 0, data: noise });
    } finally {
      await zc.close();
    }
  });

  it('follows the per-call compress option over the threshold', async () => {
    const [forced, refused] = [key('forced'), key('refused')];
    await ctx.client.set(forced, text, { compress: true });
    expect((await inspect(ctx.server, forced))?.flags).toBe(8 | 16);
    const zc = new Client([ctx.server.spec], { compressionThreshold: 1 });
    try {
      await zc.set(refused, text, { compress: false });
      expect((await inspect(ctx.server, refused))?.flags).toBe(16);
    } finally {
      await zc.close();
    }
  });

  it('measures text by its UTF-8 bytes against the threshold, and reads long text back whole', async () => {
    const zc = new Client([ctx.server.spec], { compressionThreshold: 100 });
    try {
      const [accented, long, incompressible] = [key('accented'), key('long-text'), key('incompressible')];
      const multiByte = 'é'.repeat(60); // 60 characters, 120 bytes: over the threshold
      await zc.set(accented, multiByte);
      expect((await inspect(ctx.server, accented))?.flags).toBe(8 | 16);
      expect(await zc.get(accented)).toBe(multiByte);
      const json = JSON.stringify(Array.from({ length: 9000 }, (_, i) => ({ id: i, name: `item ${i}`, tags: ['a', 'ü'] })));
      await zc.set(long, json); // past 128 KB: an external string on the native core
      expect(zlib.inflateSync((await inspect(ctx.server, long))!.data).toString()).toBe(json);
      expect(await zc.get(long)).toBe(json);
      expect(await ctx.client.get(long)).toBe(json);
      // Deflated CJK text is longer than its characters yet shorter than its bytes: compressed.
      const cjk = Array.from({ length: 200 }, (_, i) => String.fromCharCode(0x4e00 + ((i * 7919) % 20000))).join('');
      await zc.set(accented, cjk);
      const packed = (await inspect(ctx.server, accented))!;
      expect(packed.flags).toBe(8 | 16);
      expect(packed.data.length).toBeGreaterThan(cjk.length);
      expect(await zc.get(accented)).toBe(cjk);
      // Text whose deflate form is no shorter stays as it is.
      const noise = Array.from(randomBytes(120), (b) => String.fromCharCode(0x21 + (b % 94))).join('');
      await zc.set(incompressible, noise);
      expect(await inspect(ctx.server, incompressible)).toEqual({ flags: 16, data: Buffer.from(noise) });
    } finally {
      await zc.close();
    }
  });

  it('counts the compressed size against maxValueLength', async () => {
    const zc = new Client([ctx.server.spec], { compressionThreshold: 100, maxValueLength: 200 });
    try {
      const k = key('fits-compressed');
      expect(await zc.set(k, text)).toBe(true);
      const noise = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 7919) % 251));
      await expect(zc.set(key('too-big'), noise)).rejects.toBeInstanceOf(ValueTooLargeError);
    } finally {
      await zc.close();
    }
  });
});

describe('maxValueLength', () => {
  it('refuses a larger value with ValueTooLargeError before sending anything', async () => {
    const small = new Client([ctx.server.spec], { maxValueLength: 100 });
    try {
      const k = key('limit');
      expect(await small.set(k, Buffer.alloc(100))).toBe(true);
      const error = await small.set(k, Buffer.alloc(101, 1)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValueTooLargeError);
      expect(error).toMatchObject({ code: 'MEMCACHE_VALUE_TOO_LARGE', length: 101, limit: 100 });
      expect(await small.get(k)).toEqual(Buffer.alloc(100));
    } finally {
      await small.close();
    }
  });
});

describe('a custom serializer', () => {
  const json: Serializer = {
    serialize: (value) => ({ bytes: JSON.stringify(value), flags: 256 }),
    deserialize: (bytes, flags) => {
      if (flags !== 256) throw new Error(`unexpected flags ${flags}`);
      return JSON.parse(bytes.toString('utf8'));
    },
  };

  it('decides the bytes and flags, and composes with compression', async () => {
    const custom = new Client([ctx.server.spec], { serializer: json, compressionThreshold: 50 });
    try {
      const [small, big] = [key('json'), key('json-big')];
      await custom.set(small, { a: [1, 2] });
      expect(await inspect(ctx.server, small)).toEqual({ flags: 256, data: Buffer.from('{"a":[1,2]}') });
      expect(await custom.get(small)).toEqual({ a: [1, 2] });
      await custom.set(big, { text: 'x'.repeat(500) });
      expect((await inspect(ctx.server, big))?.flags).toBe(256 | 8);
      expect(await custom.get(big)).toEqual({ text: 'x'.repeat(500) });
    } finally {
      await custom.close();
    }
  });

  it('failing to deserialize is a DeserializeError for that key only', async () => {
    const custom = new Client([ctx.server.spec], { serializer: json });
    try {
      const k = key('json-wrong');
      await plant(ctx.server, k, 16, 'text');
      const error = await custom.get(k).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DeserializeError);
      expect((error as Error).message).toMatch(/unexpected flags 16/);
    } finally {
      await custom.close();
    }
  });

  it('that throws fails the call with a SerializeError whose cause is the throw; nothing is sent', async () => {
    const thrown = new Error('cannot write this');
    const custom = new Client([ctx.server.spec], { serializer: { serialize: () => { throw thrown; }, deserialize: () => 0 } });
    try {
      const k = key('serializer-throws');
      const error = await custom.set(k, 1).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SerializeError);
      expect(error).toMatchObject({ code: 'MEMCACHE_SERIALIZE', cause: thrown });
      expect(await inspect(ctx.server, k)).toBeUndefined();
    } finally {
      await custom.close();
    }
  });

  it('that throws what String() cannot show still fails with its coded error, the throw as cause (serializing and deserializing), and the connection stays usable', async () => {
    const unshowable = Object.create(null) as object;
    const custom = new Client([ctx.server.spec], { serializer: { serialize: () => { throw unshowable; }, deserialize: () => { throw unshowable; } } });
    try {
      const k = key('serializer-throws-unshowable');
      await expect(custom.set(k, 1)).rejects.toMatchObject({ code: 'MEMCACHE_SERIALIZE', cause: unshowable });
      await ctx.client.set(k, 'stored by another client');
      for (const read of [() => custom.get(k), () => custom.getMulti([k]).then((hits) => hits.errors.get(k) ?? hits.get(k))]) {
        const outcome = await read().catch((e: unknown) => e);
        expect(outcome).toMatchObject({ code: 'MEMCACHE_DESERIALIZE', cause: unshowable });
      }
      expect(await custom.version()).toHaveLength(1); // the reply's handling did not throw: the connection is still up
    } finally {
      await custom.close();
    }
  });

  it("whose deserializer throws a coded error of its own gets that very error back, named the server: still a native error, its private fields intact", async () => {
    class PolicyError extends DeserializeError {
      readonly #reason = 'embargoed';
      get reason(): string {
        return this.#reason;
      }
    }
    let thrown: PolicyError | undefined;
    const custom = new Client([ctx.server.spec], { serializer: { serialize: (v) => ({ bytes: String(v), flags: 0 }), deserialize: () => { throw (thrown = new PolicyError('not for you')); } } });
    try {
      const k = key('deserializer-own-error');
      await ctx.client.set(k, 'x');
      const error = await custom.get(k).catch((e: unknown) => e);
      expect(error).toBe(thrown);
      expect(error).toMatchObject({ code: 'MEMCACHE_DESERIALIZE', server: custom.serverFor(k), reason: 'embargoed' });
      expect(types.isNativeError(error)).toBe(true);
      expect(structuredClone(error)).toMatchObject({ message: 'not for you' });
    } finally {
      await custom.close();
    }
  });

  it.each([8, 32])('may not claim a compression bit (%i)', async (flag) => {
    const bad = new Client([ctx.server.spec], { serializer: { serialize: () => ({ bytes: 'x', flags: flag }), deserialize: () => 0 } });
    try {
      await expect(bad.set(key(`bit${flag}`), 1)).rejects.toBeInstanceOf(SerializeError);
    } finally {
      await bad.close();
    }
  });
});

describe('a custom compressor', () => {
  it('is used for both directions', async () => {
    const calls: string[] = [];
    const custom = new Client([ctx.server.spec], {
      compressionThreshold: 10,
      compressor: {
        compress: (data) => (calls.push('compress'), zlib.deflateSync(data)),
        decompress: (data, max) => (calls.push('decompress'), zlib.inflateSync(data, { maxOutputLength: max })),
      },
    });
    try {
      const k = key('custom-z');
      await custom.set(k, 'abc'.repeat(100));
      expect(await custom.get(k)).toBe('abc'.repeat(100));
      expect(calls).toEqual(['compress', 'decompress']);
    } finally {
      await custom.close();
    }
  });
});
