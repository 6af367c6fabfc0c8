/**
 * The meta dialect: quiet meta commands where they measure faster (storage, deletes: a burst
 * costs one reply line), text where that does (merged `get`, one reply stream for many keys;
 * touch; answered incr/decr; see bench/PROFILE.md), and what only meta can do (counters that
 * create themselves, getItem).
 * With binaryKeys, the binary one: every keyed command meta, its key base64 with `b`.
 */
import type { Payload, RequestFactory } from '../request-factory.js';
import type { Request, ValueDecoder } from '../request.js';
import { textDialect } from '../text-dialect.js';
import type { CounterSeed } from './commands.js';
import { MetaItemRequest, type ItemInfo } from './item.js';
import { MetaArithRequest, MetaDeleteManyRequest, MetaDeleteRequest } from './keyed.js';
import { LeaseStoreRequest, MetaInvalidateRequest, MetaLeaseGetRequest, MetaReleaseRequest, type LeaseReply } from './lease.js';
import { MetaLeaseBatchRequest, type LeaseAskSettings } from './lease-batch.js';
import { MetaGetManyRequest, MetaGetRequest, MetaTouchRequest } from './retrieval.js';
import { MetaStoreManyRequest, MetaStoreRequest, QUIET_MAX_VALUE } from './storage.js';

export type { CounterSeed } from './commands.js';
export type { ItemInfo } from './item.js';
export type { LeaseReply } from './lease.js';
export { decodedLease } from './lease.js';
export type { LeaseAsker, LeaseAskSettings, MetaLeaseBatchRequest } from './lease-batch.js';

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
  /** fetch's lease get (see lease.ts); `counted`: a hit or miss is counted (the first ask, not the polls). */
  leaseGet(key: string, lockTtl: number, recacheBefore: number | undefined, counted: boolean, decoder: ValueDecoder, timeout: number): Request<LeaseReply>;
  /** The first asks of fetches started together, as one request (see lease-batch.ts); counted as leaseGet's. */
  leaseBatch(settings: LeaseAskSettings, decoder: ValueDecoder): MetaLeaseBatchRequest;
  /** Stores the loaded value with the cas the lease was won with; whether it was stored. */
  leaseStore(key: string, value: Payload, exptime: number, cas: string, timeout: number): Request<boolean>;
  /** Marks the item stale for `staleTtl` seconds; whether it existed. */
  invalidate(key: string, staleTtl: number, timeout: number, signal: AbortSignal | undefined): Request<boolean>;
  /** Gives a lease won with `cas` back: deletes the item, or with `restale` marks it stale again. */
  release(key: string, cas: string, restale: number | undefined, timeout: number): Request<boolean>;
}

/** For keys the text rules made safe. Values past QUIET_MAX_VALUE go as text commands, which answer every one (see storage.ts). */
export const metaDialect: MetaRequestFactory = Object.freeze<MetaRequestFactory>({
  ...textDialect,
  dialect: 'meta',
  store: (verb, key, value, exptime, cas, noreply, timeout, signal) =>
    value.length > QUIET_MAX_VALUE
      ? textDialect.store(verb, key, value, exptime, cas, noreply, timeout, signal)
      : new MetaStoreRequest(verb, key, 'wire', value, exptime, cas, noreply, timeout, signal),
  storeMany: (verb, items, resultKeys, noreply, timeout, signal) =>
    items.some((item) => item.value.length > QUIET_MAX_VALUE)
      ? textDialect.storeMany(verb, items, resultKeys, noreply, timeout, signal)
      : new MetaStoreManyRequest(verb, items, 'wire', resultKeys, noreply, timeout, signal),
  delete: (key, noreply, timeout, signal) => new MetaDeleteRequest(key, 'wire', noreply, timeout, signal),
  deleteMany: (keys, resultKeys, noreply, timeout, signal) => new MetaDeleteManyRequest(keys, 'wire', resultKeys, noreply, timeout, signal),
  // An answered incr/decr measured no faster as `ma` (bench/PROFILE.md): text, unless quiet `ma q`
  // can report a noreply call's failure, or a counter is to be created (`counter`).
  arith: (verb, key, delta, noreply, timeout, signal) =>
    noreply
      ? new MetaArithRequest(verb === 'decr', key, 'wire', delta, undefined, noreply, timeout, signal)
      : textDialect.arith(verb, key, delta, noreply, timeout, signal),
  counter: (verb, key, delta, seed, noreply, timeout, signal) => new MetaArithRequest(verb === 'decr', key, 'wire', delta, seed, noreply, timeout, signal),
  item: (key, touch, decoder, timeout, signal) => new MetaItemRequest(key, 'wire', touch, decoder, timeout, signal),
  leaseGet: (key, lockTtl, recacheBefore, counted, decoder, timeout) => new MetaLeaseGetRequest(key, 'wire', lockTtl, recacheBefore, counted, decoder, timeout),
  leaseBatch: (settings, decoder) => new MetaLeaseBatchRequest('wire', settings, decoder),
  leaseStore: (key, value, exptime, cas, timeout) => new LeaseStoreRequest(key, 'wire', value, exptime, cas, timeout),
  invalidate: (key, staleTtl, timeout, signal) => new MetaInvalidateRequest(key, 'wire', staleTtl, timeout, signal),
  release: (key, cas, restale, timeout) => new MetaReleaseRequest(key, 'wire', cas, restale, timeout),
});

