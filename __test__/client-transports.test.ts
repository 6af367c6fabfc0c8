/** The same client over a unix socket, IPv6, TLS and ASCII authentication. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthError, Client, ConnectionError, type ClientOptions, type ServerSpec } from '../ts/index.js';
import { hasIpv6Loopback, startMemcached, type MemcachedServer } from './support/memcached.js';

/** A representative round of commands, run on every transport. */
async function exercise(mc: Client): Promise<void> {
  expect(await mc.set('t:text', 'über')).toBe(true);
  expect(await mc.get('t:text')).toBe('über');
  expect(await mc.set('t:bin', Buffer.from('\r\nEND\r\n'))).toBe(true);
  expect(await mc.get('t:bin')).toEqual(Buffer.from('\r\nEND\r\n'));
  expect(await mc.set('t:n', 1)).toBe(true);
  expect(await mc.incr('t:n', 41)).toBe(42);
  const item = await mc.gets('t:n');
  expect(await mc.cas('t:n', 0, item!.cas)).toBe(true);
  expect([...(await mc.getMulti(['t:text', 't:n', 't:none']))]).toEqual([['t:text', 'über'], ['t:n', 0]]);
  expect(await mc.delete('t:n')).toBe(true);
  expect(await Promise.all(Array.from({ length: 50 }, (_, i) => mc.get(i % 2 ? 't:text' : 't:none')))).toEqual(
    Array.from({ length: 50 }, (_, i) => (i % 2 ? 'über' : undefined)),
  );
  const [stats] = await mc.stats();
  expect(stats.stats.pid).toMatch(/^\d+$/);
}

async function withClient(spec: ServerSpec, options: ClientOptions, body: (mc: Client) => Promise<void>): Promise<void> {
  const mc = new Client([spec], options);
  try {
    await body(mc);
  } finally {
    await mc.close();
  }
}

describe('unix socket', () => {
  let server: MemcachedServer;
  beforeAll(async () => {
    server = await startMemcached({ transport: 'unix' });
  });
  afterAll(async () => server?.stop());

  it('serves every command, addressed as unix:/path or /path', async () => {
    await withClient(server.spec, {}, exercise);
    await withClient(server.path, {}, async (mc) => {
      expect(await mc.get('t:text')).toBe('über');
      expect((await mc.stats())[0].server).toBe(`unix:${server.path} (1)`);
    });
  });
});

describe('IPv6', async () => {
  const available = await hasIpv6Loopback();
  if (!available) console.warn('[client-transports] skipping IPv6: this machine has no IPv6 loopback');
  let server: MemcachedServer;
  beforeAll(async () => {
    if (available) server = await startMemcached({ transport: 'ipv6' });
  });
  afterAll(async () => server?.stop());

  it.skipIf(!available)('serves every command over [::1], in each spelling', async () => {
    await withClient(server.spec, {}, exercise);
    await withClient(`inet6:[::1]:${server.port}`, {}, async (mc) => {
      expect(await mc.get('t:text')).toBe('über');
      expect((await mc.stats())[0].server).toBe(`[::1]:${server.port} (1)`);
    });
    await withClient({ host: '::1', port: server.port }, {}, async (mc) => {
      expect(await mc.get('t:text')).toBe('über');
    });
  });
});

describe('TLS', () => {
  let server: MemcachedServer;
  beforeAll(async () => {
    server = await startMemcached({ tls: true });
  });
  afterAll(async () => server?.stop());

  it('serves every command when the certificate is trusted', async () => {
    await withClient(server.spec, { tls: { ca: server.ca } }, exercise);
  });

  it('checks the certificate: an untrusted one fails to connect, without a hang', async () => {
    await withClient(server.spec, { tls: true }, async (mc) => {
      const error = await mc.get('t:text').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConnectionError);
      expect((error as Error).message).toMatch(/certificate/);
    });
  });
});

describe('credentials and a server that does not ask for them', () => {
  let open: MemcachedServer;
  beforeAll(async () => {
    open = await startMemcached();
  });
  afterAll(async () => open?.stop());

  it('are never sent: calls fail with an AuthError that says so, and no item "auth" holds the password', async () => {
    await withClient(open.spec, { auth: { username: 'alice', password: 'never-stored' } }, async (mc) => {
      const error = await mc.get('k').catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'MEMCACHE_AUTH', server: `${open.spec} (1)` });
      expect((error as Error).message).toMatch(/does not require authentication/);
    });
    await withClient(open.spec, {}, async (plain) => {
      expect(await plain.get('auth')).toBeUndefined();
    });
  });
});

describe('ASCII authentication', () => {
  let server: MemcachedServer;
  beforeAll(async () => {
    server = await startMemcached({ users: { alice: 's3cret', bob: 'hunter2' } });
  });
  afterAll(async () => server?.stop());

  it('authenticates every new connection before its first command', async () => {
    await withClient(server.spec, { auth: { username: 'alice', password: 's3cret' }, poolSize: 3 }, async (mc) => {
      await exercise(mc);
      await Promise.all(Array.from({ length: 30 }, (_, i) => mc.set(`t:pool:${i}`, i)));
      expect(await mc.get('t:pool:29')).toBe(29);
    });
  });

  it('turns a wrong password into an AuthError for everything queued, quickly', async () => {
    await withClient(server.spec, { auth: { username: 'alice', password: 'wrong' }, timeout: 5000 }, async (mc) => {
      const started = performance.now();
      const outcomes = await Promise.allSettled([mc.get('t:text'), mc.set('t:x', 1), mc.stats()]);
      expect(performance.now() - started).toBeLessThan(1000);
      for (const outcome of outcomes) {
        expect(outcome.status).toBe('rejected');
        expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(AuthError);
        expect((outcome as PromiseRejectedResult).reason).toMatchObject({ code: 'MEMCACHE_AUTH', server: `${server.spec} (1)` });
      }
      await expect(mc.get('t:text')).rejects.toBeInstanceOf(AuthError);
    });
  });

  it('without credentials, every call pipelined to the server fails at once with an AuthError saying it requires authentication', async () => {
    await withClient(server.spec, { timeout: 5000 }, async (mc) => {
      const started = performance.now();
      const outcomes = await Promise.allSettled([mc.get('t:text'), mc.set('t:x', 1), mc.get('t:other'), mc.version()]);
      expect(performance.now() - started).toBeLessThan(1000);
      for (const outcome of outcomes) {
        expect((outcome as PromiseRejectedResult).reason).toMatchObject({ code: 'MEMCACHE_AUTH', server: `${server.spec} (1)` });
        expect((outcome as PromiseRejectedResult).reason.message).toMatch(/requires authentication/);
      }
    });
  });

  it('works over TLS too', async () => {
    const secure = await startMemcached({ tls: true, users: { carol: 'pw' } });
    try {
      await withClient(secure.spec, { tls: { ca: secure.ca }, auth: { username: 'carol', password: 'pw' } }, exercise);
    } finally {
      await secure.stop();
    }
  });
});
