/**
 * AbortSignal, on every call: an aborted call rejects at once with an AbortError. Aborted before
 * it is sent, nothing is sent; in flight, its reply is read and dropped when it comes, and the
 * connection goes on serving; with its reply half read and nobody else waiting, the connection
 * is closed instead and the next call opens a fresh one.
 */
import { pbkdf2, randomBytes } from 'node:crypto';
import diagnostics from 'node:diagnostics_channel';
import { getEventListeners } from 'node:events';
import net from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AbortError, CHANNELS, Client, type CommandMessage } from '../ts/index.js';
import { eventually, startFakeServer, type FakeServer } from './support/fake-server.js';
import { startFaultProxy } from './support/fault-proxy.js';
import { useServerAndClient } from './support/server-and-client.js';

const ctx = useServerAndClient();

afterEach(() => {
  vi.restoreAllMocks();
});

type Call = (mc: Client, signal: AbortSignal) => Promise<unknown>;

/** Every call of the API, each with the signal. */
const CALLS: [string, Call][] = [
  ['set', (mc, signal) => mc.set('ab:k', 'v', { signal })],
  ['add', (mc, signal) => mc.add('ab:new', 'v', { signal })],
  ['replace', (mc, signal) => mc.replace('ab:k', 'v', { signal })],
  ['append', (mc, signal) => mc.append('ab:k', 'x', { signal })],
  ['prepend', (mc, signal) => mc.prepend('ab:k', 'x', { signal })],
  ['cas', (mc, signal) => mc.cas('ab:k', 'v', 1n, { signal })],
  ['get', (mc, signal) => mc.get('ab:k', { signal })],
  ['gets', (mc, signal) => mc.gets('ab:k', { signal })],
  ['gat', (mc, signal) => mc.gat('ab:k', 100, { signal })],
  ['gats', (mc, signal) => mc.gats('ab:k', 100, { signal })],
  ['getMulti', (mc, signal) => mc.getMulti(['ab:k', 'ab:other'], { signal })],
  ['setMulti', (mc, signal) => mc.setMulti([['ab:m1', 1], ['ab:m2', 2]], { signal })],
  ['delete', (mc, signal) => mc.delete('ab:gone', { signal })],
  ['deleteMulti', (mc, signal) => mc.deleteMulti(['ab:gone', 'ab:gone2'], { signal })],
  ['incr', (mc, signal) => mc.incr('ab:n', 1, { signal })],
  ['decr', (mc, signal) => mc.decr('ab:n', 1, { signal })],
  ['touch', (mc, signal) => mc.touch('ab:k', 100, { signal })],
  ['stats', (mc, signal) => mc.stats(undefined, { signal })],
  ['version', (mc, signal) => mc.version({ signal })],
  ['flushAll', (mc, signal) => mc.flushAll(0, { signal })],
];

describe('an already aborted signal', () => {
  it.each(CALLS)('makes %s reject at once with an AbortError, sending nothing', async (_name, call) => {
    const mc = new Client(ctx.server.spec);
    try {
      await mc.version(); // connected
      const write = vi.spyOn(net.Socket.prototype, 'write');
      const error = await call(mc, AbortSignal.abort()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AbortError);
      expect(error).toMatchObject({ code: 'MEMCACHE_ABORTED' });
      await new Promise((resolve) => setImmediate(resolve));
      expect(write).not.toHaveBeenCalled();
    } finally {
      await mc.close();
    }
  });
});

