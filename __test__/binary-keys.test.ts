/**
 * binaryKeys: keys of any bytes, sent base64 with the meta `b` flag. Every method round-trips keys
 * no text key may hold, no key can smuggle in a command, keys are routed by their raw bytes, and
 * the 186-byte limit (250 in base64) is checked before anything is written.
 */
import net from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { core } from '../ts/core/index.js';
import { Client, KeyError, OptionError, type ClientOptions } from '../ts/index.js';
import { startFakeServer } from './support/fake-server.js';
import type { MemcachedServer } from './support/memcached.js';
import { plant, raw } from './support/raw.js';
import { useServerAndClient, useServers, withClient } from './support/server-and-client.js';
import { hasTwemproxy, startTwemproxy } from './support/twemproxy.js';
import { written } from './support/written.js';

// protocol given, so a run with MEMCACHE_PROTOCOL=text still tests binary keys (which need meta).
const BINARY: ClientOptions = { binaryKeys: true, protocol: 'auto' };
const ctx = useServerAndClient({ client: BINARY });

afterEach(() => {
  vi.restoreAllMocks();
});


type Key = string | Buffer;

/** `key` with `suffix` after it, of the same type. */
function variant(key: Key, suffix: string): Key {
  return typeof key === 'string' ? key + suffix : Buffer.concat([key, Buffer.from(suffix)]);
}

/** The raw bytes of a key as the server stores it (a string's UTF-8). */
function bytesOf(key: Key): Buffer {
  return typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
}

/** What `server` holds under the raw bytes `key`, read with a bare `mg … b`: its client flags and data. */
async function inspectBinary(server: MemcachedServer, key: Buffer): Promise<{ flags: number; data: Buffer } | undefined> {
  const reply = await raw(server, `mg ${key.toString('base64')} b v f\r\nmn\r\n`, 'MN\r\n');
  if (reply.toString('latin1').startsWith('EN')) return undefined;
  const headerEnd = reply.indexOf('\r\n');
  const [, length, flags] = reply.subarray(0, headerEnd).toString('latin1').split(' ');
  return { flags: Number(flags.slice(1)), data: reply.subarray(headerEnd + 2, headerEnd + 2 + Number(length)) };
}

const KEYS: [string, Key][] = [
  ['a space', 'a b'],
  ['CR LF', 'a\r\nb'],
  ['NUL', 'a\0b'],
  ['bytes that are no UTF-8 (0xff)', Buffer.from([0x6b, 0xff, 0xfe, 0x00, 0x80])],
  ['a flush_all command line', 'x\r\nflush_all\r\n'],
  ['tab and DEL', '\t\x7f'],
  ['non-ASCII text', 'clé ☃ 🔑'],
];

