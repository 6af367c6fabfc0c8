/**
 * Picks the core once, at import: the native binding when it loads, its pure-TS twin otherwise.
 * MEMCACHE_NATIVE=0 forces the twin; MEMCACHE_NATIVE=1 turns a failed native load into an error.
 */
import { debuglog } from 'node:util';
import type { Core } from './contract.js';
import { fastestCore } from './fastest-core.js';
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
    return { core: fastestCore(loadNativeCore(), tsCore), nativeError: undefined };
  } catch (err) {
    const error = err instanceof Error ? err : new Error(String(err));
    if (wanted === '1') {
      throw new Error(`MEMCACHE_NATIVE=1 but the native core failed to load: ${error.message}`, { cause: error });
    }
    debug('native core unavailable on %s-%s, using the pure-TS core: %s', process.platform, process.arch, explain(error));
    return { core: tsCore, nativeError: error };
  }
}

/**
 * The loader's error in one line: its first sentence, then the first line of each reason it
 * collected, in the order it tried them (its `cause` chain runs backwards): the local .node file,
 * the platform package (`memcache-native-linux-x64-gnu`...), then the WASI fallbacks.
 */
function explain(error: Error): string {
  const reasons: string[] = [];
  for (let cause = error.cause; cause instanceof Error && reasons.length < 8; cause = cause.cause) {
    reasons.push(cause.message.split('\n')[0]);
  }
  const first = error.message.split('\n')[0].split(/\.\s/)[0];
  return reasons.length === 0 ? first : `${first} (${reasons.reverse().join('; ')})`;
}

const selected = selectCore();

/** The core every layer above uses. */
export const core: Core = selected.core;
/** Which core is active: 'native' (Rust binding) or 'ts' (pure-TS fallback). */
export const coreKind: 'native' | 'ts' = selected.core.kind;
/** Why the native core did not load, when it did not. */
export const nativeLoadError: Error | undefined = selected.nativeError;
