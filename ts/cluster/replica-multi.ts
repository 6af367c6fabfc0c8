/**
 * Multi-key calls over replicas (single keys: replica-requests.ts). Keys are told apart by their
 * index in the call. Writes: one request per server for every key it holds a copy of, all at
 * once; a key's outcome is that of its first replica whose request did not fail. Reads: rounds,
 * the first asking each key's first live replica, each next round asking the next replica of the
 * keys that missed or whose server failed, within the call's timeout.
 */
import { AbortError, type MemcacheError } from '../errors.js';
import type { Request, RequestFactory } from '../protocol/request-factory.js';
import type { Cluster } from './cluster.js';
import { send } from './replica-requests.js';
import type { ServerNode } from './server-node.js';

/**
 * A write of the keys at `ids` (undefined: all) to one server, each standing as `keys[j]` for
 * `ids[j]` in the result: resolves with the `keys` not stored (or not deleted).
 */
export type PutMany = (requests: RequestFactory, ids: readonly number[] | undefined, keys: readonly unknown[], timeout: number) => Request<unknown[]>;
/** A read of the keys at `ids` (undefined: all) from one server: hits into `hits`, unreadable values into `errors`, under `keys`. */
export type GetMany = (
  requests: RequestFactory,
  ids: readonly number[] | undefined,
  keys: readonly unknown[],
  hits: Map<unknown, unknown>,
  errors: Map<unknown, MemcacheError>,
  timeout: number,
) => Request<void>;

/**
 * Each key's live replicas; a key that cannot be routed (its servers dead, failover off) gets its
 * error instead: one error per server and kind, shared by its keys, as a failed request's is.
 */
function replicasOfEach(cluster: Cluster, wires: readonly string[], errors: Map<number, MemcacheError>): (readonly ServerNode[])[] {
  const shared = new Map<string, MemcacheError>();
  return wires.map((wire, id) => {
    try {
      return cluster.replicasOf(wire);
    } catch (thrown) {
      const error = thrown as MemcacheError;
      const failure = `${error.code} ${error.server}`;
      const first = shared.get(failure);
      if (first === undefined) shared.set(failure, error);
      errors.set(id, first ?? error);
      return [];
    }
  });
}

/** ids grouped by the server `pick` names for each (undefined: none). */
function groupBy(ids: Iterable<number>, pick: (id: number) => ServerNode | undefined): Map<ServerNode, number[]> {
  const groups = new Map<ServerNode, number[]>();
  for (const id of ids) {
    const node = pick(id);
    if (node === undefined) continue;
    const group = groups.get(node);
    if (group === undefined) groups.set(node, [id]);
    else group.push(id);
  }
  return groups;
}

/**
 * Writes every key to each of its live replicas; resolves with the ids not done. Rejects only when
 * every server failed. `failedWith` is told the error of each id not done because every replica failed.
 */
export async function writeManyEverywhere(
  cluster: Cluster,
  wires: readonly string[],
  timeout: number,
  put: PutMany,
  failedWith?: (id: number, error: MemcacheError) => void,
): Promise<number[]> {
  const unroutable = new Map<number, MemcacheError>();
  const replicas = replicasOfEach(cluster, wires, unroutable);
  const byNode = new Map<ServerNode, number[]>();
  replicas.forEach((nodes, id) => {
    for (const node of nodes) byNode.set(node, [...(byNode.get(node) ?? []), id]);
  });
  const requests = [...byNode].map(([node, ids]) => send(node, put(node.requests, ids, ids, timeout)).then((notDone) => new Set(notDone as number[])));
  const outcomes = new Map([...byNode.keys()].map((node, i) => [node, i]));
  const settled = await Promise.allSettled(requests);
  if (settled.length > 0 && settled.every((s) => s.status === 'rejected')) throw (settled[0] as PromiseRejectedResult).reason;
  if (settled.length === 0 && unroutable.size > 0) throw unroutable.values().next().value;
  const notDone: number[] = [...unroutable.keys()];
  if (failedWith !== undefined) for (const [id, error] of unroutable) failedWith(id, error);
  replicas.forEach((nodes, id) => {
    const outcomesOfId = nodes.map((node) => settled[outcomes.get(node) as number]);
    const decided = outcomesOfId.find((s) => s.status === 'fulfilled');
    if (decided === undefined) {
      if (nodes.length === 0) return;
      notDone.push(id);
      failedWith?.(id, (outcomesOfId[0] as PromiseRejectedResult).reason as MemcacheError);
    } else if ((decided as PromiseFulfilledResult<Set<number>>).value.has(id)) notDone.push(id);
  });
  return notDone.sort((a, b) => a - b);
}

export interface ManyRead {
  readonly hits: Map<number, unknown>;
  readonly errors: Map<number, MemcacheError>;
}

/** Reads every key through its replicas. Rejects only when no server answered at all. */
export async function readManyThrough(cluster: Cluster, wires: readonly string[], timeout: number, get: GetMany): Promise<ManyRead> {
  const deadline = performance.now() + timeout;
  const hits = new Map<number, unknown>();
  const errors = new Map<number, MemcacheError>();
  const replicas = replicasOfEach(cluster, wires, errors);
  /** The first server failure of each key still without an answer. */
  const failures = new Map<number, MemcacheError>();
  const answered = new Set<number>();
  let waiting = replicas.flatMap((nodes, id) => (nodes.length > 0 ? [id] : []));
  let anyAnswer = false;
  for (let rank = 0; waiting.length > 0; rank++) {
    const left = deadline - performance.now();
    const groups = groupBy(waiting, (id) => replicas[id][rank]);
    if (groups.size === 0 || left < 1) break;
    const valueErrors = new Map<unknown, MemcacheError>();
    await Promise.all(
      [...groups].map(async ([node, ids]) => {
        try {
          await send(node, get(node.requests, ids, ids, hits as Map<unknown, unknown>, valueErrors, left));
          anyAnswer = true;
          for (const id of ids) answered.add(id);
        } catch (error) {
          if (error instanceof AbortError) throw error;
          for (const id of ids) if (!failures.has(id)) failures.set(id, error as MemcacheError);
        }
      }),
    );
    // A value that could not be read is the key's answer: another copy holds the same bytes.
    for (const [id, error] of valueErrors) errors.set(id as number, error);
    waiting = waiting.filter((id) => !hits.has(id) && !errors.has(id));
  }
  for (const id of waiting) {
    const failure = failures.get(id);
    if (failure !== undefined && !answered.has(id)) errors.set(id, failure);
  }
  if (!anyAnswer && failures.size > 0) throw failures.values().next().value;
  return { hits, errors };
}
