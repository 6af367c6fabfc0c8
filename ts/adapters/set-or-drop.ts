/**
 * A set through an adapter: one the client refuses for the value's size first deletes what the
 * key held, as memcached does when it refuses a set itself (it unlinks the item over its item
 * size): readers must not go on getting the value the caller meant to replace.
 */
import type { Client, MemcacheError } from '../index.js';

/** client.set(key, value, options); rejects with the client's refusal once the key is deleted. */
export function setOrDrop(client: Client, key: string, value: unknown, options: { ttl: number }): Promise<boolean> {
  return client.set(key, value, options).catch((error: unknown) => {
    if ((error as MemcacheError | undefined)?.code !== 'MEMCACHE_VALUE_TOO_LARGE') throw error;
    const rethrow = (): never => {
      throw error;
    };
    return client.delete(key).then(rethrow, rethrow);
  });
}