describe('every method', () => {
  it.each(KEYS)('round-trips a key with %s', async (_, base) => {
    const mc = ctx.client;
    const k = variant(base, ':item');
    expect(await mc.set(k, 'v1', { ttl: 300 })).toBe(true);
    expect(await mc.get(k)).toBe('v1');
    expect((await inspectBinary(ctx.server, bytesOf(k)))?.data.toString()).toBe('v1');
    const item = await mc.gets<string>(k);
    expect(item).toEqual({ value: 'v1', cas: expect.any(BigInt) });
    expect(await mc.cas(k, 'v2', item!.cas)).toBe(true);
    expect(await mc.cas(k, 'v3', item!.cas)).toBe(false);
    expect(await mc.add(k, 'no')).toBe(false);
    expect(await mc.replace(k, 'v4')).toBe(true);
    expect(await mc.append(k, '>')).toBe(true);
    expect(await mc.prepend(k, '<')).toBe(true);
    expect(await mc.gat(k, 100)).toBe('<v4>');
    expect(await mc.gats(k, 200)).toEqual({ value: '<v4>', cas: expect.any(BigInt) });
    expect(await mc.touch(k, 50)).toBe(true);
    const info = await mc.getItem<string>(k);
    expect(info).toMatchObject({ value: '<v4>', flags: 16 });
    expect(info!.ttl).toBeGreaterThan(40);
    expect(info!.ttl).toBeLessThanOrEqual(50);
    expect(await mc.delete(k)).toBe(true);
    expect(await mc.delete(k)).toBe(false);
    expect(await mc.get(k)).toBeUndefined();
    expect(await mc.gets(k)).toBeUndefined();
    expect(await mc.gat(k, 10)).toBeUndefined();
    expect(await mc.touch(k, 10)).toBe(false);
    expect(await mc.getItem(k)).toBeUndefined();
    expect(await mc.replace(k, 'no')).toBe(false);
    expect(await mc.append(k, 'no')).toBe(false);
  });

  it.each(KEYS)('counts with a key with %s: incr / decr, with and without initial, noreply', async (_, base) => {
    const mc = ctx.client;
    const n = variant(base, ':n');
    expect(await mc.incr(n)).toBeUndefined();
    expect(await mc.incr(n, 5, { initial: 10 })).toBe(10);
    expect(await mc.incr(n, 5)).toBe(15);
    expect(await mc.decr(n, 20)).toBe(0);
    expect(await mc.incr(n, 2n ** 60n)).toBe(2n ** 60n);
    expect(await mc.incr(n, 1, { noreply: true })).toBeUndefined();
    expect(await mc.decr(n, 1)).toBe(2n ** 60n);
    const fresh = variant(base, ':fresh');
    expect(await mc.decr(fresh, 1, { initial: 7, ttl: 100 })).toBe(7);
    expect(await mc.get(fresh)).toEqual(Buffer.from('7'));
  });

  it.each(KEYS)('takes a key with %s in the multi-key calls, keyPrefix per call included', async (_, base) => {
    const mc = ctx.client;
    const keys = [variant(base, ':m1'), variant(base, ':m2'), variant(base, ':m3')];
    expect(await mc.setMulti([[keys[0], 1], [keys[1], 'two']])).toEqual([]);
    const hits = await mc.getMulti([...keys, keys[0]]);
    expect([...hits]).toEqual([[keys[0], 1], [keys[1], 'two']]);
    expect(hits.errors.size).toBe(0);
    expect(await mc.deleteMulti(keys)).toEqual([keys[2]]);
    expect((await mc.getMulti(keys)).size).toBe(0);
    expect(await mc.setMulti([[base, 'prefixed']], { keyPrefix: 'tenant\0 ' })).toEqual([]);
    expect([...(await mc.getMulti([base], { keyPrefix: 'tenant\0 ' }))]).toEqual([[base, 'prefixed']]);
    expect(await mc.get(base)).toBeUndefined();
    expect((await inspectBinary(ctx.server, Buffer.concat([Buffer.from('tenant\0 '), bytesOf(base)])))?.data.toString()).toBe('prefixed');
    expect(await mc.deleteMulti([base], { keyPrefix: 'tenant\0 ' })).toEqual([]);
  });

  it('leaves stats, version and flushAll as they are', async () => {
    await withClient(ctx.server.spec, BINARY, async (mc) => {
      expect((await mc.version())[0].version).toMatch(/^\d+\.\d+\.\d+/);
      expect(Number((await mc.stats())[0].stats.pid)).toBeGreaterThan(0);
      await mc.set('flush me', 1);
      await mc.flushAll();
      expect(await mc.get('flush me')).toBeUndefined();
    });
  });
});

describe('no injection', () => {
  it('a key holding command lines stores under those bytes and runs nothing', async () => {
    await plant(ctx.server, 'victim', 16, 'planted');
    for (const key of ['x\r\nflush_all\r\n', 'y\r\nset victim 0 0 5\r\nowned\r\n', 'z delete victim', '\r\n']) {
      expect(await ctx.client.set(key, 'harmless')).toBe(true);
      expect(await ctx.client.get(key)).toBe('harmless');
      expect(await ctx.client.delete(key)).toBe(true);
    }
    expect(await ctx.client.get('victim')).toBe('planted');
  });

  it('writes every keyed command as meta with the key in base64, never as text', async () => {
    const key = 'a b\r\n';
    const b64 = Buffer.from(key).toString('base64');
    const wire = await written(async () => {
      await ctx.client.set(key, 'v');
      await ctx.client.get(key);
      await ctx.client.gets(key);
      await ctx.client.touch(key, 10);
      await ctx.client.delete(key);
    });
    expect(wire).not.toContain(key);
    expect(wire).not.toMatch(/(^|\n)(get|gets|gat|gats|set|touch|delete|incr|decr) /);
    expect(wire).toContain(`ms ${b64} 1 b F16 q O`);
    expect(wire).toMatch(new RegExp(`mg ${b64} b v f O\\d+\\r\\nmg ${b64} b v f c O\\d+\\r\\nmg ${b64} b T10 O\\d+\\r\\nmd ${b64} b q O\\d+\\r\\nmn\\r\\n`));
  });
});

