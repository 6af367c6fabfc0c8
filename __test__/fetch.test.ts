/**
 * fetch and invalidate against real memcached: the in-process single flight, the server's leases
 * between clients (each client stands for a process: its own single flight), serve-stale after
 * invalidate, early recache, loader errors and undefined, placeholders never read as values, the
 * text protocol's fallback, metrics and diagnostics. Processes of their own: fetch-processes.test.ts.
 */
import diagnostics from 'node:diagnostics_channel';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import v8 from 'node:v8';
import vm from 'node:vm';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ArgumentError, CHANNELS, Client, LeaseTimeoutError, LoaderError, SerializeError, type ClientOptions, type FetchMessage } from '../ts/index.js';
import { startFakeServer } from './support/fake-server.js';
import { startFaultProxy } from './support/fault-proxy.js';
import { runChild } from './support/child.js';
import { startInterleaveProxy } from './support/interleave-proxy.js';
import { startMemcached } from './support/memcached.js';
import { inspect, plant, raw } from './support/raw.js';
import { useServerAndClient } from './support/server-and-client.js';
import { written } from './support/written.js';

const ctx = useServerAndClient({ client: { protocol: 'meta' } });
/** A second client: another process, as far as leases go (its own single flight). */
let other: Client;

beforeAll(() => {
  other = new Client(ctx.server.spec, { protocol: 'meta' });
});
afterAll(async () => {
  await other.close();
});
afterEach(() => {
  vi.restoreAllMocks();
});

let keys = 0;
const freshKey = (name: string): string => `fetch:${name}:${++keys}:${process.pid}`;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Gate<T> {
  readonly promise: Promise<T>;
  open(value: T): void;
  fail(error: unknown): void;
}

/** A promise the test settles: a loader that takes as long as the test wants. */
function gate<T>(): Gate<T> {
  let open!: (value: T) => void;
  let fail!: (error: unknown) => void;
  const promise = new Promise<T>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  return { promise, open, fail };
}

/** Resolves once memcached holds a lease placeholder for `key` (someone won it and is loading). */
async function leaseTaken(key: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (/^VA 0 .*Z\r\n/.test((await raw(ctx.server, `mg ${key} v\r\n`)).toString('latin1'))) return;
    await sleep(5);
  }
  throw new Error(`no lease on ${key}`);
}

/** A fresh key whose lease `ctx.client` holds, its loader waiting on `holding`: what it resolves with, `holder` stores (undefined gives the lease back). */
async function leaseHeld(name: string): Promise<{ key: string; holding: Gate<string | undefined>; holder: Promise<unknown> }> {
  const key = freshKey(name);
  const holding = gate<string | undefined>();
  const holder = ctx.client.fetch(key, () => holding.promise, { ttl: 60 });
  await leaseTaken(key);
  return { key, holding, holder };
}

/**
 * Two calls of `key` in `waiter`, sharing one flight with waitTimeout 350: it asks at about 0, 5,
 * 15, 35, 75, 155 and 255 ms, the last at the 350 ms deadline. Each call's value or error.
 */
function twoCallsOnOneFlight(waiter: Client, key: string, loader: () => unknown): Promise<unknown[]> {
  const calls = [waiter.fetch(key, loader, { ttl: 60, waitTimeout: 350 }), waiter.fetch(key, loader, { ttl: 60, waitTimeout: 350 })];
  return Promise.all(calls.map((call) => call.catch((e: unknown) => e)));
}


const totals = (mc: Client) => mc.metrics().totals;

describe('single flight in one process', () => {
  it('500 concurrent fetches of a missing key run the loader once, on one lease request, and all get its value', async () => {
    const key = freshKey('herd');
    let loads = 0;
    const before = totals(ctx.client).ops.fetch;
    const results = await Promise.all(
      Array.from({ length: 500 }, () =>
        ctx.client.fetch(key, async () => {
          loads++;
          await sleep(20);
          return { id: 7 };
        }, { ttl: 60 }),
      ),
    );
    expect(loads).toBe(1);
    expect(results.every((r) => r.id === 7)).toBe(true);
    expect(totals(ctx.client).ops.fetch - before).toBe(2); // the lease get and the store, nothing else
    expect(await ctx.client.get(key)).toEqual({ id: 7 });
  });

  it("a caller that aborts stops waiting alone (an AbortError naming the key's server): the load goes on for the others and is stored", async () => {
    const key = freshKey('abort');
    const loading = gate<string>();
    const controller = new AbortController();
    const leaving = ctx.client.fetch(key, () => loading.promise, { ttl: 60, signal: controller.signal });
    const staying = ctx.client.fetch(key, () => 'never', { ttl: 60 });
    controller.abort();
    await expect(leaving).rejects.toMatchObject({ code: 'MEMCACHE_ABORTED', server: ctx.client.serverFor(key) });
    loading.open('loaded');
    expect(await staying).toBe('loaded');
    expect(await other.get(key)).toBe('loaded');
  });

  it('a value stored by set is returned without the loader, and get / getMulti read what fetch stored', async () => {
    const key = freshKey('set');
    await ctx.client.set(key, 'from set', { ttl: 60 });
    expect(await ctx.client.fetch(key, () => expect.unreachable('loader'), { ttl: 60 })).toBe('from set');
    const loaded = freshKey('loaded');
    await ctx.client.fetch(loaded, () => [1, 'two', { three: 3n }], { ttl: 60 });
    expect(await other.get(loaded)).toEqual([1, 'two', { three: 3n }]);
    expect([...(await other.getMulti([loaded, key]))]).toEqual([[loaded, [1, 'two', { three: 3n }]], [key, 'from set']]);
  });

  it('an ended fetch keeps nothing of its value: once its callers let go of it, it can be collected', async () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const [hit, loaded] = [freshKey('collected-hit'), freshKey('collected-loaded')];
    await ctx.client.set(hit, { big: 'x'.repeat(1000) }, { ttl: 60 });
    // The flights stay in the client's registry after they end (flight-registry.ts): only they could hold the values.
    const values = [
      new WeakRef((await ctx.client.fetch(hit, () => expect.unreachable('loader'), { ttl: 60 })) as object),
      new WeakRef((await ctx.client.fetch(loaded, () => ({ big: 'y'.repeat(1000) }), { ttl: 60 })) as object),
    ];
    for (let i = 0; i < 5 && values.some((ref) => ref.deref() !== undefined); i++) {
      await sleep(0);
      gc();
    }
    expect(values.map((ref) => ref.deref())).toEqual([undefined, undefined]);
  });
});

