/**
 * Which server a key goes to. One server: that one. Several: libmemcached's weighted ketama ring
 * (MD5 key hash), built by the core, so a C, PHP or Python client sharing the pool agrees.
 * Other distributions (python-memcached, modula, ketama-spy) and dead-server handling plug in here.
 */
import { core } from '../core/index.js';
import type { ServerAddress } from './server-spec.js';

export interface Router {
  /** Index of the server for `key` (wire form); -1 when no server takes keys (every weight 0). */
  route(key: string): number;
  /** `route` for many keys at once, into `out[0 .. keys.length)`. */
  routeMany(keys: readonly string[], out: Int32Array): void;
}

export function createRouter(servers: readonly ServerAddress[]): Router {
  if (servers.length === 1) return fixedRouter(servers[0].weight > 0 ? 0 : -1);
  return ketamaRouter(servers);
}

function fixedRouter(index: number): Router {
  return {
    route: () => index,
    routeMany: (keys, out) => out.fill(index, 0, keys.length),
  };
}

function ketamaRouter(servers: readonly ServerAddress[]): Router {
  const ring = core.createRing(
    servers.map(({ endpoint, weight }) =>
      endpoint.kind === 'tcp' ? { host: endpoint.host, port: endpoint.port, weight } : { host: endpoint.path, port: 0, weight },
    ),
    'libmemcached',
  );
  return {
    route: (key) => ring.lookup(Buffer.from(key, 'latin1')),
    routeMany(keys, out) {
      const offsets = new Uint32Array(keys.length + 1);
      let total = 0;
      for (let i = 0; i < keys.length; i++) offsets[i + 1] = total += keys[i].length;
      const bytes = Buffer.allocUnsafe(total);
      for (let i = 0; i < keys.length; i++) bytes.write(keys[i], offsets[i], 'latin1');
      ring.lookupBatch(bytes, offsets, out);
    },
  };
}
