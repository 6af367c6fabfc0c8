/**
 * The fetches under way in one client, by wire key: what a caller of a key already being fetched
 * joins. A fetch that ends leaves its key behind, marked ended, instead of deleting it: V8 shrinks
 * a Map's table as entries are deleted and grows it again as they are added, so 256 fetches that
 * start and end together reallocated the table several times per batch; held by a long-lived Map,
 * each table was promoted to the old generation, and fetch paid for it in GC (bench/PROFILE.md,
 * "fetch hits: the flight registry"). Ended keys are swept once there are SWEEP_AT of them, so
 * a stream of distinct keys keeps at most that many.
 */

/** Ended keys kept before a sweep: a few hundred KB of key strings at most. */
const SWEEP_AT = 4096;

const ENDED = Symbol('ended');

export class FlightRegistry<F extends object> {
  readonly #entries = new Map<string, F | typeof ENDED>();
  /** Entries that are flights (the rest are ENDED). */
  #live = 0;

  /** Keys held: flights under way, and ended keys not swept yet. */
  get held(): number {
    return this.#entries.size;
  }

  /** The flight under way for `wire`, if any. */
  get(wire: string): F | undefined {
    const entry = this.#entries.get(wire);
    return entry === ENDED ? undefined : entry;
  }

  /** Registers the flight of `wire`, which has none under way (get() said so). */
  start(wire: string, flight: F): void {
    this.#entries.set(wire, flight);
    this.#live++;
  }

  /** The flight of `wire` ended: callers from now on start a new one. Called once per flight. */
  end(wire: string): void {
    this.#entries.set(wire, ENDED);
    this.#live--;
    if (this.#entries.size - this.#live >= SWEEP_AT) this.#sweep();
  }

  #sweep(): void {
    for (const [wire, entry] of this.#entries) if (entry === ENDED) this.#entries.delete(wire);
  }
}
