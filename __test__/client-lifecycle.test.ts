/**
 * Connections over their life: lazy connect, timeouts that destroy the connection and fail what was
 * in flight on it, reconnects, aborts, malformed replies, close() and process exit.
 */
import net from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  AbortError,
  Client,
  ClientClosedError,
  ConnectionError,
  ConnectTimeoutError,
  ProtocolError,
  QueueFullError,
  TimeoutError,
} from '../ts/index.js';
import { runChild } from './support/child.js';
import { eventually, startFakeServer, type FakeServer } from './support/fake-server.js';
import { startMemcached, type MemcachedServer } from './support/memcached.js';

let memcached: MemcachedServer;

beforeAll(async () => {
  memcached = await startMemcached();
});
afterAll(async () => {
  await memcached?.stop();
});
afterEach(() => {
  vi.restoreAllMocks();
});

/** Answers `get <key>` with a value named after the key, after `delayMs`. */
function delayedGets(delayMs: number) {
  return (socket: net.Socket, data: Buffer) => {
    for (const line of data.toString('latin1').split('\r\n')) {
      const keys = line.startsWith('get ') ? line.slice(4).split(' ') : [];
      if (keys.length === 0) continue;
      const reply = keys.map((k) => `VALUE ${k} 16 ${k.length + 4}\r\nfor ${k}\r\n`).join('') + 'END\r\n';
      setTimeout(() => socket.writable && socket.write(reply), delayMs);
    }
  };
}

describe('connecting', () => {
  it('happens lazily, on the first call', async () => {
    const fake = await startFakeServer(delayedGets(0));
    const mc = new Client([fake.spec]);
    try {
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(fake.accepted).toBe(0);
      expect(await mc.get('k')).toBe('for k');
      expect(fake.accepted).toBe(1);
    } finally {
      await mc.close();
      await fake.close();
    }
  });

  it('to a port nobody listens on fails fast with a ConnectionError naming the server', async () => {
    const mc = new Client(['127.0.0.1:1']);
    try {
      const error = await mc.get('k').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConnectionError);
      expect(error).toMatchObject({ code: 'MEMCACHE_CONNECTION', server: '127.0.0.1:1 (1)' });
      expect((error as Error).message).toMatch(/ECONNREFUSED/);
    } finally {
      await mc.close();
    }
  });

  it('that cannot even be opened (TLS options Node refuses) fails the call with a ConnectionError', async () => {
    const mc = new Client([memcached.spec], { tls: { ca: 42 as unknown as string } });
    try {
      const error = await mc.get('k').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConnectionError);
      expect((error as Error).message).toMatch(/options\.ca/);
    } finally {
      await mc.close();
    }
  });

  it('that never completes its handshake fails with a ConnectTimeoutError after connectTimeout', async () => {
    const silent = await startFakeServer();
    const mc = new Client([silent.spec], { tls: true, connectTimeout: 150, timeout: 5000 });
    try {
      const started = performance.now();
      const outcomes = await Promise.allSettled([mc.get('a'), mc.set('b', 1)]);
      const elapsed = performance.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(140);
      expect(elapsed).toBeLessThan(1000);
      for (const outcome of outcomes) {
        const error = (outcome as PromiseRejectedResult).reason;
        expect(error).toBeInstanceOf(ConnectTimeoutError);
        expect(error).toBeInstanceOf(TimeoutError);
        expect(error).toMatchObject({ code: 'MEMCACHE_CONNECT_TIMEOUT', server: `${silent.spec} (1)` });
      }
      await eventually(() => silent.open === 0);
    } finally {
      await mc.close();
      await silent.close();
    }
  });
});

describe('an operation timeout', () => {
  let silent: FakeServer;
  beforeAll(async () => {
    silent = await startFakeServer();
  });
  afterAll(async () => silent?.close());

  it('rejects with a TimeoutError naming the server, destroys the connection and fails the rest in flight on it', async () => {
    const mc = new Client([silent.spec], { timeout: 5000 });
    try {
      const started = performance.now();
      const short = mc.get('short', { timeout: 100 }).catch((e: unknown) => e);
      const long = mc.set('long', 'v').catch((e: unknown) => e);
      const [shortError, longError] = await Promise.all([short, long]);
      expect(performance.now() - started).toBeLessThan(1000);
      expect(shortError).toBeInstanceOf(TimeoutError);
      expect(shortError).toMatchObject({ code: 'MEMCACHE_TIMEOUT', server: `${silent.spec} (1)` });
      expect(longError).toBeInstanceOf(ConnectionError);
      expect((longError as Error).cause).toBe(shortError);
      await eventually(() => silent.open === 0);
    } finally {
      await mc.close();
    }
  });

  it('is followed by a fresh connection for the next operation', async () => {
    const late = await startFakeServer((socket, data, connection) => {
      // The first connection answers too late; later ones answer at once.
      delayedGets(connection === 0 ? 300 : 0)(socket, data);
    });
    // Only the first call is short: the others have time for a new connection on a busy machine.
    const mc = new Client([late.spec], { timeout: 5000 });
    try {
      await expect(mc.get('first', { timeout: 100 })).rejects.toBeInstanceOf(TimeoutError);
      expect(await mc.get('second')).toBe('for second');
      expect(late.accepted).toBe(2);
      await new Promise((resolve) => setTimeout(resolve, 300)); // the late reply would arrive now
      expect(await mc.get('third')).toBe('for third');
    } finally {
      await mc.close();
      await late.close();
    }
  });
});