describe('keys that differ only past their first bytes', () => {
  it('are distinct items, alone and in one getMulti', async () => {
    const head = Buffer.alloc(180, 0xff);
    const keys = [0x00, 0x01, 0xff, 0x20, 0x0a].map((last) => Buffer.concat([head, Buffer.from([last])]));
    const concurrent = await Promise.all(keys.map((k, i) => ctx.client.set(k, i)));
    expect(concurrent).toEqual(keys.map(() => true));
    expect(await Promise.all(keys.map((k) => ctx.client.get(k)))).toEqual([0, 1, 2, 3, 4]);
    const hits = await ctx.client.getMulti(keys);
    expect(keys.map((k) => hits.get(k))).toEqual([0, 1, 2, 3, 4]);
    await ctx.client.set('a\0x', 'x');
    await ctx.client.set('a\0y', 'y');
    expect(await Promise.all([ctx.client.get('a\0x'), ctx.client.get('a\0y'), ctx.client.get('a\0z')])).toEqual(['x', 'y', undefined]);
  });
});

describe('the same item as a text key', () => {
  it('a printable key is the same bytes either way: each client reads what the other wrote', async () => {
    await withClient(ctx.server.spec, { protocol: 'auto' }, async (text) => {
      expect(await ctx.client.set('shared:k', 'from binary')).toBe(true);
      expect(await text.get('shared:k')).toBe('from binary');
      expect(await text.set(Buffer.from([0xc3, 0xa9]), 'from text')).toBe(true);
      expect(await ctx.client.get('é')).toBe('from text');
    });
  });
});

describe('hits and misses', () => {
  it('are counted as the text gets count them', async () => {
    await withClient(ctx.server.spec, BINARY, async (mc) => {
      await mc.setMulti([['h 1', 1], ['h 2', 2]]);
      await mc.get('h 1');
      await mc.get('h none');
      await mc.gets('h 2');
      await mc.getMulti(['h 1', 'h 2', 'h x', 'h y', 'h z']);
      const { hits, misses } = mc.metrics().totals;
      expect({ hits, misses }).toEqual({ hits: 4, misses: 4 });
    });
  });

  it('decode exactly as a VALUE does: values another client planted with its flags read as a text get reads them', async () => {
    await plant(ctx.server, 'planted:int', 2, '12345678901234567890');
    await plant(ctx.server, 'planted:bytes', 0, Buffer.from([1, 2, 3]));
    await plant(ctx.server, 'planted:pickle', 1, 'pickle');
    const keys = ['planted:int', 'planted:bytes', 'planted:pickle', 'planted:none'];
    await withClient(ctx.server.spec, { protocol: 'auto' }, async (text) => {
      const viaText = await Promise.allSettled(keys.map((k) => text.get(k)));
      const viaMeta = await Promise.allSettled(keys.map((k) => ctx.client.get(k)));
      expect(viaMeta).toEqual(viaText);
      expect(viaMeta[0]).toEqual({ status: 'fulfilled', value: 12345678901234567890n });
      expect((viaMeta[2] as PromiseRejectedResult).reason).toMatchObject({ code: (viaText[2] as PromiseRejectedResult).reason.code });
      const [textHits, metaHits] = await Promise.all([text.getMulti(keys), ctx.client.getMulti(keys)]);
      expect([...metaHits]).toEqual([...textHits]);
      expect([...metaHits.errors.keys()]).toEqual(['planted:pickle']);
      expect(metaHits.errors.get('planted:pickle')?.code).toBe(textHits.errors.get('planted:pickle')?.code);
    });
  });
});

describe('large values', () => {
  it('past 64 KiB are stored answered, so a refused one fails alone', async () => {
    const big = Buffer.alloc(100 * 1024, 7);
    expect(await ctx.client.set('big key', big)).toBe(true);
    expect(await ctx.client.get('big key')).toEqual(big);
    expect(await ctx.client.setMulti([['big 1', big], ['small 1', 's']])).toEqual([]);
    expect(await ctx.client.get('big 1')).toEqual(big);
    expect(await ctx.client.set('big noreply', big, { noreply: true })).toBe(true);
    const tooBig = Buffer.alloc(1024 * 1024 - 16, 1); // within maxValueLength, past the server's item size
    const outcomes = await Promise.allSettled([ctx.client.set('small 2', 1), ctx.client.set('too big', tooBig), ctx.client.set('small 3', 2)]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'MEMCACHE_SERVER_ERROR' });
    expect(await ctx.client.setMulti([['small 4', 1], ['too big', tooBig], ['small 5', 2]])).toEqual(['too big']);
    expect(await ctx.client.getMulti(['small 2', 'small 3', 'small 4', 'small 5', 'too big'])).toHaveProperty('size', 4);
  });
});

