/**
 * One real memcached and one Client for it, for a test file or a describe block: starts the server
 * in beforeAll and creates the client on it, closes the client and stops the server in afterAll.
 */
import { afterAll, beforeAll } from 'vitest';
import { Client, type ClientOptions } from '../../ts/index.js';
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