describe('a late reply', () => {
  it('never reaches another request', async () => {
    // Replies to the first get arrive after its timeout; a correct client must not hand them to the next request.
    const fake = await startFakeServer((socket, data, connection) => delayedGets(connection === 0 ? 150 : 0)(socket, data));
    const mc = new Client([fake.spec], { timeout: 100 });
    try {
      const outcomes = await Promise.allSettled([mc.get('a'), mc.get('b', { timeout: 1000 })]);
      expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
      expect(await mc.get('c')).toBe('for c');
    } finally {
      await mc.close();
      await fake.close();
    }
  });
});

describe('a server closing the connection', () => {
  it('while idle does not cost the next operation', async () => {
    const fake = await startFakeServer((socket, data) => {
      delayedGets(0)(socket, data);
      setTimeout(() => socket.end(), 10);
    });
    const mc = new Client([fake.spec]);
    try {
      expect(await mc.get('a')).toBe('for a');
      await eventually(() => fake.open === 0);
      await new Promise((resolve) => setImmediate(resolve));
      expect(await mc.get('b')).toBe('for b');
      expect(fake.accepted).toBe(2);
    } finally {
      await mc.close();
      await fake.close();
    }
  });

  it('with requests in flight fails them with a ConnectionError', async () => {
    const fake = await startFakeServer((socket) => socket.destroy());
    const mc = new Client([fake.spec]);
    try {
      const error = await mc.get('a').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConnectionError);
    } finally {
      await mc.close();
      await fake.close();
    }
  });
});

describe('a malformed reply', () => {
  it('is a ProtocolError for everything in flight, and the next operation reconnects', async () => {
    const fake = await startFakeServer((socket, data, connection) => {
      if (connection === 0) socket.write('VALUE a 0 1\r\nx\r\nGARBAGE!\r\n');
      else delayedGets(0)(socket, data);
    });
    const mc = new Client([fake.spec]);
    try {
      const outcomes = await Promise.allSettled([mc.get('a'), mc.gets('b'), mc.set('c', 1)]);
      expect(outcomes[0]).toEqual({ status: 'fulfilled', value: expect.any(Buffer) });
      for (const outcome of outcomes.slice(1)) expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(ProtocolError);
      expect(await mc.get('d')).toBe('for d');
    } finally {
      await mc.close();
      await fake.close();
    }
  });

  it('such as a VALUE for a key that was not asked is a ProtocolError', async () => {
    const fake = await startFakeServer((socket) => socket.write('VALUE other 0 1\r\nx\r\nEND\r\n'));
    const mc = new Client([fake.spec]);
    try {
      await expect(mc.get('mine')).rejects.toBeInstanceOf(ProtocolError);
    } finally {
      await mc.close();
      await fake.close();
    }
  });
});

