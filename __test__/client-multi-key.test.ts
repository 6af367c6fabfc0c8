/** getMulti / setMulti / deleteMulti on one server and spread over two. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArgumentError, Client, ConnectionError, GetMultiResult } from '../ts/index.js';
import { startMemcached, type MemcachedServer } from './support/memcached.js';
import { inspect } from './support/raw.js';

let one: MemcachedServer;
let two: MemcachedServer;
let mc: Client;
let n = 0;
const key = (name: string) => `multi:${name}:${++n}`;

beforeAll(async () => {
  [one, two] = await Promise.all([startMemcached(), startMemcached()]);
  mc = new Client([one.spec]);
});
afterAll(async () => {
  await mc?.close();
  await Promise.all([one?.stop(), two?.stop()]);
});

describe('getMulti', () => {
  it('returns a Map of the hits only, under the keys as passed', async () => {
    const [a, b, c] = [key('a'), key('b'), key('c')];
    await mc.set(a, 'A');
    await mc.set(c, { c: true });
    const result = await mc.getMulti([a, b, c]);
    expect(result).toBeInstanceOf(GetMultiResult);
    expect(result).toBeInstanceOf(Map);
    expect([...result]).toEqual([[a, 'A'], [c, { c: true }]]);
    expect(result.errors.size).toBe(0);
  });

  it('asks each key once however often it is listed', async () => {
    const a = key('dup');
    await mc.set(a, 1);
    const result = await mc.getMulti([a, a, a]);
    expect([...result]).toEqual([[a, 1]]);
  });

  it('of no keys resolves empty without a request', async () => {
    expect((await mc.getMulti([])).size).toBe(0);
  });

  it('takes any iterable of keys', async () => {
    const a = key('iter');
    await mc.set(a, 'x');
    expect((await mc.getMulti(new Set([a]))).get(a)).toBe('x');
    await expect(mc.getMulti(42 as unknown as string[])).rejects.toBeInstanceOf(ArgumentError);
  });

  it('handles thousands of keys (split over several request lines)', async () => {
    const keys = Array.from({ length: 3000 }, (_, i) => `${key('many')}:${'p'.repeat(50)}:${i}`);
    await mc.setMulti(keys.filter((_, i) => i % 2 === 0).map((k) => [k, k.length]));
    const result = await mc.getMulti(keys);
    expect(result.size).toBe(1500);
    expect(result.get(keys[2998])).toBe(keys[2998].length);
    expect(result.has(keys[2999])).toBe(false);
  });
});

describe('setMulti', () => {
  it('stores entries given as a Map, an object or pairs, and resolves with the keys not stored', async () => {
    const [a, b, c] = [key('sa'), key('sb'), key('sc')];
    expect(await mc.setMulti(new Map<string, unknown>([[a, 1], [b, 'two']]))).toEqual([]);
    expect(await mc.setMulti({ [c]: [3] })).toEqual([]);
    expect(await mc.setMulti([[Buffer.from(`${a}:buf`), Buffer.from('bytes')]])).toEqual([]);
    expect([...(await mc.getMulti([a, b, c, `${a}:buf`]))]).toEqual([
      [a, 1],
      [b, 'two'],
      [c, [3]],
      [`${a}:buf`, Buffer.from('bytes')],
    ]);
  });

  it('applies the ttl to every entry', async () => {
    const [a, b] = [key('ttl-a'), key('ttl-b')];
    await mc.setMulti([[a, 1], [b, 2]], { ttl: 1_000_000_000 }); // a Unix time in the past: expired at once
    expect((await mc.getMulti([a, b])).size).toBe(0);
  });

  it('lists the keys the server refused, and stores the rest', async () => {
    const [ok, big] = [key('ok'), key('big')];
    const failed = await mc.setMulti([[ok, 'fine'], [big, Buffer.alloc(1024 * 1024, 1)]]);
    expect(failed).toEqual([big]);
    expect(await mc.get(ok)).toBe('fine');
  });

  it('with noreply resolves empty once written', async () => {
    const a = key('noreply');
    expect(await mc.setMulti([[a, 'v']], { noreply: true })).toEqual([]);
    expect(await mc.get(a)).toBe('v');
  });

  it('rejects malformed entries before sending', async () => {
    await expect(mc.setMulti([['only-key']] as unknown as [string, unknown][])).rejects.toBeInstanceOf(ArgumentError);
    await expect(mc.setMulti(null as unknown as [])).rejects.toBeInstanceOf(ArgumentError);
  });
});

describe('deleteMulti', () => {
  it('deletes every key and resolves with those that were not there', async () => {
    const [a, b, c] = [key('da'), key('db'), key('dc')];
    await mc.setMulti([[a, 1], [c, 3]]);
    expect(await mc.deleteMulti([a, b, c])).toEqual([b]);
    expect((await mc.getMulti([a, c])).size).toBe(0);
  });
});

describe('over two servers', () => {
  let pair: Client;
  beforeAll(() => {
    pair = new Client([one.spec, two.spec]);
  });
  afterAll(async () => {
    await pair.close();
  });

  it('spreads keys over both, and multi-key calls gather them from both', async () => {
    const keys = Array.from({ length: 200 }, (_, i) => `${key('spread')}:${i}`);
    expect(await pair.setMulti(keys.map((k) => [k, k]))).toEqual([]);
    const onOne = (await Promise.all(keys.map((k) => inspect(one, k)))).filter(Boolean).length;
    const onTwo = (await Promise.all(keys.map((k) => inspect(two, k)))).filter(Boolean).length;
    expect(onOne + onTwo).toBe(200);
    expect(onOne).toBeGreaterThan(40);
    expect(onTwo).toBeGreaterThan(40);
    const result = await pair.getMulti(keys);
    expect(result.size).toBe(200);
    expect(await Promise.all(keys.slice(0, 20).map((k) => pair.get(k)))).toEqual(keys.slice(0, 20));
    expect(await pair.deleteMulti(keys)).toEqual([]);
  });

  it('names each server in stats and version', async () => {
    const stats = await pair.stats();
    expect(stats.map((s) => s.server)).toEqual([`${one.spec} (1)`, `${two.spec} (1)`]);
    expect(stats[0].stats.pid).toMatch(/^\d+$/);
    const versions = await pair.version();
    expect(versions.map((v) => v.version)).toEqual([expect.stringMatching(/^1\.6/), expect.stringMatching(/^1\.6/)]);
  });

  it('keeps the hits of the server that answered when the other is down', async () => {
    const down = await startMemcached();
    // failover off: the down server's keys keep failing instead of moving (cluster-failover tests cover that).
    const half = new Client([one.spec, down.spec], { connectTimeout: 500, failover: false });
    try {
      const keys = Array.from({ length: 50 }, (_, i) => `${key('half')}:${i}`);
      expect(await half.setMulti(keys.map((k) => [k, 1]))).toEqual([]);
      await down.stop();
      const result = await half.getMulti(keys);
      expect(result.size).toBeGreaterThan(0);
      expect(result.errors.size).toBeGreaterThan(0);
      expect(result.size + result.errors.size).toBe(50);
      for (const error of result.errors.values()) expect(error).toBeInstanceOf(ConnectionError);
      const notStored = await half.setMulti(keys.map((k) => [k, 2]));
      expect(notStored.length).toBe(result.errors.size);
      const stats = await half.stats();
      expect(stats[1].error).toBeInstanceOf(ConnectionError);
      expect(stats[0].error).toBeUndefined();
    } finally {
      await half.close();
    }
  });
});
