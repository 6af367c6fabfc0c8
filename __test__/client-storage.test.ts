/** set / add / replace / append / prepend / cas, ttl and noreply, on a real memcached over TCP. */
import { describe, expect, it } from 'vitest';
import { ArgumentError, ServerError } from '../ts/index.js';
import { inspect, raw } from './support/raw.js';
import { useServerAndClient } from './support/server-and-client.js';

const ctx = useServerAndClient();
let n = 0;
const key = (name: string) => `storage:${name}:${++n}`;

/** Seconds left to live, read with the meta protocol (-1: no expiry). */
async function ttlOf(k: string): Promise<number> {
  const reply = (await raw(ctx.server, `mg ${k} t\r\n`)).toString();
  return Number(/t(-?\d+)/.exec(reply)?.[1]);
}

describe('set', () => {
  it('stores a value and reports true', async () => {
    const k = key('set');
    expect(await ctx.client.set(k, 'v1')).toBe(true);
    expect(await ctx.client.get(k)).toBe('v1');
    expect(await ctx.client.set(k, 'v2')).toBe(true);
    expect(await ctx.client.get(k)).toBe('v2');
  });

  it('sends the ttl as the exptime', async () => {
    const k = key('ttl');
    await ctx.client.set(k, 'v', { ttl: 100 });
    expect(await ttlOf(k)).toBeGreaterThan(90);
    await ctx.client.set(k, 'v');
    expect(await ttlOf(k)).toBe(-1);
  });

  it('treats a ttl past 30 days as a Unix time, so a past date expires the item at once', async () => {
    const k = key('past');
    expect(await ctx.client.set(k, 'v', { ttl: 1_000_000_000 })).toBe(true);
    expect(await ctx.client.get(k)).toBeUndefined();
  });

  it('rejects a bad ttl before sending anything', async () => {
    for (const ttl of [-1, 1.5, NaN, 2 ** 31, '10' as unknown as number]) {
      await expect(ctx.client.set(key('bad-ttl'), 'v', { ttl })).rejects.toMatchObject({ code: 'MEMCACHE_BAD_ARGUMENT' });
    }
    await expect(ctx.client.set(key('bad-ttl'), 'v', { noreply: 'yes' as unknown as boolean })).rejects.toBeInstanceOf(ArgumentError);
  });
});

describe('add / replace', () => {
  it('add stores only a missing key', async () => {
    const k = key('add');
    expect(await ctx.client.add(k, 'first')).toBe(true);
    expect(await ctx.client.add(k, 'second')).toBe(false);
    expect(await ctx.client.get(k)).toBe('first');
  });

  it('replace stores only an existing key', async () => {
    const k = key('replace');
    expect(await ctx.client.replace(k, 'x')).toBe(false);
    expect(await ctx.client.get(k)).toBeUndefined();
    await ctx.client.set(k, 'old');
    expect(await ctx.client.replace(k, 'new')).toBe(true);
    expect(await ctx.client.get(k)).toBe('new');
  });
});

describe('append / prepend', () => {
  it('add bytes around an existing value, which keeps its flags', async () => {
    const k = key('append');
    await ctx.client.set(k, 'middle');
    expect(await ctx.client.append(k, '>')).toBe(true);
    expect(await ctx.client.prepend(k, Buffer.from('<'))).toBe(true);
    expect(await ctx.client.get(k)).toBe('<middle>');
    expect((await inspect(ctx.server, k))?.flags).toBe(16);
  });

  it('report false for a missing key', async () => {
    expect(await ctx.client.append(key('missing'), 'x')).toBe(false);
    expect(await ctx.client.prepend(key('missing'), 'x')).toBe(false);
  });

  it('take only strings and bytes', async () => {
    await expect(ctx.client.append(key('obj'), { a: 1 } as unknown as string)).rejects.toBeInstanceOf(ArgumentError);
  });
});

