/**
 * The node:diagnostics_channel channels over real memcached servers: command start / end / error
 * (one message object per request per server, naming the command, the server and a key count,
 * never a key or a value), server down / up (the Client's events), connection connect / close;
 * and nothing built while nobody subscribes.
 */
import diagnostics from 'node:diagnostics_channel';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  AbortError,
  CHANNELS,
  Client,
  ClientError,
  ConnectionError,
  TimeoutError,
  type CommandMessage,
  type ConnectionMessage,
  type ServerDownMessage,
  type ServerUpMessage,
} from '../ts/index.js';
import { commandStarted } from '../ts/observability/channels.js';
import { Command } from '../ts/observability/metrics.js';
import { eventually, startFakeServer } from './support/fake-server.js';
import type { MemcachedServer } from './support/memcached.js';
import { useServers } from './support/server-and-client.js';

const servers = useServers(2);
let a: MemcachedServer;
let b: MemcachedServer;

beforeAll(() => {
  [a, b] = servers;
});

const name = (server: { spec: string }) => `${server.spec} (1)`;

type ChannelName = (typeof CHANNELS)[keyof typeof CHANNELS];
interface Published {
  channel: ChannelName;
  message: unknown;
}

/** Every message published on `names` until stopped (afterEach stops what a test left). */
const recorders: (() => void)[] = [];
function record(...names: ChannelName[]): Published[] {
  const seen: Published[] = [];
  const handlers = names.map((channel) => {
    const handler = (message: unknown) => seen.push({ channel, message });
    diagnostics.subscribe(channel, handler);
    return () => diagnostics.unsubscribe(channel, handler);
  });
  recorders.push(() => handlers.forEach((stop) => stop()));
  return seen;
}
afterEach(() => {
  while (recorders.length > 0) recorders.pop()!();
});

const COMMAND_CHANNELS = [CHANNELS.commandStart, CHANNELS.commandEnd, CHANNELS.commandError] as const;
const on = (seen: Published[], channel: ChannelName) => seen.filter((p) => p.channel === channel).map((p) => p.message);

describe('channel names', () => {
  it('are namespaced memcache-native:*', () => {
    expect(CHANNELS).toEqual({
      commandStart: 'memcache-native:command:start',
      commandEnd: 'memcache-native:command:end',
      commandError: 'memcache-native:command:error',
      serverDown: 'memcache-native:server:down',
      serverUp: 'memcache-native:server:up',
      connectionConnect: 'memcache-native:connection:connect',
      connectionClose: 'memcache-native:connection:close',
      fetch: 'memcache-native:fetch',
    });
  });
});

