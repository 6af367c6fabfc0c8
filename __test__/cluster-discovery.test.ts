/**
 * Auto-discovery: the `config get cluster` reply parser on canned bytes, then a client whose pool
 * comes from a configuration endpoint (a protocol-exact stand-in) in front of real memcached
 * nodes: scale out, scale in, the endpoint down, garbage, a version going backwards, the first
 * call waiting for the first configuration, TLS and authentication on the endpoint.
 */
import { getEventListeners } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AbortError, Client, DiscoveryError, OptionError, UnsupportedError, type ClientEvents } from '../ts/index.js';
import { nodeServer, scanConfigReply } from '../ts/cluster/discovery/config-reply.js';
import { configReply, localNode, startConfigEndpoint, type ConfigEndpoint } from './support/config-endpoint.js';
import { startMemcached, type MemcachedServer } from './support/memcached.js';
import { raw } from './support/raw.js';

// The example of AWS's documentation, with its length counted (the documentation's 147 is not).
const AWS_EXAMPLE =
  'CONFIG cluster 0 136\r\n12\nmyCluster.pc4ldq.0001.use1.cache.amazonaws.com|10.82.235.120|11211 myCluster.pc4ldq.0002.use1.cache.amazonaws.com|10.80.249.27|11211\n\r\nEND\r\n';

/** A CONFIG reply around `data`, its length counted. */
const withData = (data: string) => `CONFIG cluster 0 ${data.length}\r\n${data}\r\nEND\r\n`;
const scan = (text: string) => scanConfigReply(Buffer.from(text, 'latin1'), 'endpoint:11211');
const reasonOf = (text: string): string | undefined => {
  try {
    scan(text);
    return undefined;
  } catch (error) {
    return (error as DiscoveryError).reason;
  }
};

describe('the config get cluster reply', () => {
  it('reads the version and every node of an ElastiCache reply', () => {
    const result = scan(AWS_EXAMPLE);
    expect(result).toEqual({
      complete: true,
      config: {
        version: 12,
        nodes: [
          { host: 'myCluster.pc4ldq.0001.use1.cache.amazonaws.com', ip: '10.82.235.120', port: 11211 },
          { host: 'myCluster.pc4ldq.0002.use1.cache.amazonaws.com', ip: '10.80.249.27', port: 11211 },
        ],
      },
    });
  });

  it('is incomplete at every cut before its END line, and complete with bytes after it', () => {
    for (let cut = 0; cut < AWS_EXAMPLE.length; cut++) expect(scan(AWS_EXAMPLE.slice(0, cut)).complete).toBe(false);
    expect(scan(`${AWS_EXAMPLE}VERSION 1.6\r\n`).complete).toBe(true);
  });

  it('tells a server that does not know the command from garbage', () => {
    expect(reasonOf('ERROR\r\n')).toBe('unsupported');
    const garbage = [
      'VALUE x 0 1\r\nx\r\nEND\r\n', // another command's reply
      'CONFIG cluster 0 3\r\n1\nab\n\r\nEND\r\n', // data longer than declared
      withData('1\n'), // no node line
      withData('x\n\n'), // version not a number
      configReply(3, []), // no node
      withData('1\nhost|1.2.3.4\n'), // no port
      withData('1\nhost|1.2.3.4|99999\n'), // port out of range
      withData('1\nhost|not-an-ip|11211\n'), // not an address
      withData('1\n||80\n'), // neither name nor address
      withData('1\nh|1.2.3.4|11211\n').replace('END', 'XXX'), // no END
      'x'.repeat(300), // no line at all
      'SERVER_ERROR out of memory\r\n',
    ];
    for (const reply of garbage) expect([reply, reasonOf(reply)]).toEqual([reply, 'malformed']);
  });

  it('connects to a node by its address, or by its name with TLS (the certificate names it)', () => {
    const node = { host: 'cache-1.example', ip: '10.0.0.1', port: 11211 };
    expect(nodeServer(node, false)).toEqual({ host: '10.0.0.1', port: 11211 });
    expect(nodeServer(node, true)).toEqual({ host: 'cache-1.example', port: 11211 });
    expect(nodeServer({ ...node, ip: '' }, false)).toEqual({ host: 'cache-1.example', port: 11211 });
  });
});

