/**
 * Where each distribution puts a key, computed here from the algorithms' definitions, apart from
 * the client's code: python-memcached from zlib's crc32, ketama from the core's ring, modula from
 * the core's hash. Servers are `{ host, port, weight }`; results are indices into the list.
 */
import zlib from 'node:zlib';
import { core, type HashAlgorithm } from '../../ts/core/index.js';

export interface PoolServer {
  /** Default 127.0.0.1. */
  readonly host?: string;
  readonly port: number;
  readonly weight: number;
}

/** python-memcached's serverHashFunction: `((crc32(key) & 0xffffffff) >> 16) & 0x7fff`. */
export function pythonHash(bytes: Buffer): number {
  return (zlib.crc32(bytes) >>> 16) & 0x7fff;
}

/** python-memcached's bucket list: each server `weight` times, in order. */
export function pythonBuckets(servers: readonly PoolServer[]): number[] {
  return servers.flatMap((server, index) => Array<number>(server.weight).fill(index));
}

/**
 * The servers python-memcached 1.62's `_get_server` looks at for `key`, in order: ten looks at
 * most, each rehash taking the decimal text of the previous hash followed by the try index. It
 * stops at the first live one.
 */
export function pythonChain(key: string, servers: readonly PoolServer[], dead: ReadonlySet<number> = new Set()): number[] {
  const buckets = pythonBuckets(servers);
  const looked: number[] = [];
  let hash = pythonHash(Buffer.from(key, 'utf8'));
  for (let i = 0; i < 10; i++) {
    const server = buckets[hash % buckets.length];
    looked.push(server);
    if (!dead.has(server)) break;
    hash = pythonHash(Buffer.from(String(hash) + String(i), 'ascii'));
  }
  return looked;
}

/** The server python-memcached picks; -1 when all ten looks landed on dead servers. */
export function pythonRoute(key: string, servers: readonly PoolServer[], dead: ReadonlySet<number> = new Set()): number {
  const last = pythonChain(key, servers, dead).at(-1) as number;
  return dead.has(last) ? -1 : last;
}

/** The core's ketama ring over the live servers (a dead one gets weight 0, as libmemcached's rebuilt ring). */
export function ketamaRouter(
  servers: readonly PoolServer[],
  format: 'libmemcached' | 'spymemcached',
  dead: ReadonlySet<number> = new Set(),
): (key: string) => number {
  const ring = core.createRing(
    servers.map((s, i) => ({ host: s.host ?? '127.0.0.1', port: s.port, weight: dead.has(i) ? 0 : s.weight })),
    format,
  );
  return (key) => ring.lookup(Buffer.from(key, 'utf8'));
}

/** `hash(key) % buckets` over python-style weighted buckets (libmemcached's modula when weights are 1). */
export function modulaRoute(key: string, servers: readonly PoolServer[], hash: HashAlgorithm): number {
  const buckets = pythonBuckets(servers);
  return buckets[core.hash(hash, Buffer.from(key, 'utf8')) % buckets.length];
}
