/**
 * The servers of a client: one connection pool each, and the router that picks one per key.
 * Connection failures arrive here (ConnectionObserver); the cluster issue adds dead-server
 * marking and failover on top of them.
 */
import { debuglog } from 'node:util';
import { ConnectionPool } from '../connection/connection-pool.js';
import type { Connection, ConnectionConfig, ConnectionObserver } from '../connection/connection.js';
import { NoServerError, type MemcacheError } from '../errors.js';
import { createRouter, type Router } from './router.js';
import { parseServerSpec, type ServerAddress, type ServerSpec } from './server-spec.js';

const debug = debuglog('memcache-native');

/** Connection settings shared by every server. */
export type ConnectionSettings = Omit<ConnectionConfig, 'name' | 'endpoint'>;

export interface ServerNode {
  readonly address: ServerAddress;
  readonly pool: ConnectionPool;
}

/** Keys of one multi-key call that go to one server: `indices` into the call's key list. */
export interface KeyGroup {
  readonly node: ServerNode;
  readonly indices: number[];
}

export class Cluster implements ConnectionObserver {
  readonly nodes: readonly ServerNode[];
  readonly #router: Router;

  /** Parses every spec (ServerSpecError on the first bad one); connects nothing yet. */
  constructor(specs: readonly ServerSpec[], settings: ConnectionSettings, poolSize: number) {
    const addresses = specs.map(parseServerSpec);
    this.nodes = addresses.map((address) => ({
      address,
      pool: new ConnectionPool({ ...settings, name: address.name, endpoint: address.endpoint }, poolSize, this),
    }));
    this.#router = createRouter(addresses);
  }

  /** The server for one key (wire form). */
  nodeFor(key: string): ServerNode {
    const index = this.#router.route(key);
    if (index < 0) throw new NoServerError('no server takes keys (every weight is 0)');
    return this.nodes[index];
  }

  /** Splits keys (wire form) by server, keeping their order within each server. */
  group(keys: readonly string[]): KeyGroup[] {
    if (this.nodes.length === 1) {
      const node = this.nodeFor(keys[0] ?? '');
      return [{ node, indices: keys.map((_, i) => i) }];
    }
    const routes = new Int32Array(keys.length);
    this.#router.routeMany(keys, routes);
    const groups = new Map<number, number[]>();
    for (let i = 0; i < keys.length; i++) {
      if (routes[i] < 0) throw new NoServerError('no server takes keys (every weight is 0)');
      const indices = groups.get(routes[i]);
      if (indices === undefined) groups.set(routes[i], [i]);
      else indices.push(i);
    }
    return [...groups].map(([index, indices]) => ({ node: this.nodes[index], indices }));
  }

  onConnectionFailure(connection: Connection, error: MemcacheError): void {
    debug('connection to %s failed: %s', connection.name, error.message);
  }

  /** Closes every connection once its queued requests are done. */
  async close(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.pool.close()));
  }
}
