/** memcache-native/session: an express-session store (README "express-session"). */
export { MemcacheStore, MemcacheStore as default } from './memcache-store.js';
export type { MemcacheStoreOptions } from './options.js';
