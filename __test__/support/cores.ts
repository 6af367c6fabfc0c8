/**
 * The cores every core test runs on: the pure-TS twin always, the native binding when it is
 * built. Without a binding the native runs are skipped with the reason shown, unless
 * MEMCACHE_NATIVE=1, when a missing or broken binding fails the suite at import.
 */
import { existsSync, readdirSync } from 'node:fs';
import { describe, it } from 'vitest';
import type { Core } from '../../ts/core/contract.js';
import { fastestCore } from '../../ts/core/fastest-core.js';
import { tsCore } from '../../ts/core/ts-core/index.js';

const REPO = new URL('../../', import.meta.url);

/** The native core, or why there is none. */
export type NativeOutcome = { readonly core: Core; readonly reason?: undefined } | { readonly core?: undefined; readonly reason: string };

/** True when nothing native was built: no `native-core.ts`, or no `.node` file in `native/`. */
function bindingAbsent(): boolean {
  if (!existsSync(new URL('ts/core/native-core.ts', REPO))) return true;
  const dir = new URL('native/', REPO);
  return !existsSync(dir) || !readdirSync(dir).some((name) => name.endsWith('.node'));
}

async function loadNative(): Promise<NativeOutcome> {
  try {
    const { loadNativeCore } = await import('../../ts/core/native-core.js');
    return { core: loadNativeCore() };
  } catch (err) {
    if (process.env.MEMCACHE_NATIVE === '1' || !bindingAbsent()) throw err;
    const reason = `native binding not built (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`;
    console.warn(`[core tests] skipping the native core: ${reason}`);
    return { reason };
  }
}

export const native: NativeOutcome = await loadNative();

/** Defines the suite `body` once per core, in a describe named for it. */
export function describeEachCore(title: string, body: (core: Core) => void): void {
  describe(`${title} [ts core]`, () => body(tsCore));
  if (native.core !== undefined) {
    const core = native.core;
    describe(`${title} [native core]`, () => body(core));
    // The active core when the binding loads: per operation, whichever of the two is faster.
    describe(`${title} [fastest core]`, () => body(fastestCore(core, tsCore)));
    return;
  }
  const reason = native.reason;
  describe(`${title} [native core]`, () => {
    it('runs on the native core', (ctx) => ctx.skip(reason));
  });
}
