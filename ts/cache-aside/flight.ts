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
import { MAX_TIMEOUT } from '../options.js';
import type { ServerNode } from '../cluster/cluster.js';
import type { FlightRegistry, RegisteredFlight } from './flight-registry.js';

interface Deferred {
  readonly promise: Promise<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * How long a caller whose time outlasts what its flight waits for (its last ask on another's
 * lease, or its loader's lockTtl) waits past its own waitTimeout for the flight's answer, at most:
 * about one poll interval (lease-flow.ts), or the round trip that gives the lease back. The
 * starter's polls wait as long past its deadline (lease-flow.ts).
 */
export const ANSWER_GRACE_MS = 100;

/**
 * An unref'd timer calling `fn` at `at` (performance.now() ms). Node's timers fire at once past
 * 2^31 - 1 ms: a later moment is waited for that long (24.8 days).
 */
export function timerAt(at: number, fn: () => void): NodeJS.Timeout {
  return setTimeout(fn, Math.min(Math.max(0, at - performance.now()), MAX_TIMEOUT)).unref();
}

export class Flight implements RegisteredFlight, Caller {
  /** Settle what the caller that started the flight waits for (see outcome). */
  #resolve: ((value: unknown) => void) | undefined;
  #reject: ((error: MemcacheError) => void) | undefined;
  /** The server the flight asks: a caller whose key now goes elsewhere starts a flight of its own. */
  readonly node: ServerNode;
  /** The client's flights under way: told when this one ends. */
  readonly #flights: FlightRegistry<Flight>;
  /** What joiners wait for; made by the first joiner. */
  #shared: Deferred | undefined;
  /** Callers still waiting for the outcome: those that gave up (their signal aborted, or out of waitTimeout) are not. */
  #waiting = 1;
  /** Whether the caller that started the flight still waits for it (it is counted in #waiting). */
  #starterWaits = true;
  /** Whether joiners are served a value while it is reloaded, and whether that value is stale. */
  #serving: 'no' | 'fresh' | 'stale' = 'no';
  #served: unknown;
  #ended = false;
  /**
   * What the flight waits on, which decides when a joiner's waitTimeout clock runs: nothing yet
   * (its first ask is out: no clock runs), another process's lease (`waiting`, its last ask at
   * #waitDeadline), or a loader in this process (`loading`).
   */
  #phase: 'asking' | 'waiting' | 'loading' = 'asking';
  #waitDeadline = 0;
  /** When the loader's lease runs out (performance.now() ms): the flight fails by then, with the loader's error. */
  #loadDeadline = 0;
  /** The clocks of the joiners waiting for the outcome; made by the first (most flights have none). */
  #clocks: Set<WaitClock> | undefined;
  /** Set by the flow when the outcome is a stale value found while another caller (elsewhere) reloads it. */
  staleOutcome = false;
  /** Resolved as the flight ends; made when the client's close() waits for it. */
  #end: Deferred | undefined;

  constructor(node: ServerNode, flights: FlightRegistry<Flight>) {
    this.node = node;
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
   * or another process's) at most its own `waitTimeout` ms (see #startClock), then rejects with a
   * LeaseTimeoutError.
   */
  join(signal: AbortSignal | undefined, waitTimeout: number): Promise<unknown> {
    if (this.#serving !== 'no') {
      if (this.#serving === 'stale') this.#countStale(1);
      return Promise.resolve(this.#served);
    }
    const caller = this.#joiner();
    return untilAborted(this.#withinWait((this.#shared ??= deferred()).promise, waitTimeout, caller), signal, caller, this.node.name);
  }

  /** The caller that started the flight gave up waiting (its signal aborted). */
  left(): void {
    this.#starterWaits = false;
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

  /** Whether the client is closing: a flight waiting on another process's lease stops asking. */
  get closing(): boolean {
    return this.#flights.closing;
  }

  /** Resolves once the flight has ended, however it did (the client's close() waits for it). */
  ending(): Promise<void> {
    if (this.#ended) return Promise.resolve();
    return (this.#end ??= deferred()).promise as Promise<void>;
  }

  /**
   * The flight waits on another process's lease from now on, its last ask at `deadline`
   * (performance.now() ms). A joiner whose waitTimeout runs out at or after that is answered by
   * that ask (a value, a lease won, or the flight's LeaseTimeoutError), so it is not failed while
   * the ask that brings the value is on the wire; it waits for the answer ANSWER_GRACE_MS at
   * most, so a stalled server does not hold it for the ask's whole request timeout.
   */
  waiting(deadline: number): void {
    this.#phase = 'waiting';
    this.#waitDeadline = deadline;
    this.#startClocks();
  }

  /**
   * The flight waits on a loader in this process from now on (it won the lease), for `lockTtl` ms
   * at most. A joiner the flight's wait answered (its time outlasts the flight's last ask) starts
   * its waitTimeout again, for the loader, whenever the lease came: even just before that last
   * ask, it gets its time. A joiner whose time runs out sooner goes on with what it has left. One
   * whose time outlasts the loader's lease is answered by the flight: a loader still running then
   * fails it with the winner's error, not a LeaseTimeoutError of its own.
   */
  loading(lockTtl: number): void {
    this.#phase = 'loading';
    this.#loadDeadline = performance.now() + lockTtl;
    if (this.#clocks === undefined) return;
    for (const clock of this.#clocks) if (clock.deadline !== undefined && clock.deadline >= this.#waitDeadline) clock.deadline = undefined;
    this.#startClocks();
  }

  #startClocks(): void {
    if (this.#clocks === undefined) return;
    const now = performance.now();
    for (const clock of this.#clocks) this.#startClock(clock, now);
  }

  /** `outcome`, or a LeaseTimeoutError once its clock runs out (see #startClock). */
  #withinWait(outcome: Promise<unknown>, waitTimeout: number, caller: Caller): Promise<unknown> {
    const clocks = (this.#clocks ??= new Set());
    return new Promise((resolve, reject) => {
      const clock = new WaitClock(waitTimeout, () => {
        clocks.delete(clock);
        caller.left();
        const why = this.#phase === 'waiting' ? 'another caller holds the lease' : 'a caller in this process is loading it';
        reject(new LeaseTimeoutError(`no value within waitTimeout (${waitTimeout} ms): ${why}`, { server: this.node.name }));
      });
      clocks.add(clock);
      this.#startClock(clock, performance.now());
      outcome.then(
        (value) => {
          clock.stop();
          clocks.delete(clock);
          resolve(value);
        },
        (error: unknown) => {
          clock.stop();
          clocks.delete(clock);
          reject(error);
        },
      );
    });
  }

  /**
   * Runs `clock` as the flight's phase says: not while the first ask is out; from then on until
   * the joiner's waitTimeout has passed since it began waiting on a loader, or until the flight
   * has had time to answer (its last ask, or its loader's lease running out), if that comes later.
   */
  #startClock(clock: WaitClock, now: number): void {
    if (this.#phase === 'asking') return;
    const own = (clock.deadline ??= now + clock.waitTimeout);
    const flightDeadline = this.#phase === 'loading' ? this.#loadDeadline : this.#waitDeadline;
    clock.runUntil(own < flightDeadline ? own : Math.max(own, flightDeadline + ANSWER_GRACE_MS));
  }

  /** This caller reloads `value`, which joiners get meanwhile, now and from now on. */
  serve(value: unknown, stale: boolean): void {
    this.#serving = stale ? 'stale' : 'fresh';
    this.#served = value;
    if (stale) this.#countStale(this.#waiting - (this.#starterWaits ? 1 : 0)); // the joiners it resolves
    this.#shared?.resolve(value);
  }

  /** Ends the flight with its value (callers from now on start a new one). */
  finish(value: unknown): void {
    if (this.#ended) return;
    this.#leave();
    if (this.staleOutcome) this.#countStale(this.#waiting); // every caller still waiting gets it (a reload would have served it first)
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
    this.#end?.resolve(undefined);
  }

  /** Lets go of the value: an ended flight stays in the registry until its key's next flight or a sweep. */
  #release(): void {
    this.#resolve = undefined;
    this.#reject = undefined;
    this.#shared = undefined;
    this.#served = undefined;
    this.#clocks = undefined;
    this.#end = undefined;
  }

  #countStale(callers: number): void {
    this.node.metrics.staleServes += callers;
    for (let i = 0; i < callers; i++) publishFetchEvent('stale', this.node.name);
  }
}

/** A joiner's waitTimeout, run until a moment the flight picks (see Flight#startClock). */
class WaitClock {
  readonly waitTimeout: number;
  /** When the joiner's waitTimeout runs out (performance.now() ms): set once it begins waiting on a loader. */
  deadline: number | undefined;
  readonly #runOut: () => void;
  #timer: NodeJS.Timeout | undefined;

  constructor(waitTimeout: number, runOut: () => void) {
    this.waitTimeout = waitTimeout;
    this.#runOut = runOut;
  }

  /** Runs out at `at` (performance.now() ms), instead of when it was set to. Unref'd: the loader's work holds the process, not this. */
  runUntil(at: number): void {
    clearTimeout(this.#timer);
    this.#timer = timerAt(at, this.#runOut);
  }

  stop(): void {
    clearTimeout(this.#timer);
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
 * `promise`, or an AbortError naming `server` (the key's) as soon as `signal` aborts: a caller
 * giving up leaves the flight running for the others (and tells it so).
 */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined, caller: Caller, server: string): Promise<T> {
  if (signal === undefined) return promise;
  return new Promise<T>((resolve, reject) => {
    const listener: AbortListener = {
      handleEvent: () => {
        caller.left();
        reject(new AbortError(undefined, { server }));
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
