/** stats, flushAll and version on a real memcached. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArgumentError, Client, UnknownCommandError } from '../ts/index.js';
import { startMemcached, type MemcachedServer } from './support/memcached.js';

let server: MemcachedServer;
let mc: Client;

beforeAll(async () => {
  server = await startMemcached({ args: ['-I', '2m'] });
  mc = new Client([server.spec]);
});
afterAll(async () => {
  await mc?.close();
  await server?.stop();
});

describe('stats', () => {
  it('reports every general stat of each server, named python-memcached style', async () => {
    const [entry] = await mc.stats();
    expect(entry.server).toBe(`${server.spec} (1)`);
    expect(entry.stats.version).toMatch(/^1\.6\./);
    expect(Number(entry.stats.curr_connections)).toBeGreaterThan(0);
    expect(entry.error).toBeUndefined();
  });

  it('passes arguments: items, slabs, settings', async () => {
    await mc.set('stats:item', 'x');
    const [items] = await mc.stats('items');
    expect(Object.keys(items.stats).some((name) => /^items:\d+:number$/.test(name))).toBe(true);
    const [slabs] = await mc.stats('slabs');
    expect(slabs.stats.active_slabs).toMatch(/^\d+$/);
    const [settings] = await mc.stats('settings');
    expect(settings.stats.item_size_max).toBe(String(2 * 1024 * 1024));
    expect(settings.stats.maxbytes).toBe(String(64 * 1024 * 1024));
  });

  it('rejects arguments that would break the command line', async () => {
    await expect(mc.stats('items\r\nflush_all')).rejects.toBeInstanceOf(ArgumentError);
    await expect(mc.stats(' items')).rejects.toBeInstanceOf(ArgumentError);
  });

  it('of an unknown group is the server error, and the connection goes on', async () => {
    await expect(mc.stats('nonsense')).rejects.toBeInstanceOf(UnknownCommandError);
    expect((await mc.version())[0].version).toMatch(/^1\.6/);
  });
});

describe('flushAll', () => {
  it('invalidates every item at once', async () => {
    await mc.setMulti([['f:a', 1], ['f:b', 2]]);
    await mc.flushAll();
    expect((await mc.getMulti(['f:a', 'f:b'])).size).toBe(0);
  });

  it('with a delay keeps items until then', async () => {
    await mc.set('f:later', 'v');
    await mc.flushAll(2);
    expect(await mc.get('f:later')).toBe('v');
    await mc.flushAll(0); // cancel the pending flush for the rest of the suite
    await expect(mc.flushAll(-1)).rejects.toBeInstanceOf(ArgumentError);
  });
});

describe('version', () => {
  it('reports each server version', async () => {
    expect(await mc.version()).toEqual([{ server: `${server.spec} (1)`, version: expect.stringMatching(/^1\.6\.\d+/) }]);
  });
});