describe('leases between clients', () => {
  it('a client that finds the lease taken waits for the winner\'s value; its loader never runs', async () => {
    const key = freshKey('wait');
    const loading = gate<string>();
    const winner = ctx.client.fetch(key, () => loading.promise, { ttl: 60 });
    await leaseTaken(key);
    const waiters = Array.from({ length: 20 }, () => other.fetch(key, () => expect.unreachable('loader'), { ttl: 60 }));
    await sleep(30);
    loading.open('won');
    expect(await winner).toBe('won');
    expect(await Promise.all(waiters)).toEqual(Array(20).fill('won'));
  });

  it('a loader error rejects the winner and its joiners with a LoaderError (cause: the error, server: the key\'s) and releases the lease at once', async () => {
    const key = freshKey('error');
    const loading = gate<string>();
    const boom = new Error('database down');
    const winner = ctx.client.fetch(key, () => loading.promise, { ttl: 60 });
    const joiner = ctx.client.fetch(key, () => 'never', { ttl: 60 });
    await leaseTaken(key);
    // Another process waiting: it takes the lease once released, and loads.
    const waiting = other.fetch(key, () => 'loaded by the waiter', { ttl: 60 });
    await sleep(20);
    const failedAt = performance.now();
    loading.fail(boom);
    const error = await winner.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LoaderError);
    expect(error).toMatchObject({ code: 'MEMCACHE_LOADER', cause: boom, server: ctx.client.serverFor(key) });
    await expect(joiner).rejects.toBe(error);
    expect(await waiting).toBe('loaded by the waiter');
    expect(performance.now() - failedAt).toBeLessThan(1000); // not lockTtl (30 s)
    // And a next fetch in this client loads again at once instead of waiting out the lease.
    const next = freshKey('error-next');
    await expect(ctx.client.fetch(next, () => Promise.reject(boom), { ttl: 60 })).rejects.toBeInstanceOf(LoaderError);
    const started = performance.now();
    expect(await ctx.client.fetch(next, () => 'second try', { ttl: 60 })).toBe('second try');
    expect(performance.now() - started).toBeLessThan(500);
  });

  it('a loader that rejects with anything (undefined, an object String() cannot show) rejects with a LoaderError whose cause is exactly that', async () => {
    const unshowable = [Object.create(null) as object, { toString: () => { throw new Error('no text'); } }, undefined, null, 42];
    for (const thrown of unshowable) {
      const key = freshKey('odd-rejection');
      const error = await ctx.client.fetch(key, () => Promise.reject(thrown), { ttl: 60 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LoaderError);
      expect(error).toMatchObject({ code: 'MEMCACHE_LOADER', server: ctx.client.serverFor(key) });
      expect('cause' in (error as object)).toBe(true);
      expect((error as LoaderError).cause).toBe(thrown);
    }
  });

  it("a winner's store that fails still hands the caller its value, and gives the lease back (md with the cas won)", async () => {
    const fake = await startFakeServer(
      (socket, data) => {
        for (const line of data.toString('latin1').split('\r\n')) {
          const opaque = / (O\d+)/.exec(line)?.[1] ?? '';
          if (line.startsWith('mg ')) socket.write(`VA 0 f0 c77 W ${opaque}\r\n\r\n`); // a miss: the lease is this caller's
          else if (line.startsWith('ms ')) socket.write('SERVER_ERROR out of memory storing object\r\n');
          else if (line.startsWith('md ')) socket.write(`HD ${opaque}\r\n`);
        }
      },
      { meta: true },
    );
    const mc = new Client(fake.spec, { protocol: 'meta' });
    try {
      expect(await mc.fetch('failing-store', () => 'loaded', { ttl: 60 })).toBe('loaded');
      const released = fake.received.join('').split('\r\n').filter((line) => line.startsWith('md failing-store '));
      expect(released).toEqual([expect.stringMatching(/ C77( |$)/)]);
    } finally {
      await mc.close();
      await fake.close();
    }
  });

  it('a value the client refuses as too large rejects the flight with a ValueTooLargeError, compressed on the main thread or off it, and the lease goes back at once', async () => {
    const incompressible = randomBytes(50_000);
    for (const protocol of ['meta', 'text'] as const) {
      for (const offloadThreshold of [0, 32_768]) {
        const mc = new Client(ctx.server.spec, { protocol, maxValueLength: 40_000, compressionThreshold: 1_000, offloadThreshold });
        try {
          const key = freshKey(`too-large-${protocol}-${offloadThreshold}`);
          const calls = [mc.fetch(key, () => incompressible, { ttl: 60 }), mc.fetch(key, () => incompressible, { ttl: 60 })];
          const outcomes = await Promise.all(calls.map((call) => call.catch((e: unknown) => e)));
          expect(outcomes.map((e) => (e as { code?: string }).code), `${protocol}, offloadThreshold ${offloadThreshold}`).toEqual([
            'MEMCACHE_VALUE_TOO_LARGE',
            'MEMCACHE_VALUE_TOO_LARGE',
          ]);
          // Its lease was won on the key's server, which the error names as every error of a fetch does.
          expect(outcomes.map((e) => (e as { server?: string }).server)).toEqual([mc.serverFor(key), mc.serverFor(key)]);
          expect(await mc.fetch(key, () => 'next', { ttl: 60, waitTimeout: 2_000 })).toBe('next');
        } finally {
          await mc.close();
        }
      }
    }
  });

  it("a serializer of the caller's that throws rejects every caller with a SerializeError (its cause, the throw), and the lease goes back at once", async () => {
    const thrown = new Error('cannot write this');
    for (const protocol of ['meta', 'text'] as const) {
      const mc = new Client(ctx.server.spec, { protocol, serializer: { serialize: () => { throw thrown; }, deserialize: (bytes: Buffer) => bytes } });
      try {
        const key = freshKey(`serializer-throws-${protocol}`);
        const errors = await Promise.all([0, 1].map(() => mc.fetch(key, () => 'v', { ttl: 60, lockTtl: 10 }).catch((e: unknown) => e)));
        for (const error of errors) {
          expect(error, protocol).toBeInstanceOf(SerializeError);
          expect((error as SerializeError).cause).toBe(thrown);
          expect((error as SerializeError).server, protocol).toBe(mc.serverFor(key));
        }
        const started = performance.now(); // the lease went back: another client loads at once
        expect(await other.fetch(key, () => 'next', { ttl: 60, lockTtl: 10 })).toBe('next');
        expect(performance.now() - started).toBeLessThan(1_000);
      } finally {
        await mc.close();
      }
    }
  });

  it("a coded error a caller's serializer throws (one for every call, frozen) names the key's server in a copy, the serializer's own left as it was; one that throws what String() cannot show is a SerializeError, and so is a deserializer's a DeserializeError", async () => {
    const shared = Object.freeze(new SerializeError('refused by policy'));
    const unshowable = Object.create(null) as object;
    for (const protocol of ['meta', 'text'] as const) {
      for (const [thrown, code] of [[shared, 'MEMCACHE_SERIALIZE'], [unshowable, 'MEMCACHE_SERIALIZE']] as const) {
        const mc = new Client(ctx.server.spec, { protocol, serializer: { serialize: () => { throw thrown; }, deserialize: () => { throw unshowable; } } });
        try {
          const key = freshKey(`serializer-own-error-${protocol}`);
          const error = await mc.fetch(key, () => 'v', { ttl: 60, lockTtl: 10 }).catch((e: unknown) => e);
          expect(error, protocol).toBeInstanceOf(SerializeError);
          expect(error, protocol).toMatchObject({ code, server: mc.serverFor(key) });
          if (thrown === shared) expect((error as SerializeError).message).toBe('refused by policy');
          else expect((error as SerializeError).cause).toBe(unshowable);
          // A hit whose value the deserializer cannot read.
          await ctx.client.set(key, 'stored by another client', { ttl: 60 });
          await expect(mc.fetch(key, () => 'v', { ttl: 60 }), protocol).rejects.toMatchObject({ code: 'MEMCACHE_DESERIALIZE', cause: unshowable, server: mc.serverFor(key) });
        } finally {
          await mc.close();
        }
      }
      expect(shared.server).toBeUndefined();
    }
  });

  it('a store memcached refuses for its size fails alone: the winners stored with it count no error and give back no lease', async () => {
    const small = await startMemcached({ args: ['-I', '4k', '-o', 'slab_chunk_max=2048'] });
    const mc = new Client(small.spec, { protocol: 'meta' });
    try {
      const keys = [0, 1, 2, 3].map((i) => freshKey(`refused-store-${i}`));
      const valueOf = (i: number): string => (i === 1 ? 'B'.repeat(10_000) : `v${i}`);
      let results: unknown[] = [];
      const wire = await written(async () => {
        results = await Promise.all(keys.map((key, i) => mc.fetch(key, async () => valueOf(i), { ttl: 60 })));
      });
      expect(results).toEqual(keys.map((_, i) => valueOf(i)));
      expect(await Promise.all(keys.map((key) => mc.get(key)))).toEqual(['v0', undefined, 'v2', 'v3']);
      expect(mc.metrics().totals.errors).toBe(1);
      const released = wire.split('\r\n').filter((line) => line.startsWith('md '));
      expect(released).toEqual([expect.stringMatching(new RegExp(`^md ${keys[1]} C\\d+ `))]);
    } finally {
      await mc.close();
      await small.stop();
    }
  });

  it('a loader that finishes within lockTtl keeps its lease to the end, whatever the phase of memcached\'s clock: its value is stored', async () => {
    // memcached's clock ticks once a second: a lease asked for with N1 lives 0-1 s. Of four 700 ms
    // loads started 250 ms apart, at most two would start within 300 ms after a tick and keep it.
    const keys = [0, 1, 2, 3].map((i) => freshKey(`whole-lease-${i}`));
    const values = await Promise.all(
      keys.map(async (key, i) => {
        await sleep(250 * i);
        return ctx.client.fetch(key, async () => (await sleep(700), `loaded ${key}`), { ttl: 60, lockTtl: 1 });
      }),
    );
    expect(values).toEqual(keys.map((key) => `loaded ${key}`));
    const stored = await ctx.client.getMulti(keys);
    expect(keys.map((key) => stored.get(key))).toEqual(values);
  });

  it('a loader that resolves undefined stores nothing: waiters get undefined, the key stays a miss, the next fetch loads again', async () => {
    const key = freshKey('undefined');
    const loading = gate<undefined>();
    let loads = 0;
    const calls = Array.from({ length: 10 }, () =>
      ctx.client.fetch(key, () => {
        loads++;
        return loading.promise;
      }, { ttl: 60 }),
    );
    await leaseTaken(key);
    const waiting = other.fetch(key, () => undefined, { ttl: 60 });
    loading.open(undefined);
    expect(await Promise.all(calls)).toEqual(Array(10).fill(undefined));
    expect(await waiting).toBeUndefined();
    expect(loads).toBe(1);
    expect(await ctx.client.get(key)).toBeUndefined();
    expect((await raw(ctx.server, `mg ${key} v\r\n`)).toString()).toBe('EN\r\n');
    // Negative caching: a value that stands for "none", such as null, is stored like any other.
    expect(await ctx.client.fetch(key, () => null, { ttl: 60 })).toBeNull();
    expect(await ctx.client.fetch(key, () => expect.unreachable('loader'), { ttl: 60 })).toBeNull();
  });

  it.each([
    ['in another client (process)', () => other],
    ['in the winner\'s own client (sharing its flight)', () => ctx.client],
  ])('a caller %s waits at most waitTimeout for the winner\'s value, then rejects with a LeaseTimeoutError', async (_where, waiting) => {
    const key = freshKey('timeout');
    const loading = gate<string>();
    const winner = ctx.client.fetch(key, () => loading.promise, { ttl: 60 });
    await leaseTaken(key);
    const started = performance.now();
    const error = await waiting().fetch(key, () => 'never', { ttl: 60, waitTimeout: 150 }).catch((e: unknown) => e);
    const waited = performance.now() - started;
    expect(error).toBeInstanceOf(LeaseTimeoutError);
    expect(error).toMatchObject({ code: 'MEMCACHE_LEASE_TIMEOUT', server: other.serverFor(key) });
    expect(waited).toBeGreaterThanOrEqual(145);
    expect(waited).toBeLessThan(400);
    loading.open('late');
    expect(await winner).toBe('late');
  });

  it.each([
    ['stores its value', 'stored', 'stored', 0],
    ['gives the lease back', undefined, 'rescued', 1],
  ])('a winner elsewhere that %s just before the waiters\' last ask: every caller sharing that ask gets what it brings', async (_what, holderValue, expected, rescues) => {
    const { key, holding, holder } = await leaseHeld('last-ask');
    const waiter = new Client(ctx.server.spec, { protocol: 'meta' });
    try {
      let loads = 0;
      const settled = twoCallsOnOneFlight(waiter, key, () => (loads++, 'rescued'));
      await until(() => totals(waiter).ops.fetch >= 7);
      holding.open(holderValue);
      expect(await holder).toBe(holderValue);
      expect(await settled).toEqual([expected, expected]);
      expect(loads).toBe(rescues);
    } finally {
      await waiter.close();
    }
  });

  it('a caller sharing a flight that wins the lease shortly before its last ask gets its whole waitTimeout again for the loader', async () => {
    const { key, holding, holder } = await leaseHeld('late-win');
    const waiter = new Client(ctx.server.spec, { protocol: 'meta' });
    try {
      const loader = async (): Promise<string> => {
        await sleep(200); // longer than the 95 ms its flight had left
        return 'rescued';
      };
      const settled = twoCallsOnOneFlight(waiter, key, loader);
      await until(() => totals(waiter).ops.fetch >= 6);
      holding.open(undefined); // given back: the ask at about 255 ms wins it
      expect(await holder).toBeUndefined();
      expect(await settled).toEqual(['rescued', 'rescued']);
    } finally {
      await waiter.close();
    }
  });

  it('a lockTtl past what a Node timer holds (24.8 days) does not fail the callers sharing the flight at once', async () => {
    const key = freshKey('long-lease-joiner');
    const loading = gate<string>();
    const thirtyDays = 30 * 86_400;
    const calls = [
      ctx.client.fetch(key, () => loading.promise, { ttl: 60, lockTtl: thirtyDays }),
      ctx.client.fetch(key, () => 'never', { ttl: 60, lockTtl: thirtyDays }).catch((e: unknown) => e),
    ];
    await leaseTaken(key);
    await sleep(50);
    loading.open('loaded');
    expect(await Promise.all(calls)).toEqual(['loaded', 'loaded']);
  });

  it('a caller whose waitTimeout runs out before its flight\'s is not given it again when the flight wins the lease', async () => {
    const { key, holding, holder } = await leaseHeld('short-wait');
    const waiter = new Client(ctx.server.spec, { protocol: 'meta' });
    try {
      const loading = gate<string>();
      const starter = waiter.fetch(key, () => loading.promise, { ttl: 60, waitTimeout: 10_000 });
      await until(() => totals(waiter).leaseWaits === 1);
      const started = performance.now();
      const joiner = waiter.fetch(key, () => 'never', { ttl: 60, waitTimeout: 400 }).catch((e: unknown) => e);
      await sleep(250);
      holding.open(undefined); // the lease is given back: the starter's next poll (within 100 ms) wins it, and loads
      expect(await joiner).toMatchObject({ code: 'MEMCACHE_LEASE_TIMEOUT' });
      expect(performance.now() - started).toBeLessThan(400 + 150); // not 400 ms more from the win
      expect(totals(waiter).leaseWins).toBe(1);
      loading.open('loaded');
      expect(await starter).toBe('loaded');
      expect(await holder).toBeUndefined();
    } finally {
      await waiter.close();
    }
  });

  it('callers waiting on a lease elsewhere reject at their waitTimeout when the server stalls, not at the poll\'s request timeout; a lease the late poll wins is given back', async () => {
    const { key, holding, holder } = await leaseHeld('stalled-ask');
    const proxy = await startFaultProxy({ target: { host: '127.0.0.1', port: ctx.server.port } });
    const waiter = new Client(`127.0.0.1:${proxy.port}`, { protocol: 'meta' });
    try {
      const starter = waiter.fetch(key, () => 'never', { ttl: 60, waitTimeout: 300, timeout: 5000 }).catch((e: unknown) => e);
      await until(() => totals(waiter).leaseWaits === 1);
      const started = performance.now();
      const joiner = waiter.fetch(key, () => 'never', { ttl: 60, waitTimeout: 600 }).catch((e: unknown) => e);
      await sleep(100);
      proxy.setMode({ kind: 'stall' }); // the starter's polls, and its last ask, go unanswered
      expect(await starter).toMatchObject({ code: 'MEMCACHE_LEASE_TIMEOUT' }); // at about 400 ms: 300, and 100 for the last answer
      expect(performance.now() - started).toBeLessThan(300 + 100 + 300);
      expect(await joiner).toMatchObject({ code: 'MEMCACHE_LEASE_TIMEOUT' });
      expect(performance.now() - started).toBeLessThan(600 + 400);
      holding.open(undefined); // the holder gives its lease back...
      expect(await holder).toBeUndefined();
      proxy.setMode({ kind: 'pass' }); // ...and the stalled poll, let through, wins a new one
      await sleep(100);
      expect((await raw(ctx.server, `mg ${key} v\r\n`)).toString('latin1')).toBe('EN\r\n'); // given back, not held for lockTtl
    } finally {
      holding.open(undefined);
      await waiter.close();
      await proxy.close();
    }
  });
});

