/**
 * Retries: a request whose connection broke before any byte of its reply was read is sent again,
 * once, on a fresh connection, if its command is idempotent; storage commands and counters never
 * are (the server may have run them), and nothing is retried after a timeout, after a malformed
 * reply, or when its reply was half read. The server's own counters prove what was sent, and
 * `mc.metrics()` counts each resend in `retries`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, ConnectionError, ProtocolError, TimeoutError, type ClientOptions, type ServerMetricsSnapshot } from '../ts/index.js';
import { eventually, startFakeServer } from './support/fake-server.js';
import { startFaultProxy, type FaultProxy } from './support/fault-proxy.js';
import { startMemcached, type MemcachedServer } from './support/memcached.js';

let server: MemcachedServer;
let direct: Client;

beforeAll(async () => {
  server = await startMemcached();
  direct = new Client(server.spec);
});
afterAll(async () => {
  await direct?.close();
  await server?.stop();
});

/** The server's command counters. */
async function counters(): Promise<Record<string, number>> {
  const [{ stats }] = await direct.stats();
  return Object.fromEntries(['cmd_get', 'cmd_set', 'cmd_touch', 'incr_hits', 'incr_misses', 'delete_hits', 'delete_misses'].map((n) => [n, Number(stats[n])]));
}

async function counted<T>(body: () => Promise<T>): Promise<{ result: T; delta: Record<string, number> }> {
  const before = await counters();
  const result = await body();
  const after = await counters();
  return { result, delta: Object.fromEntries(Object.keys(after).map((n) => [n, after[n] - before[n]])) };
}

async function withProxy(options: ClientOptions, body: (mc: Client, proxy: FaultProxy) => Promise<void>): Promise<void> {
  const proxy = await startFaultProxy({ target: { host: '127.0.0.1', port: server.port } });
  const mc = new Client(`127.0.0.1:${proxy.port}`, { timeout: 2000, ...options });
  try {
    await mc.version(); // the connection is open and has been answered
    await body(mc, proxy);
  } finally {
    await mc.close();
    await proxy.close();
  }
}

/**
 * Starts `call`, lets its command reach the server and the server answer, then resets the
 * connection before a byte of that answer reaches the client.
 */
async function resetBeforeReply<T>(proxy: FaultProxy, call: () => Promise<T>): Promise<T | unknown> {
  proxy.setMode({ kind: 'delay', ms: 10_000, direction: 'toClient' });
  const held = proxy.stats.faults.delay;
  const outcome = call().catch((e: unknown) => e);
  await eventually(() => proxy.stats.faults.delay > held); // the reply is held in the proxy
  proxy.setMode({ kind: 'pass' });
  proxy.resetConnections('rst');
  return outcome;
}

describe('a connection reset before any reply byte', () => {
  it('is survived by a get: retried once on a fresh connection, it succeeds', async () => {
    await direct.set('r:get', 'value');
    await withProxy({}, async (mc, proxy) => {
      const accepted = proxy.stats.accepted;
      const { result, delta } = await counted(() => resetBeforeReply(proxy, () => mc.get('r:get')));
      expect(result).toBe('value');
      expect(delta.cmd_get).toBe(2); // the server saw it twice: once lost, once answered
      expect(proxy.stats.accepted).toBe(accepted + 1);
    });
  });

  it('is survived by every idempotent call: gets, gat, getMulti, touch, delete, version, stats', async () => {
    await withProxy({}, async (mc, proxy) => {
      await direct.setMulti([['r:a', 'a'], ['r:b', 'b']]);
      expect(await resetBeforeReply(proxy, () => mc.gets('r:a'))).toMatchObject({ value: 'a', cas: expect.any(BigInt) });
      expect(await resetBeforeReply(proxy, () => mc.gat('r:a', 100))).toBe('a');
      const multi = await resetBeforeReply(proxy, () => mc.getMulti(['r:a', 'r:b', 'r:none']));
      expect(Object.fromEntries(multi as Map<string, unknown>)).toEqual({ 'r:a': 'a', 'r:b': 'b' });
      expect(await resetBeforeReply(proxy, () => mc.touch('r:a', 100))).toBe(true);
      // The first delete ran: the retry finds nothing to delete (idempotent in effect, not in its answer).
      expect(await resetBeforeReply(proxy, () => mc.delete('r:b'))).toBe(false);
      expect(await direct.get('r:b')).toBeUndefined();
      expect(await resetBeforeReply(proxy, () => mc.version())).toEqual([{ server: expect.any(String), version: expect.any(String) }]);
      expect(await resetBeforeReply(proxy, () => mc.stats())).toEqual([{ server: expect.any(String), stats: expect.objectContaining({ pid: expect.any(String) }) }]);
    });
  });

  it('fails a set with a ConnectionError, and the set was sent exactly once', async () => {
    await withProxy({}, async (mc, proxy) => {
      const accepted = proxy.stats.accepted;
      const { result, delta } = await counted(() => resetBeforeReply(proxy, () => mc.set('r:set', 'once')));
      expect(result).toBeInstanceOf(ConnectionError);
      expect(result).toMatchObject({ code: 'MEMCACHE_CONNECTION', server: `127.0.0.1:${proxy.port} (1)` });
      expect(delta.cmd_set).toBe(1);
      expect(proxy.stats.accepted).toBe(accepted); // no second connection was opened for it
      expect(await direct.get('r:set')).toBe('once'); // it did run: that is why it is never repeated
    });
  });

  it.each([
    ['add', (mc: Client) => mc.add('r:add', 'x'), 'cmd_set'],
    ['cas', (mc: Client) => mc.cas('r:cas', 'x', 1n), 'cmd_set'],
    ['append', (mc: Client) => mc.append('r:counter', '0'), 'cmd_set'],
    ['incr', (mc: Client) => mc.incr('r:counter', 1), 'incr_hits'],
  ] as [string, (mc: Client) => Promise<unknown>, string][])('fails %s too, sent exactly once', async (_name, call, counter) => {
    await direct.set('r:counter', '10');
    await withProxy({}, async (mc, proxy) => {
      const { result, delta } = await counted(() => resetBeforeReply(proxy, () => call(mc)));
      expect(result).toBeInstanceOf(ConnectionError);
      expect(delta[counter]).toBe(1);
    });
  });

  it('fails a get as well with retries: 0', async () => {
    await withProxy({ retries: 0 }, async (mc, proxy) => {
      const { result, delta } = await counted(() => resetBeforeReply(proxy, () => mc.get('r:get')));
      expect(result).toBeInstanceOf(ConnectionError);
      expect(delta.cmd_get).toBe(1);
    });
  });

  it('retries a get only once: a second reset fails it', async () => {
    await withProxy({}, async (mc, proxy) => {
      // Every connection is reset as soon as the command arrives, the retry's included.
      proxy.setMode({ kind: 'reset' });
      const accepted = proxy.stats.accepted;
      await expect(mc.get('r:get')).rejects.toBeInstanceOf(ConnectionError);
      expect(proxy.stats.accepted - accepted).toBe(1);
    });
  });
});