describe('an AbortSignal', () => {
  it('already aborted rejects at once and sends nothing', async () => {
    const mc = new Client([memcached.spec]);
    try {
      await mc.get('warm');
      const write = vi.spyOn(net.Socket.prototype, 'write');
      const signal = AbortSignal.abort();
      for (const call of [mc.get('k', { signal }), mc.set('k', 1, { signal }), mc.getMulti(['k'], { signal }), mc.stats(undefined, { signal })]) {
        await expect(call).rejects.toBeInstanceOf(AbortError);
      }
      await new Promise((resolve) => setImmediate(resolve));
      expect(write).not.toHaveBeenCalled();
    } finally {
      await mc.close();
    }
  });

  it('aborted before the tick ends drops the request unsent', async () => {
    const fake = await startFakeServer(delayedGets(0));
    const mc = new Client([fake.spec]);
    try {
      await mc.get('warm');
      const controller = new AbortController();
      const aborted = mc.get('dropped', { signal: controller.signal });
      const kept = mc.set('kept', 'v', { noreply: true });
      controller.abort();
      await expect(aborted).rejects.toMatchObject({ code: 'MEMCACHE_ABORTED' });
      await kept;
      await eventually(() => fake.received[0].includes('kept'));
      expect(fake.received[0]).not.toContain('dropped');
    } finally {
      await mc.close();
      await fake.close();
    }
  });

  it('aborted in flight rejects at once, and its late reply is read and dropped: the connection stays usable', async () => {
    const fake = await startFakeServer(delayedGets(400));
    const mc = new Client([fake.spec]);
    try {
      await mc.get('warm');
      const controller = new AbortController();
      const started = performance.now();
      const aborted = mc.get('slow', { signal: controller.signal });
      setTimeout(() => controller.abort(), 20);
      await expect(aborted).rejects.toBeInstanceOf(AbortError);
      expect(performance.now() - started).toBeLessThan(300);
      expect(await mc.get('next')).toBe('for next');
      expect(fake.accepted).toBe(1);
    } finally {
      await mc.close();
      await fake.close();
    }
  });

  it('aborting one of merged gets leaves the others their results', async () => {
    const fake = await startFakeServer(delayedGets(30));
    const mc = new Client([fake.spec]);
    try {
      const controller = new AbortController();
      const calls = [mc.get('a'), mc.get('b', { signal: controller.signal }), mc.get('c')];
      controller.abort();
      const outcomes = await Promise.allSettled(calls);
      expect(outcomes[0]).toEqual({ status: 'fulfilled', value: 'for a' });
      expect((outcomes[1] as PromiseRejectedResult).reason).toBeInstanceOf(AbortError);
      expect(outcomes[2]).toEqual({ status: 'fulfilled', value: 'for c' });
    } finally {
      await mc.close();
      await fake.close();
    }
  });
});

describe('maxPending', () => {
  it('rejects calls past the bound at once with a QueueFullError', async () => {
    const silent = await startFakeServer();
    const mc = new Client([silent.spec], { maxPending: 2, timeout: 200, mergeGets: false });
    try {
      const outcomes = await Promise.allSettled([mc.get('a'), mc.get('b'), mc.get('c')]);
      expect((outcomes[2] as PromiseRejectedResult).reason).toBeInstanceOf(QueueFullError);
      expect((outcomes[0] as PromiseRejectedResult).reason).toBeInstanceOf(TimeoutError);
    } finally {
      await mc.close();
      await silent.close();
    }
  });
});

describe('close()', () => {
  it('lets requests in flight finish, then refuses new calls', async () => {
    const mc = new Client([memcached.spec]);
    await mc.set('close:k', 'v');
    const inFlight = mc.get('close:k');
    const closed = mc.close();
    expect(await inFlight).toBe('v');
    await closed;
    await expect(mc.get('close:k')).rejects.toBeInstanceOf(ClientClosedError);
    await expect(mc.getMulti(['close:k'])).rejects.toMatchObject({ code: 'MEMCACHE_CLIENT_CLOSED' });
    await mc.close(); // twice is fine
  });

  it.each(['auto', 'meta'] as const)(
    'lets calls of several steps made before it finish too (incr with initial, getItem, invalidate; protocol %s), on a fresh client and on a warm one',
    async (protocol) => {
      for (const warm of [false, true]) {
        const mc = new Client([memcached.spec], { protocol });
        if (warm) await mc.version();
        const key = `close:steps:${protocol}:${warm}:${process.pid}`;
        await mc.set(`${key}:item`, 'v');
        const calls = [mc.incr(key, 1, { initial: 5 }), mc.getItem(`${key}:item`), mc.invalidate(`${key}:item`)];
        const closed = mc.close();
        const [counter, item, invalidated] = await Promise.all(calls);
        expect([counter, (item as { value?: unknown } | undefined)?.value, invalidated]).toEqual([5, 'v', true]);
        await closed;
        await expect(mc.incr(key, 1, { initial: 5 })).rejects.toBeInstanceOf(ClientClosedError); // after close(): refused
      }
    },
  );

  it('of a client that never connected resolves at once', async () => {
    await new Client(['127.0.0.1:1']).close();
  });

  it('lets the process exit right away, whatever its connections went through', async () => {
    const silent = await startFakeServer();
    try {
      const { code, exitAfterMarker } = await runChild(
        `
        import { Client } from '../ts/index.js';
        const mc = new Client(process.env.MC_SPEC, { poolSize: 2 });
        await Promise.all(Array.from({ length: 20 }, (_, i) => mc.set('child' + i, i)));
        if ((await mc.get('child7')) !== 7) process.exit(3);
        const inFlight = mc.get('child1');
        const refused = new Client('127.0.0.1:1');
        await refused.get('x').catch(() => {});
        const stalled = new Client(process.env.SILENT_SPEC, { timeout: 100 });
        await stalled.get('x').catch(() => {});
        const idle = new Client(process.env.MC_SPEC);
        await Promise.all([mc.close(), refused.close(), stalled.close(), idle.close()]);
        if ((await inFlight) !== 1) process.exit(4);
        process.stdout.write('closed\\n');
        `,
        { MC_SPEC: memcached.spec, SILENT_SPEC: silent.spec },
        'closed',
        10_000,
      );
      expect(code).toBe(0);
      expect(exitAfterMarker).toBeDefined();
      expect(exitAfterMarker).toBeLessThan(500);
    } finally {
      await silent.close();
    }
  });
});

