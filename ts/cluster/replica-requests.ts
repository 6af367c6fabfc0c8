/**
 * One key over its replicas. Writes go to every live replica at once and resolve, once all have
 * answered, with the answer of the first replica (in replica order) that answered: the one reads
 * ask first, so the answer is what a reader will see, and an `add` racing another client's has
 * one winner, the first replica deciding. Reads ask the first live replica and, on a miss or an
 * error, the next, within the call's timeout; with read repair, a value found after a miss is
 * copied back (`add`, never over a newer value) to the replicas that missed.
 */
import { AbortError, type MemcacheError } from '../errors.js';
import type { Payload, Request, RequestFactory, ValueDecoder } from '../protocol/request-factory.js';
import type { ServerNode } from './server-node.js';

/** Builds a node's request with the time left of the call. */
export type MakeRequest<T> = (requests: RequestFactory, timeout: number) => Request<T>;
/** Builds a node's read with the time left of the call, decoding through `decoder`. */
export type MakeRead = (requests: RequestFactory, timeout: number, decoder: ValueDecoder) => Request<unknown>;

/** Queues `request` on `node`'s connections; its promise is the call's. */
export function send<T>(node: ServerNode, request: Request<T>): Promise<T> {
  node.pool.send(request);
  return request.promise;
}

/** Sends to every replica; the first replica's answer, or the next's if it failed; rejects only if all failed. */
export async function writeEveryReplica<T>(nodes: readonly ServerNode[], timeout: number, make: MakeRequest<T>): Promise<T> {
  const outcomes = await Promise.allSettled(nodes.map((node) => send(node, make(node.requests, timeout))));
  const answered = outcomes.find((outcome) => outcome.status === 'fulfilled');
  if (answered !== undefined) return answered.value;
  throw (outcomes[0] as PromiseRejectedResult).reason;
}

/**
 * Stores on the first replica with `first` (a cas: its token is that server's), then, if it
 * stored, on the others with `copy` (a set of the same value); resolves with the first's answer.
 */
export async function writeFirstThenCopy(nodes: readonly ServerNode[], timeout: number, first: MakeRequest<boolean>, copy: MakeRequest<boolean>): Promise<boolean> {
  const started = performance.now();
  const stored = await send(nodes[0], first(nodes[0].requests, timeout));
  if (!stored || nodes.length === 1) return stored;
  const left = Math.max(1, timeout - (performance.now() - started));
  await Promise.allSettled(nodes.slice(1).map((node) => send(node, copy(node.requests, left))));
  return true;
}

export interface ReadRepair {
  /** The decoder reads decode through. */
  readonly decoder: ValueDecoder;
  /** Seconds a copied-back value lives; 0: no copying back. */
  readonly ttl: number;
}

/**
 * The value from the first replica that has it; undefined when none has (and at least one
 * answered); the first error when every replica failed. An aborted call stops at once.
 */
export async function readThrough(nodes: readonly ServerNode[], wire: string, timeout: number, make: MakeRead, repair: ReadRepair): Promise<unknown> {
  const deadline = performance.now() + timeout;
  const missed: ServerNode[] = [];
  let firstError: MemcacheError | undefined;
  for (const node of nodes) {
    const left = deadline - performance.now();
    if (left < 1) break;
    const capture = missed.length > 0 && repair.ttl > 0 ? new CapturingDecoder(repair.decoder) : undefined;
    try {
      const value = await send(node, make(node.requests, left, capture ?? repair.decoder));
      if (value !== undefined) {
        if (capture?.payload !== undefined) copyBack(missed, wire, capture.payload, repair.ttl, left);
        return value;
      }
      missed.push(node);
    } catch (error) {
      if (error instanceof AbortError) throw error;
      firstError ??= error as MemcacheError;
    }
  }
  if (missed.length > 0 || firstError === undefined) return undefined;
  throw firstError;
}

/** Read repair: `add` the bytes found to the replicas that missed them, without waiting (noreply). */
function copyBack(missed: readonly ServerNode[], wire: string, payload: Payload, ttl: number, timeout: number): void {
  for (const node of missed) {
    send(node, node.requests.store('add', wire, payload, ttl, undefined, true, timeout, undefined)).catch(() => {
      // Counted in the server's metrics (errors); the read has its value either way.
    });
  }
}

/** Decodes through `inner`, keeping a copy of the last item's bytes and flags (for read repair). */
class CapturingDecoder implements ValueDecoder {
  readonly #inner: ValueDecoder;
  payload: Payload | undefined;

  constructor(inner: ValueDecoder) {
    this.#inner = inner;
  }

  decode(buf: Buffer, start: number, end: number, flags: number): unknown {
    const value = this.#inner.decode(buf, start, end, flags);
    this.payload = { data: Buffer.from(buf.subarray(start, end)), length: end - start, flags };
    return value;
  }
}