describe('no caller waits for good', () => {
  it.each([
    ['longer than lockTtl', 5000],
    ['the default, past the lease\'s longest life', undefined],
  ])('a loader that never settles holds no caller past lockTtl: the winner and its joiners (waitTimeout %s) reject with its error, and the next fetch loads afresh', async (_name, waitTimeout) => {
    const key = freshKey('stuck');
    const never = new Promise<string>(() => {});
    const started = performance.now();
    const [error, joinerError] = await Promise.all([
      ctx.client.fetch(key, () => never, { ttl: 60, lockTtl: 1 }).catch((e: unknown) => e),
      ctx.client.fetch(key, () => 'never', { ttl: 60, lockTtl: 1, waitTimeout }).catch((e: unknown) => e),
    ]);
    expect(performance.now() - started).toBeLessThan(1800);
    expect(error).toBeInstanceOf(LoaderError);
    expect(error).toMatchObject({ code: 'MEMCACHE_LOADER', cause: { code: 'MEMCACHE_TIMEOUT' } });
    expect(joinerError).toBe(error);
    expect(await ctx.client.fetch(key, () => 'fresh', { ttl: 60 })).toBe('fresh');
  });

  it('waitTimeout 0 does not fail a caller sharing a flight that finds a value (its clock starts at a load only)', async () => {
    const proxy = await startFaultProxy({ target: { host: '127.0.0.1', port: ctx.server.port } });
    const mc = new Client(`127.0.0.1:${proxy.port}`, { protocol: 'meta' });
    try {
      const key = freshKey('joiner-hit');
      await mc.set(key, 'cached');
      proxy.setMode({ kind: 'delay', ms: 50, direction: 'toClient' }); // the hit takes longer than a 0 ms timer
      const calls = [mc.fetch(key, () => 'never', { ttl: 60 }), mc.fetch(key, () => 'never', { ttl: 60, waitTimeout: 0 })];
      expect(await Promise.all(calls)).toEqual(['cached', 'cached']);
    } finally {
      await mc.close();
      await proxy.close();
    }
  });

  it('destroy() rejects every fetch under way at once with a ClientClosedError: a winner whose loader runs, the callers sharing its flight, and callers waiting on a lease elsewhere', async () => {
    const { key: heldElsewhere, holding, holder } = await leaseHeld('destroyed-waiting');
    const mc = new Client(ctx.server.spec, { protocol: 'meta' });
    const loading = gate<string>();
    const key = freshKey('destroyed-loading');
    const calls = [
      mc.fetch(key, () => loading.promise, { ttl: 60 }),
      mc.fetch(key, () => loading.promise, { ttl: 60 }),
      mc.fetch(heldElsewhere, () => 'never', { ttl: 60 }),
    ].map((call) => call.catch((e: unknown) => e));
    await leaseTaken(key);
    await sleep(20); // the third polls
    const started = performance.now();
    await mc.destroy();
    const outcomes = await Promise.all(calls);
    expect(performance.now() - started).toBeLessThan(1000); // not when the loader or a poll ends
    expect(outcomes).toEqual([0, 1, 2].map(() => expect.objectContaining({ code: 'MEMCACHE_CLIENT_CLOSED' })));
    loading.open('too late');
    holding.open('loaded elsewhere');
    expect(await holder).toBe('loaded elsewhere');
  });

  it('after close(), a fetch waiting on another client\'s lease rejects with a ClientClosedError and opens no connection', async () => {
    const key = freshKey('closing');
    const loading = gate<string>();
    const winner = ctx.client.fetch(key, () => loading.promise, { ttl: 60 });
    await leaseTaken(key);
    const closing = new Client(ctx.server.spec, { protocol: 'meta' });
    const waiting = closing.fetch(key, () => 'never', { ttl: 60 }).catch((e: unknown) => e);
    await sleep(30); // it polls
    const connects = vi.spyOn(net.Socket.prototype, 'connect');
    const started = performance.now();
    await closing.close(); // once the fetch has stopped, at its next poll
    expect(performance.now() - started).toBeLessThan(1000);
    expect(await waiting).toMatchObject({ code: 'MEMCACHE_CLIENT_CLOSED' });
    await sleep(150); // past a poll's interval
    expect(connects).not.toHaveBeenCalled();
    loading.open('loaded');
    expect(await winner).toBe('loaded');
  });

  it('close() lets a winner whose loader runs finish: it resolves once the value is stored, and the fetch with it', async () => {
    const mc = new Client(ctx.server.spec, { protocol: 'meta' });
    const key = freshKey('closing-winner');
    const loading = gate<string>();
    const call = mc.fetch(key, () => loading.promise, { ttl: 60 });
    await leaseTaken(key);
    let closed = false;
    const closing = mc.close().then(() => (closed = true));
    await sleep(30);
    expect(closed).toBe(false); // waits for the loader
    loading.open('loaded');
    expect(await call).toBe('loaded');
    await closing;
    expect(await other.get(key)).toBe('loaded');
  });

  it('close() lets a winner whose loader fails give its lease back: the next fetch elsewhere loads at once', async () => {
    const mc = new Client(ctx.server.spec, { protocol: 'meta' });
    const key = freshKey('closing-failing');
    const loading = gate<string>();
    loading.promise.catch(() => {}); // the lease can be seen before the loader is called
    const call = mc.fetch(key, () => loading.promise, { ttl: 60 }).catch((e: unknown) => e);
    await leaseTaken(key);
    const closing = mc.close();
    loading.fail(new Error('the database is down'));
    expect(await call).toMatchObject({ code: 'MEMCACHE_LOADER' });
    await closing;
    const started = performance.now();
    expect(await other.fetch(key, () => 'reloaded', { ttl: 60 })).toBe('reloaded');
    expect(performance.now() - started).toBeLessThan(1000); // not after the lease runs out (lockTtl)
  });

  it('close() waits for a loader that never settles until its lease runs out, holding the process until then (unref sockets too): then it resolves, and the process exits', async () => {
    const { code, stdout, exitAfterMarker } = await runChild(
      `
      import { Client } from '../ts/index.js';
      const mc = new Client(process.env.MC_SPEC, { protocol: 'meta', unref: true }); // its sockets hold nothing
      const call = mc.fetch('hanging:' + process.pid, () => new Promise(() => {}), { ttl: 60, lockTtl: 1 }).catch((e) => e.code);
      await new Promise((resolve) => setTimeout(resolve, 50)); // its loader runs
      await mc.close();
      process.stdout.write('closed ' + (await call) + '\\n');
      `,
      { MC_SPEC: ctx.server.spec },
      'closed MEMCACHE_LOADER',
      10_000,
    );
    expect(stdout).toBe('closed MEMCACHE_LOADER\n');
    expect(code).toBe(0);
    expect(exitAfterMarker).toBeLessThan(500);
  });

  it('a fetch called just before close() on a client that has sent nothing yet still asks and loads (after the version probe, with auto) and stores its value', async () => {
    const fresh = new Client(ctx.server.spec);
    const key = freshKey('closing-fresh');
    const call = fresh.fetch(key, () => 'loaded', { ttl: 60 });
    await fresh.close();
    expect(await call).toBe('loaded');
    expect(await other.get(key)).toBe('loaded');
  });

  /** A fresh key whose lease `ctx.client` holds, loading until `release` stores `value`; and a client to wait on it. */
  async function leaseHeldElsewhere(name: string): Promise<{ key: string; waiter: Client; release(value: string): Promise<void> }> {
    const key = freshKey(name);
    const loading = gate<string>();
    const winner = ctx.client.fetch(key, () => loading.promise, { ttl: 60 });
    await leaseTaken(key);
    const waiter = new Client(ctx.server.spec, { protocol: 'meta' });
    const release = async (value: string): Promise<void> => {
      loading.open(value);
      expect(await winner).toBe(value);
    };
    return { key, waiter, release };
  }

  /** `client` asks about no lease any more: none in 300 ms, past a poll that may have been asleep. */
  async function expectNoMorePolls(client: Client): Promise<void> {
    await sleep(120);
    const asked = totals(client).ops.fetch;
    await sleep(300);
    expect(totals(client).ops.fetch).toBe(asked);
  }

  it('a fetch whose every caller aborted stops asking about another client\'s lease; the next fetch asks afresh', async () => {
    const { key, waiter, release } = await leaseHeldElsewhere('abandoned');
    try {
      const [first, second] = [new AbortController(), new AbortController()];
      const calls = [first, second].map((c) => waiter.fetch(key, () => 'never', { ttl: 60, signal: c.signal }).catch((e: unknown) => e));
      await sleep(40); // it polls
      first.abort();
      await sleep(150); // one caller still waits: the polls go on
      const stillAsking = totals(waiter).ops.fetch;
      await sleep(150);
      expect(totals(waiter).ops.fetch).toBeGreaterThan(stillAsking);
      second.abort();
      for (const outcome of await Promise.all(calls)) expect(outcome).toMatchObject({ code: 'MEMCACHE_ABORTED' });
      await expectNoMorePolls(waiter);
      await release('loaded');
      expect(await waiter.fetch(key, () => 'never', { ttl: 60 })).toBe('loaded');
    } finally {
      await waiter.close();
    }
  });

  it('a caller out of its waitTimeout has given up too: once the others abort, the polls stop', async () => {
    const { key, waiter, release } = await leaseHeldElsewhere('timed-out');
    try {
      const controller = new AbortController();
      const starter = waiter.fetch(key, () => 'never', { ttl: 60, signal: controller.signal }).catch((e: unknown) => e);
      const joiner = waiter.fetch(key, () => 'never', { ttl: 60, waitTimeout: 50 }).catch((e: unknown) => e);
      expect(await joiner).toMatchObject({ code: 'MEMCACHE_LEASE_TIMEOUT' });
      controller.abort();
      expect(await starter).toMatchObject({ code: 'MEMCACHE_ABORTED' });
      await expectNoMorePolls(waiter);
      await release('loaded');
    } finally {
      await waiter.close();
    }
  });

  it('a lockTtl past what a Node timer holds (24.8 days) does not abort the loader at once', async () => {
    const seen = await ctx.client.fetch(freshKey('long-lease'), async (_key, { signal }) => {
      await sleep(20);
      return signal.aborted ? 'aborted' : 'running';
    }, { ttl: 60, lockTtl: 30 * 86_400 });
    expect(seen).toBe('running');
  });
});

