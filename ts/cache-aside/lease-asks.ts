/**
 * fetch's first asks, batched: the fetches a caller starts in one tick for one server go out as
 * one request (protocol/meta/lease-batch.ts), for as long as that request is the last one queued
 * on its connection and unwritten; then the next fetch starts another. While anybody traces
 * commands (diagnostics_channel), each ask goes alone, so each fetch is one traced command as
 * it was.
 */
import type { ServerNode } from '../cluster/cluster.js';
import type { MetaLeaseBatchRequest } from '../protocol/meta/dialect.js';
import { tracingCommands } from '../observability/channels.js';
import { fetchWithLease, type LeaseFetch } from './lease-flow.js';

export class LeaseAsks {
  /** Per server, the batch last started: still open while it `accepts`. */
  readonly #latest = new WeakMap<ServerNode, MetaLeaseBatchRequest>();

  /** Sends the fetch's first ask; its reply goes to the fetch (LeaseFetch.answered). */
  ask(fetch: LeaseFetch): void {
    if (tracingCommands()) {
      fetchWithLease(fetch);
      return;
    }
    const { node, settings, codec } = fetch;
    const latest = this.#latest.get(node);
    if (latest !== undefined && latest.accepts(settings, codec)) {
      latest.add(fetch);
      return;
    }
    const batch = fetch.requests.leaseBatch(settings, codec);
    batch.add(fetch);
    this.#latest.set(node, batch);
    node.pool.send(batch);
  }
}
