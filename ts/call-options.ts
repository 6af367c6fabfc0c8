/**
 * What each call accepts besides its key and value, and the checks on those arguments. A bad
 * argument is an ArgumentError before anything is sent.
 */
import { AbortError, ArgumentError, type MemcacheError } from './errors.js';
import { isTimeout, MAX_TIMEOUT } from './options.js';
import { MAX_EXPTIME } from './protocol/exptime.js';

/** Accepted by every call. */
export interface CallOptions {
  /** ms for this call instead of the client's `timeout`. */
  timeout?: number;
  /** Aborting rejects the call at once with an AbortError; before it is sent, nothing is sent. */
  signal?: AbortSignal;
}

export interface StoreOptions extends CallOptions {
  /** Seconds to live (memcached exptime: past 30 days it is a Unix time); 0 = no expiry. Default 0. */
  ttl?: number;
  /** Do not ask the server for a reply: the call resolves true once the command is written. Default false. */
  noreply?: boolean;
  /** true: compress whatever the size (if smaller); false: never; default: per `compressionThreshold`. */
  compress?: boolean;
}

export interface AppendOptions extends CallOptions {
  /** See StoreOptions.noreply. */
  noreply?: boolean;
}

export interface DeleteOptions extends CallOptions {
  /** Do not ask for a reply: resolves true (deleteMulti: []) once written. Default false. */
  noreply?: boolean;
}

export interface CounterOptions extends CallOptions {
  /** Do not ask for a reply: resolves undefined once written. Default false. */
  noreply?: boolean;
  /**
   * Create a missing counter with this value (the delta is not applied) and resolve with it,
   * atomically (memcached's `ma` with `N` and `J`: needs the meta protocol). Without it a miss
   * resolves undefined. A non-negative integer up to 2^64-1.
   */
  initial?: number | bigint;
  /** With `initial`: the created counter's ttl, in seconds (as `set`'s). Default 0, no expiry. */
  ttl?: number;
}

export interface ItemOptions extends CallOptions {
  /** Set the item's ttl to this many seconds in the same request (as `gat`). */
  touch?: number;
}

export interface MultiOptions extends CallOptions {
  /** Added after the client's keyPrefix for this call's keys; result keys come back without either. */
  keyPrefix?: string;
}

/** setMulti's and deleteMulti's: where the keys a server failed for get that failure. */
export interface WriteManyOptions<K> extends MultiOptions {
  /**
   * Filled with the error of each key not done because its server failed (still listed in the
   * result, which does not tell a failure from a key not there); as getMulti's `.errors`.
   */
  errors?: Map<K, MemcacheError>;
}

export type SetMultiOptions<K = Key> = StoreOptions & WriteManyOptions<K>;
export type DeleteMultiOptions<K = Key> = DeleteOptions & WriteManyOptions<K>;

const U64_MAX = 2n ** 64n - 1n;

/** The call's timeout; throws when the signal is already aborted or an option is malformed. */
export function callTimeout(options: CallOptions | undefined, fallback: number): number {
  if (options === undefined) return fallback;
  if (typeof options !== 'object' || options === null) throw new ArgumentError('call options must be an object');
  const { timeout, signal } = options;
  if (signal !== undefined) {
    if (!(signal instanceof AbortSignal)) throw new ArgumentError('signal must be an AbortSignal');
    if (signal.aborted) throw new AbortError();
  }
  if (timeout === undefined) return fallback;
  if (!isTimeout(timeout)) {
    throw new ArgumentError(`timeout must be a number of ms in (0, ${MAX_TIMEOUT}], got ${String(timeout)}`);
  }
  return timeout;
}

/** A ttl (seconds): an integer from 0 to 2^31-1. */
export function checkTtl(ttl: unknown, name = 'ttl'): number {
  if (ttl === undefined) return 0;
  if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < 0 || ttl > MAX_EXPTIME) {
    throw new ArgumentError(`${name} must be an integer from 0 to ${MAX_EXPTIME} seconds, got ${String(ttl)}`);
  }
  return ttl;
}

/** A multi-key write's `errors` option: a Map, or undefined. */
export function checkErrorSink<K>(value: Map<K, MemcacheError> | undefined): Map<K, MemcacheError> | undefined {
  if (value === undefined || value instanceof Map) return value;
  throw new ArgumentError(`errors must be a Map, got ${String(value)}`);
}

/** An optional boolean option; false when absent. */
export function checkFlag(value: unknown, name: string): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw new ArgumentError(`${name} must be a boolean, got ${String(value)}`);
  return value;
}

