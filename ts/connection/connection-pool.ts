/**
 * `poolSize` connections to one server, opened lazily. A request goes to an idle connection, else
 * to a new one while the pool is not full, else to the one with the fewest pending requests.
 * A failed connection is replaced on the next request: at once if it had ever been answered,
 * else after a backoff (see ReconnectBackoff). When a connection's socket breaks, the requests on
 * it that may be retried (see RetryPolicy) go to a fresh connection instead of failing.
 */
import { ClientClosedError, ConnectionError, UnsupportedError, type MemcacheError } from '../errors.js';
import { reconnecting } from '../observability/lifecycle.js';
import type { Request } from '../protocol/request.js';
import { Connection, type ConnectionConfig, type ConnectionObserver } from './connection.js';
import { ReconnectBackoff } from './reconnect-backoff.js';
import { RetryPolicy } from './retry-policy.js';

export interface PoolConfig extends ConnectionConfig {
  /** Times a request may be sent again after its connection broke (see RetryPolicy); 0: never. */
  readonly retries: number;
  /** ms of the first reconnect backoff step; 0: no backoff. */
  readonly reconnectDelay: number;
  /** ms the reconnect backoff never exceeds. */
  readonly maxReconnectDelay: number;
  /** 'text': never ask; 'meta': ask, and fail connections to a server that does not speak it; 'auto': ask, then use what it speaks. */
  readonly protocol: ProtocolSetting;
  /** Keys of any bytes, which only meta carries: a server that does not speak it fails its connections, as with 'meta'. */
  readonly binaryKeys: boolean;
}

export type ProtocolSetting = 'auto' | 'meta' | 'text';

/**
 * Hang-ups on the `mn` probe in a row that say the server speaks text only: twemproxy hangs up on
 * every one, while a restart or a connection cut (a proxy's) meets one, which under 'auto' would
 * otherwise turn meta off for the client's life (no leases, no stale serves).
 */
const PROBE_HANG_UPS = 2;

/** What the pool tells its server. */
export interface PoolObserver {
  onConnectionFailure(connection: Connection, error: MemcacheError): void;
  /** The server's first connection found out whether it speaks meta. */
  onDialect?(meta: boolean): void;
}

export class ConnectionPool {
  readonly #config: PoolConfig;
  readonly #size: number;
  readonly #observer: ConnectionObserver;
  readonly #connections: (Connection | undefined)[] = [];
  readonly #backoff: ReconnectBackoff;
  readonly #retry: RetryPolicy;
  #closed = false;
  /** Whether the server speaks meta; undefined until a connection asked it. */
  #meta: boolean | undefined;
  /** Hang-ups on the `mn` probe since the server last answered one (see PROBE_HANG_UPS). */
  #probeHangUps = 0;
  /** Connections opened so far, and each one's number: connections probing side by side count one hang-up between them. */
  #opened = 0;
  readonly #openedAs = new WeakMap<Connection, number>();
  /** The connections opened when a hang-up was last counted. */
  #countedUpTo = 0;

