/**
 * Which servers hold a key with `replicas: n`: its own, then the next distinct servers in the
 * distribution's order. "Next" is where the distribution sends the key when the servers before
 * it are out, so replica k is the server the key fails over to once replicas 1..k-1 are dead:
 * ketama's next server clockwise on the ring (with equal weights exactly the next point of another
 * server), python-memcached's rehash chain, modula's remixed live buckets. A dead primary's keys
 * therefore fail over onto the server that already holds their copy.
 *
 * A router per set of servers left out, built on first use: with `replicas: 2` at most one per
 * server; more replicas over many servers build more (a bounded cache, oldest dropped first).
 */
import type { HashAlgorithm } from '../core/index.js';
import { createRouter, type Distribution, type Router } from './distribution.js';
import type { ServerAddress } from './server-spec.js';

/** Routers kept at most; past it the oldest is dropped (and rebuilt if needed again). */
const MAX_ROUTERS = 256;

export class ReplicaMap {
  readonly #distribution: Distribution;
  readonly #hash: HashAlgorithm;
  readonly #servers: readonly ServerAddress[];
  readonly #count: number;
  /** By the left-out server indices, sorted and joined. */
  readonly #routers = new Map<string, Router>();

  constructor(distribution: Distribution, hash: HashAlgorithm, servers: readonly ServerAddress[], count: number) {
    this.#distribution = distribution;
    this.#hash = hash;
    this.#servers = servers;
    this.#count = count;
  }

  /**
   * The key's replicas, its own server (`own`, from the pool's router) first: up to `count`
   * distinct server indices, fewer when fewer servers take keys.
   */
  of(key: string, own: number): number[] {
    const replicas = [own];
    while (replicas.length < this.#count) {
      const next = this.#without(replicas).route(key);
      if (next < 0 || replicas.includes(next)) break;
      replicas.push(next);
    }
    return replicas;
  }

  #without(excluded: readonly number[]): Router {
    const id = [...excluded].sort((a, b) => a - b).join(',');
    let router = this.#routers.get(id);
    if (router === undefined) {
      if (this.#routers.size >= MAX_ROUTERS) this.#routers.delete(this.#routers.keys().next().value as string);
      const alive = this.#servers.map((_, index) => !excluded.includes(index));
      router = createRouter(this.#distribution, this.#hash, this.#servers, alive);
      this.#routers.set(id, router);
    }
    return router;
  }
}
