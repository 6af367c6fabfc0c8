/**
 * Cache-aside without stampedes: `fetch(key, loader)` returns the cached value, or loads it once
 * however many callers want it at the same moment: once per client through the in-process
 * single flight (flight.ts), once across processes through memcached's leases (lease-flow.ts)
 * on servers that speak meta, and with no cross-process guard on those that do not
 * (plain-flow.ts). `invalidate` marks a value stale, to be reloaded by one caller while the
 * others keep getting it.
 */
import type { Key } from '../call-options.js';
import type { ServerNode } from '../cluster/cluster.js';
import type { ValueCodec } from '../codec/value-codec.js';
import type { ProtocolSetting } from '../connection/connection-pool.js';
import type { MemcacheError } from '../errors.js';
import type { MetaRequestFactory } from '../protocol/meta/dialect.js';
import { Flight, untilAborted } from './flight.js';
import { FlightRegistry } from './flight-registry.js';
import { send, type FetchJob } from './job.js';
import { LeaseAsks } from './lease-asks.js';
import { fetchWithLease, LeaseFetch } from './lease-flow.js';
import { fetchSettings, invalidateStaleTtl, type FetchOptions, type InvalidateOptions, type Loader } from './options.js';
import { fetchWithoutLease } from './plain-flow.js';

/** What the client lends: routing, its codec, its protocol setting. */
export interface CacheAsideHost {
  /** The server a key (wire form) goes to now; throws as routing does (no server, server dead). */
  nodeFor(wire: string): ServerNode;
  readonly codec: ValueCodec;
  readonly protocol: ProtocolSetting;
}

export class CacheAside {
  readonly #host: CacheAsideHost;
  readonly #flights = new FlightRegistry<Flight>();
  readonly #asks = new LeaseAsks();

  constructor(host: CacheAsideHost) {
    this.#host = host;
  }

  /** `timeout`: the call's, checked. Throws an ArgumentError (or a routing error) before anything is sent. */
  fetch(wire: string, key: Key, loader: Loader<unknown>, options: FetchOptions | undefined, timeout: number): Promise<unknown> {
    const settings = fetchSettings(loader, options, timeout);
    const node = this.#host.nodeFor(wire);
    // A flight on a server the key no longer goes to (removed by setServers, failed over) goes on for its own callers only.
    const running = this.#flights.find(wire, node);
    if (running !== undefined) return running.join(options?.signal, settings.waitTimeout);
    const flight = new Flight(node, this.#flights);
    const outcome = flight.outcome();
    this.#flights.start(wire, flight);
    // The loader runs a round trip later: a key's bytes are copied now, so a Buffer the caller reuses cannot change them.
    const own = typeof key === 'string' ? key : Buffer.from(key);
    const requests = node.requests;
    if (requests.dialect === 'meta') this.#asks.ask(new LeaseFetch(node, wire, own, loader, settings, this.#host.codec, flight, requests as MetaRequestFactory));
    else this.#runAfterAsking({ node, wire, key: own, loader, settings, codec: this.#host.codec, flight });
    return untilAborted(outcome, options?.signal, flight, node.name);
  }

  /**
   * The client is closing (without force): the fetches under way finish, a winner's loader and its
   * store (or its lease given back) included, but a fetch waiting on another caller's lease rejects
   * with a ClientClosedError at its next poll instead of asking again. Resolves once they have
   * ended; undefined when none is under way.
   */
  close(): Promise<void> | undefined {
    this.#flights.closing = true;
    const underWay = this.#flights.underWay();
    if (underWay.length === 0) return undefined;
    return Promise.all(underWay.map((flight) => flight.ending())).then(() => undefined);
  }

  /**
   * The client was closed with force: every fetch under way rejects with `error` now. A loader
   * still running is not stopped; what it returns is stored nowhere (the pools send nothing more).
   */
  destroy(error: MemcacheError): void {
    for (const flight of this.#flights.underWay()) flight.fail(error);
  }

  /** Marks the value stale for staleTtl seconds (meta; elsewhere it is deleted); whether the key existed. */
  async invalidate(wire: string, options: InvalidateOptions | undefined, timeout: number): Promise<boolean> {
    const staleTtl = invalidateStaleTtl(options);
    const node = this.#host.nodeFor(wire);
    const requests = await this.#leaseRequests(node, timeout, options?.signal);
    if (requests === undefined) return send(node, node.requests.delete(wire, false, timeout, options?.signal));
    return send(node, requests.invalidate(wire, staleTtl, timeout, options?.signal));
  }

  /**
   * A fetch on a node not known to speak meta: asks the server first (with 'auto'), then fetches
   * with a lease if it does, else without; the flight ends with the outcome.
   */
  #runAfterAsking(job: FetchJob): void {
    this.#leaseRequests(job.node, job.settings.timeout).then(
      (meta) => {
        if (meta === undefined) job.flight.endWith(fetchWithoutLease(job));
        else fetchWithLease(new LeaseFetch(job.node, job.wire, job.key, job.loader, job.settings, job.codec, job.flight, meta));
      },
      (error: MemcacheError) => job.flight.fail(error),
    );
  }

  /**
   * The node's meta requests, or undefined when it has no leases to offer (protocol 'text', or a
   * server without meta). With 'auto', a server not asked yet is asked first (`version` goes
   * after the `mn` its first connection sends). `signal`: the caller's, when the ask is its own
   * (invalidate); a fetch's is shared by its flight's callers, each of which leaves on its own signal.
   */
  async #leaseRequests(node: ServerNode, timeout: number, signal?: AbortSignal): Promise<MetaRequestFactory | undefined> {
    if (this.#host.protocol !== 'text' && node.requests.dialect !== 'meta' && node.pool.meta === undefined) {
      await send(node, node.requests.version(timeout, signal));
    }
    return metaRequests(node);
  }
}

/** The node's requests when it speaks meta (with protocol 'text' it never does). */
function metaRequests(node: ServerNode): MetaRequestFactory | undefined {
  const requests = node.requests;
  return requests.dialect === 'meta' ? (requests as MetaRequestFactory) : undefined;
}
