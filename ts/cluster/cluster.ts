/**
 * The servers of a client and which one each key goes to, given which are up. Routing asks the
 * distribution's router; while every server is up that is all it does. While some are down,
 * keys fail over (`failover: true`: the router rebuilt without them) or fail fast with a
 * ServerDeadError (`failover: false`). When every server is down, calls go to their key's own
 * server anyway: failing them unasked would only lengthen the outage. With `replicas` a key has
 * several servers (replica-selection.ts), and goes to the first of them that is up. With
 * discovery, the pool is the configuration endpoint's (discovery/).
 */
import type { HashAlgorithm } from '../core/index.js';
import { MemcacheError, NoServerError, ServerDeadError } from '../errors.js';
import { createRouter, type Distribution, type Router } from './distribution.js';
import { Discovery, type DiscoveryEvent, type DiscoverySettings } from './discovery/discovery.js';
import { Health, type HealthEvent } from './health.js';
import { ReplicaMap } from './replica-selection.js';
import { ServerNode, type ConnectionSettings } from './server-node.js';
import { parseServerSpec, type ServerSpec } from './server-spec.js';

export { ServerNode, type ConnectionSettings } from './server-node.js';

export interface ClusterSettings {
  readonly connection: ConnectionSettings;
  readonly poolSize: number;
  readonly distribution: Distribution;
  readonly hash: HashAlgorithm;
  readonly failover: boolean;
  readonly deadRetry: number;
  readonly flushOnReconnect: boolean;
  /** ms a probe of a returning server may take. */
  readonly probeTimeout: number;
  /** Servers each key lives on (1: no copies). */
  readonly replicas: number;
  /** Set: the pool comes from this configuration endpoint (the specs given are ignored). */
  readonly discovery: DiscoverySettings | undefined;
}

/** What the cluster tells the client about: servers going down and up, configurations found. */
export type ClusterEvent = HealthEvent | DiscoveryEvent;

/** Keys of one multi-key call that go to one server (`indices` into the call's key list), or fail together. */
export type KeyGroup = { readonly node: ServerNode; readonly indices: number[] } | { readonly error: MemcacheError; readonly indices: number[] };

export class Cluster {
  readonly #settings: ClusterSettings;
  readonly #health: Health;
  #nodes: readonly ServerNode[] = [];
  /** Routes as if every server were up. */
  #natural!: Router;
  /** Routes around the servers that are down (failover); rebuilt when one goes down or comes back. */
  #live!: Router;
  /** Servers with a weight that are up. */
  #liveKeyed = 0;
  /** Servers removed by setServers, draining, each with the promise of its pool's close. */
  readonly #retiring = new Map<ServerNode, Promise<void>>();
  /** Each key's servers, with replicas > 1. */
  #replicas: ReplicaMap | undefined;
  readonly #discovery: Discovery | undefined;

  /**
   * Parses every spec (ServerSpecError on the first bad one); connects nothing yet. With
   * discovery, asks the endpoint for the pool at once.
   */
  constructor(specs: readonly ServerSpec[], settings: ClusterSettings, onEvent: (event: ClusterEvent) => void) {
    this.#settings = settings;
    this.#health = new Health(settings, () => this.#rebuildLive(), onEvent);
    this.setServers(specs);
    if (settings.discovery === undefined) return;
    this.#discovery = new Discovery(settings.discovery, (found) => this.#adopt(found), onEvent);
    void this.#discovery.poll();
  }

  /** The discovery poller, with discovery. */
  get discovery(): Discovery | undefined {
    return this.#discovery;
  }

  /** Whether keys have copies (replicas > 1). */
  get replicated(): boolean {
    return this.#replicas !== undefined;
  }

  /**
   * undefined when calls may route now; with discovery before its first configuration, a promise
   * of the ms left of `timeout` once it came (see Discovery.untilConfigured).
   */
  untilConfigured(timeout: number, signal: AbortSignal | undefined): Promise<number> | undefined {
    return this.#discovery?.untilConfigured(timeout, signal);
  }

  get nodes(): readonly ServerNode[] {
    return this.#nodes;
  }