describe('a signal aborted while the call is in flight', () => {
  it.each(CALLS)('makes %s reject at once; its late reply is dropped and the connection serves the next call', async (_name, call) => {
    const proxy = await startFaultProxy({ target: { host: '127.0.0.1', port: ctx.server.port } });
    const mc = new Client(`127.0.0.1:${proxy.port}`, { timeout: 2000 });
    try {
      await ctx.client.setMulti([['ab:k', 'v'], ['ab:n', '5'], ['ab:probe', 'probe value']]);
      await mc.version();
      proxy.setMode({ kind: 'delay', ms: 150, direction: 'toClient' });
      const sent = proxy.stats.bytesToServer;
      const controller = new AbortController();
      const outcome = call(mc, controller.signal).catch((e: unknown) => e);
      await eventually(() => proxy.stats.bytesToServer > sent); // the command reached the server
      const replied = proxy.stats.bytesToClient;
      controller.abort();
      expect(await outcome).toBeInstanceOf(AbortError);
      expect(proxy.stats.bytesToClient).toBe(replied); // at once: its reply, delayed 150 ms, had not come
      // The reply to the aborted call comes first on this connection: it must not answer this one.
      await ctx.client.set('ab:probe', 'probe value');
      expect(await mc.get('ab:probe')).toBe('probe value');
      expect(proxy.stats.accepted).toBe(1);
    } finally {
      await mc.close();
      await proxy.close();
    }
  });

  it('aborted with its reply half read and nobody else waiting, the connection is closed; the next call opens a fresh one', async () => {
    const fake = await startFakeServer((socket, data, connection) => {
      const text = data.toString('latin1');
      if (connection === 0 && text.startsWith('get big')) socket.write('VALUE big 0 100\r\n0123456789'); // ... and no more
      else if (text.startsWith('get ')) socket.write(`VALUE ${text.slice(4, -2)} 0 2\r\nok\r\nEND\r\n`);
    });
    const mc = new Client(fake.spec, { timeout: 2000 });
    try {
      const controller = new AbortController();
      const big = mc.get('big', { signal: controller.signal }).catch((e: unknown) => e);
      await eventually(() => fake.received[0]?.includes('get big'));
      await new Promise((resolve) => setTimeout(resolve, 20)); // the half reply is in
      controller.abort();
      expect(await big).toBeInstanceOf(AbortError);
      await eventually(() => fake.open === 0);
      expect(String(await mc.get('small'))).toBe('ok');
      expect(fake.accepted).toBe(2);
    } finally {
      await mc.close();
      await fake.close();
    }
  });

  it('aborted with its reply half read while another call waits behind it, the reply is read to its end and dropped', async () => {
    let sendTheRest: (() => void) | undefined; // the test calls it once it has aborted
    const fake = await startFakeServer((socket, data) => {
      const text = data.toString('latin1');
      if (!text.includes('get big')) return;
      socket.write('VALUE big 0 10\r\n01234');
      sendTheRest = () => socket.write('56789\r\nEND\r\nVALUE small 0 2\r\nok\r\nEND\r\n');
    });
    const mc = new Client(fake.spec, { timeout: 2000, mergeGets: false });
    try {
      const controller = new AbortController();
      const big = mc.get('big', { signal: controller.signal }).catch((e: unknown) => e);
      const small = mc.get('small');
      await eventually(() => fake.received[0]?.includes('get small'));
      await new Promise((resolve) => setTimeout(resolve, 20)); // the half reply is in
      controller.abort();
      sendTheRest?.();
      expect(await big).toBeInstanceOf(AbortError);
      expect(String(await small)).toBe('ok');
      expect(fake.accepted).toBe(1);
      expect(fake.open).toBe(1);
    } finally {
      await mc.close();
      await fake.close();
    }
  });

  it('aborted while the server never answers, the connection still times out: close() is not held up', async () => {
    const silent = await startFakeServer();
    const mc = new Client(silent.spec, { timeout: 200 });
    try {
      const controller = new AbortController();
      const call = mc.get('k', { signal: controller.signal }).catch((e: unknown) => e);
      await eventually(() => silent.received[0]?.includes('get k'));
      controller.abort();
      expect(await call).toBeInstanceOf(AbortError);
      const started = performance.now();
      await mc.close();
      expect(performance.now() - started).toBeLessThan(200 + 400);
      await eventually(() => silent.open === 0);
    } finally {
      await silent.close();
    }
  });

  it('aborted after the call settled changes nothing', async () => {
    const mc = new Client(ctx.server.spec);
    try {
      const controller = new AbortController();
      await ctx.client.set('ab:k', 'v');
      expect(await mc.get('ab:k', { signal: controller.signal })).toBe('v');
      controller.abort();
      expect(await mc.get('ab:k')).toBe('v');
    } finally {
      await mc.close();
    }
  });
});

