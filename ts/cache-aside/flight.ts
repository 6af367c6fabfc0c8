/**
 * In-process single flight: one fetch of a key at a time per client, whatever the number of
 * callers. The caller that started it waits for its outcome (the value found, or the one it
 * loaded); every caller that joins gets, as soon as one is known, the value being reloaded
 * (a stale one, or one recached early) without waiting for the loader, else the outcome too.
 * A flight nobody joins builds no promise for joiners (the common hit).
 */
import { listenForAbort, stopListening, type AbortListener } from '../abort-listeners.js';
import { AbortError, LeaseTimeoutError, type MemcacheError } from '../errors.js';
import { publishFetchEvent } from '../observability/channels.js';
import type { ServerMetrics } from '../observability/metrics.js';
import type { FlightRegistry, RegisteredFlight } from './flight-registry.js';

interface Deferred {
  readonly promise: Promise<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

export class Flight implements RegisteredFlight, Caller {
  /** Settle what the caller that started the flight waits for (see outcome). */
  #resolve: ((value: unknown) => void) | undefined;
  #reject: ((error: MemcacheError) => void) | undefined;
  readonly #metrics: ServerMetrics;
  readonly #server: string;
  /** The client's flights under way: told when this one ends. */
  readonly #flights: FlightRegistry<Flight>;
  /** What joiners wait for; made by the first joiner. */
  #shared: Deferred | undefined;
  /** Callers so far, the first included. */
  #callers = 1;
  /** Callers still waiting for the outcome: those that gave up (their signal aborted, or out of waitTimeout) are not. */
  #waiting = 1;
  /** Whether joiners are served a value while it is reloaded, and whether that value is stale. */
  #serving: 'no' | 'fresh' | 'stale' = 'no';
  #served: unknown;
  #ended = false;
  /**
   * 'loading' once the flight waits on a loader (its own, or another process's lease); before,
   * the joiners' waitTimeout clocks to start then (see join).
   */
  #load: 'loading' | Array<() => void> | undefined;
  /** Set by the flow when the outcome is a stale value found while another caller (elsewhere) reloads it. */
  staleOutcome = false;

  constructor(metrics: ServerMetrics, server: string, flights: FlightRegistry<Flight>) {
    this.#metrics = metrics;
    this.#server = server;
    this.#flights = flights;
  }

  /**
   * What the caller that starts the flight waits for: its value, or its error. Asked for once,
   * before the flight can end. The flight keeps only the means to settle it, let go as it ends: an
   * ended flight stays in the registry, and must not keep its value alive there.
   */
  outcome(): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  /**
   * Another caller of the same key: it shares this flight, and waits for a loader (this flight's,
   * or another process's) at most its own `waitTimeout` ms, then rejects with a LeaseTimeoutError.
   */
  join(signal: AbortSignal | undefined, waitTimeout: number): Promise<unknown> {
    this.#callers++;
    if (this.#serving !== 'no') {
      if (this.#serving === 'stale') this.#countStale(1);
      return Promise.resolve(this.#served);
    }
    const caller = this.#joiner();
    return untilAborted(this.#withinWait((this.#shared ??= deferred()).promise, waitTimeout, caller), signal, caller);
  }

  /** The caller that started the flight gave up waiting (its signal aborted). */
  left(): void {
    this.#waiting--;
  }

  /** A joiner, waiting until it leaves: by an abort or at its waitTimeout, whichever comes first. */
  #joiner(): Caller {
    this.#waiting++;
    let gone = false;
    return {
      left: () => {
        if (gone) return;
        gone = true;
        this.#waiting--;
      },
    };
  }

  /** Whether every caller gave up: a flight still waiting on another process's lease stops asking. */
  get abandoned(): boolean {
    return this.#waiting === 0;
  }

  /** The flight waits on a loader from now on: its own (it won the lease) or another process's. */
  loading(): void {
    const load = this.#load;
    this.#load = 'loading';
    if (Array.isArray(load)) for (const startClock of load) startClock();
  }

  /** `outcome`, or a LeaseTimeoutError once the flight has waited `waitTimeout` ms on a loader since this caller joined. */
  #withinWait(outcome: Promise<unknown>, waitTimeout: number, caller: Caller): Promise<unknown> {
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const startClock = (): void => {
        timer = setTimeout(() => {
          caller.left();
          reject(new LeaseTimeoutError(`no value within waitTimeout (${waitTimeout} ms): a caller in this process holds the lease`, { server: this.#server }));
        }, waitTimeout);
        timer.unref(); // the loader's work holds the process, not this
      };
      const load = this.#load;
      if (load === 'loading') startClock();
      else if (load === undefined) this.#load = [startClock];
      else load.push(startClock);
      outcome.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }

  /** This caller reloads `value`, which joiners get meanwhile, now and from now on. */
  serve(value: unknown, stale: boolean): void {
    this.#serving = stale ? 'stale' : 'fresh';
    this.#served = value;
    if (stale) this.#countStale(this.#callers - 1);
    this.#shared?.resolve(value);
  }

  /** Ends the flight with its value (callers from now on start a new one). */
  finish(value: unknown): void {
    if (this.#ended) return;
    this.#leave();
    if (this.staleOutcome) this.#countStale(this.#callers); // every caller gets it (a reload would have served it first)
    this.#resolve?.(value);
    this.#shared?.resolve(value);
    this.#release();
  }

  /** Ends the flight with an error. */
  fail(error: MemcacheError): void {
    if (this.#ended) return;
    this.#leave();
    this.#reject?.(error);
    this.#shared?.reject(error);
    this.#release();
  }

  /** Ends the flight with what `value` settles with. */
  endWith(value: Promise<unknown>): void {
    value.then(
      (v) => this.finish(v),
      (error: MemcacheError) => this.fail(error),
    );
  }

  /** Whether the flight has ended: callers from now on start a new one. */
  get ended(): boolean {
    return this.#ended;
  }

  #leave(): void {
    this.#ended = true; // once (finish and fail check): the registry counts it
    this.#flights.ended();
  }

  /** Lets go of the value: an ended flight stays in the registry until its key's next flight or a sweep. */
  #release(): void {
    this.#resolve = undefined;
    this.#reject = undefined;
    this.#shared = undefined;
    this.#served = undefined;
    this.#load = undefined;
  }

  #countStale(callers: number): void {
    this.#metrics.staleServes += callers;
    for (let i = 0; i < callers; i++) publishFetchEvent('stale', this.#server);
  }
}

function deferred(): Deferred {
  let resolve!: (value: unknown) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<unknown>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A caller of a flight, which tells it when it stops waiting. */
export interface Caller {
  left(): void;
}

/**
 * `promise`, or an AbortError as soon as `signal` aborts: a caller giving up leaves the flight
 * running for the others (and tells it so).
 */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined, caller: Caller): Promise<T> {
  if (signal === undefined) return promise;
  return new Promise<T>((resolve, reject) => {
    const listener: AbortListener = {
      handleEvent: () => {
        caller.left();
        reject(new AbortError());
      },
    };
    listenForAbort(signal, listener);
    promise.then(
      (value) => {
        stopListening(signal, listener);
        resolve(value);
      },
      (error: unknown) => {
        stopListening(signal, listener);
        reject(error);
      },
    );
  });
}
