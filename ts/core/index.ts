/**
 * Picks the core once, at import: the native binding when it loads, its pure-TS twin otherwise.
 * MEMCACHE_NATIVE=0 forces the twin; MEMCACHE_NATIVE=1 turns a failed native load into an error.
 */
import { debuglog } from 'node:util';
import type { Core } from './contract.js';
import { loadNativeCore } from './native-core.js';
import { tsCore } from './ts-core/index.js';

export * from './contract.js';
export { tsCore } from './ts-core/index.js';
export { loadNativeCore } from './native-core.js';

const debug = debuglog('memcache-native');

function selectCore(): { core: Core; nativeError: Error | undefined } {
  const wanted = process.env.MEMCACHE_NATIVE;
  if (wanted === '0') {
    debug('MEMCACHE_NATIVE=0: using the pure-TS core');
    return { core: tsCore, nativeError: undefined };
  }
  try {
    return { core: loadNativeCore(), nativeError: undefined };
  } catch (err) {
    const error = err instanceof Error ? err : new Error(String(err));
    if (wanted === '1') {
      throw new Error(`MEMCACHE_NATIVE=1 but the native core failed to load: ${error.message}`, { cause: error });
    }
    debug('native core unavailable, using the pure-TS core: %s', error.message);
    return { core: tsCore, nativeError: error };
  }
}

const selected = selectCore();

/** The core every layer above uses. */
export const core: Core = selected.core;
/** Which core is active: 'native' (Rust binding) or 'ts' (pure-TS fallback). */
export const coreKind: 'native' | 'ts' = selected.core.kind;
/** Why the native core did not load, when it did not. */
export const nativeLoadError: Error | undefined = selected.nativeError;
