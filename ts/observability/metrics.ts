/**
 * Per-server counters. Each server gets one ServerMetrics when it joins the pool; counting is a
 * plain increment on it (ops by CommandId in a typed array), never an allocation.
 * `Client.metrics()` copies them out. Imports nothing of ours, so any layer may count.
 *
 * What counts (every counter runs from the client's creation, per server, never reset):
 * - ops: requests handed to the server, by client method. A single-key call is one op even when
 *   merged with others into one multi-key `get` on the wire; getMulti / setMulti / deleteMulti
 *   count one op per server they reach (their keys show in hits + misses, for getMulti). Health
 *   probes count as `version` (or `flushAll`, with flushOnReconnect).
 * - hits / misses: keys looked up by get, gets, gat, gats, getMulti, getItem and fetch (its first
 *   ask only, not its polls), found or not.
 * - errors: requests that failed (error reply, timeout, broken connection, full queue...); not
 *   aborts, and not calls that failed before reaching a server (bad argument, server marked dead).
 * - timeouts: of those, the ones that failed with a TimeoutError (ConnectTimeoutError included).
 * - reconnects: connections opened in place of one that failed or was closed by the server.
 * - retries: requests sent again after their connection broke (see RetryPolicy), once per resend;
 *   a merged get is one request. Not in ops again, and a request that then fails is in errors.
 * - bytesIn / bytesOut: socket bytes read and written, authentication included.
 * - leaseWins / leaseWaits / staleServes / loaderErrors: fetch's leases (see cache-aside/): loads
 *   this client won the lease for, loads it waited on another process for, calls answered with
 *   a stale value, loaders that threw (or ran past the lease: a LoaderError either way).
 */

/** Client methods counted in `ops` (the names of the calls that send them), in id order. */
export const COMMAND_NAMES = [
  'get',
  'gets',
  'gat',
  'gats',
  'getMulti',
  'set',
  'add',
  'replace',
  'append',
  'prepend',
  'cas',
  'setMulti',
  'delete',
  'deleteMulti',
  'incr',
  'decr',
  'touch',
  'stats',
  'version',
  'flushAll',
  'getItem',
  'fetch',
  'invalidate',
] as const;

export type CommandName = (typeof COMMAND_NAMES)[number];

/** A command's index in COMMAND_NAMES: counting is `ops[id]++` on a typed array (a keyed `ops[name]++` costs ~25 ns). */
export type CommandId = number;

/** Command ids by name: `Command.get`, `Command[verb]`. */
export const Command: Readonly<Record<CommandName, CommandId>> = Object.freeze(
  Object.fromEntries(COMMAND_NAMES.map((name, id) => [name, id])) as Record<CommandName, CommandId>,
);

export type OperationCounts = Record<CommandName, number>;

function zeroOps(): OperationCounts {
  return Object.fromEntries(COMMAND_NAMES.map((name) => [name, 0])) as OperationCounts;
}

/** One server's live counters (see the file comment). */
export class ServerMetrics {
  /** Requests by CommandId. */
  readonly ops = new Float64Array(COMMAND_NAMES.length);
  hits = 0;
  misses = 0;
  errors = 0;
  timeouts = 0;
  reconnects = 0;
  retries = 0;
  bytesIn = 0;
  bytesOut = 0;
  leaseWins = 0;
  leaseWaits = 0;
  staleServes = 0;
  loaderErrors = 0;
}

/** Where requests count before they are handed to a server: read by nobody. */
export const UNCOUNTED = new ServerMetrics();

/** A request failed with an error of this `code` (MemcacheError codes). */
export function countFailure(metrics: ServerMetrics, code: string): void {
  if (code === 'MEMCACHE_ABORTED') return;
  metrics.errors++;
  if (code === 'MEMCACHE_TIMEOUT' || code === 'MEMCACHE_CONNECT_TIMEOUT') metrics.timeouts++;
}

/** The counters of one server or of all, at one moment. */
export interface MetricsCounts {
  /** Requests by client method. */
  ops: OperationCounts;
  /** Keys found by get, gets, gat, gats, getMulti. */
  hits: number;
  /** Keys not found by them. */
  misses: number;
  /** Requests failed (timeouts included; aborts not). */
  errors: number;
  /** Requests failed with a TimeoutError or ConnectTimeoutError. */
  timeouts: number;
  /** Connections opened in place of one that failed or was closed by the server. */
  reconnects: number;
  /** Requests sent again on another connection after theirs broke. */
  retries: number;
  /** Socket bytes read. */
  bytesIn: number;
  /** Socket bytes written. */
  bytesOut: number;
  /** fetch: leases won, each followed by one loader call (a miss, a stale value, an early recache). */
  leaseWins: number;
  /** fetch: times another caller held the lease and this client waited for its value. */
  leaseWaits: number;
  /** fetch: calls resolved with a stale value (invalidated) while another caller reloaded it. */
  staleServes: number;
  /** fetch: loader calls that threw or rejected. */
  loaderErrors: number;
  /** Requests queued or awaiting a reply now. */
  pending: number;
}

export interface ServerMetricsSnapshot extends MetricsCounts {
  /** Display name, as in errors and stats(): `'127.0.0.1:11211 (1)'`. */
  server: string;
  /** False while the server is marked dead (or being probed). */
  alive: boolean;
}

/** What `Client.metrics()` returns: each server of the pool now, and their sums. */
export interface ClientMetrics {
  servers: ServerMetricsSnapshot[];
  totals: MetricsCounts;
}

/** A copy of `metrics`, with what only the caller knows. */
export function serverSnapshot(metrics: ServerMetrics, server: string, alive: boolean, pending: number): ServerMetricsSnapshot {
  const { hits, misses, errors, timeouts, reconnects, retries, bytesIn, bytesOut } = metrics;
  const { leaseWins, leaseWaits, staleServes, loaderErrors } = metrics;
  const ops = zeroOps();
  for (let id = 0; id < COMMAND_NAMES.length; id++) ops[COMMAND_NAMES[id]] = metrics.ops[id];
  return { server, alive, ops, hits, misses, errors, timeouts, reconnects, retries, bytesIn, bytesOut, leaseWins, leaseWaits, staleServes, loaderErrors, pending };
}

/** The servers' snapshots with their sums. */
export function clientMetrics(servers: ServerMetricsSnapshot[]): ClientMetrics {
  const totals: MetricsCounts = {
    ops: zeroOps(),
    hits: 0,
    misses: 0,
    errors: 0,
    timeouts: 0,
    reconnects: 0,
    retries: 0,
    bytesIn: 0,
    bytesOut: 0,
    leaseWins: 0,
    leaseWaits: 0,
    staleServes: 0,
    loaderErrors: 0,
    pending: 0,
  };
  for (const s of servers) {
    for (const name of COMMAND_NAMES) totals.ops[name] += s.ops[name];
    totals.hits += s.hits;
    totals.misses += s.misses;
    totals.errors += s.errors;
    totals.timeouts += s.timeouts;
    totals.reconnects += s.reconnects;
    totals.retries += s.retries;
    totals.bytesIn += s.bytesIn;
    totals.bytesOut += s.bytesOut;
    totals.leaseWins += s.leaseWins;
    totals.leaseWaits += s.leaseWaits;
    totals.staleServes += s.staleServes;
    totals.loaderErrors += s.loaderErrors;
    totals.pending += s.pending;
  }
  return { servers, totals };
}
