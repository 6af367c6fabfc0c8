/**
 * The fetches under way in one client, by wire key: what a caller of a key already being fetched
 * joins. A fetch that ends leaves its entry behind, marked ended, instead of deleting it: V8 shrinks
 * a Map's table as entries are deleted and grows it again as they are added, so 256 fetches that
 * start and end together reallocated the table several times per batch; held by a long-lived Map,
 * each table was promoted to the old generation, and fetch paid for it in GC (bench/PROFILE.md,
 * "fetch hits: the flight registry"). An ended flight stays as its key's entry, with nothing of
 * its value, until the key's next flight replaces it or a sweep (at SWEEP_AT ended entries)
 * removes it, so a stream of distinct keys keeps at most that many.
 */

/** Ended entries kept before a sweep: a few hundred KB at most. */
const SWEEP_AT = 4096;

/** What the registry needs of a flight: whether it has ended, and the server it runs on. */
export interface RegisteredFlight {
  readonly ended: boolean;
  readonly node: object;
}

export class FlightRegistry<F extends RegisteredFlight> {
  readonly #entries = new Map<string, F>();
  /** Entries whose flight is under way (the rest have ended). */
  #live = 0;
  /** Flights under way whose key's next flight took their entry (see start), with their keys: rare, pruned as they end. */
  #replaced: Array<{ readonly wire: string; readonly flight: F }> = [];
  /** Set by the client's close(): flights under way finish, but none waits on another caller's lease any more. */
  closing = false;

  /** Keys held: flights under way, and ended ones not swept or replaced yet. */
  get held(): number {
    return this.#entries.size;
  }

  /**
   * The flight under way for `wire` on `node` (the server the key goes to now), if any: its entry's,
   * or one that entry replaced, when the key moved away (setServers, a failover) and back while
   * that flight still ran.
   */
  find(wire: string, node: object): F | undefined {
    const flight = this.#entries.get(wire);
    if (flight !== undefined && !flight.ended && flight.node === node) return flight;
    if (this.#replaced.length === 0) return undefined;
    return this.#replaced.find((r) => r.wire === wire && !r.flight.ended && r.flight.node === node)?.flight;
  }

  /**
   * Registers the flight of `wire`, which has none under way on its server (find() said so): a
   * flight its entry held on another server goes on for its callers, and is counted until it ends.
   */
  start(wire: string, flight: F): void {
    const running = this.#entries.get(wire);
    if (running !== undefined && !running.ended) this.#replaced = [...this.#replaced.filter((r) => !r.flight.ended), { wire, flight: running }];
    this.#entries.set(wire, flight);
    this.#live++;
  }

  /** Every flight under way. */
  underWay(): F[] {
    const flights = this.#replaced.filter((r) => !r.flight.ended).map((r) => r.flight);
    for (const flight of this.#entries.values()) if (!flight.ended) flights.push(flight);
    return flights;
  }

  /** A flight's `ended` just turned true: it stays as its key's entry until replaced or swept. Called once per flight. */
  ended(): void {
    this.#live--;
    if (this.#entries.size - this.#live >= SWEEP_AT) this.#sweep();
  }

  #sweep(): void {
    for (const [wire, flight] of this.#entries) if (flight.ended) this.#entries.delete(wire);
  }
}
