/**
 * cache-manager 7 over Keyv over the adapter, on a real memcached:
 * `createCache({ stores: [new Keyv({ store: new KeyvMemcache(...) })] })`; get, set, del, mget,
 * mset, wrap and ttl.
 */
import { createCache, type Cache } from 'cache-manager';
import Keyv from 'keyv';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { KeyvMemcache } from '../ts/adapters/keyv/index.js';
import { useServerAndClient } from './support/server-and-client.js';

const ctx = useServerAndClient();
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
let caches = 0;

/** A cache on the test's memcached, in a namespace of its own. */
function newCache(ttl?: number): Cache {
  const store = new KeyvMemcache(ctx.client);
  return createCache({ stores: [new Keyv({ store, namespace: `cm${++caches}` })], ttl });
}

let cache: Cache;
beforeAll(() => {
  cache = newCache();
});

describe('cache-manager on KeyvMemcache', () => {
  it('set then get returns the value; a missing key is undefined', async () => {
    expect(await cache.set('user:1', { name: 'Ada', roles: ['admin'] })).toEqual({ name: 'Ada', roles: ['admin'] });
    expect(await cache.get('user:1')).toEqual({ name: 'Ada', roles: ['admin'] });
    expect(await cache.get('user:missing')).toBeUndefined();
  });

  it('del removes the key', async () => {
    await cache.set('doomed', 1);
    expect(await cache.del('doomed')).toBe(true);
    expect(await cache.get('doomed')).toBeUndefined();
  });

  it('mset and mget go through the multi-key calls', async () => {
    const getMulti = vi.spyOn(ctx.client, 'getMulti');
    const setMulti = vi.spyOn(ctx.client, 'setMulti');
    try {
      await cache.mset<unknown>([
        { key: 'm1', value: 'one' },
        { key: 'm2', value: 2 },
        { key: 'm3', value: [3] },
      ]);
      expect(await cache.mget(['m1', 'm2', 'nope', 'm3'])).toEqual(['one', 2, undefined, [3]]);
      expect(setMulti).toHaveBeenCalledTimes(1);
      expect(getMulti).toHaveBeenCalledTimes(1);
    } finally {
      vi.restoreAllMocks();
    }
  });

  it('wrap loads a missing value once and serves it from memcached after', async () => {
    const loader = vi.fn(async () => ({ computed: Date.now() }));
    const first = await cache.wrap('wrapped', loader, 60_000);
    const second = await cache.wrap('wrapped', loader, 60_000);
    expect(second).toEqual(first);
    expect(loader).toHaveBeenCalledTimes(1);
    // Another cache (another process) on the same namespace sees it without loading.
    const other = createCache({ stores: [new Keyv({ store: new KeyvMemcache(ctx.client), namespace: `cm${caches}` })] });
    expect(await other.get('wrapped')).toEqual(first);
  });

  it('ttl() reports the expiry set, and the value expires (1 s ttl)', async () => {
    const before = Date.now();
    await cache.set('brief', 'v', 1000);
    const expires = await cache.ttl('brief');
    expect(expires).toBeGreaterThanOrEqual(before + 1000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 1000);
    expect(await cache.get('brief')).toBe('v');
    await sleep(2100);
    expect(await cache.get('brief')).toBeUndefined();
    expect(await cache.ttl('brief')).toBeUndefined();
  });

  it("the cache's default ttl applies to set and mset", async () => {
    const short = newCache(1000);
    await short.set('a', 1);
    await short.mset<unknown>([{ key: 'b', value: 2 }]);
    expect(await short.mget(['a', 'b'])).toEqual([1, 2]);
    await sleep(2100);
    expect(await short.mget(['a', 'b'])).toEqual([undefined, undefined]);
  });

  it('clear empties this cache only', async () => {
    const mine = newCache();
    const theirs = newCache();
    await mine.set('k', 'mine');
    await theirs.set('k', 'theirs');
    await mine.clear();
    expect(await mine.get('k')).toBeUndefined();
    expect(await theirs.get('k')).toBe('theirs');
  });
});
