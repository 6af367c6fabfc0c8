/** memcache-native/keyv: a Keyv 5 storage adapter (README "Keyv"). */
export { KeyvMemcache, KeyvMemcache as default } from './keyv-memcache.js';
export { deserializeKeyv } from './keyv-json.js';
export type { KeyvMemcacheOptions, KeyvMemcacheTarget } from './options.js';
export type { KeyvStoreEntry } from './stored-data.js';
