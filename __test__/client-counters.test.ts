/** incr / decr on a real memcached: numbers, bigints past 2^53, the floor at 0, errors. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArgumentError, Client, ClientError } from '../ts/index.js';
import { startMemcached, type MemcachedServer } from './support/memcached.js';
import { inspect, plant } from './support/raw.js';

let server: MemcachedServer;
let mc: Client;
let n = 0;
const key = (name: string) => `counter:${name}:${++n}`;

beforeAll(async () => {
  server = await startMemcached();
  mc = new Client([server.spec]);
});
afterAll(async () => {
  await mc?.close();
  await server?.stop();
});

describe('incr / decr', () => {
  it('add and subtract, by 1 by default, and resolve with the new value', async () => {
    const k = key('basic');
    await mc.set(k, 10);
    expect(await mc.incr(k)).toBe(11);
    expect(await mc.incr(k, 9)).toBe(20);
    expect(await mc.decr(k)).toBe(19);
    expect(await mc.decr(k, 4n)).toBe(15);
    expect(await mc.get(k)).toBe(15);
  });

  it('resolve undefined when the key is missing', async () => {
    expect(await mc.incr(key('missing'))).toBeUndefined();
    expect(await mc.decr(key('missing'))).toBeUndefined();
  });

  it('return a bigint past 2^53 and wrap at 2^64 as memcached does', async () => {
    const k = key('big');
    await mc.set(k, 2 ** 53 - 1);
    expect(await mc.incr(k, 0)).toBe(2 ** 53 - 1);
    expect(await mc.incr(k)).toBe(2n ** 53n);
    await mc.set(k, 2n ** 64n - 2n);
    expect(await mc.incr(k)).toBe(2n ** 64n - 1n);
    expect(await mc.incr(k)).toBe(0); // memcached wraps
    expect(await mc.incr(k, 2n ** 64n - 1n)).toBe(2n ** 64n - 1n);
    expect(await mc.get(k)).toBe(2n ** 64n - 1n);
  });

  it('decr stops at 0', async () => {
    const k = key('floor');
    await mc.set(k, 3);
    expect(await mc.decr(k, 10)).toBe(0);
    expect(await mc.decr(k)).toBe(0);
  });

  it('a value shrunk by decr still reads back as a number (memcached pads it with spaces)', async () => {
    const k = key('shrink');
    await mc.set(k, 100);
    expect(await mc.decr(k, 91)).toBe(9);
    expect((await inspect(server, k))?.data.toString()).toBe('9  ');
    expect(await mc.get(k)).toBe(9);
  });

  it('work on counters written by other clients (flags 0)', async () => {
    const k = key('foreign');
    await plant(server, k, 0, '41');
    expect(await mc.incr(k)).toBe(42);
    expect(await mc.get(k)).toEqual(Buffer.from('42'));
  });

  it('of a non-numeric value is a ClientError and the connection stays usable', async () => {
    const k = key('text');
    await mc.set(k, 'not a number');
    const error = await mc.incr(k).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClientError);
    expect(error).toMatchObject({ code: 'MEMCACHE_CLIENT_ERROR', server: `${server.spec} (1)` });
    expect((error as Error).message).toMatch(/non-numeric/);
    expect(await mc.get(k)).toBe('not a number');
  });

  it('reject a delta that is negative, fractional or past 2^64-1, before sending', async () => {
    const k = key('delta');
    await mc.set(k, 5);
    for (const delta of [-1, 1.5, NaN, 2 ** 53, -1n, 2n ** 64n, '1' as unknown as number]) {
      await expect(mc.incr(k, delta)).rejects.toBeInstanceOf(ArgumentError);
    }
    expect(await mc.get(k)).toBe(5);
  });
});