describe('routing over several servers', () => {
  const servers = useServers(3);
  let binary: Client;
  let text: Client;
  beforeAll(() => {
    const specs = servers.map((s) => s.spec);
    binary = new Client(specs, BINARY);
    text = new Client(specs, { protocol: 'auto' });
  });
  afterAll(async () => {
    await Promise.all([binary.close(), text.close()]);
  });

  it('hashes the raw bytes: printable keys go where a text-keyed client sends them, any key where the ring puts its bytes', () => {
    const ring = core.createRing(
      servers.map((s) => ({ host: s.host, port: s.port, weight: 1 })),
      'libmemcached',
    );
    for (let i = 0; i < 200; i++) {
      const printable = `route:${i}`;
      expect(binary.serverFor(printable)).toBe(text.serverFor(printable));
      const bytes = Buffer.from([i, 0x20, 0x0d, 0x0a, 0xff, i ^ 0x55]);
      const expected = servers[ring.lookup(bytes)].spec;
      expect(binary.serverFor(bytes)).toBe(`${expected} (1)`);
      const unicode = `é ${i}\r\n`; // a string: its UTF-8 bytes
      expect(binary.serverFor(unicode)).toBe(`${servers[ring.lookup(Buffer.from(unicode))].spec} (1)`);
    }
  });

  it('getMulti finds hits and misses across every server, each key on the server serverFor names', async () => {
    const keys = Array.from({ length: 60 }, (_, i) => Buffer.from([0x00, i, 0x20, 0xff, 0x0a]));
    const stored = keys.filter((_, i) => i % 2 === 0);
    expect(await binary.setMulti(stored.map((k, i) => [k, i]))).toEqual([]);
    const hits = await binary.getMulti(keys);
    expect(hits.size).toBe(stored.length);
    expect(stored.every((k, i) => hits.get(k) === i)).toBe(true);
    const used = new Set<string>();
    for (const k of stored) {
      const owner = binary.serverFor(k);
      used.add(owner);
      for (const server of servers) {
        const held = await inspectBinary(server, k);
        expect(held !== undefined).toBe(`${server.spec} (1)` === owner);
      }
    }
    expect(used.size).toBe(3);
    expect(await binary.deleteMulti(keys)).toHaveLength(keys.length - stored.length);
  });
});

describe('the key limit', () => {
  beforeAll(async () => {
    await ctx.client.version(); // the connection exists, so a stray write would show
  });

  it('is 186 raw bytes (248 in base64); 187 is a KeyError before anything is written', async () => {
    const longest = Buffer.alloc(186, 0xfe);
    expect(await ctx.client.set(longest, 'max')).toBe(true);
    expect(await ctx.client.get(longest)).toBe('max');
    expect(await ctx.client.set('é'.repeat(93), 'max text')).toBe(true);
    const write = vi.spyOn(net.Socket.prototype, 'write');
    for (const tooLong of [Buffer.alloc(187, 0xfe), 'k'.repeat(187), 'é'.repeat(94)]) {
      const calls = [
        ctx.client.set(tooLong, 'x'),
        ctx.client.get(tooLong),
        ctx.client.gets(tooLong),
        ctx.client.touch(tooLong, 1),
        ctx.client.delete(tooLong),
        ctx.client.incr(tooLong, 1, { initial: 1 }),
        ctx.client.getItem(tooLong),
        ctx.client.getMulti(['fine', tooLong]),
        ctx.client.setMulti([['fine', 1], [tooLong, 2]]),
        ctx.client.deleteMulti(['fine', tooLong]),
      ];
      for (const outcome of await Promise.allSettled(calls)) {
        expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(KeyError);
      }
      expect(() => ctx.client.serverFor(tooLong)).toThrow(KeyError);
    }
    await new Promise((resolve) => setImmediate(resolve));
    expect(write).not.toHaveBeenCalled();
  });

  it('counts keyPrefix, and maxKeyLength counts raw bytes', async () => {
    await withClient(ctx.server.spec, { ...BINARY, keyPrefix: 'p\0:' }, async (mc) => {
      expect(await mc.set('k'.repeat(183), 1)).toBe(true);
      expect(await inspectBinary(ctx.server, Buffer.from(`p\0:${'k'.repeat(183)}`))).toBeDefined();
      await expect(mc.set('k'.repeat(184), 1)).rejects.toMatchObject({ code: 'MEMCACHE_BAD_KEY', message: expect.stringContaining('186') });
    });
    await withClient(ctx.server.spec, { ...BINARY, maxKeyLength: 10 }, async (mc) => {
      expect(await mc.set('\0'.repeat(10), 1)).toBe(true);
      await expect(mc.set('\0'.repeat(11), 1)).rejects.toMatchObject({ code: 'MEMCACHE_BAD_KEY', message: expect.stringContaining('maxKeyLength') });
    });
    expect(() => new Client(ctx.server.spec, { ...BINARY, keyPrefix: 'p'.repeat(186) })).toThrow(expect.objectContaining({ option: 'keyPrefix' }));
  });

  it('still refuses an empty key, a lone surrogate and a key that is no string or bytes', async () => {
    for (const bad of ['', Buffer.alloc(0), 'a\uD800', 42, null]) {
      await expect(ctx.client.get(bad as string)).rejects.toMatchObject({ code: 'MEMCACHE_BAD_KEY' });
    }
    expect(() => new Client(ctx.server.spec, { ...BINARY, keyPrefix: 'a\uDC00' })).toThrow(expect.objectContaining({ option: 'keyPrefix' }));
  });
});

