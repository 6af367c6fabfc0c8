/**
 * Key rules and keyPrefix. A bad key is a KeyError with a code, and nothing reaches the socket:
 * the spy on socket writes sees no byte, and data planted before survives every injection attempt.
 */
import net from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Client, ClientError, KeyError } from '../ts/index.js';
import { inspect, plant } from './support/raw.js';
import { useServerAndClient } from './support/server-and-client.js';

const ctx = useServerAndClient();

beforeAll(async () => {
  await ctx.client.get('warm-up'); // the connection exists, so a stray write would show
});
afterEach(() => {
  vi.restoreAllMocks();
});

const BAD_KEYS: [string, unknown][] = [
  ['CR LF and a second command', 'a\r\nflush_all'],
  ['a space', 'a b'],
  ['a tab', 'a\tb'],
  ['a trailing LF', 'key\n'],
  ['DEL (0x7f)', 'a\x7fb'],
  ['NUL', 'a\0b'],
  ['an empty string', ''],
  ['251 bytes', 'k'.repeat(251)],
  ['126 two-byte characters (252 bytes)', 'é'.repeat(126)],
  ['a lone high surrogate (not well-formed UTF-16)', 'a\uD800'],
  ['a lone low surrogate', 'a\uDC00b'],
  ['a low surrogate before its high one', 'a\uDC00\uD800'],
  ['bytes with a space', Buffer.from('a b')],
  ['empty bytes', Buffer.alloc(0)],
  ['a number', 42],
  ['null', null],
];

describe('a bad key', () => {
  it.each(BAD_KEYS)('(%s) is a KeyError and writes nothing', async (_, badKey) => {
    await plant(ctx.server, 'a', 16, 'planted');
    const write = vi.spyOn(net.Socket.prototype, 'write');
    const k = badKey as string;
    const calls = [
      ctx.client.set(k, 'x'),
      ctx.client.add(k, 'x'),
      ctx.client.cas(k, 'x', 1n),
      ctx.client.get(k),
      ctx.client.gets(k),
      ctx.client.gat(k, 1),
      ctx.client.delete(k),
      ctx.client.incr(k),
      ctx.client.touch(k, 1),
      ctx.client.getMulti(['fine', k]),
      ctx.client.setMulti([['fine', 1], [k, 2]]),
      ctx.client.deleteMulti(['fine', k]),
    ];
    for (const outcome of await Promise.allSettled(calls)) {
      expect(outcome.status).toBe('rejected');
      const error = (outcome as PromiseRejectedResult).reason;
      expect(error).toBeInstanceOf(KeyError);
      expect(error.code).toBe('MEMCACHE_BAD_KEY');
    }
    await new Promise((resolve) => setImmediate(resolve));
    expect(write).not.toHaveBeenCalled();
    vi.restoreAllMocks();
    expect(await ctx.client.get('a')).toBe('planted');
    expect(await ctx.client.get('fine')).toBeUndefined();
  });
});

describe('a key with a lone surrogate', () => {
  it('is a KeyError, so two such keys (both UTF-8 a + U+FFFD) never share an item', async () => {
    await expect(ctx.client.set('a\uD800', 'first')).rejects.toMatchObject({ code: 'MEMCACHE_BAD_KEY' });
    await expect(ctx.client.get('a\uDBFF')).rejects.toBeInstanceOf(KeyError);
    await expect(ctx.client.getMulti(['fine', 'a\uDBFF'])).rejects.toBeInstanceOf(KeyError);
    expect(await inspect(ctx.server, 'a\uFFFD')).toBeUndefined();
  });

  it('in keyPrefix is an OptionError at construction, and a KeyError as a per-call keyPrefix', async () => {
    expect(() => new Client([ctx.server.spec], { keyPrefix: 'app\uD800:' })).toThrow(expect.objectContaining({ code: 'MEMCACHE_BAD_OPTION', option: 'keyPrefix' }));
    await expect(ctx.client.getMulti(['x'], { keyPrefix: 'tenant\uDFFF:' })).rejects.toBeInstanceOf(KeyError);
  });
});

