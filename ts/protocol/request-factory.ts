/**
 * What the public API and the health probes ask the protocol floor for: one request per command,
 * built by a dialect (text or meta) that decides what goes on the wire. Arguments arrive validated
 * (keys in wire form, integers in range). A server's dialect is its factory; the caller never
 * imports a request class.
 */
import type { MemcacheError } from '../errors.js';
import type { Request, ValueDecoder } from './request.js';
import type { StoreItem } from './requests/storage.js';
import type { Payload, RetrievalVerb, StorageVerb } from './text-commands.js';

export type { Payload, RetrievalVerb, StorageVerb } from './text-commands.js';
export type { StoreItem } from './requests/storage.js';
export type { Request, ValueDecoder } from './request.js';

export type DialectName = 'text' | 'meta';

export interface RequestFactory {
  readonly dialect: DialectName;
  /** set / add / replace / append / prepend / cas: whether it was stored (true once sent, with noreply). */
  store(
    verb: StorageVerb,
    key: string,
    value: Payload,
    exptime: number,
    cas: string | undefined,
    noreply: boolean,
    timeout: number,
    signal: AbortSignal | undefined,
  ): Request<boolean>;
  /** Many storage commands of one verb; resolves with the result keys of the items not stored. */
  storeMany(
    verb: StorageVerb,
    items: readonly StoreItem[],
    resultKeys: readonly unknown[],
    noreply: boolean,
    timeout: number,
    signal: AbortSignal | undefined,
  ): Request<unknown[]>;
  /** get / gets / gat / gats of one key: the value (or `{ value, cas }`), undefined on a miss. */
  get(verb: RetrievalVerb, exptime: number, key: string, decoder: ValueDecoder, timeout: number, signal: AbortSignal | undefined): Request<unknown>;
  /** Many keys: hits into `hits` under their result keys, unreadable values into `errors`. */
  getMulti(
    keys: string[],
    resultKeys: readonly unknown[],
    hits: Map<unknown, unknown>,
    errors: Map<unknown, MemcacheError>,
    decoder: ValueDecoder,
    timeout: number,
    signal: AbortSignal | undefined,
  ): Request<void>;
  /** Whether the key existed (true once sent, with noreply). */
  delete(key: string, noreply: boolean, timeout: number, signal: AbortSignal | undefined): Request<boolean>;
  /** Many deletes; resolves with the result keys of those not deleted. */
  deleteMany(keys: readonly string[], resultKeys: readonly unknown[], noreply: boolean, timeout: number, signal: AbortSignal | undefined): Request<unknown[]>;
  /** incr / decr by `delta` (decimal digits): the new value, undefined on a miss (or with noreply). */
  arith(verb: 'incr' | 'decr', key: string, delta: string, noreply: boolean, timeout: number, signal: AbortSignal | undefined): Request<number | bigint | undefined>;
  /** Whether the key existed. */
  touch(key: string, exptime: number, timeout: number, signal: AbortSignal | undefined): Request<boolean>;
  stats(args: string, timeout: number, signal: AbortSignal | undefined): Request<Record<string, string>>;
  flushAll(delay: number, timeout: number, signal: AbortSignal | undefined): Request<void>;
  version(timeout: number, signal: AbortSignal | undefined): Request<string>;
}
