/**
 * setServers(): the pool changes at run time, no request in flight is lost, a server in both lists
 * keeps its connections and health, a removed one drains and closes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, ClientClosedError, ServerSpecError, type ServerDownEvent } from '../ts/index.js';
import { eventually } from './support/fake-server.js';
import { startFaultProxy, type FaultProxy } from './support/fault-proxy.js';
import { startMemcached, type MemcachedServer } from './support/memcached.js';

let a: MemcachedServer;
let b: MemcachedServer;
let c: MemcachedServer;
let slowA: FaultProxy;

beforeAll(async () => {
  [a, b, c] = await Promise.all([startMemcached(), startMemcached(), startMemcached()]);
  slowA = await startFaultProxy({ target: { host: '127.0.0.1', port: a.port } });
});
afterAll(async () => {
  await slowA?.close();
  await Promise.all([a, b, c].map((s) => s?.stop()));
});

const keys = (tag: string, count: number) => Array.from({ length: count }, (_, i) => `${tag}:${i}`);
const totalConnections = (stats: { server: string; stats: Record<string, string> }[], server: MemcachedServer) =>
  stats.find((s) => s.server === `${server.spec} (1)`)?.stats.total_connections;

describe('setServers', () => {
  it('routes over the new list at once, answers every request already queued, then closes the removed server', async () => {
    const slow = `127.0.0.1:${slowA.port}`;
    const mc = new Client([slow, b.spec]);
    const fresh = new Client([b.spec, c.spec]);
    try {
      const bConnections = totalConnections(await mc.stats(), b);
      slowA.setMode({ kind: 'delay', ms: 150 });
      const list = keys('move', 400);
      const viaA = list.filter((k) => mc.serverFor(k) === `${slow} (1)`);
      const stores = list.map((k) => mc.set(k, k));
      const reads = viaA.map((k) => mc.get(k));
      // Same tick: the requests above are queued, not yet written.
      const drained = mc.setServers([b.spec, c.spec]);

      expect(list.map((k) => mc.serverFor(k))).toEqual(list.map((k) => fresh.serverFor(k)));
      expect(await Promise.all(stores)).toEqual(list.map(() => true));
      expect((await Promise.allSettled(reads)).every((r) => r.status === 'fulfilled')).toBe(true);
      await drained;
      await eventually(() => slowA.stats.open === 0);
      // What was queued for the removed server went to it, not elsewhere.
      const direct = new Client(a.spec);
      expect(await direct.get(viaA[0])).toBe(viaA[0]);
      await direct.close();

      const after = await mc.stats();
      expect(after.map((s) => s.server)).toEqual([`${b.spec} (1)`, `${c.spec} (1)`]);
      expect(totalConnections(after, b)).toBe(bConnections);
      await mc.set('after', 1);
      expect(await fresh.get('after')).toBe(1);
    } finally {
      slowA.setMode({ kind: 'pass' });
      await Promise.all([mc.close(), fresh.close()]);
    }
  });

  it('keeps the health of a server in both lists: a dead one stays dead', async () => {
    const mc = new Client([b.spec, '127.0.0.1:1'], { deadRetry: 60_000 });
    const down: ServerDownEvent[] = [];
    mc.on('server:down', (e) => down.push(e));
    try {
      await mc.getMulti(keys('dead', 50));
      await new Promise((resolve) => setImmediate(resolve));
      expect(down.map((e) => e.server)).toEqual(['127.0.0.1:1 (1)']);
      await mc.setServers([b.spec, '127.0.0.1:1', c.spec]);
      const named = new Set(keys('dead', 500).map((k) => mc.serverFor(k)));
      expect(named).toEqual(new Set([`${b.spec} (1)`, `${c.spec} (1)`]));
      expect((await mc.getMulti(keys('dead', 50))).errors.size).toBe(0);
      expect(down).toHaveLength(1);
    } finally {
      await mc.close();
    }
  });

  it('refuses a bad list, changing nothing; and a closed client', async () => {
    const mc = new Client([b.spec, c.spec]);
    const before = keys('bad', 100).map((k) => mc.serverFor(k));
    expect(() => mc.setServers([b.spec, 'host:notaport'])).toThrow(ServerSpecError);
    expect(() => mc.setServers([])).toThrow(ServerSpecError);
    expect(keys('bad', 100).map((k) => mc.serverFor(k))).toEqual(before);
    await mc.close();
    expect(() => mc.setServers([b.spec])).toThrow(ClientClosedError);
  });
});
