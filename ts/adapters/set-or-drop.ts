/**
 * A set through an adapter: one the client refuses for the value's size first deletes what the
 * key held, as memcached does when it refuses a set itself (it unlinks the item over its item
 * size): readers must not go on getting the value the caller meant to replace.
 */
import type { Client, MemcacheError } from '../index.js';
import type { WriteLog } from './write-log.js';

/**
 * client.set(key, value, options); rejects with the client's refusal once the key is deleted.
 * `write`: this set's number in the adapter's `log` of its caller's keys, under `logKey`. The
 * delete is sent only once the refusal is seen, after any call made meanwhile: it is left out when
 * a later call wrote the key (its value is newer than the one to drop). The set stays open in the
 * log until then (the adapter's close waits for it).
 */
export function setOrDrop(client: Client, key: string, value: unknown, options: { ttl: number }, log: WriteLog, logKey: string, write: number): Promise<boolean> {
  const open = log.begin();
  return client.set(key, value, options).then(open.ended, (error: unknown) => {
    const rethrow = (): never => {
      open.ended(undefined);
      throw error;
    };
    if ((error as MemcacheError | undefined)?.code !== 'MEMCACHE_VALUE_TOO_LARGE') rethrow();
    if (log.writtenSince(logKey, write) === true) rethrow();
    return client.delete(key).then(rethrow, rethrow);
  });
}
