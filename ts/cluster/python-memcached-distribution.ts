/**
 * 'python-memcached': python-memcached 1.62's `Client._get_server`, bit for bit.
 *
 *     serverhash = (crc32(key) >> 16) & 0x7fff            # the core's 'crc'
 *     for i in range(10):                                  # Client._SERVER_RETRIES
 *         server = buckets[serverhash % len(buckets)]      # each server `weight` times
 *         if server is alive: return server
 *         serverhash = crc(str(serverhash) + str(i))       # decimal text, ASCII
 *     return None
 *
 * So a dead server's keys go where the chain leads, and the keys of live servers never move.
 * After ten dead picks python-memcached gives up on the key; so do we (-1).
 */
import { core } from '../core/index.js';
import type { Router } from './distribution.js';
import { KeyPacker } from './key-batch.js';
import type { ServerAddress } from './server-spec.js';
import { WeightedBuckets } from './weighted-buckets.js';

/** python-memcached's Client._SERVER_RETRIES: servers looked at per key, the first included. */
export const SERVER_RETRIES = 10;

export function pythonMemcachedRouter(servers: readonly ServerAddress[], alive: readonly boolean[] | undefined): Router {
  const buckets = new WeightedBuckets(servers.map((s) => s.weight));
  const packer = new KeyPacker();
  const isAlive = (index: number): boolean => alive === undefined || alive[index];
  const crc = (text: string): number => core.hash('crc', packer.one(text));
  let hashes = new Uint32Array(64);

  return {
    route(key) {
      let hash = crc(key);
      for (let i = 0; i < SERVER_RETRIES; i++) {
        const server = buckets.owner(hash % buckets.count);
        if (isAlive(server)) return server;
        hash = crc(`${hash}${i}`);
      }
      return -1;
    },

    routeMany(keys, out) {
      if (hashes.length < keys.length) hashes = new Uint32Array(Math.max(keys.length, hashes.length * 2));
      const { bytes, offsets } = packer.pack(keys);
      core.hashBatch('crc', bytes, offsets, hashes);
      // Keys whose server is dead walk the chain together: one hashBatch per round, not per key.
      let waiting: number[] | undefined;
      for (let k = 0; k < keys.length; k++) {
        const server = buckets.owner(hashes[k] % buckets.count);
        out[k] = server;
        if (!isAlive(server)) (waiting ??= []).push(k);
      }
      for (let i = 0; waiting !== undefined && i < SERVER_RETRIES - 1; i++) {
        const texts = waiting.map((k) => `${hashes[k]}${i}`);
        const batch = packer.pack(texts);
        const next = new Uint32Array(texts.length);
        core.hashBatch('crc', batch.bytes, batch.offsets, next);
        const still: number[] = [];
        waiting.forEach((k, j) => {
          hashes[k] = next[j];
          const server = buckets.owner(next[j] % buckets.count);
          out[k] = server;
          if (!isAlive(server)) still.push(k);
        });
        waiting = still.length > 0 ? still : undefined;
      }
      if (waiting !== undefined) for (const k of waiting) out[k] = -1;
    },
  };
}
