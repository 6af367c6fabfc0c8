/**
 * connectTimeout and the per-operation timeout hold whatever the network does: one case per fault
 * proxy mode, first while connecting (the server asks for ASCII authentication, so the handshake
 * crosses the proxy), then on a connection already open. Every call settles in time, with a
 * typed error naming the server when it fails; a timed-out call takes its connection and
 * everything in flight on it along, and the next call gets a fresh connection.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AuthError,
  Client,
  ConnectionError,
  ConnectTimeoutError,
  MemcacheError,
  ProtocolError,
  TimeoutError,
  type ClientOptions,
} from '../ts/index.js';
import { startFaultProxy, type FaultMode, type FaultProxy } from './support/fault-proxy.js';
import { startMemcached, type MemcachedServer } from './support/memcached.js';

const TIMEOUT = 300;
const CONNECT_TIMEOUT = 200;
/** Timers, a busy second test file on two cores: a call may settle this much past its deadline. */
const SLACK = 400;

let server: MemcachedServer;

beforeAll(async () => {
  server = await startMemcached({ users: { alice: 'pw' } });
});
afterAll(async () => {
  await server?.stop();
});

type Outcome = 'ok' | (abstract new (...args: never[]) => MemcacheError);

async function withProxy(options: ClientOptions, body: (mc: Client, proxy: FaultProxy, name: string) => Promise<void>): Promise<void> {
  const proxy = await startFaultProxy({ target: { host: '127.0.0.1', port: server.port } });
  const mc = new Client(`127.0.0.1:${proxy.port}`, {
    auth: { username: 'alice', password: 'pw' },
    timeout: TIMEOUT,
    connectTimeout: CONNECT_TIMEOUT,
    ...options,
  });
  try {
    await body(mc, proxy, `127.0.0.1:${proxy.port} (1)`);
  } finally {
    await mc.close();
    await proxy.close();
  }
}

/** Runs a get and a set at once; each settles within `limit` ms, as `expected` says. */
async function expectBoth(mc: Client, expected: Outcome, limit: number, name: string, key: string): Promise<void> {
  const started = performance.now();
  const timed = <T>(p: Promise<T>) => p.then(
    (value) => ({ value, ms: performance.now() - started }),
    (error: unknown) => ({ error, ms: performance.now() - started }),
  );
  const results = await Promise.all([timed(mc.set(key, 'v')), timed(mc.get(key))]);
  for (const result of results) {
    expect(result.ms).toBeLessThan(limit + SLACK);
    if (expected === 'ok') {
      expect(result).not.toHaveProperty('error');
    } else if ('error' in result) {
      expect(result.error).toBeInstanceOf(MemcacheError);
      expect((result.error as MemcacheError).server).toBe(name);
    }
  }
  // The mode acts on one call at least; the other may fail as its bystander, or get through.
  if (expected !== 'ok') expect(results.some((r) => 'error' in r && r.error instanceof expected)).toBe(true);
}

const MODES: { mode: FaultMode; connecting: Outcome; open: Outcome }[] = [
  { mode: { kind: 'pass' }, connecting: 'ok', open: 'ok' },
  { mode: { kind: 'delay', ms: 20 }, connecting: 'ok', open: 'ok' },
  { mode: { kind: 'delay', ms: 600 }, connecting: ConnectTimeoutError, open: TimeoutError },
  { mode: { kind: 'stall' }, connecting: ConnectTimeoutError, open: TimeoutError },
  { mode: { kind: 'reset' }, connecting: ConnectionError, open: ConnectionError },
  { mode: { kind: 'closeAfter', bytes: 3 }, connecting: ConnectionError, open: ConnectionError },
  { mode: { kind: 'drip' }, connecting: 'ok', open: 'ok' },
  { mode: { kind: 'split', seed: 7 }, connecting: 'ok', open: 'ok' },
  { mode: { kind: 'garbage' }, connecting: ProtocolError, open: ProtocolError },
  // Refusing new connections leaves the open ones be.
  { mode: { kind: 'refuse' }, connecting: ConnectionError, open: 'ok' },
];
const label = (mode: FaultMode) => JSON.stringify(mode);