  constructor(config: PoolConfig, size: number, observer?: PoolObserver) {
    this.#config = config;
    this.#size = size;
    this.#backoff = new ReconnectBackoff({ base: config.reconnectDelay, max: config.maxReconnectDelay });
    this.#retry = new RetryPolicy(config.retries);
    if (config.protocol === 'text') this.#meta = false;
    this.#observer = {
      onConnectionFailure: (connection, error) => observer?.onConnectionFailure(connection, error),
      retry: (request, error) => this.#retryRequest(request, error),
      wantsDialect: () => this.#meta === undefined,
      onDialect: (meta) => this.#learned(meta, observer),
      onProbeHangUp: (connection) => this.#probeHungUp(connection),
      resend: (request) => this.send(request),
      speaksMeta: () => this.#meta === true,
    };
  }

  /** Whether the server speaks meta; undefined until its first connection asked. */
  get meta(): boolean | undefined {
    return this.#meta;
  }

  /**
   * Whether a hang-up on `connection`'s probe is taken as the answer "text only": once the server
   * hung up on PROBE_HANG_UPS probes in a row, counting once the connections that were probing
   * together (one restart cuts them all); as the answer already known when another connection had it.
   */
  #probeHungUp(connection: Connection): boolean {
    if (this.#meta !== undefined) return !this.#meta;
    const opened = this.#openedAs.get(connection);
    if (opened !== undefined && opened <= this.#countedUpTo) return false;
    this.#countedUpTo = this.#opened;
    return ++this.#probeHangUps >= PROBE_HANG_UPS;
  }

  #learned(meta: boolean, observer: PoolObserver | undefined): MemcacheError | undefined {
    this.#probeHangUps = 0;
    if (!meta && (this.#config.protocol === 'meta' || this.#config.binaryKeys)) {
      const server = this.#config.name;
      const why = this.#config.binaryKeys ? 'which binaryKeys needs' : "and protocol is 'meta'; use 'auto' or 'text'";
      return new UnsupportedError(`${server} does not speak the meta protocol (memcached 1.6 or later does), ${why}`, { server });
    }
    if (this.#meta === meta) return undefined;
    this.#meta = meta;
    observer?.onDialect?.(meta);
    return undefined;
  }

  get name(): string {
    return this.#config.name;
  }

  /** Callers waiting on requests queued or in flight on this pool's connections. */
  get pending(): number {
    let pending = 0;
    for (const c of this.#connections) if (c !== undefined) pending += c.pending;
    return pending;
  }

  send(request: Request): void {
    if (!request.wanted) return; // nobody waits for it any more (its callers aborted before it was handed over)
    if (this.#closed) {
      // A step of a call begun before close() (a fetch's poll or store): a connection opened now would hold the process open.
      request.fail(new ClientClosedError('the client is closed: no request is sent after close()', { server: this.#config.name }));
      return;
    }
    request.dispatched(this.#config.metrics, this.#config.name);
    let connection: Connection;
    try {
      connection = this.#pick();
    } catch (cause) {
      // Socket creation itself threw (e.g. unusable TLS options): this request fails, not the caller's code.
      const server = this.#config.name;
      request.fail(new ConnectionError(`cannot open a connection to ${server}: ${String(cause)}`, { server, cause }));
      return;
    }
    connection.send(request);
  }

  /** Closes every connection once its queued requests are done. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#open().map((c) => c.close()));
  }

  /** Closes every connection now, failing what waits on them with `error` (never retried). */
  async destroy(error: MemcacheError): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#open().map((c) => c.destroy(error)));
  }

  #open(): Connection[] {
    return this.#connections.filter((c): c is Connection => c !== undefined);
  }

  #pick(): Connection {
    let best: Connection | undefined;
    let free = -1;
    for (let i = 0; i < this.#size; i++) {
      const c = this.#connections[i];
      if (c === undefined || c.status === 'closed' || c.status === 'closing') {
        if (free < 0) free = i;
        continue;
      }
      if (c.pending === 0) return c;
      if (best === undefined || c.pending < best.pending) best = c;
    }
    if (free >= 0 && (best === undefined || this.#size > 1)) return this.#openSlot(free);
    return best as Connection;
  }

  /** A new connection in slot `i`, after the backoff its predecessors' failures call for. */
  #openSlot(i: number): Connection {
    const old = this.#connections[i];
    if (old !== undefined) this.#backoff.record(old.proven, old.failure !== undefined);
    const delay = this.#backoff.delay();
    if (old !== undefined) reconnecting(this.#config.name, this.#config.metrics, delay);
    const fresh = new Connection(this.#config, this.#observer, delay > 0 ? { delay, cause: old?.failure } : undefined);
    this.#connections[i] = fresh;
    this.#openedAs.set(fresh, ++this.#opened);
    return fresh;
  }

  /** Takes a request off a broken connection and sends it on another, if the policy lets it. */
  #retryRequest(request: Request, error: MemcacheError): boolean {
    // Closed: a retry would open a connection nobody closes.
    if (this.#closed || !this.#retry.allows(request, error)) return false;
    request.attempt++;
    this.#config.metrics.retries++; // send() counts no second op: dispatched() sees it was counted
    this.send(request);
    return true;
  }
}