describe('a fetch under way when its key moves', () => {
  it('after setServers, a new fetch of the key goes to its new server; the callers waiting on the removed one reject with a NoServerError, not as if the client were closed', async () => {
    const { startMemcached } = await import('./support/memcached.js');
    const moved = await startMemcached();
    const mc = new Client(ctx.server.spec, { protocol: 'meta' });
    try {
      const { key, holding, holder } = await leaseHeld('moved');
      const waiting = mc.fetch(key, () => expect.unreachable('the lease is held on the old server'), { ttl: 60 }).catch((e: unknown) => e);
      await sleep(30); // it polls the old server
      const retiring = mc.setServers([moved.spec]);
      expect(mc.serverFor(key)).toContain(moved.spec);
      expect(await mc.fetch(key, () => 'loaded on the new server', { ttl: 60 })).toBe('loaded on the new server');
      expect(await waiting).toMatchObject({ code: 'MEMCACHE_NO_SERVER', server: expect.stringContaining(ctx.server.spec) });
      holding.open('loaded on the old server');
      expect(await holder).toBe('loaded on the old server');
      await retiring;
    } finally {
      await mc.close();
      await moved.stop();
    }
  });

  it("a key failed over and back while its flight still runs: the next fetch joins that flight (one loader at a time in the client), protocol 'text'", async () => {
    const { startMemcached } = await import('./support/memcached.js');
    const second = await startMemcached();
    const proxy = await startFaultProxy({ target: { host: '127.0.0.1', port: ctx.server.port } });
    const viaProxy = `127.0.0.1:${proxy.port}`;
    const mc = new Client([viaProxy, second.spec], { protocol: 'text', timeout: 200, retries: 0 });
    try {
      let n = 0;
      const keyOn = (spec: string): string => {
        for (;;) if (mc.serverFor(`fetch:back:${++n}`).startsWith(spec)) return `fetch:back:${n}`;
      };
      const [key, other] = [keyOn(viaProxy), keyOn(viaProxy)];
      const loading = gate<string>();
      const first = mc.fetch(key, () => loading.promise, { ttl: 60 });
      await sleep(20);
      proxy.setMode({ kind: 'stall' });
      await mc.get(other).catch(() => undefined); // times out: the server is marked dead, the key fails over
      expect(mc.serverFor(key)).toContain(second.spec);
      expect(await mc.fetch(key, () => 'on the other server', { ttl: 60 })).toBe('on the other server');
      proxy.setMode({ kind: 'pass' });
      await mc.forgetDeadHosts();
      expect(mc.serverFor(key)).toContain(viaProxy);
      const third = mc.fetch(key, () => expect.unreachable('a second load of the key on its server, while the first runs'), { ttl: 60 });
      loading.open('first');
      expect(await Promise.all([first, third])).toEqual(['first', 'first']);
    } finally {
      await mc.close();
      await proxy.close();
      await second.stop();
    }
  });

  it('the loader gets the key as it was when fetch was called: a key Buffer the caller reuses cannot change it', async () => {
    const prefix = freshKey('reused');
    const buffer = Buffer.from(`${prefix}:1`);
    const loaded: string[] = [];
    const loader = (key: string | Uint8Array): string => {
      const text = Buffer.from(key).toString();
      loaded.push(text);
      return `value of ${text}`;
    };
    const first = ctx.client.fetch(buffer, loader, { ttl: 60 });
    buffer.write(`${prefix}:2`); // the caller builds its next key in the same Buffer
    const second = ctx.client.fetch(buffer, loader, { ttl: 60 });
    expect(await Promise.all([first, second])).toEqual([`value of ${prefix}:1`, `value of ${prefix}:2`]);
    expect(loaded.sort()).toEqual([`${prefix}:1`, `${prefix}:2`]);
    expect(await ctx.client.get(`${prefix}:1`)).toBe(`value of ${prefix}:1`);
  });
});

