/** One fetch under way (what both flows need), and the steps they share: sending, loading, storing. */
import type { Key } from '../call-options.js';
import type { ServerNode } from '../cluster/cluster.js';
import type { ValueCodec } from '../codec/value-codec.js';
import { describeThrown, withServer } from '../error-composition.js';
import { LoaderError, MemcacheError, TimeoutError } from '../errors.js';
import { publishFetchEvent } from '../observability/channels.js';
import { MAX_TIMEOUT } from '../options.js';
import type { Request } from '../protocol/request-factory.js';
import type { Payload } from '../protocol/text-commands.js';
import type { Flight } from './flight.js';
import type { FetchSettings, Loader } from './options.js';

export interface FetchJob {
  /** The key's server, for the whole fetch (its polls and its store too). */
  readonly node: ServerNode;
  /** The key in wire form (keyPrefix included). */
  readonly wire: string;
  /** The key as the caller gave it: what the loader is handed. */
  readonly key: Key;
  readonly loader: Loader<unknown>;
  readonly settings: FetchSettings;
  readonly codec: ValueCodec;
  readonly flight: Flight;
}

/** Queues `request` on `node`; its promise. */
export function send<T>(node: ServerNode, request: Request<T>): Promise<T> {
  node.pool.send(request);
  return request.promise;
}

/**
 * The loaded value's bytes. The codec's refusal (too large, not serializable) names the key's
 * server, as every other error of a fetch does: its lease was won there.
 */
export function encodeLoaded(job: FetchJob, value: unknown): Payload {
  try {
    return job.codec.encode(value, undefined);
  } catch (error) {
    throw onServer(error, job.node.name);
  }
}

/**
 * A value compressed off the main thread learns only then that it cannot be stored (too large even
 * compressed): its store failed with that, and the caller gets it, as from a value the codec
 * refused at once (naming the server as encodeLoaded does).
 */
export function throwIfUnstorable(job: FetchJob, payload: Payload): void {
  if (payload.error !== undefined) throw onServer(payload.error, job.node.name);
}

/** A coded `error` names the key's server (withServer); anything else is left as it is. */
function onServer(error: unknown, server: string): unknown {
  return error instanceof MemcacheError ? withServer(error, server) : error;
}

/**
 * Runs the loader, its signal aborted when the lease runs out. A throw or a rejection is a
 * LoaderError whose `cause` is what the loader threw (counted, published without it); a loader
 * still running when the lease runs out is left behind, with the signal's reason as that cause,
 * so a loader that never settles cannot hold its callers (nor the key's next fetches) for good.
 */
export async function callLoader(job: FetchJob): Promise<unknown> {
  // Node's timers fire at once past 2^31 - 1 ms: a longer lease is let go of at that (24.8 days).
  const leaseMs = Math.min(job.settings.lockTtl * 1000, MAX_TIMEOUT);
  job.flight.loading(leaseMs);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(leaseRanOut(job)), leaseMs);
  timer.unref(); // the loader's own work holds the process, not this
  try {
    return await untilLeaseRunsOut(controller.signal, () => job.loader(job.key, { signal: controller.signal }));
  } catch (cause) {
    job.node.metrics.loaderErrors++;
    publishFetchEvent('loader:error', job.node.name);
    throw new LoaderError(`the loader failed: ${describeThrown(cause)}`, { cause, server: job.node.name });
  } finally {
    clearTimeout(timer);
  }
}

/** What `load` settles with, or the signal's reason once it aborts, whichever comes first; a synchronous throw rejects. */
function untilLeaseRunsOut(signal: AbortSignal, load: () => unknown): Promise<unknown> {
  return new Promise((resolve, reject) => {
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
    Promise.resolve(load()).then(resolve, reject);
  });
}

function leaseRanOut(job: FetchJob): TimeoutError {
  return new TimeoutError(`the lease ran out (lockTtl ${job.settings.lockTtl} s) before the loader finished`, { server: job.node.name });
}

/** Counts and publishes a lease this client won (a loader call follows). */
export function countWin(job: FetchJob): void {
  job.node.metrics.leaseWins++;
  publishFetchEvent('lease:win', job.node.name);
}

/** Counts and publishes a wait for another caller's value. */
export function countWait(job: FetchJob): void {
  job.node.metrics.leaseWaits++;
  publishFetchEvent('lease:wait', job.node.name);
}