/** The metrics of the proxy's server, the client's only one. */
function proxied(mc: Client, proxy: FaultProxy): ServerMetricsSnapshot {
  const { servers } = mc.metrics();
  expect(servers.map((s) => s.server)).toEqual([`127.0.0.1:${proxy.port} (1)`]);
  return servers[0];
}

describe('metrics().retries', () => {
  it('counts a get retried once: retries 1 for its server, still one op, no error', async () => {
    await direct.set('r:get', 'value');
    await withProxy({}, async (mc, proxy) => {
      expect(proxied(mc, proxy).retries).toBe(0);
      expect(await resetBeforeReply(proxy, () => mc.get('r:get'))).toBe('value');
      expect(proxied(mc, proxy)).toMatchObject({ retries: 1, errors: 0, ops: expect.objectContaining({ get: 1 }) });
      expect(mc.metrics().totals.retries).toBe(1);
    });
  });

  it('does not count a set that failed on the broken connection: never resent', async () => {
    await withProxy({}, async (mc, proxy) => {
      expect(await resetBeforeReply(proxy, () => mc.set('r:set', 'once'))).toBeInstanceOf(ConnectionError);
      expect(proxied(mc, proxy)).toMatchObject({ retries: 0, errors: 1 });
    });
  });

  it('counts the one retry of a get whose retry broke too, and its failure', async () => {
    await withProxy({}, async (mc, proxy) => {
      proxy.setMode({ kind: 'reset' });
      await expect(mc.get('r:get')).rejects.toBeInstanceOf(ConnectionError);
      expect(proxied(mc, proxy)).toMatchObject({ retries: 1, errors: 1 });
    });
  });

  it('counts none with retries: 0', async () => {
    await withProxy({ retries: 0 }, async (mc, proxy) => {
      expect(await resetBeforeReply(proxy, () => mc.get('r:get'))).toBeInstanceOf(ConnectionError);
      expect(proxied(mc, proxy)).toMatchObject({ retries: 0, errors: 1 });
    });
  });
});

describe('no retry', () => {
  it('when the reply was half read: the get fails, and the ones queued behind it are retried', async () => {
    const big = 'x'.repeat(100_000);
    await direct.set('r:big', big);
    await direct.set('r:small', 'small');
    await withProxy({ mergeGets: false }, async (mc, proxy) => {
      proxy.setMode({ kind: 'closeAfter', bytes: 1000 });
      const { result, delta } = await counted(() => Promise.allSettled([mc.get('r:big'), mc.get('r:small')]));
      expect((result[0] as PromiseRejectedResult).reason).toBeInstanceOf(ConnectionError);
      expect(result[1]).toEqual({ status: 'fulfilled', value: 'small' });
      expect(delta.cmd_get).toBe(3); // big once, small twice
    });
  });

  it('after a timeout: whatever was in flight with it fails', async () => {
    await withProxy({}, async (mc, proxy) => {
      proxy.setMode({ kind: 'stall' });
      const outcomes = await Promise.allSettled([mc.get('r:a', { timeout: 100 }), mc.get('r:b')]);
      expect((outcomes[0] as PromiseRejectedResult).reason).toBeInstanceOf(TimeoutError);
      expect((outcomes[1] as PromiseRejectedResult).reason).toBeInstanceOf(ConnectionError);
    });
  });

  it('after a malformed reply: every get in flight gets the ProtocolError', async () => {
    const fake = await startFakeServer((socket, data, connection) => {
      if (connection === 0 && data.includes('get ')) socket.write('\x80END\r\n');
      else if (data.includes('get ')) socket.write('END\r\n');
    });
    const mc = new Client(fake.spec, { mergeGets: false });
    try {
      const outcomes = await Promise.allSettled([mc.get('r:a'), mc.get('r:b'), mc.get('r:c')]);
      expect(outcomes[0]).toEqual({ status: 'rejected', reason: expect.any(ProtocolError) });
      expect(outcomes[1]).toEqual({ status: 'rejected', reason: expect.any(ProtocolError) });
      expect(outcomes[2]).toEqual({ status: 'rejected', reason: expect.any(ProtocolError) });
      expect(fake.accepted).toBe(1);
      expect(await mc.get('r:d')).toBeUndefined();
      await eventually(() => fake.accepted === 2);
    } finally {
      await mc.close();
      await fake.close();
    }
  });
});