describe('a failed ask', () => {
  it('a fetch whose lease get times out rejects with its joiners, and the next fetch of the key asks the server again', async () => {
    const proxy = await startFaultProxy({ target: { host: '127.0.0.1', port: ctx.server.port } });
    const mc = new Client(`127.0.0.1:${proxy.port}`, { protocol: 'meta', timeout: 200 });
    try {
      const key = freshKey('failed-ask');
      await ctx.client.set(key, 'cached');
      expect(await mc.fetch(key, () => 'loaded', { ttl: 60 })).toBe('cached'); // connected, dialect known
      proxy.setMode({ kind: 'stall' });
      const stalled = [mc.fetch(key, () => 'loaded', { ttl: 60 }), mc.fetch(key, () => 'loaded', { ttl: 60 })];
      for (const call of stalled) await expect(call).rejects.toMatchObject({ code: 'MEMCACHE_TIMEOUT' });
      proxy.setMode({ kind: 'pass' });
      // A flight left registered would be joined here, and never settle.
      expect(await mc.fetch(key, () => 'loaded', { ttl: 60, timeout: 1000 })).toBe('cached');
    } finally {
      await mc.close();
      await proxy.close();
    }
  });
});

describe('invalidate: serve stale while one caller reloads', () => {
  it('keeps the value, stale: every other fetch gets it at once, exactly one reload, then everyone gets the new value', async () => {
    const key = freshKey('stale');
    await ctx.client.fetch(key, () => 'v1', { ttl: 60 });
    expect(await ctx.client.invalidate(key)).toBe(true);
    const reloading = gate<string>();
    let reloads = 0;
    const reload = () => {
      reloads++;
      return reloading.promise;
    };
    const reloader = ctx.client.fetch(key, reload, { ttl: 60 });
    const sameProcess = Array.from({ length: 20 }, () => ctx.client.fetch(key, reload, { ttl: 60 }));
    await until(() => reloads === 1); // it won the stale value's lease
    const otherProcess = Array.from({ length: 20 }, () => other.fetch(key, reload, { ttl: 60 }));
    // All of them while the reload is still running: nobody waits for the loader.
    expect(await Promise.all([...sameProcess, ...otherProcess])).toEqual(Array(40).fill('v1'));
    reloading.open('v2');
    expect(await reloader).toBe('v2');
    expect(reloads).toBe(1);
    expect(await other.fetch(key, reload, { ttl: 60 })).toBe('v2');
    expect(await ctx.client.get(key)).toBe('v2');
    expect((await raw(ctx.server, `mg ${key} v t\r\n`)).toString('latin1')).toMatch(/^VA 2 t(59|60)\r\nv2\r\n$/); // fresh again, ttl as fetched
  });

  it('a reload that lost the race (it won with an older cas) never overwrites a newer value', async () => {
    const key = freshKey('race');
    await ctx.client.set(key, 'v1', { ttl: 60 });
    await ctx.client.invalidate(key);
    const slow = gate<string>();
    let loading = false;
    const older = ctx.client.fetch(key, () => ((loading = true), slow.promise), { ttl: 60 });
    await until(() => loading);
    await other.invalidate(key); // a newer change: the cas moves on, the lease is free again
    expect(await other.fetch(key, () => 'newer', { ttl: 60 })).toBe('newer');
    slow.open('older');
    expect(await older).toBe('older'); // its caller still gets what it loaded
    expect(await ctx.client.get(key)).toBe('newer');
    expect(await other.get(key)).toBe('newer');
  });

  it('a placeholder invalidated while its value loads is held by its next winner no longer than a lease: a winner that dies holds the others about lockTtl, not staleTtl', async () => {
    const key = freshKey('stale-placeholder');
    expect((await raw(ctx.server, `mg ${key} v c N30\r\n`)).toString('latin1')).toMatch(/^VA 0 .*W/); // someone is loading it
    expect(await ctx.client.invalidate(key, { staleTtl: 30 })).toBe(true); // the placeholder, stale for 30 s
    const dying = new Client(ctx.server.spec, { protocol: 'meta' });
    const won = gate<void>();
    const lost = dying.fetch(key, () => (won.open(), new Promise<never>(() => {})), { ttl: 60, lockTtl: 1 }).catch((e: unknown) => e);
    await won.promise; // it won the stale placeholder, and loads
    await sleep(20);
    await dying.close({ force: true }); // as if its process died: the lease is not given back
    await lost;
    const started = performance.now();
    expect(await other.fetch(key, () => 'loaded', { ttl: 60, lockTtl: 1, waitTimeout: 10_000 })).toBe('loaded');
    expect(performance.now() - started).toBeLessThan(2000 + 100 + 500); // the lease's life (lockTtl + 1 s), a poll, some slack
  });

  it('the winner of a stale placeholder whose delete fails (a broken connection) still holds the win, and loads with it', async () => {
    const key = freshKey('renew-cut');
    await raw(ctx.server, `mg ${key} v c N30\r\n`); // someone is loading it
    await ctx.client.invalidate(key, { staleTtl: 30 });
    const proxy = await startInterleaveProxy(ctx.server);
    proxy.arm([{ before: new RegExp(`^md ${key} C`), cut: true }]);
    const mc = new Client(proxy.spec, { protocol: 'meta' });
    try {
      expect(await mc.fetch(key, () => 'loaded', { ttl: 60, lockTtl: 2 })).toBe('loaded');
      expect(await ctx.client.get(key)).toBe('loaded');
    } finally {
      await mc.close();
      await proxy.close();
    }
  });

  it('a stale placeholder invalidated again while its winner deletes it is deleted too: the load runs under a lease of its own', async () => {
    const key = freshKey('renew-twice');
    await raw(ctx.server, `mg ${key} v c N30\r\n`);
    await ctx.client.invalidate(key, { staleTtl: 30 });
    const proxy = await startInterleaveProxy(ctx.server);
    proxy.arm([{ before: new RegExp(`^md ${key} C`), command: `md ${key} I T30\r\n` }]); // another process invalidates it again first
    const mc = new Client(proxy.spec, { protocol: 'meta' });
    try {
      let ttlWhileLoading = '';
      const wire = await written(async () => {
        const value = await mc.fetch(key, async () => ((ttlWhileLoading = (await raw(ctx.server, `mg ${key} t\r\n`)).toString('latin1')), 'loaded'), { ttl: 60, lockTtl: 2 });
        expect(value).toBe('loaded');
      });
      // (The proxy's own writes count too: each line once, whatever the number of copies.)
      expect(new Set(wire.split('\r\n').filter((line) => line.startsWith(`md ${key} C`))).size).toBe(2);
      expect(ttlWhileLoading).toMatch(/^HD t[1-3]\b/); // a lease's life (lockTtl + 1), not staleTtl
      expect(await ctx.client.get(key)).toBe('loaded');
    } finally {
      await mc.close();
      await proxy.close();
    }
  });

  it('resolves false for a missing key, and a reload whose loader fails leaves the value stale for the next caller to retry', async () => {
    expect(await ctx.client.invalidate(freshKey('missing'))).toBe(false);
    const key = freshKey('stale-error');
    await ctx.client.set(key, 'v1', { ttl: 60 });
    await ctx.client.invalidate(key, { staleTtl: 20 });
    await expect(ctx.client.fetch(key, () => Promise.reject(new Error('down')), { ttl: 60, staleTtl: 20 })).rejects.toBeInstanceOf(LoaderError);
    expect(await other.get(key)).toBe('v1');
    expect(await other.fetch(key, () => 'v2', { ttl: 60 })).toBe('v2'); // it won the lease handed back
  });
});

