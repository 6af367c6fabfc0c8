/**
 * Backpressure: each connection holds at most `maxPending` callers (10 000 by default); past it
 * calls reject at once with a QueueFullError and send nothing. A server that stalls under load
 * therefore costs bounded memory, and the client serves again once it recovers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, DEFAULT_OPTIONS, MemcacheError, QueueFullError, TimeoutError } from '../ts/index.js';
import { eventually, startFakeServer } from './support/fake-server.js';
import { startFaultProxy } from './support/fault-proxy.js';
import { startMemcached, type MemcachedServer } from './support/memcached.js';

let server: MemcachedServer;

beforeAll(async () => {
  server = await startMemcached();
});
afterAll(async () => {
  await server?.stop();
});

describe('maxPending', () => {
  it('is finite by default', () => {
    expect(DEFAULT_OPTIONS.maxPending).toBe(10_000);
  });

  it('rejects calls past it at once with a QueueFullError naming the server; they are never sent', async () => {
    const silent = await startFakeServer();
    const mc = new Client(silent.spec, { maxPending: 100, timeout: 300 });
    try {
      // Single-key gets of one tick merge into one command, but each caller still counts.
      const calls = Array.from({ length: 150 }, (_, i) => mc.get(`k${i}`).catch((e: unknown) => e));
      const settledAtOnce: unknown[] = [];
      for (const call of calls) void call.then((outcome) => settledAtOnce.push(outcome));
      await new Promise((resolve) => setImmediate(resolve));
      expect(settledAtOnce).toHaveLength(50);
      for (const error of settledAtOnce) {
        expect(error).toBeInstanceOf(QueueFullError);
        expect(error).toMatchObject({ code: 'MEMCACHE_QUEUE_FULL', server: `${silent.spec} (1)` });
      }
      expect(mc.pending).toBe(100);
      await eventually(() => silent.received[0]?.includes('k99 ') || silent.received[0]?.includes('k99\r\n'));
      expect(silent.received[0]).not.toMatch(/k1[0-4]\d\b/);
      const outcomes = await Promise.all(calls);
      expect(outcomes.filter((e) => e instanceof TimeoutError)).toHaveLength(100);
      expect(mc.pending).toBe(0);
    } finally {
      await mc.close();
      await silent.close();
    }
  });

  it('keeps a stalled server\'s cost bounded under load, and the client serves again once it recovers', async () => {
    const proxy = await startFaultProxy({ target: { host: '127.0.0.1', port: server.port } });
    const maxPending = 500;
    const poolSize = 2;
    // No retries: the reset at the end fails what is in flight at once, instead of a timeout later.
    const mc = new Client(`127.0.0.1:${proxy.port}`, { maxPending, poolSize, timeout: 10_000, retries: 0 });
    const codes = new Map<string, number>();
    const count = (e: unknown) => {
      const code = e instanceof MemcacheError ? e.code : String(e);
      codes.set(code, (codes.get(code) ?? 0) + 1);
    };
    try {
      await Promise.all([mc.set('bp', 'v'), mc.set('bp', 'v')]); // both connections open
      proxy.setMode({ kind: 'stall' });
      const value = 'x'.repeat(1000);
      const calls: Promise<void>[] = [];
      let highest = 0;
      const started = performance.now();
      for (let wave = 0; wave < 20; wave++) {
        for (let i = 0; i < 2500; i++) {
          const call = i % 2 === 0 ? mc.set(`bp:${wave}:${i}`, value) : mc.get(`bp:${wave}:${i}`);
          calls.push(call.then(() => count('ok'), count));
        }
        highest = Math.max(highest, mc.pending);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(performance.now() - started).toBeLessThan(10_000); // all fired before any could time out
      expect(highest).toBe(maxPending * poolSize);
      await new Promise((resolve) => setImmediate(resolve));
      // Everything past the bound was refused at once; the rest waits on the stalled server.
      expect(codes.get('MEMCACHE_QUEUE_FULL')).toBe(50_000 - maxPending * poolSize);
      expect(mc.pending).toBe(maxPending * poolSize);
      proxy.resetConnections('rst');
      await Promise.all(calls);
      expect(codes.get('ok')).toBeUndefined();
      expect(codes.get('MEMCACHE_CONNECTION')).toBe(maxPending * poolSize);
      expect(mc.pending).toBe(0);

      proxy.setMode({ kind: 'pass' });
      expect(await mc.set('bp', 'recovered')).toBe(true);
      expect(await mc.get('bp')).toBe('recovered');
    } finally {
      await mc.close();
      await proxy.close();
    }
  });
});
