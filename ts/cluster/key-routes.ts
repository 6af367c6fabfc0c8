/**
 * Where the public API sends a keyed request: the routing floor's one entrance for it. Without
 * replicas a request goes to the key's server (as Cluster.nodeFor says); with them, writes go to
 * every live replica, reads through them in order, and the rest (gets, gats, cas, counters) to the
 * first live replica (see replica-requests.ts for why). With discovery, a call made before the
 * first configuration waits for it, within its timeout, and is then routed with the time left.
 */
import type { MemcacheError } from '../errors.js';
import type { ValueDecoder } from '../protocol/request-factory.js';
import type { Cluster } from './cluster.js';
import { sendPerServer } from './fan-out.js';
import { readManyThrough, writeManyEverywhere, type GetMany, type PutMany } from './replica-multi.js';
import { readThrough, send, writeEveryReplica, writeFirstThenCopy, type MakeRead, type MakeRequest, type ReadRepair } from './replica-requests.js';

export type { MakeRead, MakeRequest } from './replica-requests.js';
export type { GetMany, PutMany } from './replica-multi.js';

export class KeyRoutes {
  readonly #cluster: Cluster;
  readonly #decoder: ValueDecoder;
  readonly #readRepairTtl: number;

  /** `decoder`: what reads decode with; `readRepairTtl`: seconds a copied-back value lives (0: none copied). */
  constructor(cluster: Cluster, decoder: ValueDecoder, readRepairTtl: number) {
    this.#cluster = cluster;
    this.#decoder = decoder;
    this.#readRepairTtl = readRepairTtl;
  }

  /** Runs `call` now, or once discovery has a pool, with the ms left of `timeout`. */
  whenConfigured<T>(timeout: number, signal: AbortSignal | undefined, call: (timeout: number) => Promise<T>): Promise<T> {
    const waiting = this.#cluster.untilConfigured(timeout, signal);
    return waiting === undefined ? call(timeout) : waiting.then(call);
  }

  /** To the key's server only: the first live replica (gets, gats, counters). */
  one<T>(wire: string, timeout: number, signal: AbortSignal | undefined, make: MakeRequest<T>): Promise<T> {
    const waiting = this.#cluster.untilConfigured(timeout, signal);
    if (waiting !== undefined) return waiting.then((left) => this.one(wire, left, signal, make));
    const node = this.#cluster.nodeFor(wire);
    return send(node, make(node.requests, timeout));
  }

  /** A write: to every live replica; the first replica's answer (see writeEveryReplica). */
  write<T>(wire: string, timeout: number, signal: AbortSignal | undefined, make: MakeRequest<T>): Promise<T> {
    const waiting = this.#cluster.untilConfigured(timeout, signal);
    if (waiting !== undefined) return waiting.then((left) => this.write(wire, left, signal, make));
    if (!this.#cluster.replicated) return this.one(wire, timeout, signal, make);
    const nodes = this.#cluster.replicasOf(wire);
    return nodes.length === 1 ? send(nodes[0], make(nodes[0].requests, timeout)) : writeEveryReplica(nodes, timeout, make);
  }

  /** cas: compared on the first live replica, whose token `gets` returned; once stored, `copy` (a set) to the others. */
  cas(wire: string, timeout: number, signal: AbortSignal | undefined, make: MakeRequest<boolean>, copy: MakeRequest<boolean>): Promise<boolean> {
    const waiting = this.#cluster.untilConfigured(timeout, signal);
    if (waiting !== undefined) return waiting.then((left) => this.cas(wire, left, signal, make, copy));
    if (!this.#cluster.replicated) return this.one(wire, timeout, signal, make);
    return writeFirstThenCopy(this.#cluster.replicasOf(wire), timeout, make, copy);
  }

  /**
   * A read: the first live replica, then the next on a miss or an error. `repairTtl`: seconds a
   * value copied back to the replicas that missed lives (undefined: the readRepairTtl option).
   */
  read(wire: string, timeout: number, signal: AbortSignal | undefined, make: MakeRead, repairTtl?: number): Promise<unknown> {
    const waiting = this.#cluster.untilConfigured(timeout, signal);
    if (waiting !== undefined) return waiting.then((left) => this.read(wire, left, signal, make, repairTtl));
    if (!this.#cluster.replicated) {
      const node = this.#cluster.nodeFor(wire);
      return send(node, make(node.requests, timeout, this.#decoder));
    }
    const ttl = this.#readRepairTtl > 0 ? (repairTtl ?? this.#readRepairTtl) : 0;
    const repair: ReadRepair = { decoder: this.#decoder, ttl };
    return readThrough(this.#cluster.replicasOf(wire), wire, timeout, make, repair);
  }

  /**
   * Many keys' reads (getMulti), `resultKeys[i]` standing for `wires[i]` in `hits` and `errors`.
   * Rejects only when every server involved failed.
   */
  async readMany(
    wires: readonly string[],
    resultKeys: readonly unknown[],
    hits: Map<unknown, unknown>,
    errors: Map<unknown, MemcacheError>,
    timeout: number,
    signal: AbortSignal | undefined,
    get: GetMany,
  ): Promise<void> {
    const waiting = this.#cluster.untilConfigured(timeout, signal);
    if (waiting !== undefined) timeout = await waiting;
    if (!this.#cluster.replicated) {
      await sendPerServer(
        this.#cluster,
        wires,
        (ids, requests) => get(requests, ids, pick(resultKeys, ids), hits, errors, timeout),
        (ids, error) => {
          for (const i of ids) errors.set(resultKeys[i], error);
        },
      );
      return;
    }
    const read = await readManyThrough(this.#cluster, wires, timeout, get);
    for (const [id, value] of read.hits) hits.set(resultKeys[id], value);
    for (const [id, error] of read.errors) errors.set(resultKeys[id], error);
  }

  /**
   * Many keys' writes (setMulti, deleteMulti); resolves with the `resultKeys` of the keys not done.
   * `errors`, if given, gets the failure of each key whose server failed.
   */
  async writeMany<K>(wires: readonly string[], resultKeys: readonly K[], timeout: number, signal: AbortSignal | undefined, put: PutMany, errors?: Map<K, MemcacheError>): Promise<K[]> {
    const waiting = this.#cluster.untilConfigured(timeout, signal);
    if (waiting !== undefined) timeout = await waiting;
    const failedWith = errors === undefined ? undefined : (id: number, error: MemcacheError): void => void errors.set(resultKeys[id], error);
    if (this.#cluster.replicated) return (await writeManyEverywhere(this.#cluster, wires, timeout, put, failedWith)).map((id) => resultKeys[id]);
    const failed: K[] = [];
    const results = await sendPerServer(
      this.#cluster,
      wires,
      (ids, requests) => put(requests, ids, pick(resultKeys, ids), timeout),
      (ids, error) => {
        for (const i of ids) {
          failed.push(resultKeys[i]);
          failedWith?.(i, error);
        }
      },
    );
    return failed.concat(...(results as K[][]));
  }
}

/** The items of `list` at `indices`; all of them when `indices` is undefined. */
export function pick<T>(list: readonly T[], indices: readonly number[] | undefined): T[] {
  return indices === undefined ? (list as T[]) : indices.map((i) => list[i]);
}
