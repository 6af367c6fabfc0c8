/**
 * What fetch and invalidate accept, their defaults and their checks: a bad option is an
 * ArgumentError before anything is sent.
 */
import { checkTtl, type CallOptions, type Key } from '../call-options.js';
import { ArgumentError } from '../errors.js';
import { MAX_TIMEOUT } from '../options.js';
import { MAX_RELATIVE_EXPTIME } from '../protocol/exptime.js';

/** What a loader is handed besides the key. */
export interface LoaderContext {
  /**
   * Aborted when the lease runs out (`lockTtl` seconds after the load began): from then on
   * another caller may be loading the key, and this value would no longer be stored.
   */
  readonly signal: AbortSignal;
}

/** Loads the value of `key` (the key as given to fetch, without keyPrefix); `undefined` stores nothing. */
export type Loader<T> = (key: Key, context: LoaderContext) => T | PromiseLike<T>;

export interface FetchOptions extends CallOptions {
  /** Seconds the loaded value lives (memcached exptime: past 30 days a Unix time; 0 never expires). Required. */
  ttl: number;
  /** Seconds a winner holds the lease: past it, if it stored nothing, another caller loads. Default 30. */
  lockTtl?: number;
  /** Seconds a value marked stale again (its reload failed) keeps being served. Default 30. */
  staleTtl?: number;
  /** When at most this many seconds of the value's ttl are left, one caller reloads it early while the others keep it. Off by default. */
  recacheBefore?: number;
  /**
   * ms a caller that lost the lease waits for the winner's value before a LeaseTimeoutError.
   * Default (lockTtl + 1) * 1000 + 100: as long as the lease can live (see leaseToken) and one
   * poll more, as memcached's clock may tick a moment late, so a caller whose winner died outlasts
   * its lease, and loads.
   */
  waitTimeout?: number;
}

export interface InvalidateOptions extends CallOptions {
  /** Seconds the value stays, stale, served by fetch while one caller reloads it. Default 30. */
  staleTtl?: number;
}

export const FETCH_DEFAULTS = Object.freeze({ lockTtl: 30, staleTtl: 30 });

/** fetch's options, checked, with defaults applied. */
export interface FetchSettings {
  readonly ttl: number;
  readonly lockTtl: number;
  readonly staleTtl: number;
  readonly recacheBefore: number | undefined;
  readonly waitTimeout: number;
  /** ms each request to memcached may take (the call's timeout; the loader is not bounded by it). */
  readonly timeout: number;
}

/** Checks a fetch call's arguments (`timeout` was checked with the call options). */
export function fetchSettings(loader: unknown, options: FetchOptions | undefined, timeout: number): FetchSettings {
  if (typeof loader !== 'function') throw new ArgumentError(`loader must be a function, got ${typeof loader}`);
  if (options?.ttl === undefined) throw new ArgumentError('fetch needs options.ttl, the seconds the loaded value lives');
  const lockTtl = seconds(options.lockTtl, 'lockTtl', FETCH_DEFAULTS.lockTtl);
  const ttl = checkTtl(options.ttl);
  return {
    ttl,
    lockTtl,
    staleTtl: seconds(options.staleTtl, 'staleTtl', FETCH_DEFAULTS.staleTtl),
    recacheBefore: options.recacheBefore === undefined ? undefined : recacheBefore(options.recacheBefore, ttl),
    waitTimeout: waitTimeout(options.waitTimeout, lockTtl),
    timeout,
  };
}

/** invalidate's staleTtl, checked. */
export function invalidateStaleTtl(options: InvalidateOptions | undefined): number {
  return seconds(options?.staleTtl, 'staleTtl', FETCH_DEFAULTS.staleTtl);
}

/** Seconds from 1 to 30 days; `fallback` when absent. */
function seconds(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_RELATIVE_EXPTIME) {
    throw new ArgumentError(`${name} must be an integer from 1 to ${MAX_RELATIVE_EXPTIME} seconds, got ${String(value)}`);
  }
  return value;
}

/**
 * Seconds, less than a relative `ttl`: at `ttl` or more, every value would be recached by the
 * first fetch after it was stored. (A ttl of 0, or past 30 days, a Unix time, is not compared.)
 */
function recacheBefore(value: unknown, ttl: number): number {
  const before = seconds(value, 'recacheBefore', 0);
  if (ttl > 0 && ttl <= MAX_RELATIVE_EXPTIME && before >= ttl) throw new ArgumentError(`recacheBefore must be less than ttl (${ttl} s), got ${before}`);
  return before;
}

/** ms a waiter polls past the lease's longest life by default: memcached's clock may tick a moment late. */
const LAST_POLL_MARGIN_MS = 100;

/** ms from 0 (do not wait) up; default the lease's longest life (memcached's clock ticks once a second), and a poll. */
function waitTimeout(value: unknown, lockTtl: number): number {
  if (value === undefined) return Math.min((lockTtl + 1) * 1000 + LAST_POLL_MARGIN_MS, MAX_TIMEOUT);
  if (typeof value !== 'number' || !(value >= 0 && value <= MAX_TIMEOUT)) {
    throw new ArgumentError(`waitTimeout must be a number of ms in [0, ${MAX_TIMEOUT}], got ${String(value)}`);
  }
  return value;
}