/**
 * Resolves once `condition` holds. A stale item's lease is awaited so (its loader ran), never by
 * asking memcached: any `mg` of a stale item whose lease is free takes that lease.
 */
async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !condition(); i++) await sleep(5);
  if (!condition()) throw new Error('condition not met in time');
}

describe('recacheBefore', () => {
  it('of 30 days, the longest, is sent as R2592000, and a lease as at most N2592000: memcached reads more as a Unix time', async () => {
    const key = freshKey('longest');
    const wire = await written(() => ctx.client.fetch(key, () => 'v', { ttl: Math.floor(Date.now() / 1000) + 40 * 86_400, lockTtl: 2_592_000, recacheBefore: 2_592_000 }));
    expect(wire).toMatch(new RegExp(`mg ${key} v f c N2592000 R2592000 O\\d+\\r\\n`));
  });

  it('once the ttl left is below it, exactly one caller reloads while the others keep the current value without waiting', async () => {
    const key = freshKey('recache');
    await ctx.client.fetch(key, () => 'v1', { ttl: 60 });
    expect(await ctx.client.fetch(key, () => expect.unreachable('loader'), { ttl: 60, recacheBefore: 10 })).toBe('v1');
    await ctx.client.touch(key, 5); // 5 s left: under recacheBefore
    const reloading = gate<string>();
    let reloads = 0;
    const reload = () => {
      reloads++;
      return reloading.promise;
    };
    const options = { ttl: 60, recacheBefore: 10 };
    const reloader = ctx.client.fetch(key, reload, options);
    const sameProcess = Array.from({ length: 10 }, () => ctx.client.fetch(key, reload, options));
    await sleep(20);
    const otherProcess = Array.from({ length: 10 }, () => other.fetch(key, reload, options));
    expect(await Promise.all([...sameProcess, ...otherProcess])).toEqual(Array(20).fill('v1'));
    reloading.open('v2');
    expect(await reloader).toBe('v2');
    expect(reloads).toBe(1);
    expect(await other.fetch(key, reload, options)).toBe('v2');
    expect((await ctx.client.getItem(key))?.ttl).toBeGreaterThan(50);
  });

  it('reloads with exactly recacheBefore seconds left ("at most this many"), not only below it', async () => {
    const key = freshKey('recache-edge');
    await ctx.client.fetch(key, () => 'v1', { ttl: 60 });
    await ctx.client.touch(key, 10); // 10 s left
    expect(await ctx.client.fetch(key, () => 'v2', { ttl: 60, recacheBefore: 10 })).toBe('v2');
  });
});

