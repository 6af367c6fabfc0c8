/**
 * The public API. Turns keys into their wire form (prefix, rules) and values into bytes (codec),
 * builds requests, hands each to the server the cluster picks, and returns its promise. Every
 * argument is checked before anything is queued, so an invalid call never writes a byte.
 * Servers going down and coming back are events ('server:down', 'server:up'), and so are the
 * pools auto-discovery finds ('discovery:config', 'discovery:error'). Routing (replicas, the wait
 * for a discovered pool) is the cluster floor's: see cluster/key-routes.ts.
 */
import { EventEmitter } from 'node:events';
import { CallsUnderWay } from './calls-under-way.js';
import {
  callTimeout,
  checkCas,
  checkDelta,
  checkErrorSink,
  checkFlag,
  checkStatsArgs,
  checkTtl,
  checkIterable,
  entriesOf,
  type AppendOptions,
  type CallOptions,
  type CloseOptions,
  type CounterOptions,
  type DeleteMultiOptions,
  type DeleteOptions,
  type Entries,
  type ItemOptions,
  type Key,
  type MultiOptions,
  type SetMultiOptions,
  type StoreOptions,
} from './call-options.js';
import { CacheAside } from './cache-aside/cache-aside.js';
import type { FetchOptions, InvalidateOptions, Loader } from './cache-aside/options.js';
import { brandClients } from './client-brand.js';
import { Cluster, type ClusterEvent, type ServerNode } from './cluster/cluster.js';
import type { DiscoveryConfigEvent, DiscoveryErrorEvent } from './cluster/discovery/discovery.js';
import { DEFAULT_HASH } from './cluster/distribution.js';
import { sendToEveryServer } from './cluster/fan-out.js';
import type { ServerDownEvent, ServerUpEvent } from './cluster/health.js';
import { KeyRoutes, pick } from './cluster/key-routes.js';
import { parseServerSpec, serverList, type ServerSpec } from './cluster/server-spec.js';
import { writeCompression } from './codec/compression.js';
import { PythonCompatibleSerializer } from './codec/serializer.js';
import { ValueCodec } from './codec/value-codec.js';
import { ArgumentError, ClientClosedError, KeyError, OptionError, UnsupportedError, type MemcacheError } from './errors.js';
import { discoveryApplied, discoveryFailed, serverDown, serverUp } from './observability/lifecycle.js';
import { clientMetrics, serverSnapshot, type ClientMetrics } from './observability/metrics.js';
import { checkNoServersWithDiscovery, MAX_TIMEOUT, validateOptions, type ClientOptions, type ResolvedOptions } from './options.js';
import { BINARY_KEY_RULES, MEMCACHED_MAX_KEY_LENGTH, TEXT_KEY_RULES, type KeyRules } from './protocol/key-rules.js';
import type { CounterSeed, ItemInfo, MetaRequestFactory } from './protocol/meta/dialect.js';
import type { Request, RequestFactory, RetrievalVerb, StorageVerb, StoreItem } from './protocol/request-factory.js';
import { GetMultiResult, type CasResult, type ServerStats, type ServerVersion } from './results.js';

/** The events a Client emits, always on the next tick after what caused them. */
export interface ClientEvents {
  /** A server was marked dead (failed connect or timeout); its keys fail over, or fail fast with failover off. */
  'server:down': [ServerDownEvent];
  /** A dead server answered its probe (and was flushed, with flushOnReconnect): it takes its keys back. */
  'server:up': [ServerUpEvent];
  /** Auto-discovery: a newer configuration replaced the pool (the first one too). */
  'discovery:config': [DiscoveryConfigEvent];
  /** Auto-discovery: a poll changed nothing (endpoint unreachable, a garbled reply, an older version); the pool stays. */
  'discovery:error': [DiscoveryErrorEvent];
}