describe('cas', () => {
  it('stores when the item is unchanged since gets, and reports false once it changed', async () => {
    const k = key('cas');
    await ctx.client.set(k, 'v1');
    const item = await ctx.client.gets(k);
    expect(typeof item?.cas).toBe('bigint');
    expect(await ctx.client.cas(k, 'v2', item!.cas)).toBe(true);
    expect(await ctx.client.get(k)).toBe('v2');
    expect(await ctx.client.cas(k, 'v3', item!.cas)).toBe(false); // EXISTS
    expect(await ctx.client.get(k)).toBe('v2');
  });

  it('accepts the cas unique as a bigint, a decimal string or a number', async () => {
    const k = key('cas-forms');
    await ctx.client.set(k, 0);
    for (const form of [(c: bigint) => c, (c: bigint) => c.toString(), (c: bigint) => Number(c)]) {
      const { cas, value } = (await ctx.client.gets<number>(k))!;
      expect(await ctx.client.cas(k, value + 1, form(cas))).toBe(true);
    }
    expect(await ctx.client.get(k)).toBe(3);
  });

  it('reports false for a missing key (NOT_FOUND)', async () => {
    expect(await ctx.client.cas(key('cas-missing'), 'v', 12345n)).toBe(false);
  });

  it('rejects a cas that is no 64-bit unsigned integer', async () => {
    for (const cas of [-1n, 2n ** 64n, '12a', 1.5, -1, '']) {
      await expect(ctx.client.cas(key('cas-bad'), 'v', cas as bigint)).rejects.toMatchObject({ code: 'MEMCACHE_BAD_ARGUMENT' });
    }
  });
});

describe('noreply', () => {
  it('resolves true once written, and later replies stay matched to their requests', async () => {
    const k = key('noreply');
    const results = await Promise.all([
      ctx.client.set(k, 'a', { noreply: true }),
      ctx.client.get(k),
      ctx.client.add(k, 'b', { noreply: true }), // NOT_STORED, unreported
      ctx.client.set(`${k}:2`, 'c', { noreply: true }),
      ctx.client.get(`${k}:2`),
      ctx.client.delete(k, { noreply: true }),
      ctx.client.get(k),
      ctx.client.incr(`${k}:missing`, 1, { noreply: true }),
    ]);
    expect(results).toEqual([true, 'a', true, true, 'c', true, undefined, undefined]);
    expect(await ctx.client.set(k, 'after')).toBe(true);
    expect(await ctx.client.get(k)).toBe('after');
  });
});

describe('values at the server item size limit', () => {
  it('stores a value just under 1 MiB', async () => {
    const k = key('big-ok');
    const value = Buffer.alloc(1024 * 1024 - 512, 7);
    expect(await ctx.client.set(k, value)).toBe(true);
    const read = await ctx.client.get<Buffer>(k);
    expect(read?.equals(value)).toBe(true); // toEqual walks a MiB byte by byte: slow
  });

  it('reports SERVER_ERROR for a value the server finds too large, and the connection stays in sync', async () => {
    const k = key('big-refused');
    const other = key('big-neighbour');
    await ctx.client.set(other, 'small');
    const tooLarge = Buffer.alloc(1024 * 1024, 7); // within maxValueLength, over memcached's item limit with overhead
    const [refused, after] = await Promise.allSettled([ctx.client.set(k, tooLarge), ctx.client.get(other)]);
    expect(refused.status).toBe('rejected');
    const error = (refused as PromiseRejectedResult).reason;
    expect(error).toBeInstanceOf(ServerError);
    expect(error).toMatchObject({ code: 'MEMCACHE_SERVER_ERROR', server: `${ctx.server.spec} (1)` });
    expect(error.message).toMatch(/too large/);
    expect(after).toEqual({ status: 'fulfilled', value: 'small' });
    expect(await ctx.client.set(k, 'next')).toBe(true);
    expect(await ctx.client.get(k)).toBe('next');
  });
});
