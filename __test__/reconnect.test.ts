/**
 * Reconnecting: a server closing an idle connection (a restart, an idle timeout) costs the next
 * call nothing and is no outage; a real outage marks the server dead; and a server whose
 * connections keep failing is reconnected to less and less often, exponentially, with jitter,
 * up to a cap.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReconnectBackoff } from '../ts/connection/reconnect-backoff.js';
import { Client, ConnectionError, type ServerDownEvent } from '../ts/index.js';
import { eventually } from './support/fake-server.js';
import { startFaultProxy } from './support/fault-proxy.js';
import { startMemcached, type MemcachedServer } from './support/memcached.js';

let server: MemcachedServer;

beforeAll(async () => {
  server = await startMemcached();
});
afterAll(async () => {
  await server?.stop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function downEvents(mc: Client): ServerDownEvent[] {
  const events: ServerDownEvent[] = [];
  mc.on('server:down', (event) => events.push(event));
  return events;
}

describe('a server closing an idle connection', () => {
  it.each(['fin', 'rst'] as const)('(%s) costs the next call nothing, and no server is marked dead', async (how) => {
    const proxy = await startFaultProxy({ target: { host: '127.0.0.1', port: server.port } });
    const mc = new Client(`127.0.0.1:${proxy.port}`);
    const down = downEvents(mc);
    try {
      expect(await mc.set('idle', 'v1')).toBe(true);
      proxy.resetConnections(how);
      await eventually(() => proxy.stats.open === 0);
      await sleep(10);
      expect(await mc.set('idle', 'v2')).toBe(true);
      expect(await mc.get('idle')).toBe('v2');
      expect(proxy.stats.accepted).toBe(2);
      await sleep(10);
      expect(down).toEqual([]);
    } finally {
      await mc.close();
      await proxy.close();
    }
  });

  it('even in the same tick as the next get: the get is retried on a fresh connection', async () => {
    const proxy = await startFaultProxy({ target: { host: '127.0.0.1', port: server.port } });
    const mc = new Client(`127.0.0.1:${proxy.port}`);
    const down = downEvents(mc);
    try {
      await mc.set('idle', 'same tick');
      proxy.resetConnections('fin');
      expect(await mc.get('idle')).toBe('same tick');
      expect(down).toEqual([]);
    } finally {
      await mc.close();
      await proxy.close();
    }
  });

  it('by restarting costs the next call nothing either', async () => {
    const mc = new Client(server.spec);
    const down = downEvents(mc);
    try {
      await mc.set('restart', 'before');
      await server.restart();
      await sleep(20);
      expect(await mc.get('restart')).toBeUndefined(); // a restarted memcached is empty
      expect(await mc.set('restart', 'after')).toBe(true);
      expect(down).toEqual([]);
    } finally {
      await mc.close();
    }
  });
});

describe('a real outage', () => {
  it('marks the server dead, as the cluster rules say, and it comes back once it answers', async () => {
    const mc = new Client(server.spec, { deadRetry: 100 });
    const down = downEvents(mc);
    const up: unknown[] = [];
    mc.on('server:up', (event) => up.push(event));
    try {
      await mc.set('outage', 'v');
      await server.kill();
      const error = await mc.get('outage').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConnectionError);
      expect((error as Error).message).toMatch(/ECONNREFUSED|closed by the server/);
      // The call that finds it refusing connections marks it dead.
      for (let i = 0; i < 50 && down.length === 0; i++) {
        await mc.get('outage').catch(() => undefined);
        await sleep(10);
      }
      expect(down).toEqual([{ server: `${server.spec} (1)`, error: expect.any(ConnectionError), retryAt: expect.any(Number) }]);
      expect(((down[0].error.cause as NodeJS.ErrnoException).code)).toBe('ECONNREFUSED');
      await server.restart();
      for (let i = 0; i < 100 && up.length === 0; i++) {
        await mc.get('outage').catch(() => undefined);
        await sleep(20);
      }
      expect(up).toHaveLength(1);
      expect(await mc.set('outage', 'back')).toBe(true);
    } finally {
      await mc.close();
    }
  });
});

describe('reconnect backoff', () => {
  it('doubles from reconnectDelay up to maxReconnectDelay, half of each step random, and resets once a connection is answered', () => {
    const randoms = [0, 0.999, 0.5, 0, 0.999, 0];
    const backoff = new ReconnectBackoff({ base: 20, max: 100 }, () => randoms.shift() ?? 0);
    expect(backoff.delay()).toBe(0); // nothing failed yet: reconnect at once
    const delays: number[] = [];
    for (let i = 0; i < 6; i++) {
      backoff.record(false, true);
      delays.push(backoff.delay());
    }
    // steps 20, 40, 80, 100, 100, 100: each delay in [step / 2, step]
    expect(delays).toEqual([10, 40, 60, 50, 100, 50]);
    backoff.record(false, false); // closed on purpose, never answered: changes nothing
    expect(backoff.failures).toBe(6);
    backoff.record(true, true); // answered, then broke: the server works
    expect(backoff.failures).toBe(0);
    expect(backoff.delay()).toBe(0);
    expect(new ReconnectBackoff({ base: 0, max: 0 }).delay()).toBe(0);
  });

  it('spaces the attempts to a server that resets every connection, instead of hammering it', async () => {
    const attempts: number[] = [];
    const hostile = net.createServer((socket) => {
      attempts.push(performance.now());
      socket.on('error', () => {});
      socket.resetAndDestroy();
    });
    await new Promise<void>((resolve) => hostile.listen(0, '127.0.0.1', resolve));
    const { port } = hostile.address() as net.AddressInfo;
    const mc = new Client(`127.0.0.1:${port}`, { reconnectDelay: 20, maxReconnectDelay: 160, timeout: 1000, retries: 0 });
    try {
      const started = performance.now();
      let calls = 0;
      while (performance.now() - started < 1200) {
        calls++;
        const error = await mc.get('k').catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ConnectionError);
      }
      const gaps = attempts.slice(1).map((t, i) => t - attempts[i]);
      // Steps 20, 40, 80, 160, 160, ...: each gap at least half its step (less a timer's slop).
      gaps.forEach((gap, i) => expect(gap).toBeGreaterThanOrEqual(Math.min(160, 20 * 2 ** i) / 2 - 5));
      expect(attempts.length).toBeGreaterThanOrEqual(5);
      expect(attempts.length).toBeLessThanOrEqual(16);
      expect(calls).toBe(attempts.length);
    } finally {
      await mc.close();
      await new Promise((resolve) => hostile.close(resolve));
    }
  });

  it('fails at once a call that would time out before the next attempt, with the last failure as cause', async () => {
    const hostile = net.createServer((socket) => {
      socket.on('error', () => {});
      socket.resetAndDestroy();
    });
    await new Promise<void>((resolve) => hostile.listen(0, '127.0.0.1', resolve));
    const { port } = hostile.address() as net.AddressInfo;
    const mc = new Client(`127.0.0.1:${port}`, { reconnectDelay: 2000, maxReconnectDelay: 2000, retries: 0 });
    try {
      const first = await mc.get('k').catch((e: unknown) => e);
      expect(first).toBeInstanceOf(ConnectionError);
      const started = performance.now();
      const second = await mc.get('k', { timeout: 500 }).catch((e: unknown) => e);
      expect(performance.now() - started).toBeLessThan(100);
      expect(second).toBeInstanceOf(ConnectionError);
      expect((second as Error).message).toMatch(/backs off for another \d+ ms/);
      expect((second as Error).cause).toBe(first);
    } finally {
      await mc.close();
      await new Promise((resolve) => hostile.close(resolve));
    }
  });
});
