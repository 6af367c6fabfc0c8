/**
 * The meta dialect: quiet meta commands where they measure faster (storage, deletes: a burst
 * costs one reply line), merged text `get` where that does (one reply stream for many keys; see
 * bench/PROFILE.md), and what only meta can do (counters that create themselves, getItem).
 */
import type { RequestFactory } from '../request-factory.js';
import type { Request, ValueDecoder } from '../request.js';
import { textDialect } from '../text-dialect.js';
import type { CounterSeed } from './commands.js';
import { MetaItemRequest, type ItemInfo } from './item.js';
import { MetaArithRequest, MetaDeleteManyRequest, MetaDeleteRequest } from './keyed.js';
import { MetaStoreManyRequest, MetaStoreRequest } from './storage.js';

export type { CounterSeed } from './commands.js';
export type { ItemInfo } from './item.js';

export interface MetaRequestFactory extends RequestFactory {
  readonly dialect: 'meta';
  /** incr / decr that creates a missing counter at `seed.initial` (and resolves with it). */
  counter(
    verb: 'incr' | 'decr',
    key: string,
    delta: string,
    seed: CounterSeed | undefined,
    noreply: boolean,
    timeout: number,
    signal: AbortSignal | undefined,
  ): Request<number | bigint | undefined>;
  /** The value and what memcached knows of the item; `touch` sets a new ttl in the same request. */
  item(key: string, touch: number | undefined, decoder: ValueDecoder, timeout: number, signal: AbortSignal | undefined): Request<ItemInfo | undefined>;
}

/**
 * Values longer than this are stored with text commands, which answer every one: memcached refuses
 * a value past its item size (1 MiB by default) with a SERVER_ERROR that carries no opaque, and
 * in a quiet batch that error could be any command's (every one would fail with it). A reply line
 * costs nothing next to such a value.
 */
const QUIET_MAX_VALUE = 64 * 1024;

export const metaDialect: MetaRequestFactory = Object.freeze<MetaRequestFactory>({
  ...textDialect,
  dialect: 'meta',
  store: (verb, key, value, exptime, cas, noreply, timeout, signal) =>
    value.length > QUIET_MAX_VALUE
      ? textDialect.store(verb, key, value, exptime, cas, noreply, timeout, signal)
      : new MetaStoreRequest(verb, key, value, exptime, cas, noreply, timeout, signal),
  storeMany: (verb, items, resultKeys, noreply, timeout, signal) =>
    items.some((item) => item.value.length > QUIET_MAX_VALUE)
      ? textDialect.storeMany(verb, items, resultKeys, noreply, timeout, signal)
      : new MetaStoreManyRequest(verb, items, resultKeys, noreply, timeout, signal),
  delete: (key, noreply, timeout, signal) => new MetaDeleteRequest(key, noreply, timeout, signal),
  deleteMany: (keys, resultKeys, noreply, timeout, signal) => new MetaDeleteManyRequest(keys, resultKeys, noreply, timeout, signal),
  arith: (verb, key, delta, noreply, timeout, signal) => new MetaArithRequest(verb === 'decr', key, delta, undefined, noreply, timeout, signal),
  counter: (verb, key, delta, seed, noreply, timeout, signal) => new MetaArithRequest(verb === 'decr', key, delta, seed, noreply, timeout, signal),
  item: (key, touch, decoder, timeout, signal) => new MetaItemRequest(key, touch, decoder, timeout, signal),
});
