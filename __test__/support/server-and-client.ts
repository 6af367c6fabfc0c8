/**
 * Real memcached servers for a test file or a describe block, started in beforeAll and stopped in
 * afterAll: one with a Client for it (`useServerAndClient`), or several (`useServers`).
 */
import { afterAll, beforeAll } from 'vitest';
import { Client, type ClientOptions, type ServerSpec } from '../../ts/index.js';
import { startMemcached, type MemcachedOptions, type MemcachedServer } from './memcached.js';

export interface ServerAndClientOptions {
  /** How to start the server (transport, TLS, users, extra arguments). */
  server?: MemcachedOptions;
  /** Options for the client. */
  client?: ClientOptions;
}

/** Read inside tests and hooks: both exist from the helper's beforeAll until its afterAll. */
export interface ServerAndClient {
  readonly server: MemcachedServer;
  /** A client on `server` alone. */
  readonly client: Client;
}

/**
 * Registers the beforeAll / afterAll hooks in the current scope (call it at the top of a file or a
 * describe block). Hooks registered after this call see the server and client already there.
 */
export function useServerAndClient(options: ServerAndClientOptions = {}): ServerAndClient {
  let server: MemcachedServer | undefined;
  let client: Client | undefined;
  beforeAll(async () => {
    server = await startMemcached(options.server);
    client = new Client([server.spec], options.client);
  });
  afterAll(async () => {
    await client?.close();
    await server?.stop();
  });
  return {
    get server() {
      if (server === undefined) throw new Error('useServerAndClient: the server is not started yet (read it inside a test or hook)');
      return server;
    },
    get client() {
      if (client === undefined) throw new Error('useServerAndClient: the client is not created yet (read it inside a test or hook)');
      return client;
    },
  };
}

/**
 * Registers hooks that start `count` servers before the scope's tests and stop them after. The
 * returned array is filled by the beforeAll: read it inside tests and hooks.
 */
export function useServers(count: number): readonly MemcachedServer[] {
  const servers: MemcachedServer[] = [];
  beforeAll(async () => {
    servers.push(...(await Promise.all(Array.from({ length: count }, () => startMemcached()))));
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
  });
  return servers;
}

/**
 * Registers hooks that open a Client of each of `servers` alone (where a key really is), after
 * `useServers`' own, and close them after the scope. Read the array inside tests and hooks.
 */
export function useClientOfEach(servers: readonly MemcachedServer[]): readonly Client[] {
  const clients: Client[] = [];
  beforeAll(() => {
    clients.push(...servers.map((s) => new Client(s.spec)));
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
  });
  return clients;
}

/** Runs `body` with a fresh Client on `servers`, closed afterwards whatever `body` does. */
export async function withClient<T>(servers: ServerSpec | ServerSpec[], options: ClientOptions | undefined, body: (mc: Client) => Promise<T>): Promise<T> {
  const mc = new Client(servers, options);
  try {
    return await body(mc);
  } finally {
    await mc.close();
  }
}