export class Client extends EventEmitter<ClientEvents> {
  readonly #options: ResolvedOptions;
  readonly #cluster: Cluster;
  /** Where keyed requests go: the key's server, or its replicas. */
  readonly #routes: KeyRoutes;
  readonly #codec: ValueCodec;
  /** The key rules in force: the text ones, or binaryKeys' any bytes. */
  readonly #keys: KeyRules;
  /** keyPrefix in wire form. */
  readonly #prefix: string;
  readonly #maxKeyLength: number;
  #closing: Promise<void> | undefined;
  /**
   * Calls under way whose last request goes out only after an earlier step (a version probe):
   * close() lets them send it and finish before it closes the sockets.
   */
  readonly #stepped = new CallsUnderWay();
  /** Per server, the last counter with `initial` still waiting to learn whether the server speaks meta: the next queues behind it. */
  readonly #countersAsking = new WeakMap<ServerNode, Promise<void>>();

  /**
   * Throws OptionError / ServerSpecError on bad input; connects lazily, on the first call. Without
   * `servers`, MEMCACHE_SERVERS names them (comma-separated); unset, that is a ServerSpecError.
   */
  constructor(servers?: ServerSpec | readonly ServerSpec[], options?: ClientOptions) {
    super();
    const o = (this.#options = validateOptions(options));
    this.#keys = o.binaryKeys ? BINARY_KEY_RULES : TEXT_KEY_RULES;
    this.#maxKeyLength = o.checkKeys ? o.maxKeyLength : MEMCACHED_MAX_KEY_LENGTH;
    try {
      this.#prefix = this.#keys.wirePrefix(o.keyPrefix);
    } catch (error) {
      throw new OptionError('keyPrefix', (error as KeyError).message);
    }
    if (this.#prefix.length >= this.#maxKeyLength) throw new OptionError('keyPrefix', `leaves no room for a key within maxKeyLength (${o.maxKeyLength})`);
    if (this.#prefix.length >= this.#keys.maxLength) throw new OptionError('keyPrefix', `leaves no room for a key within the ${this.#keys.maxLength} bytes of a binary key`);
    this.#codec = new ValueCodec({
      serializer: o.serializer ?? new PythonCompatibleSerializer(),
      compression: writeCompression(o.compressor, o.compressionLevel),
      compressionThreshold: o.compressionThreshold,
      offloadThreshold: o.offloadThreshold,
      maxValueLength: o.maxValueLength,
      maxDecompressedLength: o.maxDecompressedLength,
    });
    const connection = {
      tls: o.tls,
      auth: o.auth,
      connectTimeout: o.connectTimeout,
      maxPending: o.maxPending,
      retries: o.retries,
      reconnectDelay: o.reconnectDelay,
      maxReconnectDelay: o.maxReconnectDelay,
      mergeGets: o.mergeGets,
      unref: o.unref,
      protocol: o.protocol,
      binaryKeys: o.binaryKeys,
      maxReplyBuffer: Math.max(o.maxValueLength, o.maxDecompressedLength) + 64 * 1024,
    };
    const cluster = {
      connection,
      poolSize: o.poolSize,
      distribution: o.distribution,
      hash: o.hash ?? DEFAULT_HASH[o.distribution],
      failover: o.failover,
      deadRetry: o.deadRetry,
      flushOnReconnect: o.flushOnReconnect,
      probeTimeout: o.timeout,
      replicas: o.replicas,
      discovery: o.discovery && { ...connection, name: o.discovery.endpoint, endpoint: parseServerSpec(o.discovery.endpoint).endpoint, timeout: o.timeout, interval: o.discovery.interval },
    };
    if (o.discovery !== undefined) checkNoServersWithDiscovery(servers);
    this.#cluster = new Cluster(o.discovery ? [] : serverList(servers), cluster, (event) => this.#onClusterEvent(event));
    this.#routes = new KeyRoutes(this.#cluster, this.#codec, o.readRepairTtl);
  }

  // ---- storage ----

  /** Stores a value; resolves with whether it was stored. */
  set(key: Key, value: unknown, options?: StoreOptions): Promise<boolean> {
    return this.#store('set', key, value, options, undefined);
  }

  /** Stores only if the key is missing; resolves false when it exists. */
  add(key: Key, value: unknown, options?: StoreOptions): Promise<boolean> {
    return this.#store('add', key, value, options, undefined);
  }

  /** Stores only if the key exists; resolves false when it is missing. */
  replace(key: Key, value: unknown, options?: StoreOptions): Promise<boolean> {
    return this.#store('replace', key, value, options, undefined);
  }

  /** Appends bytes or a string to an existing value (its flags stay); false when the key is missing. */
  append(key: Key, value: string | Uint8Array, options?: AppendOptions): Promise<boolean> {
    return this.#store('append', key, value, options, undefined);
  }

  /** Prepends bytes or a string to an existing value (its flags stay); false when the key is missing. */
  prepend(key: Key, value: string | Uint8Array, options?: AppendOptions): Promise<boolean> {
    return this.#store('prepend', key, value, options, undefined);
  }

  /** Stores only if the item is unchanged since `gets` returned `cas`; false on EXISTS or NOT_FOUND. */
  cas(key: Key, value: unknown, cas: bigint | string | number, options?: StoreOptions): Promise<boolean> {
    try {
      return this.#store('cas', key, value, options, checkCas(cas));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  // ---- retrieval ----

  /** The value, or undefined on a miss. */
  get<T = unknown>(key: Key, options?: CallOptions): Promise<T | undefined> {
    return this.#retrieve('get', 0, key, options) as Promise<T | undefined>;
  }

  /** The value with its cas unique, or undefined on a miss. */
  gets<T = unknown>(key: Key, options?: CallOptions): Promise<CasResult<T> | undefined> {
    return this.#retrieve('gets', 0, key, options) as Promise<CasResult<T> | undefined>;
  }

  /** get and touch: the value (undefined on a miss), the item's ttl set to `ttl` seconds. */
  gat<T = unknown>(key: Key, ttl: number, options?: CallOptions): Promise<T | undefined> {
    return this.#retrieve('gat', ttl, key, options) as Promise<T | undefined>;
  }

  /** gets and touch. */
  gats<T = unknown>(key: Key, ttl: number, options?: CallOptions): Promise<CasResult<T> | undefined> {
    return this.#retrieve('gats', ttl, key, options) as Promise<CasResult<T> | undefined>;
  }

  /**
   * The hits among `keys` (see GetMultiResult: per-key read errors in `.errors`). One request per
   * server, in parallel; it rejects only when every server involved failed.
   */
  async getMulti<K extends Key, V = unknown>(keys: Iterable<K>, options?: MultiOptions): Promise<GetMultiResult<K, V>> {
    const timeout = this.#begin(options);
    const prefix = this.#callPrefix(options);
    const result = new GetMultiResult<K, V>();
    const wires: string[] = [];
    const resultKeys: K[] = [];
    const seen = new Set<string>();
    for (const key of checkIterable(keys, 'keys')) {
      const wire = this.#wireKey(key, prefix);
      const distinct = seen.size;
      if (seen.add(wire).size === distinct) continue; // asked already (one lookup, not has + add)
      wires.push(wire);
      resultKeys.push(key);
    }
    if (wires.length === 0) return result;
    const hits = result as Map<unknown, unknown>;
    const errors = result.errors as Map<unknown, MemcacheError>;
    await this.#routes.readMany(wires, resultKeys, hits, errors, timeout, options?.signal, (requests, ids, keys, into, failed, left) =>
      requests.getMulti(pick(wires, ids), keys, into, failed, this.#codec, left, options?.signal),
    );
    return result;
  }

  // ---- multi-key storage and deletion ----

  /** Stores every entry (pipelined per server); resolves with the keys not stored. */
  async setMulti<K extends Key>(entries: Entries<K>, options?: SetMultiOptions<K>): Promise<K[]> {
    const timeout = this.#begin(options);
    const prefix = this.#callPrefix(options);
    const exptime = checkTtl(options?.ttl);
    const noreply = checkFlag(options?.noreply, 'noreply');
    const compress = options?.compress === undefined ? undefined : checkFlag(options.compress, 'compress');
    const items: StoreItem[] = [];
    const resultKeys: K[] = [];
    for (const [key, value] of entriesOf(entries)) {
      items.push({ key: this.#wireKey(key, prefix), value: this.#codec.encode(value, compress), exptime });
      resultKeys.push(key);
    }
    if (items.length === 0) return [];
    const wires = items.map((item) => item.key);
    return this.#routes.writeMany(
      wires,
      resultKeys,
      timeout,
      options?.signal,
      (requests, ids, keys, left) => requests.storeMany('set', pick(items, ids), keys, noreply, left, options?.signal),
      checkErrorSink(options?.errors),
    );
  }

  /** Deletes an item; resolves with whether it existed. */
  delete(key: Key, options?: DeleteOptions): Promise<boolean> {
    try {
      const timeout = this.#begin(options);
      const wire = this.#wireKey(key, this.#prefix);
      const noreply = checkFlag(options?.noreply, 'noreply');
      return this.#routes.write(wire, timeout, options?.signal, (requests, left) => requests.delete(wire, noreply, left, options?.signal));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Deletes every key (pipelined per server); resolves with the keys that were not there (or not deleted). */
  async deleteMulti<K extends Key>(keys: Iterable<K>, options?: DeleteMultiOptions<K>): Promise<K[]> {
    const timeout = this.#begin(options);
    const prefix = this.#callPrefix(options);
    const noreply = checkFlag(options?.noreply, 'noreply');
    const resultKeys = [...checkIterable(keys, 'keys')];
    const wires = resultKeys.map((key) => this.#wireKey(key, prefix));
    if (wires.length === 0) return [];
    return this.#routes.writeMany(
      wires,
      resultKeys,
      timeout,
      options?.signal,
      (requests, ids, keys, left) => requests.deleteMany(pick(wires, ids), keys, noreply, left, options?.signal),
      checkErrorSink(options?.errors),
    );
  }

  // ---- counters and ttl ----

  /**
   * Adds `delta` to a decimal value; the new value (bigint past 2^53), undefined when the key is
   * missing, unless `initial` is given: then a missing counter is created at `initial` (and `ttl`)
   * atomically and the call resolves with it (meta protocol: an UnsupportedError with 'text').
   */
  incr(key: Key, delta: number | bigint = 1, options?: CounterOptions): Promise<number | bigint | undefined> {
    return this.#arith('incr', key, delta, options);
  }

  /** Subtracts `delta` (memcached stops at 0); `initial` and `ttl` as for incr. */
  decr(key: Key, delta: number | bigint = 1, options?: CounterOptions): Promise<number | bigint | undefined> {
    return this.#arith('decr', key, delta, options);
  }

  /**
   * The value with what memcached knows of the item (`{ value, cas, flags, ttl, lastAccess,
   * hitBefore, size }`, see ItemInfo), undefined on a miss; `touch` sets a new ttl in the same
   * request. Meta protocol: an UnsupportedError with protocol 'text'.
   */
  async getItem<T = unknown>(key: Key, options?: ItemOptions): Promise<ItemInfo<T> | undefined> {
    const timeout = this.#begin(options);
    const wire = this.#wireKey(key, this.#prefix);
    const touch = options?.touch === undefined ? undefined : checkTtl(options.touch, 'touch');
    return this.#stepped.track(
      this.#routes.whenConfigured(timeout, options?.signal, async (left) => {
        const node = this.#cluster.nodeFor(wire);
        const requests = await this.#metaRequests(node, 'getItem', left, options?.signal);
        return (await send(node, requests.item(wire, touch, this.#codec, left, options?.signal))) as ItemInfo<T> | undefined;
      }),
    );
  }

  /** Sets an item's ttl; resolves with whether it existed. */
  touch(key: Key, ttl: number, options?: CallOptions): Promise<boolean> {
    try {
      const timeout = this.#begin(options);
      const wire = this.#wireKey(key, this.#prefix);
      const exptime = checkTtl(ttl);
      return this.#routes.write(wire, timeout, options?.signal, (requests, left) => requests.touch(wire, exptime, left, options?.signal));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  // ---- cache-aside (see cache-aside/) ----

  /** fetch's single flights and leases; made on first use. */
  #cacheAside: CacheAside | undefined;

  /**
   * The cached value of `key`, or the loader's, loaded once however many callers (in this process
   * and, through memcached's leases, in every process) want it at the same moment, and stored
   * for `ttl` seconds. A stale value (see invalidate) is served while one caller reloads it;
   * `recacheBefore` reloads early. Rejects with a LoaderError (`cause`: what the loader threw)
   * or a LeaseTimeoutError (waited `waitTimeout` for another caller's value). README "Cache-aside".
   */
  fetch<T>(key: Key, loader: Loader<T>, options: FetchOptions): Promise<T> {
    try {
      const timeout = this.#begin(options);
      const wire = this.#wireKey(key, this.#prefix);
      // Not through whenConfigured: no closure per call on the common path (bench/PROFILE.md, "One request for a tick's asks").
      const waiting = this.#cluster.untilConfigured(timeout, options?.signal);
      if (waiting === undefined) return this.#leases().fetch(wire, key, loader, options, timeout) as Promise<T>;
      // Its flight starts once the pool is configured, maybe after close(): which waits for it then.
      return this.#stepped.track(waiting.then((left) => this.#leases().fetch(wire, key, loader, options, left) as Promise<T>));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Marks the value stale for `staleTtl` seconds (default 30): fetch keeps serving it while one
   * caller reloads it. Resolves whether the key existed. Without meta (protocol 'text') it deletes.
   */
  invalidate(key: Key, options?: InvalidateOptions): Promise<boolean> {
    try {
      const timeout = this.#begin(options);
      const wire = this.#wireKey(key, this.#prefix);
      return this.#stepped.track(this.#routes.whenConfigured(timeout, options?.signal, (left) => this.#leases().invalidate(wire, options, left)));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #leases(): CacheAside {
    if (this.#cacheAside !== undefined) return this.#cacheAside;
    const made = (this.#cacheAside = new CacheAside({ nodeFor: (wire) => this.#cluster.nodeFor(wire), codec: this.#codec, protocol: this.#options.protocol }));
    // Made after close() (by a fetch that waited for the pool's first configuration): closing from the start.
    if (this.#closing !== undefined) void made.close();
    return made;
  }

  // ---- every server ----

  /** `stats [args]` of every server ('items', 'slabs', 'settings', ...); rejects only if all failed. */
  async stats(args?: string, options?: CallOptions): Promise<ServerStats[]> {
    const timeout = this.#begin(options);
    const checked = checkStatsArgs(args);
    const outcomes = await sendToEveryServer(this.#cluster, timeout, options?.signal, (requests, left) => requests.stats(checked, left, options?.signal));
    return outcomes.map(({ server, outcome }) =>
      outcome.status === 'fulfilled' ? { server, stats: outcome.value } : { server, stats: {}, error: outcome.reason as MemcacheError },
    );
  }

  /** Every server's version; rejects only if all failed. */
  async version(options?: CallOptions): Promise<ServerVersion[]> {
    const timeout = this.#begin(options);
    const outcomes = await sendToEveryServer(this.#cluster, timeout, options?.signal, (requests, left) => requests.version(left, options?.signal));
    return outcomes.map(({ server, outcome }) =>
      outcome.status === 'fulfilled' ? { server, version: outcome.value } : { server, version: '', error: outcome.reason as MemcacheError },
    );
  }

  /** Invalidates every item on every server, after `delay` seconds; rejects if any server failed. */
  async flushAll(delay = 0, options?: CallOptions): Promise<void> {
    const timeout = this.#begin(options);
    const seconds = checkTtl(delay, 'delay');
    const outcomes = await sendToEveryServer(this.#cluster, timeout, options?.signal, (requests, left) => requests.flushAll(seconds, left, options?.signal));
    const failure = outcomes.find(({ outcome }) => outcome.status === 'rejected');
    if (failure !== undefined) throw (failure.outcome as PromiseRejectedResult).reason;
  }

  // ---- the pool ----

  /**
   * The server `key` goes to now (keyPrefix applied), named as in stats() and errors:
   * `'127.0.0.1:11211 (1)'`. While its own server is dead this is where it fails over to; with
   * failover off, its own server (calls then fail fast).
   */
  serverFor(key: Key): string {
    if (this.#closing !== undefined) throw new ClientClosedError();
    return this.#cluster.serverFor(this.#wireKey(key, this.#prefix)).name;
  }

  /** Every server `key` is stored on, in the order reads ask them, up or not (one without replicas); named as serverFor. */
  replicasFor(key: Key): string[] {
    if (this.#closing !== undefined) throw new ClientClosedError();
    return this.#cluster.allReplicasOf(this.#wireKey(key, this.#prefix)).map((node) => node.name);
  }

  /**
   * Replaces the servers, in the forms the constructor takes. Calls from now on route over the
   * new list; requests already queued on a removed server are still answered, then its
   * connections close (the promise resolves then). A server in both lists keeps its connections
   * and its health. Throws a ServerSpecError, changing nothing, on a bad spec; an UnsupportedError
   * with discovery, whose endpoint owns the pool.
   */
  setServers(servers: ServerSpec | readonly ServerSpec[]): Promise<void> {
    if (this.#closing !== undefined) throw new ClientClosedError();
    if (this.#cluster.discovery !== undefined) throw new UnsupportedError('setServers: with discovery the pool is the configuration endpoint\'s');
    return this.#cluster.setServers(serverList(servers));
  }

  /**
   * Gives every dead server its retry now (python-memcached's forget_dead_hosts): each is probed
   * (flushed, with flushOnReconnect) and takes its keys back if it answers. Resolves when every
   * probe is done; a server still down stays dead for another deadRetry.
   */
  forgetDeadHosts(): Promise<void> {
    return this.#cluster.forgetDeadHosts();
  }

  /**
   * Opens a connection to every server and asks its version: resolves once every server
   * answered, rejects with the first failure (ConnectionError, ConnectTimeoutError, AuthError...
   * naming the server) as soon as one fails. Calls never need it (connections open lazily); it is
   * for failing fast at start-up.
   */
  async connect(options?: CallOptions): Promise<void> {
    const timeout = this.#begin(options);
    const outcomes = await sendToEveryServer(this.#cluster, timeout, options?.signal, (requests, left) => requests.version(left, options?.signal));
    const failure = outcomes.find(({ outcome }) => outcome.status === 'rejected');
    if (failure !== undefined) throw (failure.outcome as PromiseRejectedResult).reason;
  }

  /**
   * Refuses new calls, lets queued ones finish (within their timeouts) and the fetches under way
   * too (cache-aside.ts, close), then closes every socket. With `force`, closes every socket now
   * instead: calls in flight fail at once with a ClientClosedError (their outcome on the server is
   * unknown); also after a close without it.
   */
  close(options?: CloseOptions): Promise<void> {
    let force: boolean;
    try {
      force = checkFlag(options?.force, 'force');
    } catch (error) {
      return Promise.reject(error);
    }
    this.#closing ??= this.#closeWhenSettled();
    if (!force) return this.#closing;
    const error = new ClientClosedError('the client was closed with force while the call was in flight');
    this.#cacheAside?.destroy(error);
    return Promise.all([this.#cluster.destroy(error), this.#closing]).then(() => undefined);
  }

  /**
   * Closes the sockets once the calls of several steps and the fetches under way have settled: at
   * once when none is. Meanwhile the process is held, so close() settles even when what it waits
   * for holds nothing (a loader that never settles is let go at lockTtl, on an unref'd timer).
   */
  #closeWhenSettled(): Promise<void> {
    const fetches = this.#cacheAside?.close();
    if (this.#stepped.idle && fetches === undefined) return this.#cluster.close();
    const holding = setInterval(() => {}, MAX_TIMEOUT);
    return Promise.all([this.#stepped.settled(), fetches])
      .then(() => this.#cluster.close())
      .finally(() => clearInterval(holding));
  }

  /** `close({ force: true })`. */
  destroy(): Promise<void> {
    return this.close({ force: true });
  }

  /**
   * Callers waiting right now, over every connection: requests queued or awaiting replies (a
   * merged get counts each caller). Each connection holds at most `maxPending` of them.
   */
  get pending(): number {
    return this.#cluster.pending;
  }

  /**
   * Counters of every server in the pool now (ops by method, hits, misses, errors, timeouts,
   * reconnects, retries, bytes in and out, pending requests, alive), and their totals; a snapshot, counted
   * since the client was created. See README "Observability" for what each counts.
   */
  metrics(): ClientMetrics {
    return clientMetrics(this.#cluster.nodes.map((node) => serverSnapshot(node.metrics, node.name, node.state === 'alive', node.pool.pending)));
  }

  // ---- internals ----

  /** Checks what every call checks; returns its timeout. */
  #begin(options: CallOptions | undefined): number {
    if (this.#closing !== undefined) throw new ClientClosedError();
    return callTimeout(options, this.#options.timeout);
  }

  #onClusterEvent(event: ClusterEvent): void {
    switch (event.type) {
      case 'server:down':
        serverDown(event.event);
        this.emit('server:down', event.event);
        return;
      case 'server:up':
        serverUp(event.event);
        this.emit('server:up', event.event);
        return;
      case 'discovery:config':
        discoveryApplied(event.event);
        this.emit('discovery:config', event.event);
        return;
      case 'discovery:error':
        discoveryFailed(event.event);
        this.emit('discovery:error', event.event);
    }
  }

  /** `prefix + key` checked by the key rules in force, in wire form. */
  #wireKey(key: unknown, prefix: string): string {
    return this.#keys.wireKey(key, prefix, this.#maxKeyLength);
  }

  #callPrefix(options: MultiOptions | undefined): string {
    const extra = options?.keyPrefix;
    if (extra === undefined || extra === '') return this.#prefix;
    if (typeof extra !== 'string') throw new ArgumentError('keyPrefix must be a string');
    return this.#prefix + this.#keys.wirePrefix(extra);
  }

  #store(verb: StorageVerb, key: Key, value: unknown, options: StoreOptions | AppendOptions | undefined, cas: string | undefined): Promise<boolean> {
    try {
      const timeout = this.#begin(options);
      const wire = this.#wireKey(key, this.#prefix);
      const store = options as StoreOptions | undefined;
      const exptime = checkTtl(store?.ttl);
      const noreply = checkFlag(options?.noreply, 'noreply');
      const raw = verb === 'append' || verb === 'prepend';
      const compress = raw || store?.compress === undefined ? undefined : checkFlag(store.compress, 'compress');
      const encoded = raw ? this.#codec.encodeRaw(value) : this.#codec.encode(value, compress);
      const signal = options?.signal;
      const storing = (as: StorageVerb) => (requests: RequestFactory, left: number) => requests.store(as, wire, encoded, exptime, as === 'cas' ? cas : undefined, noreply, left, signal);
      // With replicas a cas is compared where its token came from, then copied (set) to the others.
      if (verb === 'cas') return this.#routes.cas(wire, timeout, signal, storing('cas'), storing('set'));
      return this.#routes.write(wire, timeout, signal, storing(verb));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #retrieve(verb: RetrievalVerb, ttl: number, key: Key, options: CallOptions | undefined): Promise<unknown> {
    try {
      const timeout = this.#begin(options);
      const wire = this.#wireKey(key, this.#prefix);
      const exptime = verb === 'gat' || verb === 'gats' ? checkTtl(ttl) : 0;
      const signal = options?.signal;
      // gets and gats: their cas token is one server's, so they ask the first live replica only.
      if (verb === 'gets' || verb === 'gats') return this.#routes.one(wire, timeout, signal, (requests, left) => requests.get(verb, exptime, wire, this.#codec, left, signal));
      const repairTtl = verb === 'gat' ? exptime : undefined;
      return this.#routes.read(wire, timeout, signal, (requests, left, decoder) => requests.get(verb, exptime, wire, decoder, left, signal), repairTtl);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #arith(verb: 'incr' | 'decr', key: Key, delta: unknown, options: CounterOptions | undefined): Promise<number | bigint | undefined> {
    try {
      const timeout = this.#begin(options);
      const wire = this.#wireKey(key, this.#prefix);
      const noreply = checkFlag(options?.noreply, 'noreply');
      const digits = checkDelta(delta);
      const seed = counterSeed(options);
      if (seed !== undefined) {
        return this.#stepped.track(this.#routes.whenConfigured(timeout, options?.signal, (left) => this.#seededArith(verb, wire, digits, seed, noreply, left, options?.signal)));
      }
      // A counter has one home, the first live replica: deltas applied on every copy would drift.
      return this.#routes.one(wire, timeout, options?.signal, (requests, left) => requests.arith(verb, wire, digits, noreply, left, options?.signal));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Sent in call order: at once on a server known to speak meta, else (or while earlier ones still
   * wait to learn it) behind the counters already waiting, each sent as the one before it is.
   */
  #seededArith(
    verb: 'incr' | 'decr',
    wire: string,
    digits: string,
    seed: CounterSeed,
    noreply: boolean,
    timeout: number,
    signal: AbortSignal | undefined,
  ): Promise<number | bigint | undefined> {
    const node = this.#cluster.nodeFor(wire);
    const counter = (requests: MetaRequestFactory): Promise<number | bigint | undefined> =>
      send(node, requests.counter(verb, wire, digits, seed, noreply, timeout, signal));
    const known = node.requests;
    const waiting = this.#countersAsking.get(node);
    if (known.dialect === 'meta' && waiting === undefined) return counter(known as MetaRequestFactory);
    const ready = (waiting ?? Promise.resolve()).then(() => this.#metaRequests(node, `${verb} with initial`, timeout, signal));
    const sent = ready.then(
      () => undefined,
      () => undefined,
    );
    this.#countersAsking.set(node, sent);
    void sent.then(() => {
      if (this.#countersAsking.get(node) === sent) this.#countersAsking.delete(node);
    });
    return ready.then(counter);
  }

  /**
   * The meta request factory of `node`, for calls only meta can serve. With protocol 'text' an
   * UnsupportedError before anything is sent; with 'auto', a server not asked yet is asked first
   * (its first connection asks before anything else, so any request will do: `version`).
   */
  async #metaRequests(node: ServerNode, what: string, timeout: number, signal: AbortSignal | undefined): Promise<MetaRequestFactory> {
    if (this.#options.protocol === 'text') throw new UnsupportedError(`${what} needs the meta protocol, and protocol is 'text'`);
    if (node.requests.dialect !== 'meta' && node.pool.meta === undefined) await send(node, node.requests.version(timeout, signal));
    const requests = node.requests;
    if (requests.dialect === 'meta') return requests as MetaRequestFactory;
    throw new UnsupportedError(`${what} needs the meta protocol, which ${node.name} does not speak (memcached 1.6 does)`, { server: node.name });
  }
}

brandClients(Client.prototype);

/** `initial` and `ttl` of a counter call, checked; undefined without `initial`. */
function counterSeed(options: CounterOptions | undefined): CounterSeed | undefined {
  if (options?.initial === undefined) {
    if (options?.ttl !== undefined) throw new ArgumentError('ttl of a counter call needs initial (it is the created counter\'s ttl)');
    return undefined;
  }
  return { initial: checkDelta(options.initial, 'initial'), exptime: checkTtl(options.ttl) };
}

/** Queues `request` on `node`'s connections; its promise is the call's. */
function send<T>(node: ServerNode, request: Request<T>): Promise<T> {
  node.pool.send(request);
  return request.promise;
}