  /** Callers waiting on every server's connections (see Client.pending). */
  get pending(): number {
    let pending = 0;
    for (const node of this.#nodes) pending += node.pool.pending;
    return pending;
  }

  /**
   * Replaces the pool. A server listed before and now (same address and weight) keeps its
   * connections and health; a removed one takes no new request, and its connections close once the
   * requests already on them are answered. Resolves when those are closed.
   */
  setServers(specs: readonly ServerSpec[]): Promise<void> {
    const addresses = specs.map(parseServerSpec);
    const previous = new Map<string, ServerNode[]>();
    for (const node of this.#nodes) previous.set(node.name, [...(previous.get(node.name) ?? []), node]);
    const { connection, poolSize } = this.#settings;
    const onFailure = (node: ServerNode, error: MemcacheError): void => this.#health.onFailure(node, error);
    this.#nodes = addresses.map((address) => previous.get(address.name)?.shift() ?? new ServerNode(address, connection, poolSize, onFailure));
    const removed = [...previous.values()].flat();
    for (const node of removed) node.retired = true;
    this.#health.track(this.#nodes);
    const { distribution, hash, replicas } = this.#settings;
    this.#natural = createRouter(distribution, hash, addresses, undefined);
    this.#replicas = replicas > 1 ? new ReplicaMap(distribution, hash, addresses, replicas) : undefined;
    this.#rebuildLive();
    for (const node of removed) {
      const closed = node.pool.close();
      this.#retiring.set(node, closed);
      void closed.then(() => this.#retiring.delete(node));
    }
    return Promise.all(removed.map((node) => this.#retiring.get(node))).then(() => undefined);
  }

  /**
   * The server a request for `key` (wire form) goes to now (with replicas, its first live
   * replica); throws the error to fail it with when there is none.
   */
  nodeFor(key: string): ServerNode {
    // Every server up: the first replica is the key's own, no need to work out the others.
    if (this.#replicas !== undefined && this.#health.downCount > 0) return this.replicasOf(key)[0];
    return this.#ownOrFailover(key);
  }

  /**
   * The key's replicas that take requests now, in replica order. When none is up, the one server
   * its key fails over to as without replicas (or the error to fail it with, thrown).
   */
  replicasOf(key: string): ServerNode[] {
    const replicas = this.#replicaIndices(key);
    if (this.#health.downCount === 0) return replicas.map((index) => this.#nodes[index]);
    this.#health.probeDue();
    const live = replicas.map((index) => this.#nodes[index]).filter((node) => node.state === 'alive');
    return live.length > 0 ? live : [this.#ownOrFailover(key)];
  }

  /** Every replica of `key`, up or not, in order (one, its own server, without replicas). */
  allReplicasOf(key: string): ServerNode[] {
    return this.#replicaIndices(key).map((index) => this.#nodes[index]);
  }

  #replicaIndices(key: string): number[] {
    const own = this.#natural.route(key);
    if (own < 0) throw noServer();
    return this.#replicas === undefined ? [own] : this.#replicas.of(key, own);
  }

  #ownOrFailover(key: string): ServerNode {
    if (this.#health.downCount === 0) {
      const index = this.#natural.route(key);
      if (index < 0) throw noServer();
      return this.#nodes[index];
    }
    const target = this.#whileDown(key);
    if (target instanceof ServerNode) return target;
    throw target;
  }

  /** The server `key` (wire form) goes to now; with failover off or no live server, its own even if dead. */
  serverFor(key: string): ServerNode {
    const natural = this.#natural.route(key);
    if (natural < 0) throw noServer();
    if (this.#replicas !== undefined) return this.#firstLiveReplica(key) ?? this.#nodes[natural];
    if (this.#health.downCount === 0) return this.#nodes[natural];
    const target = this.#whileDown(key);
    return target instanceof ServerNode ? target : this.#nodes[natural];
  }

  /** Splits keys (wire form) by server, keeping their order within each server. */
  group(keys: readonly string[]): KeyGroup[] {
    const count = keys.length;
    const natural = new Int32Array(count);
    this.#natural.routeMany(keys, natural);
    const down = this.#health.downCount > 0;
    let live: Int32Array | undefined;
    if (down) {
      this.#health.probeDue();
      if (this.#failingOver()) this.#live.routeMany(keys, (live = new Int32Array(count)));
    }
    // Slot n < nodes.length: sent to node n; slot nodes.length + n: fails fast, node n being dead.
    const failing = this.#nodes.length;
    const slots = new Map<number, number[]>();
    for (let i = 0; i < count; i++) {
      const own = natural[i];
      if (own < 0) throw noServer();
      let slot = own;
      if (live !== undefined) slot = live[i] >= 0 ? live[i] : failing + own;
      else if (down && this.#skips(this.#nodes[own])) slot = failing + own;
      const indices = slots.get(slot);
      if (indices === undefined) slots.set(slot, [i]);
      else indices.push(i);
    }
    const nodes = this.#nodes;
    return [...slots].map(([slot, indices]) =>
      slot < nodes.length ? { node: nodes[slot], indices } : { error: deadError(nodes[slot - nodes.length]), indices },
    );
  }

  /** Every server, for commands sent to all (stats, version, flush_all); a dead one with its error, not contacted. */
  everyServer(): { readonly node: ServerNode; readonly error: MemcacheError | undefined }[] {
    if (this.#health.downCount > 0) this.#health.probeDue();
    return this.#nodes.map((node) => ({ node, error: this.#skips(node) ? deadError(node) : undefined }));
  }

  /** Probes every dead server now; resolves once each has answered (it is back) or failed (dead again). */
  forgetDeadHosts(): Promise<void> {
    return this.#health.forgetDeadHosts();
  }

  /** Closes every connection once its queued requests are done. */
  async close(): Promise<void> {
    this.#health.stop();
    this.#discovery?.stop();
    await Promise.all([...this.#nodes.map((node) => node.pool.close()), ...this.#retiring.values()]);
  }

  /** Closes every connection now, draining ones too, failing what waits on them with `error`. */
  async destroy(error: MemcacheError): Promise<void> {
    this.#health.stop();
    this.#discovery?.stop();
    await Promise.all([...this.#nodes, ...this.#retiring.keys()].map((node) => node.pool.destroy(error)));
  }

  #firstLiveReplica(key: string): ServerNode | undefined {
    try {
      return this.replicasOf(key)[0];
    } catch {
      return undefined;
    }
  }

  /** Discovery found a new pool: taken as setServers takes one (its drain is not waited for). */
  #adopt(specs: readonly ServerSpec[]): readonly string[] {
    if (specs.length === 0) throw new NoServerError('the configuration lists no server');
    void this.setServers(specs);
    return this.#nodes.map((node) => node.name);
  }

  /** Where `key` goes while some server is down: a node, or the error to fail it with. */
  #whileDown(key: string): ServerNode | MemcacheError {
    this.#health.probeDue();
    const natural = this.#natural.route(key);
    if (natural < 0) return noServer();
    const own = this.#nodes[natural];
    if (!this.#failingOver()) return this.#skips(own) ? deadError(own) : own;
    const index = this.#live.route(key);
    // -1: python-memcached's rehash chain met only dead servers.
    return index >= 0 ? this.#nodes[index] : deadError(own);
  }

  /** Whether keys of dead servers go to live ones now. */
  #failingOver(): boolean {
    return this.#settings.failover && this.#liveKeyed > 0;
  }

  /**
   * Whether a dead server is left alone: always with failover off; with it on, unless no server
   * with a weight is up, when trying is all there is left. With flushOnReconnect a dead server is
   * never used before its flush, which the probe does.
   */
  #skips(node: ServerNode): boolean {
    if (node.state === 'alive') return false;
    return !this.#settings.failover || this.#liveKeyed > 0 || this.#settings.flushOnReconnect;
  }

  #rebuildLive(): void {
    const alive = this.#nodes.map((node) => node.state === 'alive');
    this.#liveKeyed = this.#nodes.filter((node, i) => alive[i] && node.address.weight > 0).length;
    const { distribution, hash } = this.#settings;
    this.#live = alive.every(Boolean) ? this.#natural : createRouter(distribution, hash, this.#nodes.map((node) => node.address), alive);
  }
}

function noServer(): NoServerError {
  return new NoServerError('no server takes keys (every weight is 0)');
}

function deadError(node: ServerNode): ServerDeadError {
  const retryAt = Date.now() + Math.max(0, node.deadUntil - performance.now());
  const why = node.error === undefined ? '' : `: ${node.error.message}`;
  return new ServerDeadError(`${node.name} is marked dead${why}`, Math.round(retryAt), { server: node.name, cause: node.error });
}
