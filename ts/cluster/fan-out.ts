/**
 * Requests that span servers: a multi-key call split by the server each key belongs to, or one
 * command sent to every server. Servers run in parallel; a failing (or dead) server costs only its
 * own part, and the call rejects only when every server involved failed.
 */
import type { MemcacheError } from '../errors.js';
import type { Request, RequestFactory } from '../protocol/request-factory.js';
import type { Cluster } from './cluster.js';

/**
 * Sends one request per server for the keys (wire form) it owns and waits for all. `makeRequest`
 * gets the indices of that server's keys, or undefined when one server owns them all, and the
 * server's request factory. A failed
 * server's key indices go to `onServerFailure`; when every server failed, the first error is thrown.
 * Returns the results of the servers that answered.
 */
export async function sendPerServer<T>(
  cluster: Cluster,
  keys: readonly string[],
  makeRequest: (indices: readonly number[] | undefined, requests: RequestFactory) => Request<T>,
  onServerFailure: (indices: readonly number[], error: MemcacheError) => void,
): Promise<T[]> {
  if (cluster.nodes.length === 1) {
    const node = cluster.nodeFor(keys[0]);
    const request = makeRequest(undefined, node.requests);
    node.pool.send(request);
    return [await request.promise];
  }
  const groups = cluster.group(keys);
  const outcomes = await Promise.allSettled(
    groups.map((group) => {
      if ('error' in group) return Promise.reject(group.error);
      const request = makeRequest(groups.length === 1 ? undefined : group.indices, group.node.requests);
      group.node.pool.send(request);
      return request.promise;
    }),
  );
  const results: T[] = [];
  const failures: MemcacheError[] = [];
  outcomes.forEach((outcome, i) => {
    if (outcome.status === 'fulfilled') {
      results.push(outcome.value);
    } else {
      failures.push(outcome.reason as MemcacheError);
      onServerFailure(groups[i].indices, outcome.reason as MemcacheError);
    }
  });
  if (failures.length === outcomes.length) throw failures[0];
  return results;
}

/** One server's outcome of `sendToEveryServer`. */
export interface ServerOutcome<T> {
  /** The server's display name. */
  readonly server: string;
  readonly outcome: PromiseSettledResult<T>;
}

/**
 * Sends a request made by `makeRequest` to every server (a dead one fails unasked); rejects only
 * when every one failed. With discovery and no pool yet, waits for it first, within `timeout`;
 * `makeRequest` gets the time left.
 */
export async function sendToEveryServer<T>(
  cluster: Cluster,
  timeout: number,
  signal: AbortSignal | undefined,
  makeRequest: (requests: RequestFactory, timeout: number) => Request<T>,
): Promise<ServerOutcome<T>[]> {
  const waiting = cluster.untilConfigured(timeout, signal);
  if (waiting !== undefined) timeout = await waiting;
  const servers = cluster.everyServer();
  const outcomes = await Promise.allSettled(
    servers.map(({ node, error }) => {
      if (error !== undefined) return Promise.reject(error);
      const request = makeRequest(node.requests, timeout);
      node.pool.send(request);
      return request.promise;
    }),
  );
  if (outcomes.every((o) => o.status === 'rejected')) throw (outcomes[0] as PromiseRejectedResult).reason;
  return outcomes.map((outcome, i) => ({ server: servers[i].node.name, outcome }));
}