describe('options', () => {
  it('refuses servers given with discovery, a bad endpoint or interval, and bad replicas', () => {
    const bad: [unknown, object, string][] = [
      [['127.0.0.1:11211'], { discovery: { endpoint: '127.0.0.1:1' } }, 'discovery'],
      [[], { discovery: { endpoint: '' } }, 'discovery'],
      [[], { discovery: { endpoint: 'host:notaport' } }, 'discovery'],
      [[], { discovery: { endpoint: 'unix:/tmp/x.sock' } }, 'discovery'],
      [[], { discovery: { endpoint: 'h:1', interval: 10 } }, 'discovery'],
      [[], { discovery: { endpoint: 'h:1', every: 10 } }, 'discovery'],
      [['h:1'], { replicas: 0 }, 'replicas'],
      [['h:1'], { replicas: 1.5 }, 'replicas'],
      [['h:1'], { replicas: 65 }, 'replicas'],
      [['h:1'], { readRepairTtl: 60 }, 'readRepairTtl'],
      [['h:1'], { replicas: 2, readRepairTtl: -1 }, 'readRepairTtl'],
    ];
    for (const [servers, options, option] of bad) {
      let thrown: unknown;
      try {
        new Client(servers as string[], options);
      } catch (error) {
        thrown = error;
      }
      expect(thrown, JSON.stringify(options)).toBeInstanceOf(OptionError);
      expect((thrown as OptionError).option).toBe(option);
      expect((thrown as OptionError).code).toBe('MEMCACHE_BAD_OPTION');
    }
  });
});

type Event<E extends keyof ClientEvents> = ClientEvents[E][0];