describe('the option', () => {
  it("with protocol 'text' is an OptionError naming binaryKeys", () => {
    const construct = (): Client => new Client(ctx.server.spec, { binaryKeys: true, protocol: 'text' });
    expect(construct).toThrow(OptionError);
    expect(construct).toThrow(expect.objectContaining({ code: 'MEMCACHE_BAD_OPTION', option: 'binaryKeys' }));
  });

  it('with MEMCACHE_PROTOCOL=text is an OptionError that says where text came from', () => {
    vi.stubEnv('MEMCACHE_PROTOCOL', 'text');
    try {
      expect(() => new Client(ctx.server.spec, { binaryKeys: true })).toThrow(expect.objectContaining({ option: 'binaryKeys', message: expect.stringContaining('MEMCACHE_PROTOCOL') }));
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('must be a boolean', () => {
    expect(() => new Client(ctx.server.spec, { binaryKeys: 'yes' as unknown as boolean })).toThrow(expect.objectContaining({ option: 'binaryKeys' }));
  });

  it("works with protocol 'meta' too", async () => {
    await withClient(ctx.server.spec, { binaryKeys: true, protocol: 'meta' }, async (mc) => {
      expect(await mc.set('meta key', 'm')).toBe(true);
      expect(await mc.get('meta key')).toBe('m');
    });
  });

  it('off (the default), keeps the text key rules: a space is a KeyError', async () => {
    await withClient(ctx.server.spec, {}, async (mc) => {
      await expect(mc.set('a b', 1)).rejects.toBeInstanceOf(KeyError);
      await expect(mc.get('a\0b')).rejects.toMatchObject({ code: 'MEMCACHE_BAD_KEY' });
    });
  });
});

describe('a server that does not speak meta', () => {
  it('fails every call with an UnsupportedError naming it, writing nothing but the mn', async () => {
    const textOnly = await startFakeServer((socket) => socket.write('END\r\n'));
    try {
      await withClient(textOnly.spec, { ...BINARY, retries: 0, reconnectDelay: 0 }, async (mc) => {
        for (const call of [() => mc.get('k'), () => mc.set('k', 1), () => mc.getMulti(['a', 'b']), () => mc.touch('k', 1)]) {
          await expect(call()).rejects.toMatchObject({ code: 'MEMCACHE_UNSUPPORTED', server: `${textOnly.spec} (1)` });
        }
        expect(textOnly.received.join('')).toBe(''); // only the mn of each connection, answered ERROR, crossed
      });
    } finally {
      await textOnly.close();
    }
  });

  it.skipIf(!hasTwemproxy())('behind twemproxy (which hangs up on mn) fails with an UnsupportedError', async () => {
    const proxy = await startTwemproxy([ctx.server.spec]);
    try {
      await withClient(proxy.spec, { ...BINARY, retries: 0 }, async (mc) => {
        await expect(mc.get('k')).rejects.toMatchObject({ code: 'MEMCACHE_UNSUPPORTED' });
      });
    } finally {
      await proxy.stop();
    }
  });
});