describe('a stale item read by a plain meta get (binaryKeys, or protocol meta)', () => {
  it.each([
    ['get', (mc: Client, key: string) => mc.get(key)],
    ['getMulti', (mc: Client, key: string) => mc.getMulti([key])],
    ['gets', (mc: Client, key: string) => mc.gets(key)],
    ['touch', (mc: Client, key: string) => mc.touch(key, 60)],
  ] as const)('%s gives back the lease memcached hands it, so the next fetch reloads', async (_name, read) => {
    const mc = new Client(ctx.server.spec, { protocol: 'meta', binaryKeys: true });
    try {
      const key = freshKey('binary-stale');
      await mc.fetch(key, () => 'old', { ttl: 60 });
      await mc.invalidate(key);
      await read(mc, key);
      expect(await mc.fetch(key, () => 'new', { ttl: 60, waitTimeout: 0 })).toBe('new');
    } finally {
      await mc.close();
    }
  });
});

describe('an invalidated empty Buffer', () => {
  it('read by a text get (asked about again with mg) stays, stale: it is not taken for a placeholder and deleted', async () => {
    const key = freshKey('stale-empty');
    await ctx.client.set(key, Buffer.alloc(0));
    await ctx.client.invalidate(key);
    await ctx.client.get(key);
    expect(await inspect(ctx.server, key)).toBeDefined();
    expect(await ctx.client.fetch(key, () => 'reloaded', { ttl: 60, waitTimeout: 0 })).toBe('reloaded'); // still stale: the next fetch reloads
  });

  it('is a value to getItem, whatever its flags, while another client reloads it (only 0 bytes with flags 0 is a placeholder)', async () => {
    const key = freshKey('stale-empty-item');
    await ctx.client.set(key, '');
    await ctx.client.invalidate(key);
    const reloading = gate<string>();
    const reloader = other.fetch(key, () => reloading.promise, { ttl: 60 });
    await sleep(20);
    expect((await ctx.client.getItem(key))?.value).toBe('');
    reloading.open('full');
    expect(await reloader).toBe('full');
  });
});

describe('a lease placeholder is never a value', () => {
  it('get, gets, getMulti and getItem resolve as misses while a fetch loads the key', async () => {
    const key = freshKey('placeholder');
    const loading = gate<string>();
    const winner = other.fetch(key, () => loading.promise, { ttl: 60 });
    await leaseTaken(key);
    expect(await ctx.client.get(key)).toBeUndefined();
    expect(await ctx.client.gets(key)).toBeUndefined();
    expect(await ctx.client.gat(key, 60)).toBeUndefined();
    const present = freshKey('present');
    await ctx.client.set(present, 'here');
    const multi = await ctx.client.getMulti([key, present]);
    expect([...multi]).toEqual([[present, 'here']]);
    expect(multi.errors.size).toBe(0);
    expect(await ctx.client.getItem(key)).toBeUndefined();
    // A new client, its dialect not known yet when the get is queued ('auto'): still a miss.
    const fresh = new Client(ctx.server.spec, { protocol: 'auto' });
    try {
      expect(await fresh.get(key)).toBeUndefined();
    } finally {
      await fresh.close();
    }
    loading.open('value');
    expect(await winner).toBe('value');
    expect(await ctx.client.get(key)).toBe('value');
  });

  it('with binaryKeys (reads as mg), get, gets and getMulti resolve as misses too', async () => {
    const key = freshKey('placeholder-binary');
    const loading = gate<string>();
    const winner = other.fetch(key, () => loading.promise, { ttl: 60 });
    await leaseTaken(key);
    const binary = new Client(ctx.server.spec, { protocol: 'auto', binaryKeys: true });
    try {
      expect(await binary.get(key)).toBeUndefined();
      expect(await binary.gets(key)).toBeUndefined();
      expect((await binary.getMulti([key])).size).toBe(0);
    } finally {
      await binary.close();
    }
    loading.open('value');
    expect(await winner).toBe('value');
  });

  it('an empty Buffer stored by set, or by python-memcached (flags 0, 0 bytes), still round-trips everywhere', async () => {
    const key = freshKey('empty');
    await ctx.client.set(key, Buffer.alloc(0));
    expect(await inspect(ctx.server, key)).toEqual({ flags: 0, data: Buffer.alloc(0) });
    expect(await ctx.client.get(key)).toEqual(Buffer.alloc(0));
    expect((await ctx.client.gets(key))?.value).toEqual(Buffer.alloc(0));
    expect((await ctx.client.getMulti([key])).get(key)).toEqual(Buffer.alloc(0));
    expect(await ctx.client.fetch(key, () => expect.unreachable('loader'), { ttl: 60 })).toEqual(Buffer.alloc(0));
    const planted = freshKey('planted');
    await plant(ctx.server, planted, 0, '');
    expect(await ctx.client.get(planted)).toEqual(Buffer.alloc(0));
    const text = new Client(ctx.server.spec, { protocol: 'text' });
    try {
      expect(await text.get(planted)).toEqual(Buffer.alloc(0));
    } finally {
      await text.close();
    }
  });

  it('only a value of 0 bytes with flags 0 is asked about again (mg); any other value costs its get alone', async () => {
    const full = freshKey('full');
    const empty = freshKey('empty-wire');
    await ctx.client.set(full, 'x');
    await ctx.client.set(empty, Buffer.alloc(0));
    await ctx.client.set(`${empty}:text`, '');
    expect(await written(() => ctx.client.get(full))).toBe(`get ${full}\r\n`);
    expect(await written(() => ctx.client.get(`${empty}:text`))).toBe(`get ${empty}:text\r\n`);
    expect(await written(() => ctx.client.get(empty))).toMatch(new RegExp(`^get ${empty}\\r\\nmg ${empty} v f c t O\\d+\\r\\n$`));
  });

  it('a reply whose flags are garbled (a broken proxy) fails the fetch with a ProtocolError: a bad f is not flags 0, a bad W not a value', async () => {
    for (const reply of [(o: string) => `VA 3 \x80f16 c7 O${o}\r\nabc\r\n`, (o: string) => `VA 0 f0 c7 \x80W O${o}\r\n\r\n`]) {
      const fake = await startFakeServer(
        (socket, data) => {
          for (const line of data.toString('latin1').split('\r\n')) {
            const mg = /^mg .* O(\d+)$/.exec(line);
            if (mg) socket.write(reply(mg[1]), 'latin1');
          }
        },
        { meta: true },
      );
      const mc = new Client(fake.spec, { protocol: 'meta', timeout: 500 });
      try {
        await expect(mc.fetch('k', () => 'loaded', { ttl: 10 })).rejects.toMatchObject({ code: 'MEMCACHE_PROTOCOL' });
      } finally {
        await mc.close();
        await fake.close();
      }
    }
  });

  it('a follow-up mg that fails fails the gets waiting on it, each error counted once', async () => {
    const fake = await startFakeServer(
      (socket, data) => {
        for (const line of data.toString('latin1').split('\r\n')) {
          if (line.startsWith('get ')) socket.write(`VALUE ${line.slice(4)} 0 0\r\n\r\nEND\r\n`);
          else if (line.startsWith('mg ')) socket.write('SERVER_ERROR boom\r\n');
        }
      },
      { meta: true },
    );
    const mc = new Client(fake.spec, { protocol: 'auto' });
    try {
      const outcomes = await Promise.all([mc.get('k'), mc.get('k'), mc.get('k')].map((call) => call.catch((e: { code?: string }) => e.code)));
      expect(outcomes).toEqual(Array(3).fill('MEMCACHE_SERVER_ERROR'));
      const server = mc.metrics().servers[0];
      expect([server.ops.get, server.errors]).toEqual([3, 1]); // three calls merged into one get, one mg failed
    } finally {
      await mc.close();
      await fake.close();
    }
  });

  it('a get that meets a stale placeholder hands its lease back, so the next fetch loads at once', async () => {
    const key = freshKey('stale-placeholder');
    const loading = gate<string>();
    const winner = other.fetch(key, () => loading.promise, { ttl: 60 });
    await leaseTaken(key);
    await ctx.client.invalidate(key); // the placeholder itself, stale: its lease is free again
    expect(await ctx.client.get(key)).toBeUndefined(); // the mg behind it won that lease, and gave it back
    await ctx.client.version(); // a round trip on the same connection: the give-back, sent after the get's reply, has landed
    const third = new Client(ctx.server.spec, { protocol: 'meta' });
    try {
      expect(await third.fetch(key, () => 'reloaded', { ttl: 60, waitTimeout: 0 })).toBe('reloaded');
    } finally {
      await third.close();
    }
    loading.open('first');
    expect(await winner).toBe('first');
    expect(await ctx.client.get(key)).toBe('reloaded'); // the first winner's lease was gone: its store failed
  });
});

