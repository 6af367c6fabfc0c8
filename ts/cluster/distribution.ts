/**
 * Which server a key goes to. Four distributions, each compatible with another client so that
 * services in other languages sharing the pool put every key on the same server:
 * - 'ketama': libmemcached / pylibmc / twemproxy weighted consistent ring, MD5 key hash;
 * - 'ketama-spy': spymemcached's ring (its point strings);
 * - 'python-memcached': python-memcached's crc buckets and rehash chain, bit for bit;
 * - 'modula': key hash (any libhashkit hash) modulo the weighted server count.
 * A Router is built over the pool and the servers alive now; the cluster rebuilds it when a
 * server goes down or comes back, so routing one key never looks at server health itself.
 */
import type { HashAlgorithm } from '../core/index.js';
import { ketamaRouter } from './ketama-distribution.js';
import { modulaRouter } from './modula-distribution.js';
import { pythonMemcachedRouter } from './python-memcached-distribution.js';
import type { ServerAddress } from './server-spec.js';

export const DISTRIBUTIONS = ['ketama', 'ketama-spy', 'python-memcached', 'modula'] as const;
export type Distribution = (typeof DISTRIBUTIONS)[number];

/**
 * The key hash of each distribution. Only modula lets the `hash` option choose another; its
 * default is libmemcached's (one_at_a_time), whose default distribution modula is.
 */
export const DEFAULT_HASH: Readonly<Record<Distribution, HashAlgorithm>> = {
  ketama: 'md5',
  'ketama-spy': 'md5',
  'python-memcached': 'crc',
  modula: 'one_at_a_time',
};

export interface Router {
  /** Index of the server for `key` (wire form); -1 when no server can take it. */
  route(key: string): number;
  /** `route` for many keys in one crossing into the core, into `out[0 .. keys.length)`. */
  routeMany(keys: readonly string[], out: Int32Array): void;
}

/**
 * A router over `servers`. `alive[i]` false leaves server i out (its keys fail over as the
 * distribution does it); undefined means every server is alive. Weight-0 servers never take keys.
 */
export function createRouter(
  distribution: Distribution,
  hash: HashAlgorithm,
  servers: readonly ServerAddress[],
  alive: readonly boolean[] | undefined,
): Router {
  const keyed = servers.flatMap((server, index) => (server.weight > 0 ? [index] : []));
  // One server taking keys needs no hash at all (nor can a failover chain lead elsewhere).
  if (keyed.length <= 1) return fixedRouter(keyed.length === 1 ? keyed[0] : -1);
  switch (distribution) {
    case 'ketama':
      return ketamaRouter(servers, 'libmemcached', alive);
    case 'ketama-spy':
      return ketamaRouter(servers, 'spymemcached', alive);
    case 'python-memcached':
      return pythonMemcachedRouter(servers, alive);
    case 'modula':
      return modulaRouter(servers, hash, alive);
  }
}

function fixedRouter(index: number): Router {
  return {
    route: () => index,
    routeMany: (keys, out) => out.fill(index, 0, keys.length),
  };
}
