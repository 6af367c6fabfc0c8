/**
 * Milliseconds to live, as memcached's exptime. Shared by the adapters: Keyv's ttl and a session
 * cookie's expiry are both milliseconds, memcached counts seconds.
 */
import { ArgumentError } from '../index.js';
import { MAX_EXPTIME, MAX_RELATIVE_EXPTIME } from '../protocol/exptime.js';

/** What to store for an item that lives `ms` more milliseconds: an exptime, or 'expired'. */
export type Exptime = number | 'expired';

/**
 * Seconds rounded up, and one more (an item may outlive its ttl by up to two seconds, never die
 * before it); past 30 days the absolute Unix time, clamped to 2038. 0 (no expiry) for Infinity;
 * 'expired' for ms <= 0, which the caller deletes rather than stores.
 */
export function exptimeFromMs(ms: number, now: number = Date.now()): Exptime {
  if (typeof ms !== 'number' || Number.isNaN(ms)) throw new ArgumentError(`ttl must be a number of ms, got ${String(ms)}`);
  if (ms <= 0) return 'expired';
  if (ms === Infinity) return 0;
  // memcached's clock moves in whole seconds: an item stored mid-second with exptime N dies when that
  // clock has moved N times, which can be up to a second before N seconds have passed.
  const seconds = Math.ceil(ms / 1000) + 1;
  if (seconds <= MAX_RELATIVE_EXPTIME) return seconds;
  return Math.min(Math.ceil((now + ms) / 1000), MAX_EXPTIME);
}
