/**
 * `mc.metrics()` over real memcached servers: operations by method (merged gets one each, multi-key
 * calls one per server reached), hits and misses per key, exact socket bytes, errors with timeouts
 * among them (never aborts), pending requests, reconnects, a dead server not alive, totals, and
 * counters kept by a server that stays through setServers. Retries are pinned in retries.test.ts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { AbortError, Client, ClientError, TimeoutError, type ClientMetrics, type OperationCounts, type ServerMetricsSnapshot } from '../ts/index.js';
import { eventually, startFakeServer } from './support/fake-server.js';
import { startFaultProxy } from './support/fault-proxy.js';
import type { MemcachedServer } from './support/memcached.js';
import { useServers, withClient } from './support/server-and-client.js';

const servers = useServers(2);
let a: MemcachedServer;
let b: MemcachedServer;

beforeAll(() => {
  [a, b] = servers;
});

const name = (server: { spec: string }) => `${server.spec} (1)`;
const serverOf = (metrics: ClientMetrics, server: string): ServerMetricsSnapshot => {
  const found = metrics.servers.find((s) => s.server === server);
  if (found === undefined) throw new Error(`no metrics for ${server}`);
  return found;
};
const only = (mc: Client): ServerMetricsSnapshot => {
  const { servers } = mc.metrics();
  expect(servers).toHaveLength(1);
  return servers[0];
};

const NO_OPS: OperationCounts = {
  get: 0, gets: 0, gat: 0, gats: 0, getMulti: 0,
  set: 0, add: 0, replace: 0, append: 0, prepend: 0, cas: 0, setMulti: 0,
  delete: 0, deleteMulti: 0, incr: 0, decr: 0, touch: 0,
  stats: 0, version: 0, flushAll: 0, getItem: 0, fetch: 0, invalidate: 0,
};

describe('metrics()', () => {
  it('starts at zero for every server of the pool, alive, with totals', async () => {
    await withClient([a.spec, b.spec], undefined, async (mc) => {
      const metrics = mc.metrics();
      const zero = {
        ops: NO_OPS, hits: 0, misses: 0, errors: 0, timeouts: 0, reconnects: 0, retries: 0, bytesIn: 0, bytesOut: 0,
        leaseWins: 0, leaseWaits: 0, staleServes: 0, loaderErrors: 0, pending: 0,
      };
      expect(metrics).toEqual({
        servers: [
          { server: name(a), alive: true, ...zero },
          { server: name(b), alive: true, ...zero },
        ],
        totals: zero,
      });
    });
  });

  it('counts every operation by the method that sent it', async () => {
    await withClient(a.spec, undefined, async (mc) => {
      const key = `ops:${Math.random()}`;
      await mc.set(key, 'v');
      await mc.add(key, 'v'); // exists: false, still an op
      await mc.replace(key, 'w');
      await mc.append(key, 'x');
      await mc.prepend(key, 'y');
      const item = await mc.gets(key);
      await mc.cas(key, 'z', item!.cas);
      await mc.get(key);
      await mc.gat(key, 100);
      await mc.gats(key, 100);
      await mc.touch(key, 100);
      await mc.set(`${key}:n`, '5');
      await mc.incr(`${key}:n`, 2);
      await mc.decr(`${key}:n`, 1);
      await mc.delete(key);
      await mc.getMulti([key, `${key}:n`]);
      await mc.setMulti([[`${key}:m`, 1]]);
      await mc.deleteMulti([`${key}:m`]);
      await mc.stats();
      await mc.version();
      await mc.flushAll();
      await mc.set(key, 'noreply', { noreply: true });
      expect(only(mc).ops).toEqual({
        ...NO_OPS,
        get: 1, gets: 1, gat: 1, gats: 1, getMulti: 1,
        set: 3, add: 1, replace: 1, append: 1, prepend: 1, cas: 1, setMulti: 1,
        delete: 1, deleteMulti: 1, incr: 1, decr: 1, touch: 1,
        stats: 1, version: 1, flushAll: 1,
      });
      expect(mc.metrics().totals.ops).toEqual(only(mc).ops);
      expect(only(mc).errors).toBe(0);
    });
  });

  it('counts a hit or a miss per single-key call, merged into one get or not', async () => {
    await withClient(a.spec, undefined, async (mc) => {
      const key = `hits:${Math.random()}`;
      await mc.set(key, 'v');
      // One tick: merged into one `get` on the wire, still three calls.
      await Promise.all([mc.get(key), mc.get(key), mc.get(`${key}:missing`)]);
      let m = only(mc);
      expect(m.ops.get).toBe(3);
      expect([m.hits, m.misses]).toEqual([2, 1]);
      await mc.gets(key);
      await mc.gat(`${key}:missing`, 10);
      await mc.gats(key, 10);
      m = only(mc);
      expect([m.hits, m.misses]).toEqual([4, 2]);
      // Not lookups: a missing key for delete, touch or incr is no miss.
      await mc.delete(`${key}:missing`);
      await mc.touch(`${key}:missing`, 10);
      await mc.incr(`${key}:missing`);
      m = only(mc);
      expect([m.hits, m.misses]).toEqual([4, 2]);
    });
  });

  it('counts getMulti, setMulti and deleteMulti once per server reached, and getMulti hits and misses per key', async () => {
    await withClient([a.spec, b.spec], undefined, async (mc) => {
      const keys = Array.from({ length: 60 }, (_, i) => `multi:${i}:${Math.random()}`);
      const stored = keys.filter((_, i) => i % 3 === 0);
      await mc.setMulti(stored.map((k) => [k, k]));
      await mc.getMulti(keys);
      await mc.deleteMulti(stored);
      const metrics = mc.metrics();
      for (const server of [name(a), name(b)]) {
        const m = serverOf(metrics, server);
        const mine = keys.filter((k) => mc.serverFor(k) === server);
        expect(mine.length).toBeGreaterThan(0); // 60 keys over two servers
        expect(m.ops).toEqual({ ...NO_OPS, setMulti: 1, getMulti: 1, deleteMulti: 1 });
        expect(m.hits).toBe(mine.filter((k) => stored.includes(k)).length);
        expect(m.misses).toBe(mine.filter((k) => !stored.includes(k)).length);
      }
      expect(metrics.totals.ops.getMulti).toBe(2);
      expect(metrics.totals.hits + metrics.totals.misses).toBe(keys.length);
      expect(metrics.totals.hits).toBe(stored.length);
    });
  });

  it('counts socket bytes written and read, exactly (protocol text)', async () => {
    await withClient(a.spec, { protocol: 'text' }, async (mc) => {
      const [{ version }] = await mc.version(); // connects; no authentication, so nothing else crosses
      let m = only(mc);
      expect(m.bytesOut).toBe('version\r\n'.length);
      expect(m.bytesIn).toBe(`VERSION ${version}\r\n`.length);
      const value = Buffer.alloc(10_000, 0x61);
      const key = `bytes:${Math.random()}`;
      const before = m;
      await mc.set(key, value);
      m = only(mc);
      expect(m.bytesOut - before.bytesOut).toBeGreaterThanOrEqual(value.length + `set ${key} 0 0 ${value.length}\r\n\r\n`.length);
      expect(m.bytesOut - before.bytesOut).toBeLessThan(value.length + 100);
      expect(m.bytesIn - before.bytesIn).toBe('STORED\r\n'.length);
      const beforeGet = m;
      expect(await mc.get(key)).toEqual(value);
      m = only(mc);
      expect(m.bytesOut - beforeGet.bytesOut).toBe(`get ${key}\r\n`.length);
      expect(m.bytesIn - beforeGet.bytesIn).toBeGreaterThanOrEqual(value.length + 'END\r\n'.length);
      expect(m.bytesIn - beforeGet.bytesIn).toBeLessThan(value.length + 100);
    });
  });

  it('counts socket bytes written and read, exactly (meta: the mn asking, quiet sets answered by one MN)', async () => {
    await withClient(a.spec, { protocol: 'meta' }, async (mc) => {
      const [{ version }] = await mc.version();
      let m = only(mc);
      expect(m.bytesOut).toBe('mn\r\nversion\r\n'.length);
      expect(m.bytesIn).toBe(`MN\r\nVERSION ${version}\r\n`.length);
      const before = m;
      await Promise.all([mc.set('bytes:a', 'A'), mc.set('bytes:b', 'B')]);
      m = only(mc);
      expect(m.bytesOut - before.bytesOut).toBe('ms bytes:a 1 F16 q O1\r\nA\r\nms bytes:b 1 F16 q O2\r\nB\r\nmn\r\n'.length);
      expect(m.bytesIn - before.bytesIn).toBe('MN\r\n'.length);
    });
  });

  it('shows requests pending while they wait, and none once answered', async () => {
    await withClient(a.spec, undefined, async (mc) => {
      const calls = Array.from({ length: 100 }, (_, i) => mc.set(`pending:${i}`, i));
      expect(only(mc).pending).toBe(100);
      expect(mc.metrics().totals.pending).toBe(100);
      await Promise.all(calls);
      expect(only(mc).pending).toBe(0);
    });
  });

  it('counts an error reply as an error, not a timeout', async () => {
    await withClient(a.spec, undefined, async (mc) => {
      const key = `errors:${Math.random()}`;
      await mc.set(key, 'not a number');
      await expect(mc.incr(key)).rejects.toBeInstanceOf(ClientError);
      const m = only(mc);
      expect([m.errors, m.timeouts]).toEqual([1, 0]);
      expect(m.ops.incr).toBe(1);
    });
  });

  it('counts timeouts among errors, never an aborted call, and shows a timed-out server not alive', async () => {
    const silent = await startFakeServer(); // accepts, never answers
    try {
      await withClient(silent.spec, { timeout: 100, deadRetry: 60_000 }, async (mc) => {
        const controller = new AbortController();
        const aborted = mc.get('aborted', { signal: controller.signal });
        controller.abort();
        await expect(aborted).rejects.toBeInstanceOf(AbortError);
        expect(only(mc).errors).toBe(0);
        await expect(mc.get('slow')).rejects.toBeInstanceOf(TimeoutError);
        const m = only(mc);
        expect([m.errors, m.timeouts]).toEqual([1, 1]);
        expect(m.ops.get).toBe(2);
        expect([m.hits, m.misses]).toEqual([0, 0]);
        await eventually(() => !only(mc).alive);
        expect(mc.metrics().totals).toMatchObject({ errors: 1, timeouts: 1 });
      });
    } finally {
      await silent.close();
    }
  });

  it('counts a reconnect when a connection the server dropped is replaced', async () => {
    const proxy = await startFaultProxy({ target: { host: '127.0.0.1', port: a.port } });
    try {
      await withClient(`127.0.0.1:${proxy.port}`, undefined, async (mc) => {
        await mc.set('reconnect', 1);
        expect(only(mc).reconnects).toBe(0);
        proxy.resetConnections('fin');
        await eventually(() => proxy.stats.open === 0);
        await new Promise((resolve) => setTimeout(resolve, 20)); // the FIN reaches the client
        expect(await mc.get('reconnect')).toBe(1);
        const m = only(mc);
        expect(m.reconnects).toBe(1);
        expect(m.errors).toBe(0);
        expect(m.alive).toBe(true);
      });
    } finally {
      await proxy.close();
    }
  });

  it('shows a server that refuses connections not alive, with its errors; totals add up the servers', async () => {
    const dead = '127.0.0.1:1';
    await withClient([a.spec, dead], { deadRetry: 60_000 }, async (mc) => {
      const keys = Array.from({ length: 40 }, (_, i) => `dead:${i}`);
      const result = await mc.getMulti(keys);
      expect(result.errors.size).toBeGreaterThan(0);
      await eventually(() => !serverOf(mc.metrics(), `${dead} (1)`).alive);
      const metrics = mc.metrics();
      const down = serverOf(metrics, `${dead} (1)`);
      const up = serverOf(metrics, name(a));
      expect(down).toMatchObject({ alive: false, hits: 0, misses: 0, bytesIn: 0, bytesOut: 0, errors: 1 });
      expect(down.ops.getMulti).toBe(1);
      expect(up.alive).toBe(true);
      for (const field of ['hits', 'misses', 'errors', 'timeouts', 'reconnects', 'retries', 'bytesIn', 'bytesOut', 'pending'] as const) {
        expect(metrics.totals[field]).toBe(down[field] + up[field]);
      }
      expect(metrics.totals.ops.getMulti).toBe(2);
    });
  });

  it('keeps the counters of a server that stays through setServers, and hands out copies', async () => {
    await withClient(a.spec, undefined, async (mc) => {
      await mc.set('stays', 1);
      const snapshot = mc.metrics();
      snapshot.servers[0].ops.set = 1000;
      snapshot.servers[0].hits = 1000;
      expect(only(mc).ops.set).toBe(1);
      expect(only(mc).hits).toBe(0);
      await mc.setServers([a.spec, b.spec]);
      const metrics = mc.metrics();
      expect(serverOf(metrics, name(a)).ops.set).toBe(1);
      expect(serverOf(metrics, name(b)).ops.set).toBe(0);
    });
  });
});