/** The next `name` event of `mc` (rejects after `ms`). */
function next<E extends 'discovery:config' | 'discovery:error'>(mc: Client, name: E, ms = 4000): Promise<Event<E>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${name} event within ${ms} ms`)), ms);
    mc.once(name, ((event: Event<E>) => {
      clearTimeout(timer);
      resolve(event);
    }) as never);
  });
}

describe('a pool from a configuration endpoint', () => {
  let a: MemcachedServer;
  let b: MemcachedServer;
  let c: MemcachedServer;
  let endpoint: ConfigEndpoint;
  const name = (s: MemcachedServer) => `${s.spec} (1)`;
  const keys = Array.from({ length: 200 }, (_, i) => `disc:${i}`);

  beforeAll(async () => {
    [a, b, c] = await Promise.all([startMemcached(), startMemcached(), startMemcached()]);
    endpoint = await startConfigEndpoint([localNode(a.port), localNode(b.port)]);
  });
  afterAll(async () => {
    await endpoint?.close();
    await Promise.all([a, b, c].map((s) => s?.stop()));
  });

  it('builds the pool from the endpoint, the first call waiting for it; then follows scale out and scale in', async () => {
    endpoint.setNodes([localNode(a.port), localNode(b.port)], 5);
    const mc = new Client([], { discovery: { endpoint: endpoint.spec, interval: 100 } });
    const first = next(mc, 'discovery:config');
    try {
      // Called at once: waits for the first configuration, then runs.
      const fetched = mc.fetch(`${keys[0]}:fetched`, () => 'loaded', { ttl: 60 });
      expect(await mc.set(keys[0], 'first')).toBe(true);
      expect(await fetched).toBe('loaded');
      expect(await first).toEqual({ endpoint: endpoint.spec, version: 5, previous: undefined, servers: [name(a), name(b)] });
      await mc.setMulti(Object.fromEntries(keys.map((k) => [k, k])));
      const before = await mc.stats();
      const opsOnA = mc.metrics().servers.find((s) => s.server === name(a))?.ops.setMulti;

      const out = next(mc, 'discovery:config');
      endpoint.setNodes([localNode(a.port), localNode(b.port), localNode(c.port)]);
      expect(await out).toMatchObject({ version: 6, previous: 5, servers: [name(a), name(b), name(c)] });
      const wide = new Client([a.spec, b.spec, c.spec]);
      expect(keys.map((k) => mc.serverFor(k))).toEqual(keys.map((k) => wide.serverFor(k)));
      await wide.close();
      // A server kept keeps its connections and its counters.
      const after = await mc.stats();
      const connections = (list: typeof after, s: MemcachedServer) => list.find((x) => x.server === name(s))?.stats.total_connections;
      expect(connections(after, a)).toBe(connections(before, a));
      expect(mc.metrics().servers.find((s) => s.server === name(a))?.ops.setMulti).toBe(opsOnA);
      const hits = await mc.getMulti(keys);
      expect(hits.size).toBeGreaterThan(100); // c's share misses: it joined empty

      const inward = next(mc, 'discovery:config');
      const inFlight = keys.map((k) => mc.get(k));
      endpoint.setNodes([localNode(b.port), localNode(c.port)]);
      expect(await inward).toMatchObject({ version: 7, servers: [name(b), name(c)] });
      expect((await Promise.allSettled(inFlight)).every((r) => r.status === 'fulfilled')).toBe(true);
      expect((await mc.stats()).map((s) => s.server)).toEqual([name(b), name(c)]);
      expect(() => mc.setServers([a.spec])).toThrow(UnsupportedError);
    } finally {
      await mc.close();
    }
  });

  it('a fetch called before the first configuration, then close(): the fetch still runs once the pool is known, and stores its value', async () => {
    endpoint.setNodes([localNode(a.port)], 30);
    const mc = new Client([], { discovery: { endpoint: endpoint.spec, interval: 60 } });
    const key = `disc:closing:${process.pid}`;
    const fetched = mc.fetch(key, () => 'loaded', { ttl: 60 });
    await mc.close();
    expect(await fetched).toBe('loaded');
    const direct = new Client(a.spec);
    try {
      expect(await direct.get(key)).toBe('loaded');
    } finally {
      await direct.close();
    }
  });

  it('a fetch called before the first configuration, of a key whose lease another client holds, then close(): it stops at its first wait, and close() does not wait out its waitTimeout', async () => {
    endpoint.setNodes([localNode(a.port)], 31);
    const key = `disc:held:${process.pid}`;
    const holder = new Client(a.spec, { protocol: 'meta' });
    let release!: (value: string) => void;
    const held = holder.fetch(key, () => new Promise<string>((resolve) => (release = resolve)), { ttl: 60 });
    for (let i = 0; i < 200 && !/^VA 0 .*Z\r\n/.test((await raw(a, `mg ${key} v\r\n`)).toString('latin1')); i++) await new Promise((resolve) => setTimeout(resolve, 5));
    const mc = new Client([], { protocol: 'meta', discovery: { endpoint: endpoint.spec, interval: 60 } });
    const fetched = mc.fetch(key, () => 'never', { ttl: 60, waitTimeout: 5000 }).catch((e: unknown) => e);
    const started = performance.now();
    await mc.close();
    expect(performance.now() - started).toBeLessThan(2000);
    expect(await fetched).toMatchObject({ code: 'MEMCACHE_CLIENT_CLOSED' });
    release('loaded');
    expect(await held).toBe('loaded');
    await holder.close();
  });

  it('keeps the pool while the endpoint is down, answers garbage or goes back a version', async () => {
    endpoint.setNodes([localNode(a.port), localNode(b.port)], 20);
    const mc = new Client([], { discovery: { endpoint: endpoint.spec, interval: 60 } });
    const errors: Event<'discovery:error'>[] = [];
    mc.on('discovery:error', (e) => errors.push(e));
    try {
      await mc.set('kept', 1);
      const pool = (await mc.version()).map((v) => v.server);
      expect(pool).toEqual([name(a), name(b)]);

      await endpoint.down();
      const unreachable = await next(mc, 'discovery:error');
      expect(unreachable.version).toBe(20);
      expect(unreachable.error).toBeInstanceOf(DiscoveryError);
      expect(unreachable.error).toMatchObject({ code: 'MEMCACHE_DISCOVERY', reason: 'unreachable', server: endpoint.spec });
      expect(await mc.get('kept')).toBe(1);
      await endpoint.up();

      for (const garbage of ['HELLO\r\n', 'ERROR\r\n', configReply(21, []), 'CONFIG cluster 0 9999\r\n21\nx\r\nEND\r\n'.slice(0, 20) + 'Z'.repeat(400)]) {
        endpoint.setGarbage(garbage);
        const error = await next(mc, 'discovery:error');
        expect(['malformed', 'unsupported']).toContain(error.error.reason);
        expect((await mc.version()).map((v) => v.server)).toEqual(pool);
      }
      endpoint.setGarbage(undefined);

      endpoint.setNodes([localNode(c.port)], 19);
      const stale = await next(mc, 'discovery:error');
      expect(stale.error.reason).toBe('stale');
      expect((await mc.version()).map((v) => v.server)).toEqual(pool);
      expect(await mc.get('kept')).toBe(1);

      endpoint.setNodes([localNode(c.port)], 22);
      expect(await next(mc, 'discovery:config')).toMatchObject({ version: 22, previous: 20, servers: [name(c)] });
      expect(errors.every((e) => e.endpoint === endpoint.spec)).toBe(true);
    } finally {
      await mc.close();
    }
  });

  it('fails a call that waited its whole timeout for a first configuration', async () => {
    await endpoint.down();
    const mc = new Client([], { discovery: { endpoint: endpoint.spec, interval: 100 } });
    try {
      const started = performance.now();
      const error = await mc.get('x', { timeout: 300 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DiscoveryError);
      expect(error).toMatchObject({ reason: 'no-config', server: endpoint.spec });
      expect(((error as DiscoveryError).cause as DiscoveryError).reason).toBe('unreachable');
      expect(performance.now() - started).toBeLessThan(1500);
      // The endpoint comes back: the next call gets its pool.
      await endpoint.up();
      endpoint.setNodes([localNode(a.port)], 30);
      expect(await mc.set('late', 1, { timeout: 2500 })).toBe(true);
    } finally {
      await mc.close();
      await endpoint.up().catch(() => {});
    }
  });

  it('rejects calls waiting for a first configuration with an AbortError as their signal aborts, one listener for all', async () => {
    await endpoint.down();
    const mc = new Client([], { discovery: { endpoint: endpoint.spec, interval: 100 } });
    try {
      const controller = new AbortController();
      const calls = Array.from({ length: 20 }, (_, i) => mc.get(`x${i}`, { timeout: 5000, signal: controller.signal }).catch((e: unknown) => e));
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
      const started = performance.now();
      controller.abort();
      for (const error of await Promise.all(calls)) expect(error).toBeInstanceOf(AbortError);
      expect(performance.now() - started).toBeLessThan(100);
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    } finally {
      await mc.close();
      await endpoint.up().catch(() => {});
    }
  });
});

describe('TLS and authentication on the endpoint', () => {
  const users = { ops: 'secret' };
  let node: MemcachedServer;
  let endpoint: ConfigEndpoint;

  beforeAll(async () => {
    node = await startMemcached({ tls: true, users });
    endpoint = await startConfigEndpoint([localNode(node.port)], { tls: true, users });
  });
  afterAll(async () => {
    await endpoint?.close();
    await node?.stop();
  });

  it('asks the endpoint over TLS, logged in, and reaches its nodes the same way', async () => {
    const mc = new Client([], {
      discovery: { endpoint: endpoint.spec, interval: 1000 },
      tls: { ca: [node.ca as Buffer, endpoint.ca as Buffer] },
      auth: { username: 'ops', password: 'secret' },
    });
    try {
      expect(await mc.set('tls', 'yes')).toBe(true);
      expect(await mc.get('tls')).toBe('yes');
      expect(mc.serverFor('tls')).toBe(`localhost:${node.port} (1)`);
    } finally {
      await mc.close();
    }
    const refused = new Client([], {
      discovery: { endpoint: endpoint.spec, interval: 1000 },
      tls: { ca: [node.ca as Buffer, endpoint.ca as Buffer] },
      auth: { username: 'ops', password: 'wrong' },
    });
    try {
      const failed = await next(refused, 'discovery:error');
      expect(failed.error.reason).toBe('unreachable');
      expect((failed.error.cause as { code: string }).code).toBe('MEMCACHE_AUTH');
    } finally {
      await refused.close();
    }
  });
});
