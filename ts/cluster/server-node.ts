/** One server of the pool: its address, its connections, and whether it is up (see health.ts). */
import { ConnectionPool, type PoolConfig } from '../connection/connection-pool.js';
import type { MemcacheError } from '../errors.js';
import { ServerMetrics } from '../observability/metrics.js';
import { metaBinaryDialect, metaDialect } from '../protocol/meta/dialect.js';
import type { RequestFactory } from '../protocol/request-factory.js';
import { textDialect } from '../protocol/text-dialect.js';
import type { ServerAddress } from './server-spec.js';

/** Connection settings shared by every server. */
export type ConnectionSettings = Omit<PoolConfig, 'name' | 'endpoint' | 'metrics'>;

/**
 * - alive: takes its keys.
 * - dead: a connect failed or a request timed out; its keys go elsewhere (or fail) until `deadUntil`.
 * - probing: dead, and a probe (version, or flush_all with flushOnReconnect) is on its way; the
 *   server takes its keys back when the probe is answered.
 */
export type ServerState = 'alive' | 'dead' | 'probing';

export class ServerNode {
  readonly address: ServerAddress;
  readonly pool: ConnectionPool;
  state: ServerState = 'alive';
  /** performance.now() ms after which a dead server is probed. */
  deadUntil = 0;
  /** performance.now() ms when it went down. */
  downSince = 0;
  /** What marked it dead. */
  error: MemcacheError | undefined;
  /** The probe in flight, while probing. */
  probe: Promise<void> | undefined;
  /** Removed from the pool by setServers: its connections drain, then close; its health no longer matters. */
  retired = false;
  /**
   * Builds the requests this server is sent, in the dialect it speaks: meta with protocol 'meta';
   * with 'auto', text until its first connection found out it speaks meta. With binaryKeys the
   * binary meta one, always (a server without meta fails its connections).
   */
  requests: RequestFactory;
  /** Its counters (see Client.metrics()); kept while it stays in the pool. */
  readonly metrics = new ServerMetrics();

  /** `onFailure` hears of every failed connection of this server. */
  constructor(address: ServerAddress, settings: ConnectionSettings, poolSize: number, onFailure: (node: ServerNode, error: MemcacheError) => void) {
    this.address = address;
    this.requests = factoryFor(settings.protocol === 'meta', settings.binaryKeys);
    this.pool = new ConnectionPool({ ...settings, name: address.name, endpoint: address.endpoint, metrics: this.metrics }, poolSize, {
      onConnectionFailure: (_connection, error) => onFailure(this, error),
      onDialect: (meta) => (this.requests = factoryFor(meta, settings.binaryKeys)),
    });
  }

  get name(): string {
    return this.address.name;
  }
}

/** The factory for a server that speaks meta (or not yet known to); binaryKeys needs meta whatever it says. */
function factoryFor(meta: boolean, binaryKeys: boolean): RequestFactory {
  if (binaryKeys) return metaBinaryDialect;
  return meta ? metaDialect : textDialect;
}
