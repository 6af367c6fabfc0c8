/** stats, flushAll and version on a real memcached. */
import { describe, expect, it } from 'vitest';
import { ArgumentError, UnknownCommandError } from '../ts/index.js';
import { useServerAndClient } from './support/server-and-client.js';

const ctx = useServerAndClient({ server: { args: ['-I', '2m'] } });

describe('stats', () => {
  it('reports every general stat of each server, named python-memcached style', async () => {
    const [entry] = await ctx.client.stats();
    expect(entry.server).toBe(`${ctx.server.spec} (1)`);
    expect(entry.stats.version).toMatch(/^1\.6\./);
    expect(Number(entry.stats.curr_connections)).toBeGreaterThan(0);
    expect(entry.error).toBeUndefined();
  });

  it('passes arguments: items, slabs, settings', async () => {
    await ctx.client.set('stats:item', 'x');
    const [items] = await ctx.client.stats('items');
    expect(Object.keys(items.stats).some((name) => /^items:\d+:number$/.test(name))).toBe(true);
    const [slabs] = await ctx.client.stats('slabs');
    expect(slabs.stats.active_slabs).toMatch(/^\d+$/);
    const [settings] = await ctx.client.stats('settings');
    expect(settings.stats.item_size_max).toBe(String(2 * 1024 * 1024));
    expect(settings.stats.maxbytes).toBe(String(64 * 1024 * 1024));
  });

  it('rejects arguments that would break the command line', async () => {
    await expect(ctx.client.stats('items\r\nflush_all')).rejects.toBeInstanceOf(ArgumentError);
    await expect(ctx.client.stats(' items')).rejects.toBeInstanceOf(ArgumentError);
  });

  it('of an unknown group is the server error, and the connection goes on', async () => {
    await expect(ctx.client.stats('nonsense')).rejects.toBeInstanceOf(UnknownCommandError);
    expect((await ctx.client.version())[0].version).toMatch(/^1\.6/);
  });
});

describe('flushAll', () => {
  it('invalidates every item at once', async () => {
    await ctx.client.setMulti([['f:a', 1], ['f:b', 2]]);
    await ctx.client.flushAll();
    expect((await ctx.client.getMulti(['f:a', 'f:b'])).size).toBe(0);
  });

  it('with a delay keeps items until then', async () => {
    await ctx.client.set('f:later', 'v');
    await ctx.client.flushAll(2);
    expect(await ctx.client.get('f:later')).toBe('v');
    await ctx.client.flushAll(0); // cancel the pending flush for the rest of the suite
    await expect(ctx.client.flushAll(-1)).rejects.toBeInstanceOf(ArgumentError);
  });
});

describe('version', () => {
  it('reports each server version', async () => {
    expect(await ctx.client.version()).toEqual([{ server: `${ctx.server.spec} (1)`, version: expect.stringMatching(/^1\.6\.\d+/) }]);
  });
});
