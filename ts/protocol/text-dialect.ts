/** The text protocol's requests: what every memcached, proxy and memcached-compatible server speaks. */
import type { RequestFactory } from './request-factory.js';
import { ArithRequest, DeleteManyRequest, DeleteRequest, TouchRequest } from './requests/keyed.js';
import { GetMultiRequest, GetRequest } from './requests/retrieval.js';
import { FlushAllRequest, StatsRequest, VersionRequest } from './requests/server.js';
import { StoreManyRequest, StoreRequest } from './requests/storage.js';

export const textDialect: RequestFactory = Object.freeze<RequestFactory>({
  dialect: 'text',
  store: (verb, key, value, exptime, cas, noreply, timeout, signal) => new StoreRequest(verb, key, value, exptime, cas, noreply, timeout, signal),
  storeMany: (verb, items, resultKeys, noreply, timeout, signal) => new StoreManyRequest(verb, items, resultKeys, noreply, timeout, signal),
  get: (verb, exptime, key, decoder, timeout, signal) => new GetRequest(verb, exptime, key, decoder, timeout, signal),
  getMulti: (keys, resultKeys, hits, errors, decoder, timeout, signal) => new GetMultiRequest(keys, resultKeys, hits, errors, decoder, timeout, signal),
  delete: (key, noreply, timeout, signal) => new DeleteRequest(key, noreply, timeout, signal),
  deleteMany: (keys, resultKeys, noreply, timeout, signal) => new DeleteManyRequest(keys, resultKeys, noreply, timeout, signal),
  arith: (verb, key, delta, noreply, timeout, signal) => new ArithRequest(verb, key, delta, noreply, timeout, signal),
  touch: (key, exptime, timeout, signal) => new TouchRequest(key, exptime, timeout, signal),
  stats: (args, timeout, signal) => new StatsRequest(args, timeout, signal),
  flushAll: (delay, timeout, signal) => new FlushAllRequest(delay, timeout, signal),
  version: (timeout, signal) => new VersionRequest(timeout, signal),
});
