/**
 * 'modula': libmemcached's MEMCACHED_DISTRIBUTION_MODULA, `hash(key) % server count`, with any
 * libhashkit hash; with every weight 1 it equals libmemcached's. Weights repeat a server in the
 * bucket list as python-memcached's do; weight 0 leaves it out.
 *
 * Failover (libmemcached has none for modula): a key whose server is dead goes to the live
 * buckets, by a remix of its hash (murmur3's finalizer) modulo their count. Keys of live servers
 * never move, and a dead server's keys spread evenly over the live ones: plain `hash % live count`
 * would move almost every key, and the same hash would correlate with the dead server's residue.
 */
import { core, type HashAlgorithm } from '../core/index.js';
import type { Router } from './distribution.js';
import { KeyPacker } from './key-batch.js';
import type { ServerAddress } from './server-spec.js';
import { WeightedBuckets } from './weighted-buckets.js';

export function modulaRouter(servers: readonly ServerAddress[], hash: HashAlgorithm, alive: readonly boolean[] | undefined): Router {
  const weights = servers.map((s) => s.weight);
  const all = new WeightedBuckets(weights);
  const live = alive === undefined ? all : new WeightedBuckets(weights, (i) => alive[i]);
  const packer = new KeyPacker();
  let hashes = new Uint32Array(64);

  const pick = (h: number): number => {
    const server = all.owner(h % all.count);
    if (alive === undefined || alive[server]) return server;
    return live.count === 0 ? -1 : live.owner(remix(h) % live.count);
  };

  return {
    route: (key) => pick(core.hash(hash, packer.one(key))),
    routeMany(keys, out) {
      if (hashes.length < keys.length) hashes = new Uint32Array(Math.max(keys.length, hashes.length * 2));
      const { bytes, offsets } = packer.pack(keys);
      core.hashBatch(hash, bytes, offsets, hashes);
      for (let k = 0; k < keys.length; k++) out[k] = pick(hashes[k]);
    },
  };
}

/** murmur3's 32-bit finalizer: every input bit affects every output bit. */
export function remix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
