/** stats, flushAll and version on a real memcached. */
import { describe, expect, it } from 'vitest';
import { ArgumentError, ClientError, UnknownCommandError } from '../ts/index.js';
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
    const [sizes] = await ctx.client.stats('sizes');
    expect(sizes.stats.sizes_status).toBe('disabled');
    const [conns] = await ctx.client.stats('conns');
    expect(Object.keys(conns.stats).some((name) => /^\d+:addr$/.test(name))).toBe(true);
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

describe('stats groups whose reply is not STAT lines', () => {
  // Without the LRU maintainer new items go straight to the list `stats cachedump` shows.
  const dump = useServerAndClient({ server: { args: ['-o', 'no_lru_maintainer'] } });

  it('cachedump and detail dump, abbreviated too, are refused before sending; a set beside them still stores', async () => {
    const { client } = dump;
    await client.set('dump:item', 'x'); // `stats cachedump 1 10` would reply `ITEM dump:item ...`
    await client.stats('detail on');
    await client.get('dump:miss'); // `stats detail dump` would reply `PREFIX dump get 1 ...`
    const refused: [string, RegExp][] = [
      ['cachedump 1 10', /ITEM lines/],
      ['c 1 10', /ITEM lines/],
      ['detail dump', /PREFIX lines/],
      ['detail d', /PREFIX lines/],
    ];
    for (const [args, why] of refused) {
      const [stats, stored] = await Promise.allSettled([client.stats(args), client.set('dump:beside', args)]);
      expect(stats.status === 'rejected' && stats.reason).toBeInstanceOf(ArgumentError);
      expect(stats).toMatchObject({ reason: { code: 'MEMCACHE_BAD_ARGUMENT', message: expect.stringMatching(why) } });
      expect(stored).toEqual({ status: 'fulfilled', value: true });
    }
    expect(await client.get('dump:beside')).toBe('detail d');
    await client.stats('detail off');
  });

  it('reset (RESET) and detail on|off (OK) resolve with no stats, and the calls beside them go on', async () => {
    const { client, server } = dump;
    for (const args of ['reset', 'detail on', 'detail off']) {
      const [stats, stored] = await Promise.all([client.stats(args), client.set('dump:beside', args)]);
      expect(stats).toEqual([{ server: `${server.spec} (1)`, stats: {} }]);
      expect(stored).toBe(true);
    }
    const [general] = await client.stats();
    expect(general.stats.cmd_set).toBe('3'); // the three sets sent after the reset, none from before
  });

  it('detail without on, off or dump is the server error, and the connection goes on', async () => {
    await expect(dump.client.stats('detail')).rejects.toBeInstanceOf(ClientError);
    expect(await dump.client.set('dump:after', 'x')).toBe(true);
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
