/**
 * Dead servers over real ones: a killed server is marked dead by the first connect it refuses,
 * its keys (and only its keys) fail over, and after deadRetry it takes them back; a timeout marks a
 * server dead too, a restart that merely closes idle connections does not; failover off fails
 * fast; flushOnReconnect clears a returning server; python-memcached's rehash chain is followed
 * exactly.
 */
import net from 'node:net';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import {
  Client,
  ConnectionError,
  ServerDeadError,
  TimeoutError,
  type ClientOptions,
  type Distribution,
  type ServerDownEvent,
  type ServerUpEvent,
} from '../ts/index.js';
import { startFaultProxy } from './support/fault-proxy.js';
import type { MemcachedServer } from './support/memcached.js';
import { useClientOfEach, useServers } from './support/server-and-client.js';
import { pythonChain, pythonRoute, type PoolServer } from './support/routing.js';

const DEAD_RETRY = 300;

const servers = useServers(4);
/** A client of each server alone: where a key really is. */
const single = useClientOfEach(servers);
beforeEach(async () => {
  // A test that failed half way may leave a server down.
  await Promise.all(servers.map((s) => s.restart()));
});

const name = (server: MemcachedServer, weight = 1) => `${server.spec} (${weight})`;
const keys = (tag: string, count: number) => Array.from({ length: count }, (_, i) => `${tag}:${i}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` every 20 ms until it holds; fails after `ms`. */
async function until(check: () => boolean | Promise<boolean>, what: string, ms = 5000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

function watch(mc: Client): { down: ServerDownEvent[]; up: ServerUpEvent[] } {
  const events = { down: [] as ServerDownEvent[], up: [] as ServerUpEvent[] };
  mc.on('server:down', (event) => events.down.push(event));
  mc.on('server:up', (event) => events.up.push(event));
  return events;
}

/** Calls until the client has marked `count` servers dead: the first call to reach a killed server finds it refusing. */
async function driveUntilDown(mc: Client, list: string[], events: { down: ServerDownEvent[] }, count = 1): Promise<void> {
  await until(async () => {
    await mc.getMulti(list).catch(() => undefined);
    return events.down.length >= count;
  }, `${count} server:down event(s)`);
}

describe.each<Distribution>(['ketama', 'ketama-spy', 'python-memcached', 'modula'])('with %s, killing one of four equal servers', (distribution) => {
  it('moves its keys (about a quarter) and no other, keeps traffic working, and gives them back after deadRetry', async () => {
    const mc = new Client(
      servers.map((s) => s.spec),
      { distribution, deadRetry: DEAD_RETRY },
    );
    const events = watch(mc);
    const victim = servers[1];
    try {
      const list = keys(`kill-${distribution}`, 2000);
      const before = list.map((k) => mc.serverFor(k));
      expect(await mc.setMulti(list.map((k) => [k, k]))).toEqual([]);

      await victim.kill();
      await driveUntilDown(mc, list, events);
      expect(events.down).toEqual([{ server: name(victim), error: expect.any(ConnectionError), retryAt: expect.any(Number) }]);
      expect((events.down[0].error.cause as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');

      const after = list.map((k) => mc.serverFor(k));
      const moved = list.filter((_, i) => after[i] !== before[i]);
      expect(list.filter((_, i) => before[i] === name(victim))).toEqual(moved);
      expect(after).not.toContain(name(victim));
      expect(moved.length / list.length).toBeGreaterThan(0.15);
      expect(moved.length / list.length).toBeLessThan(0.35);

      // Traffic keeps working: the others' keys kept their values, the moved ones are misses until refilled.
      const read = await mc.getMulti(list);
      expect(read.errors.size).toBe(0);
      expect(read.size).toBe(list.length - moved.length);
      expect(await mc.setMulti(moved.map((k) => [k, `refilled ${k}`]))).toEqual([]);
      expect(await Promise.all(moved.slice(0, 50).map((k) => mc.get(k)))).toEqual(moved.slice(0, 50).map((k) => `refilled ${k}`));
      expect(await mc.incr(`${moved[0]}:counter`)).toBeUndefined();

      await victim.restart();
      await sleep(DEAD_RETRY);
      // The next call probes it; once the probe is answered it takes its keys back.
      await until(async () => {
        await mc.get(list[0]);
        return events.up.length === 1;
      }, 'server:up');
      expect(events.up).toEqual([{ server: name(victim), downtime: expect.any(Number), flushed: false }]);
      expect(events.up[0].downtime).toBeGreaterThanOrEqual(DEAD_RETRY - 5);
      expect(list.map((k) => mc.serverFor(k))).toEqual(before);
      await mc.set(moved[0], 'home again');
      expect(await single[1].get(moved[0])).toBe('home again');
    } finally {
      await mc.close();
    }
  });
});

describe('a server restart that only closes idle connections', () => {
  it('is no outage: the next call reconnects and succeeds, no key moves', async () => {
    const mc = new Client(servers.map((s) => s.spec));
    const events = watch(mc);
    try {
      const list = keys('restart', 400);
      const before = list.map((k) => mc.serverFor(k));
      await mc.setMulti(list.map((k) => [k, 1]));
      await servers[2].restart();
      await sleep(50);
      const onIt = list.filter((_, i) => before[i] === name(servers[2]));
      expect(await Promise.all(onIt.map((k) => mc.get(k)))).toEqual(onIt.map(() => undefined));
      expect((await mc.getMulti(list)).errors.size).toBe(0);
      expect(events.down).toEqual([]);
      expect(list.map((k) => mc.serverFor(k))).toEqual(before);
    } finally {
      await mc.close();
    }
  });
});

describe('failover: false', () => {
  it('fails the dead server\'s keys fast with a ServerDeadError, serves the others, and forgetDeadHosts brings it back', async () => {
    const mc = new Client(
      servers.map((s) => s.spec),
      { failover: false, deadRetry: 60_000 },
    );
    const events = watch(mc);
    const victim = servers[3];
    try {
      const list = keys('fast', 1000);
      await mc.setMulti(list.map((k) => [k, k]));
      const theirs = list.filter((k) => mc.serverFor(k) === name(victim));
      const others = list.filter((k) => mc.serverFor(k) !== name(victim));
      await victim.kill();
      await driveUntilDown(mc, list, events);

      const connects = vi.spyOn(net.Socket.prototype, 'connect');
      const error = await mc.get(theirs[0]).catch((e: unknown) => e);
      expect(connects).not.toHaveBeenCalled(); // fast: no attempt on the dead server
      connects.mockRestore();
      expect(error).toBeInstanceOf(ServerDeadError);
      expect(error).toBeInstanceOf(ConnectionError);
      expect(error).toMatchObject({ code: 'MEMCACHE_SERVER_DEAD', server: name(victim) });
      expect((error as ServerDeadError).retryAt).toBeGreaterThan(Date.now() + 50_000);
      expect(((error as Error).cause as Error).message).toMatch(/ECONNREFUSED/);
      expect(mc.serverFor(theirs[0])).toBe(name(victim));

      expect(await mc.get(others[0])).toBe(others[0]);
      const read = await mc.getMulti(list);
      expect([...read.keys()].sort()).toEqual([...others].sort());
      expect([...read.errors.keys()].sort()).toEqual([...theirs].sort());
      for (const e of read.errors.values()) expect(e).toBeInstanceOf(ServerDeadError);
      expect((await mc.setMulti(list.map((k) => [k, 2]))).sort()).toEqual([...theirs].sort());
      // Every key of a call on the dead server: the call itself rejects.
      await expect(mc.deleteMulti(theirs)).rejects.toBeInstanceOf(ServerDeadError);
      const stats = await mc.stats();
      expect(stats.map((s) => s.error?.code)).toEqual([undefined, undefined, undefined, 'MEMCACHE_SERVER_DEAD']);

      await victim.restart();
      await mc.forgetDeadHosts();
      expect(events.up.map((e) => e.server)).toEqual([name(victim)]);
      expect(await mc.set(theirs[0], 'back')).toBe(true);
      expect(await single[3].get(theirs[0])).toBe('back');
    } finally {
      await mc.close();
    }
  });
});

describe('a timeout', () => {
  /** A client over servers[0] and servers[1] behind a fault proxy; `key` lives behind the proxy. */
  async function behindProxy(options: ClientOptions) {
    const proxy = await startFaultProxy({ target: { host: '127.0.0.1', port: servers[1].port } });
    const proxied = `127.0.0.1:${proxy.port} (1)`;
    const mc = new Client([servers[0].spec, `127.0.0.1:${proxy.port}`], { deadRetry: DEAD_RETRY, timeout: 200, ...options });
    const key = keys('stale', 100).find((k) => mc.serverFor(k) === proxied) as string;
    return { proxy, proxied, mc, key, events: watch(mc) };
  }

  it.each([
    { flushOnReconnect: false, read: 'before the outage' },
    { flushOnReconnect: true, read: undefined },
  ])('marks the server dead; when it returns, flushOnReconnect $flushOnReconnect reads $read', async ({ flushOnReconnect, read }) => {
    const { proxy, proxied, mc, key, events } = await behindProxy({ flushOnReconnect });
    try {
      await mc.set(key, 'before the outage');
      proxy.setMode({ kind: 'stall' });
      await expect(mc.get(key)).rejects.toBeInstanceOf(TimeoutError);
      await until(() => events.down.length === 1, 'server:down');
      expect(events.down[0]).toMatchObject({ server: proxied, error: expect.any(TimeoutError) });
      expect(mc.serverFor(key)).toBe(name(servers[0]));
      await mc.set(key, 'during the outage');

      proxy.setMode({ kind: 'pass' });
      await sleep(DEAD_RETRY);
      await until(async () => {
        await mc.get('any');
        return events.up.length === 1;
      }, 'server:up');
      expect(events.up[0]).toMatchObject({ server: proxied, flushed: flushOnReconnect });
      expect(mc.serverFor(key)).toBe(proxied);
      // Without the flush the returning server serves what it held before its outage.
      expect(await mc.get(key)).toBe(read);
    } finally {
      await mc.close();
      await proxy.close();
    }
  });
});

describe('when every server is down', () => {
  it('calls still try their own server, so one that is back serves at once', async () => {
    const mc = new Client([servers[0].spec, servers[1].spec], { deadRetry: 60_000 });
    const events = watch(mc);
    try {
      const list = keys('all-down', 200);
      await Promise.all([servers[0].kill(), servers[1].kill()]);
      await driveUntilDown(mc, list, events, 2);
      await servers[0].restart();
      const mine = list.filter((k) => mc.serverFor(k) === name(servers[0]));
      expect(mine.length).toBeGreaterThan(0);
      expect(await mc.set(mine[0], 'v')).toBe(true);
      expect(await single[0].get(mine[0])).toBe('v');
      const theirs = list.find((k) => mc.serverFor(k) === name(servers[1])) as string;
      await expect(mc.get(theirs)).rejects.toBeInstanceOf(ConnectionError);
    } finally {
      await mc.close();
    }
  });
});

describe('python-memcached with dead servers', () => {
  it('follows the rehash chain exactly, giving up after ten dead picks as python-memcached does', async () => {
    const weights = [2, 1, 1, 1];
    const pool: PoolServer[] = weights.map((weight, i) => ({ port: servers[i].port, weight }));
    const mc = new Client(
      weights.map((w, i): [string, number] => [servers[i].spec, w]),
      { distribution: 'python-memcached', deadRetry: 60_000 },
    );
    const events = watch(mc);
    try {
      const list = keys('chain', 6000);
      await Promise.all([servers[0].kill(), servers[2].kill()]);
      await driveUntilDown(mc, list, events, 2);

      const dead = new Set([0, 2]);
      const expected = list.map((k) => pythonRoute(k, pool, dead));
      const gaveUp = list.filter((_, i) => expected[i] < 0);
      // A key whose chain met only dead servers is still named by its own (dead) server; its calls fail fast.
      const shown = list.map((k, i) => (expected[i] >= 0 ? expected[i] : pythonRoute(k, pool)));
      expect(list.map((k) => mc.serverFor(k))).toEqual(shown.map((s) => name(servers[s], weights[s])));
      // The chain is really walked: many keys need several rehashes, and some run out of tries.
      expect(list.filter((k) => pythonChain(k, pool, dead).length >= 4).length).toBeGreaterThan(100);
      expect(gaveUp.length).toBeGreaterThan(0);

      const failed = await mc.setMulti(list.map((k) => [k, k]));
      expect(failed.sort()).toEqual([...gaveUp].sort());
      await expect(mc.get(gaveUp[0])).rejects.toBeInstanceOf(ServerDeadError);
      for (const live of [1, 3]) {
        const hits = await single[live].getMulti(list);
        expect([...hits.keys()].sort()).toEqual(list.filter((_, i) => expected[i] === live).sort());
      }
    } finally {
      await mc.close();
    }
  });
});