/**
 * binaryKeys: keys of any bytes, which only meta can carry (base64, `b`), so no keyed request
 * goes as text: gets are `mg`s (getMulti quiet ones, misses unanswered), touch is `mg … T<ttl>`,
 * and values past QUIET_MAX_VALUE go as answered `ms` where the meta dialect falls back to text.
 * Only the keyless commands (stats, flush_all, version) stay text.
 */
export const metaBinaryDialect: MetaRequestFactory = Object.freeze<MetaRequestFactory>({
  dialect: 'meta',
  store: (verb, key, value, exptime, cas, noreply, timeout, signal) => new MetaStoreRequest(verb, key, 'base64', value, exptime, cas, noreply, timeout, signal),
  storeMany: (verb, items, resultKeys, noreply, timeout, signal) => new MetaStoreManyRequest(verb, items, 'base64', resultKeys, noreply, timeout, signal),
  get: (verb, exptime, key, decoder, timeout, signal) => new MetaGetRequest(verb, exptime, key, 'base64', decoder, timeout, signal),
  getMulti: (keys, resultKeys, hits, errors, decoder, timeout, signal) =>
    new MetaGetManyRequest(keys, 'base64', resultKeys, hits, errors, decoder, timeout, signal),
  delete: (key, noreply, timeout, signal) => new MetaDeleteRequest(key, 'base64', noreply, timeout, signal),
  deleteMany: (keys, resultKeys, noreply, timeout, signal) => new MetaDeleteManyRequest(keys, 'base64', resultKeys, noreply, timeout, signal),
  arith: (verb, key, delta, noreply, timeout, signal) => new MetaArithRequest(verb === 'decr', key, 'base64', delta, undefined, noreply, timeout, signal),
  counter: (verb, key, delta, seed, noreply, timeout, signal) => new MetaArithRequest(verb === 'decr', key, 'base64', delta, seed, noreply, timeout, signal),
  touch: (key, exptime, timeout, signal) => new MetaTouchRequest(key, 'base64', exptime, timeout, signal),
  item: (key, touch, decoder, timeout, signal) => new MetaItemRequest(key, 'base64', touch, decoder, timeout, signal),
  leaseGet: (key, lockTtl, recacheBefore, counted, decoder, timeout) => new MetaLeaseGetRequest(key, 'base64', lockTtl, recacheBefore, counted, decoder, timeout),
  leaseBatch: (settings, decoder) => new MetaLeaseBatchRequest('base64', settings, decoder),
  leaseStore: (key, value, exptime, cas, timeout) => new LeaseStoreRequest(key, 'base64', value, exptime, cas, timeout),
  invalidate: (key, staleTtl, timeout, signal) => new MetaInvalidateRequest(key, 'base64', staleTtl, timeout, signal),
  release: (key, cas, restale, timeout) => new MetaReleaseRequest(key, 'base64', cas, restale, timeout),
  stats: textDialect.stats,
  flushAll: textDialect.flushAll,
  version: textDialect.version,
});