describe('command channels', () => {
  it('publish start then end with one message object: command, server, key count, timing; never the key or value', async () => {
    const mc = new Client(a.spec);
    try {
      const key = 'secret-key-7f3a';
      const value = 'secret-value-91c2';
      await mc.set(key, value);
      const seen = record(...COMMAND_CHANNELS);
      expect(await mc.get(key)).toBe(value);
      expect(seen.map((p) => p.channel)).toEqual([CHANNELS.commandStart, CHANNELS.commandEnd]);
      const [start, end] = seen.map((p) => p.message as CommandMessage);
      expect(end).toBe(start); // pair start and end by identity
      expect(start).toEqual({ command: 'get', server: name(a), keyCount: 1, startTime: expect.any(Number), duration: expect.any(Number), error: undefined });
      expect(start.duration).toBeGreaterThanOrEqual(0);
      expect(start.duration).toBeLessThan(5000);
      await mc.set(key, value);
      await mc.setMulti([[key, value]]);
      await mc.getMulti([key]);
      await mc.deleteMulti([key]);
      const text = JSON.stringify(seen.map((p) => p.message));
      expect(text).not.toContain(key);
      expect(text).not.toContain(value);
      expect(on(seen, CHANNELS.commandStart).map((m) => (m as CommandMessage).command)).toEqual(['get', 'set', 'setMulti', 'getMulti', 'deleteMulti']);
    } finally {
      await mc.close();
    }
  });

  it('publish one message per server a multi-key call reaches, with that server\'s key count', async () => {
    const mc = new Client([a.spec, b.spec]);
    try {
      const keys = Array.from({ length: 50 }, (_, i) => `spread:${i}`);
      const seen = record(...COMMAND_CHANNELS);
      await mc.getMulti(keys);
      const starts = on(seen, CHANNELS.commandStart) as CommandMessage[];
      expect(starts.map((m) => m.server).sort()).toEqual([name(a), name(b)].sort());
      for (const m of starts) {
        expect(m.command).toBe('getMulti');
        expect(m.keyCount).toBe(keys.filter((k) => mc.serverFor(k) === m.server).length);
      }
      expect(new Set(on(seen, CHANNELS.commandEnd))).toEqual(new Set(starts));
      seen.length = 0;
      await mc.version();
      expect((on(seen, CHANNELS.commandStart) as CommandMessage[]).map((m) => [m.command, m.keyCount])).toEqual([
        ['version', 0],
        ['version', 0],
      ]);
    } finally {
      await mc.close();
    }
  });

  it('publish error, with the error the call rejected with, for an error reply, a timeout and an abort', async () => {
    const mc = new Client(a.spec);
    const silent = await startFakeServer();
    const slow = new Client(silent.spec, { timeout: 100 });
    try {
      await mc.set('nan', 'not a number');
      const seen = record(...COMMAND_CHANNELS);
      const failure = await mc.incr('nan').catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(ClientError);
      expect(seen.map((p) => p.channel)).toEqual([CHANNELS.commandStart, CHANNELS.commandError]);
      const message = seen[1].message as CommandMessage;
      expect(message).toBe(seen[0].message);
      expect(message).toMatchObject({ command: 'incr', server: name(a), keyCount: 1 });
      expect(message.error).toBe(failure);

      seen.length = 0;
      const controller = new AbortController();
      const aborted = slow.get('k', { signal: controller.signal });
      controller.abort();
      await expect(aborted).rejects.toBeInstanceOf(AbortError);
      await expect(slow.get('k2')).rejects.toBeInstanceOf(TimeoutError);
      const errors = on(seen, CHANNELS.commandError) as CommandMessage[];
      expect(errors.map((m) => m.error?.code)).toEqual(['MEMCACHE_ABORTED', 'MEMCACHE_TIMEOUT']);
      expect(errors.every((m) => m.server === `${silent.spec} (1)` && m.command === 'get')).toBe(true);
      expect(on(seen, CHANNELS.commandEnd)).toEqual([]);
    } finally {
      await Promise.all([mc.close(), slow.close()]);
      await silent.close();
    }
  });

  it('finish a request started while subscribed to end alone', async () => {
    const mc = new Client(a.spec);
    try {
      const seen = record(CHANNELS.commandEnd);
      await mc.touch('whatever', 10);
      expect(seen).toHaveLength(1);
      expect(seen[0].message).toMatchObject({ command: 'touch', keyCount: 1, error: undefined });
      expect((seen[0].message as CommandMessage).duration).toBeGreaterThanOrEqual(0);
    } finally {
      await mc.close();
    }
  });

  it('build nothing while nobody subscribes to any of them', () => {
    expect(commandStarted(Command.get, 's (1)', 1)).toBeUndefined();
    const seen = record(CHANNELS.commandError);
    expect(commandStarted(Command.get, 's (1)', 1)).toMatchObject({ command: 'get', server: 's (1)', keyCount: 1 });
    while (recorders.length > 0) recorders.pop()!();
    expect(commandStarted(Command.get, 's (1)', 1)).toBeUndefined();
    expect(seen).toEqual([]);
  });
});

describe('server channels', () => {
  it('publish server:down and server:up with the Client events\' payloads', async () => {
    const mc = new Client([a.spec, b.spec], { deadRetry: 60_000 });
    const events: unknown[] = [];
    mc.on('server:down', (event) => events.push(event));
    mc.on('server:up', (event) => events.push(event));
    const seen = record(CHANNELS.serverDown, CHANNELS.serverUp);
    try {
      const keys = Array.from({ length: 40 }, (_, i) => `health:${i}`);
      await mc.getMulti(keys);
      await b.kill();
      // The first call to reach b after its connection dropped finds it refusing.
      for (let i = 0; i < 100 && seen.length === 0; i++) {
        await mc.getMulti(keys).catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(seen.map((p) => p.channel)).toEqual([CHANNELS.serverDown]);
      const down = seen[0].message as ServerDownMessage;
      expect(down).toMatchObject({ server: name(b), retryAt: expect.any(Number) });
      expect(down.error).toBeInstanceOf(ConnectionError);
      await b.restart();
      await mc.forgetDeadHosts();
      expect(seen.map((p) => p.channel)).toEqual([CHANNELS.serverDown, CHANNELS.serverUp]);
      const up = seen[1].message as ServerUpMessage;
      expect(up).toEqual({ server: name(b), downtime: expect.any(Number), flushed: false });
      expect(events).toEqual([down, up]);
    } finally {
      await mc.close();
      await b.restart();
    }
  });
});

describe('connection channels', () => {
  it('publish connect when a connection is ready and close when it ends, with the error that ended it', async () => {
    const seen = record(CHANNELS.connectionConnect, CHANNELS.connectionClose);
    const mc = new Client(a.spec, { poolSize: 1 });
    await mc.version();
    expect(seen).toEqual([{ channel: CHANNELS.connectionConnect, message: { server: name(a), error: undefined } }]);
    await mc.close();
    expect(seen.slice(1)).toEqual([{ channel: CHANNELS.connectionClose, message: { server: name(a), error: undefined } }]);

    seen.length = 0;
    const refused = new Client('127.0.0.1:1');
    await expect(refused.version()).rejects.toBeInstanceOf(ConnectionError);
    await refused.close();
    expect(seen.map((p) => p.channel)).toEqual([CHANNELS.connectionClose]);
    const closed = seen[0].message as ConnectionMessage;
    expect(closed.server).toBe('127.0.0.1:1 (1)');
    expect(closed.error).toBeInstanceOf(ConnectionError);
  });
});
