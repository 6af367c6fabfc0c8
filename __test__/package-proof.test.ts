/**
 * The published packages, proven locally for linux-x64-gnu by scripts/pack-proof.mjs: packed,
 * installed with no registry, imported as ESM and CJS on a real memcached, with and without the
 * platform package; the adapters' subpaths (keyv, session) too. Needs `npm run build` (the README's test command builds first).
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const SCRIPT = path.resolve(import.meta.dirname, '..', 'scripts', 'pack-proof.mjs');

function skipReason(): string | undefined {
  // The proof installs the package into temp projects and checks both cores there itself.
  if (process.env.MEMCACHE_NATIVE === '0') return 'runs once, in the MEMCACHE_NATIVE=1 pass';
  const glibc = (process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header?.glibcVersionRuntime;
  if (process.platform !== 'linux' || process.arch !== 'x64' || glibc === undefined) return `is for linux-x64-gnu, this is ${process.platform}-${process.arch}`;
  return undefined;
}

const reason = skipReason();

describe('package proof (linux-x64-gnu)', () => {
  it.skipIf(reason !== undefined)(
    `packs, installs offline, and works with the native core, then on the pure-TS core without the platform package${reason === undefined ? '' : ` (skipped: ${reason})`}`,
    async () => {
      const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        execFile(process.execPath, [SCRIPT], { timeout: 90_000 }, (error, stdout, stderr) =>
          resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stdout, stderr }),
        );
      });
      console.log(stdout.trimEnd());
      expect(code, stderr).toBe(0);
      expect(stdout).toMatch(/^pack-proof: main tarball memcache-native-[\d.]+\.tgz: [\d.]+ kB/m);
      expect(stdout).toMatch(/^pack-proof: platform tarball memcache-native-linux-x64-gnu-[\d.]+\.tgz: [\d.]+ kB/m);
      expect(stdout).toMatch(/with linux-x64-gnu: ESM import, core native/);
      expect(stdout).toMatch(/with linux-x64-gnu: CJS import, core native/);
      expect(stdout).toMatch(/with linux-x64-gnu: ESM import of memcache-native\/keyv and memcache-native\/session, on the package's own Client, ok/);
      expect(stdout).toMatch(/with linux-x64-gnu: CJS import of memcache-native\/keyv and memcache-native\/session, on the package's own Client, ok/);
      expect(stdout).toMatch(/with linux-x64-gnu: the other format's adapters on a Client of the ESM build, ok/);
      expect(stdout).toMatch(/with linux-x64-gnu: the other format's adapters on a Client of the CJS build, ok/);
      expect(stdout).toMatch(/main tarball alone: ESM import, core ts \(nativeLoadError MEMCACHE_NATIVE_NOT_INSTALLED\)/);
      expect(stdout).toMatch(/main tarball alone: CJS import, core ts \(nativeLoadError MEMCACHE_NATIVE_NOT_INSTALLED\)/);
      expect(stdout).toMatch(/NODE_DEBUG=memcache-native says: MEMCACHE-NATIVE \d+: native core unavailable/);
      expect(stdout).toMatch(/^pack-proof: ok in/m);
    },
    120_000,
  );
});
