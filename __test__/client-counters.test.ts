/** incr / decr on a real memcached: numbers, bigints past 2^53, the floor at 0, errors. */
import { describe, expect, it } from 'vitest';
import { ArgumentError, ClientError } from '../ts/index.js';
import { inspect, plant } from './support/raw.js';
import { useServerAndClient } from './support/server-and-client.js';

const ctx = useServerAndClient();
let n = 0;
const key = (name: string) => `counter:${name}:${++n}`;

describe('incr / decr', () => {
  it('add and subtract, by 1 by default, and resolve with the new value', async () => {
    const k = key('basic');
    await ctx.client.set(k, 10);
    expect(await ctx.client.incr(k)).toBe(11);
    expect(await ctx.client.incr(k, 9)).toBe(20);
    expect(await ctx.client.decr(k)).toBe(19);
    expect(await ctx.client.decr(k, 4n)).toBe(15);
    expect(await ctx.client.get(k)).toBe(15);
  });

  it('resolve undefined when the key is missing', async () => {
    expect(await ctx.client.incr(key('missing'))).toBeUndefined();
    expect(await ctx.client.decr(key('missing'))).toBeUndefined();
  });

  it('return a bigint past 2^53 and wrap at 2^64 as memcached does', async () => {
    const k = key('big');
    await ctx.client.set(k, 2 ** 53 - 1);
    expect(await ctx.client.incr(k, 0)).toBe(2 ** 53 - 1);
    expect(await ctx.client.incr(k)).toBe(2n ** 53n);
    await ctx.client.set(k, 2n ** 64n - 2n);
    expect(await ctx.client.incr(k)).toBe(2n ** 64n - 1n);
    expect(await ctx.client.incr(k)).toBe(0); // memcached wraps
    expect(await ctx.client.incr(k, 2n ** 64n - 1n)).toBe(2n ** 64n - 1n);
    expect(await ctx.client.get(k)).toBe(2n ** 64n - 1n);
  });

  it('decr stops at 0', async () => {
    const k = key('floor');
    await ctx.client.set(k, 3);
    expect(await ctx.client.decr(k, 10)).toBe(0);
    expect(await ctx.client.decr(k)).toBe(0);
  });

  it('a value shrunk by decr still reads back as a number (memcached pads it with spaces)', async () => {
    const k = key('shrink');
    await ctx.client.set(k, 100);
    expect(await ctx.client.decr(k, 91)).toBe(9);
    expect((await inspect(ctx.server, k))?.data.toString()).toBe('9  ');
    expect(await ctx.client.get(k)).toBe(9);
  });

  it('work on counters written by other clients (flags 0)', async () => {
    const k = key('foreign');
    await plant(ctx.server, k, 0, '41');
    expect(await ctx.client.incr(k)).toBe(42);
    expect(await ctx.client.get(k)).toEqual(Buffer.from('42'));
  });

  it('of a non-numeric value is a ClientError and the connection stays usable', async () => {
    const k = key('text');
    await ctx.client.set(k, 'not a number');
    const error = await ctx.client.incr(k).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClientError);
    expect(error).toMatchObject({ code: 'MEMCACHE_CLIENT_ERROR', server: `${ctx.server.spec} (1)` });
    expect((error as Error).message).toMatch(/non-numeric/);
    expect(await ctx.client.get(k)).toBe('not a number');
  });

  it('reject a delta that is negative, fractional or past 2^64-1, before sending', async () => {
    const k = key('delta');
    await ctx.client.set(k, 5);
    for (const delta of [-1, 1.5, NaN, 2 ** 53, -1n, 2n ** 64n, '1' as unknown as number]) {
      await expect(ctx.client.incr(k, delta)).rejects.toBeInstanceOf(ArgumentError);
    }
    expect(await ctx.client.get(k)).toBe(5);
  });
});