describe('a signal aborted between the steps of a call', () => {
  it('a step made after the abort is never sent: incr with initial, aborted as its version probe ends, creates no counter', async () => {
    const mc = new Client(ctx.server.spec, { protocol: 'auto' }); // asks `version` before a meta-only call
    const controller = new AbortController();
    const abortAfterVersion = (message: unknown): void => {
      if ((message as CommandMessage).command === 'version') controller.abort();
    };
    diagnostics.subscribe(CHANNELS.commandEnd, abortAfterVersion);
    try {
      const key = `ab:counter:${process.pid}`;
      await ctx.client.delete(key);
      const outcome = await mc.incr(key, 1, { initial: 10, signal: controller.signal }).catch((e: unknown) => e);
      expect(controller.signal.aborted).toBe(true);
      expect(outcome).toBeInstanceOf(AbortError);
      expect(await ctx.client.get(key)).toBeUndefined(); // the counter step was never written
    } finally {
      diagnostics.unsubscribe(CHANNELS.commandEnd, abortAfterVersion);
      await mc.close();
    }
  });

  it("invalidate on a server not asked yet (auto), aborted while its version probe waits, rejects at once", async () => {
    const fake = await startFakeServer(() => {}, { meta: true }); // says it speaks meta, then never answers `version`
    await expectAbortedAtOnce(fake, 'version', (mc, signal) => mc.invalidate('stale-me', { signal }));
  });

  it('aborted while a 0-byte value is asked about again (mg: a lease placeholder?), rejects at once', async () => {
    const fake = await startFakeServer(
      (socket, data) => {
        if (data.toString('latin1').includes('get empty')) socket.write('VALUE empty 0 0\r\n\r\nEND\r\n'); // the mg that follows is never answered
      },
      { meta: true },
    );
    await expectAbortedAtOnce(fake, 'mg empty', (mc, signal) => mc.get('empty', { signal }));
  });
});

/** Runs `call` on an 'auto' client of `fake`, aborts it once `fake` got `awaited`, and expects an AbortError at once; closes both. */
async function expectAbortedAtOnce(fake: FakeServer, awaited: string, call: (mc: Client, signal: AbortSignal) => Promise<unknown>): Promise<void> {
  const mc = new Client(fake.spec, { protocol: 'auto', timeout: 3000 });
  try {
    const controller = new AbortController();
    const outcome = call(mc, controller.signal).catch((e: unknown) => e);
    await eventually(() => fake.received[0]?.includes(awaited));
    const started = performance.now();
    controller.abort();
    expect(await outcome).toBeInstanceOf(AbortError);
    expect(performance.now() - started).toBeLessThan(100);
  } finally {
    await mc.destroy();
    await fake.close();
  }
}

describe('a signal aborted while the value is decompressed off the main thread', () => {
  it('makes get and getMulti reject at once, the value dropped when it is ready', async () => {
    const mc = new Client(ctx.server.spec, { compressionThreshold: 1000, offloadThreshold: 1000 });
    try {
      await mc.set('ab:big', randomBytes(60_000).toString('base64')); // compressed, and read back compressed
      // Every thread of libuv's pool busy for a while: the decompression waits its turn.
      const threads = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
      const busy = Array.from({ length: threads }, () => new Promise((resolve) => pbkdf2('x', 'y', 1_000_000, 32, 'sha256', resolve)));
      const controller = new AbortController();
      const calls = [mc.get('ab:big', { signal: controller.signal }), mc.getMulti(['ab:big'], { signal: controller.signal })].map((call) =>
        call.catch((e: unknown) => e),
      );
      await new Promise((resolve) => setTimeout(resolve, 30)); // the reply is in, its value waits for a thread
      const started = performance.now();
      controller.abort();
      for (const outcome of await Promise.all(calls)) expect(outcome).toBeInstanceOf(AbortError);
      expect(performance.now() - started).toBeLessThan(100);
      await Promise.all(busy);
      expect(await mc.get('ab:big')).toHaveLength(80_000); // the connection serves on
    } finally {
      await mc.close();
    }
  });
});