describe('connectTimeout', () => {
  it.each(MODES)('holds while connecting through $mode.kind ($mode)', async ({ mode, connecting }) => {
    await withProxy({}, async (mc, proxy, name) => {
      proxy.setMode(mode);
      await expectBoth(mc, connecting, Math.max(CONNECT_TIMEOUT, TIMEOUT), name, `connect:${label(mode)}`.replace(/\s/g, ''));
    });
  });

  it('covers authentication: a login that never answers is a ConnectTimeoutError, not a hang', async () => {
    await withProxy({ timeout: 5000 }, async (mc, proxy, name) => {
      proxy.setMode({ kind: 'stall' });
      const started = performance.now();
      const error = await mc.get('k').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConnectTimeoutError);
      expect(error).not.toBeInstanceOf(AuthError);
      expect(error).toMatchObject({ code: 'MEMCACHE_CONNECT_TIMEOUT', server: name });
      expect(performance.now() - started).toBeLessThan(CONNECT_TIMEOUT + SLACK);
    });
  });
});

describe('the operation timeout', () => {
  it.each(MODES)('holds on an open connection through $mode.kind ($mode)', async ({ mode, open }) => {
    await withProxy({}, async (mc, proxy, name) => {
      await mc.version(); // connected and logged in
      proxy.setMode(mode);
      await expectBoth(mc, open, TIMEOUT, name, `open:${label(mode)}`.replace(/\s/g, ''));
      // Whatever happened, the next call once the network heals works, on a fresh connection if it had to.
      proxy.setMode({ kind: 'pass' });
      const accepted = proxy.stats.accepted;
      expect(await mc.set('after', 'healed')).toBe(true);
      expect(await mc.get('after')).toBe('healed');
      expect(proxy.stats.accepted - accepted).toBe(open === 'ok' ? 0 : 1);
    });
  });

  it('rejects with a TimeoutError naming the server, destroys the connection and fails what else was in flight on it', async () => {
    await withProxy({ timeout: 2000 }, async (mc, proxy, name) => {
      await mc.set('k', 'v');
      proxy.setMode({ kind: 'stall' });
      const started = performance.now();
      const [short, long, multi] = await Promise.all([
        mc.get('k', { timeout: 100 }).catch((e: unknown) => e),
        mc.set('k2', 'v').catch((e: unknown) => e),
        mc.getMulti(['k', 'k2']).catch((e: unknown) => e),
      ]);
      expect(performance.now() - started).toBeLessThan(100 + SLACK);
      expect(short).toBeInstanceOf(TimeoutError);
      expect(short).toMatchObject({ code: 'MEMCACHE_TIMEOUT', server: name });
      expect((short as Error).message).toContain(name);
      for (const bystander of [long, multi]) {
        expect(bystander).toBeInstanceOf(ConnectionError);
        expect(bystander).toMatchObject({ server: name });
        expect((bystander as Error).cause).toBe(short);
      }
      proxy.setMode({ kind: 'pass' });
      const accepted = proxy.stats.accepted;
      expect(await mc.get('k')).toBe('v');
      expect(proxy.stats.accepted).toBe(accepted + 1);
    });
  });

  it('never lets a late reply reach a later call', async () => {
    await withProxy({}, async (mc, proxy) => {
      await mc.set('early', 'early value');
      await mc.set('later', 'later value');
      proxy.setMode({ kind: 'delay', ms: TIMEOUT + 100, direction: 'toClient' });
      await expect(mc.get('early')).rejects.toBeInstanceOf(TimeoutError);
      proxy.setMode({ kind: 'pass' });
      // The old connection's reply to 'early' arrives about now; it must not answer this call.
      expect(await mc.get('later')).toBe('later value');
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect(await mc.get('later')).toBe('later value');
    });
  });
});
