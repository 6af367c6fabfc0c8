/**
 * Picks the core once, at import: the native binding when it loads, its pure-TS twin otherwise.
 * MEMCACHE_NATIVE=0 forces the twin; MEMCACHE_NATIVE=1 turns a failed native load into an error.
 */
import { debuglog } from 'node:util';
import type { Core } from './contract.js';
import { fastestCore } from './fastest-core.js';
import { loadNativeCore } from './native-core.js';
import { describeLoadFailure, type NativeLoadError } from './native-load-error.js';
import { tsCore } from './ts-core/index.js';

export * from './contract.js';
export { tsCore } from './ts-core/index.js';
export { loadNativeCore } from './native-core.js';
export { NativeLoadError, type NativeLoadErrorCode } from './native-load-error.js';

const debug = debuglog('memcache-native');

function selectCore(): { core: Core; nativeError: NativeLoadError | undefined } {
  const wanted = process.env.MEMCACHE_NATIVE;
  if (wanted === '0') {
    debug('MEMCACHE_NATIVE=0: using the pure-TS core');
    return { core: tsCore, nativeError: undefined };
  }
  try {
    return { core: fastestCore(loadNativeCore(), tsCore), nativeError: undefined };
  } catch (err) {
    const error = describeLoadFailure(err instanceof Error ? err : new Error(String(err)));
    if (wanted === '1') {
      throw new Error(`MEMCACHE_NATIVE=1 but the native core failed to load: ${error.message}`, { cause: error });
    }
    debug('native core unavailable on %s-%s, using the pure-TS core: %s', process.platform, process.arch, error.message);
    return { core: tsCore, nativeError: error };
  }
}

const selected = selectCore();

/** The core every layer above uses. */
export const core: Core = selected.core;
/** Which core is active: 'native' (Rust binding) or 'ts' (pure-TS fallback). */
export const coreKind: 'native' | 'ts' = selected.core.kind;
/** Why the native core did not load, when it did not: `code` says which case, `cause` is the loader's error. */
export const nativeLoadError: NativeLoadError | undefined = selected.nativeError;