describe('one signal shared by many concurrent calls', () => {
  const SHARED: Call[] = [
    (mc, signal) => mc.get('ab:k', { signal }),
    (mc, signal) => mc.set('ab:k', 'v', { signal }),
    (mc, signal) => mc.getMulti(['ab:k', 'ab:other'], { signal }),
    (mc, signal) => mc.fetch('ab:fetched', () => 'loaded', { ttl: 60, signal }), // the first starts a flight, the rest join it
    (mc, signal) => mc.fetch('ab:k', () => 'loaded', { ttl: 60, signal }),
  ];

  type Proxy = Awaited<ReturnType<typeof startFaultProxy>>;

  /** Runs `body` with a client behind a proxy that holds each reply `delayMs` before passing it on. */
  async function behindDelay(delayMs: number, body: (mc: Client, proxy: Proxy) => Promise<void>): Promise<void> {
    const proxy = await startFaultProxy({ target: { host: '127.0.0.1', port: ctx.server.port } });
    const mc = new Client(`127.0.0.1:${proxy.port}`, { timeout: 2000 });
    try {
      await ctx.client.set('ab:k', 'v');
      await ctx.client.delete('ab:fetched');
      await mc.version();
      proxy.setMode({ kind: 'delay', ms: delayMs, direction: 'toClient' });
      await body(mc, proxy);
    } finally {
      await mc.close();
      await proxy.close();
    }
  }

  /** 100 calls of every kind with one signal, once they reached the server. */
  async function inFlight(mc: Client, signal: AbortSignal, proxy: Proxy): Promise<Promise<unknown>[]> {
    const sent = proxy.stats.bytesToServer;
    const calls = Array.from({ length: 100 }, (_, i) => SHARED[i % SHARED.length](mc, signal).catch((e: unknown) => e));
    await eventually(() => proxy.stats.bytesToServer > sent);
    return calls;
  }

  it('adds one abort listener to it, whatever their number, and Node never warns of a leak', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning);
    process.on('warning', onWarning);
    try {
      await behindDelay(100, async (mc, proxy) => {
        const controller = new AbortController();
        const calls = await inFlight(mc, controller.signal, proxy);
        expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
        for (const outcome of await Promise.all(calls)) expect(outcome).not.toBeInstanceOf(Error);
        expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0); // left as it was found
        await new Promise((resolve) => setImmediate(resolve));
        expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
      });
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('aborted, rejects every one of them at once with an AbortError', async () => {
    await behindDelay(300, async (mc, proxy) => {
      const controller = new AbortController();
      const calls = await inFlight(mc, controller.signal, proxy);
      const started = performance.now();
      controller.abort();
      for (const outcome of await Promise.all(calls)) expect(outcome).toBeInstanceOf(AbortError);
      expect(performance.now() - started).toBeLessThan(100);
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
      proxy.setMode({ kind: 'pass' });
      expect(await mc.set('ab:after', 'ok', { signal: new AbortController().signal })).toBe(true);
    });
  });

  it('a call on another signal is not told when this one aborts', async () => {
    await behindDelay(100, async (mc, proxy) => {
      const [aborted, other] = [new AbortController(), new AbortController()];
      const sent = proxy.stats.bytesToServer;
      const gone = mc.get('ab:k', { signal: aborted.signal }).catch((e: unknown) => e);
      const kept = mc.get('ab:k', { signal: other.signal });
      await eventually(() => proxy.stats.bytesToServer > sent);
      aborted.abort();
      expect(await gone).toBeInstanceOf(AbortError);
      expect(await kept).toBe('v');
      expect(getEventListeners(other.signal, 'abort')).toHaveLength(0);
    });
  });
});
