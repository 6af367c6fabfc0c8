/** What calls resolve with, where it is more than a boolean or a value. */
import type { MemcacheError } from './errors.js';

/** `gets` / `gats`: the value and its cas unique, for `cas()`. */
export interface CasResult<T = unknown> {
  value: T;
  cas: bigint;
}

/**
 * `getMulti`: a Map of the hits, under the keys as they were passed (without any prefix; a Buffer
 * key is the same Buffer). A key whose stored value could not be read (pickle, unknown flags,
 * corrupt data), or whose server failed while others answered, is in `errors` instead.
 */
export class GetMultiResult<K, V = unknown> extends Map<K, V> {
  readonly errors = new Map<K, MemcacheError>();
}

/** One server's part of `stats()`: `error` is set (and `stats` empty) when that server failed. */
export interface ServerStats {
  /** `'127.0.0.1:11211 (1)'`: address and weight, as python-memcached names servers. */
  server: string;
  stats: Record<string, string>;
  error?: MemcacheError;
}

/** One server's part of `version()`: `error` is set (and `version` empty) when that server failed. */
export interface ServerVersion {
  server: string;
  version: string;
  error?: MemcacheError;
}