/** An incr/decr delta: a non-negative integer up to 2^64-1, as decimal text. */
export function checkDelta(delta: unknown, name = 'delta'): string {
  if (typeof delta === 'number' && Number.isSafeInteger(delta) && delta >= 0) return String(delta);
  if (typeof delta === 'bigint' && delta >= 0n && delta <= U64_MAX) return delta.toString();
  throw new ArgumentError(`${name} must be a non-negative safe integer or a bigint up to 2^64-1, got ${String(delta)}`);
}

/** A cas unique from gets: bigint, decimal string or safe integer, 0 to 2^64-1; as decimal text. */
export function checkCas(cas: unknown): string {
  let value: bigint | undefined;
  if (typeof cas === 'bigint') value = cas;
  else if (typeof cas === 'number' && Number.isSafeInteger(cas)) value = BigInt(cas);
  else if (typeof cas === 'string' && /^\d{1,20}$/.test(cas)) value = BigInt(cas);
  if (value === undefined || value < 0n || value > U64_MAX) {
    throw new ArgumentError(`cas must be a bigint, decimal string or integer from 0 to 2^64-1, got ${String(cas)}`);
  }
  return value.toString();
}

/** Options of `close()`. */
export interface CloseOptions {
  /** Close every socket now, failing calls in flight with a ClientClosedError, instead of letting them finish. Default false. */
  force?: boolean;
}

/**
 * `stats` arguments: '' or printable tokens separated by single spaces ('items', 'slabs', 'settings', ...),
 * except the groups whose reply is not STAT lines and END (nor `stats reset`'s RESET, nor
 * `stats detail on|off`'s OK): the reply scanner cannot read it, and the connection would be
 * dropped with every call in flight on it. Unknown groups are sent: memcached answers ERROR,
 * which leaves the connection as it was, and proxies in front of it have groups of their own.
 */
export function checkStatsArgs(args: unknown): string {
  if (args === undefined) return '';
  if (typeof args !== 'string' || !/^([\x21-\x7e]+( [\x21-\x7e]+)*)?$/.test(args)) {
    throw new ArgumentError(`stats arguments must be printable words separated by single spaces, got ${JSON.stringify(args)}`);
  }
  const reply = unreadableStatsReply(args.split(' '));
  if (reply !== undefined) {
    throw new ArgumentError(`stats ${JSON.stringify(args)} is refused: its reply is ${reply}, not STAT lines, and reading it would drop the connection`);
  }
  return args;
}

/**
 * What `stats <words>` replies when that is not STAT lines; undefined otherwise. Words are matched
 * as prefixes because memcached 1.6.41 on runs a group by any prefix of its name ('c 1 10' is a
 * cachedump, 'detail d' a detail dump); earlier versions want the whole name, which a prefix covers.
 */
function unreadableStatsReply([group, arg]: string[]): string | undefined {
  if (isPrefixOf(group, 'cachedump')) return 'ITEM lines (cachedump)';
  if (isPrefixOf(group, 'detail') && arg !== undefined && isPrefixOf(arg, 'dump')) return 'PREFIX lines (detail dump)';
  return undefined;
}

function isPrefixOf(word: string, name: string): boolean {
  return word.length > 0 && name.startsWith(word);
}

/** A key: a string (sent as UTF-8) or bytes. */
export type Key = string | Uint8Array;

/** setMulti's entries: a Map, a plain object, or [key, value] pairs (arrays of two, checked at run time). */
export type Entries<K extends Key> =
  | ReadonlyMap<K, unknown>
  | Iterable<readonly [K, unknown]>
  | Iterable<readonly unknown[]>
  | Record<string, unknown>;

/** `items`, once checked to be iterable. */
export function checkIterable<T>(items: Iterable<T>, name: string): Iterable<T> {
  if (items === null || typeof items !== 'object' || typeof (items as Iterable<T>)[Symbol.iterator] !== 'function') {
    throw new ArgumentError(`${name} must be iterable`);
  }
  return items;
}

/** setMulti's entries as [key, value] pairs, each checked as it is read. */
export function entriesOf<K extends Key>(entries: Entries<K>): Iterable<readonly [K, unknown]> {
  if (entries === null || typeof entries !== 'object') throw new ArgumentError('entries must be a Map, an object or [key, value] pairs');
  if (entries instanceof Map) return entries as ReadonlyMap<K, unknown>;
  if (typeof (entries as Iterable<unknown>)[Symbol.iterator] !== 'function') return Object.entries(entries) as [K, unknown][];
  return checkedPairs(entries as Iterable<unknown>);
}

function* checkedPairs<K extends Key>(pairs: Iterable<unknown>): Generator<readonly [K, unknown]> {
  for (const pair of pairs) {
    if (!Array.isArray(pair) || pair.length !== 2) throw new ArgumentError('entries must be [key, value] pairs');
    yield pair as [K, unknown];
  }
}