describe("protocol 'text'", () => {
  it('fetch still loads once per process (single flight: get, then set), and invalidate deletes', async () => {
    const mc = new Client(ctx.server.spec, { protocol: 'text' });
    try {
      const key = freshKey('text');
      let loads = 0;
      const wire = await written(async () => {
        const results = await Promise.all(Array.from({ length: 100 }, () => mc.fetch(key, async () => (loads++, await sleep(10), 'loaded'), { ttl: 60 })));
        expect(results).toEqual(Array(100).fill('loaded'));
      });
      expect(loads).toBe(1);
      expect(wire).toMatch(new RegExp(`^get ${key}\\r\\nset ${key} 16 60 6\\r\\nloaded\\r\\n$`));
      expect(await mc.fetch(key, () => 'again', { ttl: 60 })).toBe('loaded');
      expect(await mc.invalidate(key)).toBe(true);
      expect(await mc.get(key)).toBeUndefined();
      expect(await mc.invalidate(key)).toBe(false);
    } finally {
      await mc.close();
    }
  });
});

describe('metrics and diagnostics', () => {
  it('count a stale serve per call resolved with the stale value, not per caller that gave up before', async () => {
    const mc = new Client(ctx.server.spec, { protocol: 'meta' });
    try {
      // Served while this client reloads it: the caller that aborted first is served nothing.
      const key = freshKey('stale-count');
      await mc.set(key, 'v1', { ttl: 60 });
      await mc.invalidate(key);
      const reloading = gate<string>();
      const aborted = new AbortController();
      const calls = [
        mc.fetch(key, () => reloading.promise, { ttl: 60 }),
        mc.fetch(key, () => 'never', { ttl: 60 }),
        mc.fetch(key, () => 'never', { ttl: 60, signal: aborted.signal }).catch((e: unknown) => e),
      ];
      aborted.abort();
      expect(await calls[1]).toBe('v1');
      reloading.open('v2');
      expect(await Promise.all(calls)).toMatchObject(['v2', 'v1', { code: 'MEMCACHE_ABORTED' }]);
      expect(totals(mc).staleServes).toBe(1);
      // Found stale while another client reloads it: the two callers still waiting get it, the aborted one does not.
      await mc.invalidate(key);
      const elsewhere = gate<string>();
      let reloadStarted = false;
      const reload = other.fetch(key, () => ((reloadStarted = true), elsewhere.promise), { ttl: 60 });
      await until(() => reloadStarted);
      const abortedToo = new AbortController();
      const more = [
        mc.fetch(key, () => 'never', { ttl: 60 }),
        mc.fetch(key, () => 'never', { ttl: 60 }),
        mc.fetch(key, () => 'never', { ttl: 60, signal: abortedToo.signal }).catch((e: unknown) => e),
      ];
      abortedToo.abort();
      expect(await Promise.all(more)).toMatchObject(['v2', 'v2', { code: 'MEMCACHE_ABORTED' }]);
      expect(totals(mc).staleServes).toBe(3);
      elsewhere.open('v3');
      await reload;
    } finally {
      await mc.close();
    }
  });

  it('count lease wins, waits, stale serves and loader errors, and publish each without a key', async () => {
    const messages: FetchMessage[] = [];
    const listen = (message: unknown): void => void messages.push(message as FetchMessage);
    diagnostics.subscribe(CHANNELS.fetch, listen);
    const mc = new Client(ctx.server.spec, { protocol: 'meta' });
    try {
      const key = freshKey('metrics');
      await mc.fetch(key, () => 'v1', { ttl: 60 }); // a win
      await mc.invalidate(key);
      const reloading = gate<string>();
      let reloadStarted = false;
      const reload = other.fetch(key, () => ((reloadStarted = true), reloading.promise), { ttl: 60 });
      await until(() => reloadStarted);
      await Promise.all([mc.fetch(key, () => 'x', { ttl: 60 }), mc.fetch(key, () => 'x', { ttl: 60 })]); // two stale serves
      reloading.open('v2');
      await reload;
      const waitKey = freshKey('metrics-wait');
      const loading = gate<string>();
      const winner = other.fetch(waitKey, () => loading.promise, { ttl: 60 });
      await leaseTaken(waitKey);
      const waiting = mc.fetch(waitKey, () => 'never', { ttl: 60 }); // a wait
      await sleep(20);
      loading.open('w');
      await Promise.all([winner, waiting]);
      await mc.fetch(freshKey('metrics-error'), () => Promise.reject(new Error('no')), { ttl: 60 }).catch(() => {}); // a win and a loader error
      const { leaseWins, leaseWaits, staleServes, loaderErrors, ops } = mc.metrics().totals;
      expect({ leaseWins, leaseWaits, staleServes, loaderErrors }).toEqual({ leaseWins: 2, leaseWaits: 1, staleServes: 2, loaderErrors: 1 });
      expect(ops.invalidate).toBe(1);
      const server = mc.serverFor(key);
      // This client's six, and the other client's two wins (the reload, and the lease it held for waitKey).
      const expected = ['lease:win', 'stale', 'stale', 'lease:wait', 'lease:win', 'loader:error', 'lease:win', 'lease:win'];
      expect(messages.filter((m) => m.server === server).map((m) => m.event).sort()).toEqual(expected.sort());
      for (const message of messages) {
        expect(Object.keys(message).sort()).toEqual(['event', 'server']);
        expect(JSON.stringify(message)).not.toContain('metrics');
      }
    } finally {
      diagnostics.unsubscribe(CHANNELS.fetch, listen);
      await mc.close();
    }
  });
});

describe('options', () => {
  it('are checked before anything is sent: ttl is required, the rest in range, the loader a function', async () => {
    const mc = new Client(ctx.server.spec, { protocol: 'meta' } satisfies ClientOptions);
    try {
      const wire = await written(async () => {
        const key = freshKey('options');
        const bad = [
          mc.fetch(key, () => 1, undefined as never),
          mc.fetch(key, () => 1, {} as never),
          mc.fetch(key, () => 1, { ttl: -1 }),
          mc.fetch(key, () => 1, { ttl: 60, lockTtl: 0 }),
          mc.fetch(key, () => 1, { ttl: 60, staleTtl: 1.5 }),
          mc.fetch(key, () => 1, { ttl: 60, recacheBefore: 0 }),
          mc.fetch(key, () => 1, { ttl: 60, recacheBefore: 60 }), // every value would be recached at once
          mc.fetch(key, () => 1, { ttl: 60, waitTimeout: -1 }),
          mc.fetch(key, 'loader' as never, { ttl: 60 }),
          mc.invalidate(key, { staleTtl: 0 }),
          mc.fetch('bad key', () => 1, { ttl: 60 }),
        ];
        for (const call of bad) await expect(call).rejects.toMatchObject({ code: expect.stringMatching(/^MEMCACHE_BAD_(ARGUMENT|KEY)$/) });
        await expect(bad[0]).rejects.toBeInstanceOf(ArgumentError);
      });
      expect(wire).toBe('');
    } finally {
      await mc.close();
    }
  });
});