describe('close({ force: true }) and destroy()', () => {
  it('fail the calls in flight at once with a ClientClosedError instead of waiting out their timeout', async () => {
    const silent = await startFakeServer();
    const mc = new Client([silent.spec, memcached.spec], { timeout: 10_000 });
    try {
      const stalled = Promise.allSettled([mc.get(keyOn(mc, silent.spec)), mc.set(keyOn(mc, silent.spec), 'v')]);
      await eventually(() => silent.received.join('').includes('set '));
      const started = performance.now();
      await mc.close({ force: true });
      const outcomes = await stalled;
      expect(performance.now() - started).toBeLessThan(1000);
      for (const outcome of outcomes) expect((outcome as PromiseRejectedResult).reason).toMatchObject({ code: 'MEMCACHE_CLIENT_CLOSED' });
      await eventually(() => silent.open === 0);
      await expect(mc.get('x')).rejects.toBeInstanceOf(ClientClosedError);
    } finally {
      await silent.close();
    }
  });

  it('after a graceful close() still force the calls it waits for', async () => {
    const silent = await startFakeServer();
    const mc = new Client(silent.spec, { timeout: 10_000 });
    try {
      const stalled = mc.get('k').catch((error: unknown) => error);
      await eventually(() => silent.received.join('').includes('get k'));
      const graceful = mc.close();
      await mc.destroy();
      expect(await stalled).toMatchObject({ code: 'MEMCACHE_CLIENT_CLOSED' });
      await graceful;
    } finally {
      await silent.close();
    }
  });

  it('refuse a force that is not a boolean', async () => {
    const mc = new Client(memcached.spec);
    await expect(mc.close({ force: 'yes' as unknown as boolean })).rejects.toMatchObject({ code: 'MEMCACHE_BAD_ARGUMENT' });
    await mc.close();
  });
});

describe('connect()', () => {
  it('resolves once every server answered', async () => {
    const mc = new Client([memcached.spec]);
    try {
      await mc.connect();
      expect(mc.metrics().totals.ops.version).toBe(1);
    } finally {
      await mc.close();
    }
  });

  it('fails fast, naming the server, when one does not answer', async () => {
    const mc = new Client([memcached.spec, '127.0.0.1:1'], { timeout: 10_000 });
    try {
      const started = performance.now();
      await expect(mc.connect()).rejects.toMatchObject({ code: 'MEMCACHE_CONNECTION', server: '127.0.0.1:1 (1)' });
      expect(performance.now() - started).toBeLessThan(1000);
    } finally {
      await mc.close();
    }
  });
});

describe('unref', () => {
  it('lets a script that never calls close() exit once its calls are done, and holds it while one waits', async () => {
    const slow = await startFakeServer(delayedGets(300));
    try {
      const { code, stdout, exitAfterMarker } = await runChild(
        `
        import { Client } from '../ts/index.js';
        const mc = new Client(process.env.MC_SPEC, { unref: true });
        if (!(await mc.set('unref:k', 'v'))) process.exit(3);
        const late = new Client(process.env.SLOW_SPEC, { unref: true });
        process.stdout.write((await late.get('slow')) + '\\n');
        process.stdout.write('done\\n');
        `,
        { MC_SPEC: memcached.spec, SLOW_SPEC: slow.spec },
        'done',
        10_000,
      );
      expect(code).toBe(0);
      expect(stdout).toContain('for slow');
      expect(exitAfterMarker).toBeLessThan(500);
    } finally {
      await slow.close();
    }
  });
});

/** A key that `mc` routes to the server `spec`. */
function keyOn(mc: Client, spec: string): string {
  for (let i = 0; ; i++) if (mc.serverFor(`k${i}`).startsWith(spec)) return `k${i}`;
}