describe('good keys', () => {
  it('may be 250 bytes of UTF-8, multi-byte characters counted as bytes', async () => {
    for (const k of ['k'.repeat(250), 'é'.repeat(125), `${'x'.repeat(246)}🔑`]) {
      expect(await ctx.client.set(k, 'v')).toBe(true);
      expect(await ctx.client.get(k)).toBe('v');
    }
  });

  it('may hold surrogate pairs (well-formed UTF-16), sent as their 4-byte UTF-8', async () => {
    const k = 'pair:\uD83D\uDD11';
    expect(await ctx.client.set(k, 'key emoji')).toBe(true);
    expect((await inspect(ctx.server, Buffer.from('pair:🔑')))?.data.toString()).toBe('key emoji');
  });

  it('may be bytes, including bytes that are no UTF-8', async () => {
    const k = Buffer.from([0xff, 0xfe, 0x41, 0x80]);
    await ctx.client.set(k, 'binary key');
    expect(await ctx.client.get(k)).toBe('binary key');
    expect((await inspect(ctx.server, k))?.data.toString()).toBe('binary key');
    const result = await ctx.client.getMulti([k]);
    expect(result.get(k)).toBe('binary key');
  });

  it('up to 250 bytes pass with checkKeys: false, whatever maxKeyLength said', async () => {
    const loose = new Client([ctx.server.spec], { checkKeys: false, maxKeyLength: 10 });
    try {
      expect(await loose.set('k'.repeat(250), 'long')).toBe(true);
      expect(await loose.get('k'.repeat(250))).toBe('long');
      await expect(loose.get('a b')).rejects.toBeInstanceOf(KeyError);
    } finally {
      await loose.close();
    }
  });
});

describe("a key past memcached's 250 bytes", () => {
  it.each([
    ['checkKeys: false', { checkKeys: false }],
    ['the default options', {}],
  ])('is a KeyError with %s, so a value can never run as commands', async (_, options) => {
    await plant(ctx.server, 'lock', 16, 'held');
    const loose = new Client([ctx.server.spec], options);
    try {
      const write = vi.spyOn(net.Socket.prototype, 'write');
      const injected = [loose.set('k'.repeat(300), 'set pwned 16 0 5\r\nowned'), loose.set('k'.repeat(300), 'flush_all'), loose.getMulti(['k'.repeat(251)])];
      for (const call of injected) await expect(call).rejects.toMatchObject({ code: 'MEMCACHE_BAD_KEY' });
      expect(write).not.toHaveBeenCalled();
      vi.restoreAllMocks();
      expect(await loose.add('lock', 'mine')).toBe(false);
      expect(await ctx.client.get('pwned')).toBeUndefined();
      expect(await ctx.client.get('lock')).toBe('held');
    } finally {
      await loose.close();
    }
  });
});

describe('keyPrefix', () => {
  let prefixed: Client;
  beforeAll(() => {
    prefixed = new Client([ctx.server.spec], { keyPrefix: 'app:' });
  });
  afterAll(async () => {
    await prefixed.close();
  });

  it('is sent with every key', async () => {
    await prefixed.set('user', 'alice');
    expect((await inspect(ctx.server, 'app:user'))?.data.toString()).toBe('alice');
    expect(await ctx.client.get('app:user')).toBe('alice');
    await prefixed.set('n', 1);
    expect(await prefixed.incr('n')).toBe(2);
    expect(await ctx.client.get('app:n')).toBe(2);
    expect(await prefixed.delete('n')).toBe(true);
    expect(await ctx.client.get('app:n')).toBeUndefined();
  });

  it('counts in maxKeyLength', async () => {
    await expect(prefixed.get('k'.repeat(247))).rejects.toBeInstanceOf(KeyError);
    expect(await prefixed.set('k'.repeat(246), 'v')).toBe(true);
  });

  it('is not in the keys getMulti returns, nor in those setMulti / deleteMulti report', async () => {
    await prefixed.setMulti({ a: 1, b: 2 });
    const result = await prefixed.getMulti(['a', 'b', 'c']);
    expect([...result]).toEqual([['a', 1], ['b', 2]]);
    expect(await prefixed.deleteMulti(['a', 'c'])).toEqual(['c']);
  });

  it('is followed by the per-call keyPrefix of multi-key calls', async () => {
    expect(await prefixed.setMulti([['x', 'X']], { keyPrefix: 'tenant1:' })).toEqual([]);
    expect((await inspect(ctx.server, 'app:tenant1:x'))?.data.toString()).toBe('X');
    const result = await prefixed.getMulti(['x'], { keyPrefix: 'tenant1:' });
    expect([...result]).toEqual([['x', 'X']]);
    expect(await prefixed.deleteMulti(['x'], { keyPrefix: 'tenant1:' })).toEqual([]);
    await expect(prefixed.getMulti(['x'], { keyPrefix: 'bad prefix' })).rejects.toBeInstanceOf(KeyError);
  });
});
