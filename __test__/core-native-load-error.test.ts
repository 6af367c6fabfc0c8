/**
 * Why the native core did not load: told apart by what is on disk (a `code`), said in words that
 * name the missing platform package and how to get it, with the loader's own error as the cause.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { coreKind, nativeLoadError } from '../ts/index.js';
import { describeLoadFailure, PREBUILT_PLATFORMS, type NativeProbe } from '../ts/core/native-load-error.js';

const ROOT = path.resolve(import.meta.dirname, '..');

/** The napi-rs loader's error: its misleading advice, the reasons chained in reverse order. */
function loaderError(...reasons: string[]): Error {
  const chain = reasons.reduce<Error | undefined>((previous, reason) => new Error(reason, { cause: previous }), undefined);
  return new Error(
    'Cannot find native binding. npm has a bug related to optional dependencies (https://github.com/npm/cli/issues/4828). Please try `npm i` again.',
    { cause: chain },
  );
}

const NOT_FOUND = loaderError("Cannot find module './memcache-native.linux-x64-gnu.node'", "Cannot find module 'memcache-native-linux-x64-gnu'");
const probe = (overrides: Partial<NativeProbe>): NativeProbe => ({
  platform: 'linux-x64-gnu',
  packageInstalled: false,
  localBuild: false,
  version: '1.2.3',
  ...overrides,
});

describe('the native load error', () => {
  it('without the platform package says it is not installed, how to install it or build it, and what the loader tried', () => {
    const error = describeLoadFailure(NOT_FOUND, probe({}));
    expect(error).toMatchObject({ name: 'NativeLoadError', code: 'MEMCACHE_NATIVE_NOT_INSTALLED', packageName: 'memcache-native-linux-x64-gnu' });
    expect(error.cause).toBe(NOT_FOUND);
    expect(error.message).toContain('`npm install memcache-native-linux-x64-gnu@1.2.3`');
    expect(error.message).toContain('`npm run build:native`');
    expect(error.message).toContain("Cannot find module 'memcache-native-linux-x64-gnu'");
    expect(error.message).not.toContain('npm has a bug');
  });

  it('with the package or a local build there is a load failure carrying the loader reason', () => {
    const broken = loaderError("Cannot find module './memcache-native.linux-arm64-musl.node'", '/app/node_modules/memcache-native-linux-arm64-musl/x.node: file too short');
    for (const found of [{ packageInstalled: true }, { localBuild: true }]) {
      const error = describeLoadFailure(broken, probe({ platform: 'linux-arm64-musl', ...found }));
      expect(error).toMatchObject({ code: 'MEMCACHE_NATIVE_LOAD_FAILED', packageName: 'memcache-native-linux-arm64-musl' });
      expect(error.message).toContain('file too short');
    }
  });

  it('on a platform with no published binary points to building from source', () => {
    const error = describeLoadFailure(loaderError('Unsupported OS: freebsd, architecture: x64'), probe({ platform: 'freebsd-x64' }));
    expect(error).toMatchObject({ code: 'MEMCACHE_NATIVE_NO_PREBUILT', packageName: undefined });
    expect(error.message).toContain('`npm run build:native`');
  });

  it('knows every platform package there is, one per npm/ folder', () => {
    const names = readdirSync(path.join(ROOT, 'npm')).map(
      (dir) => (JSON.parse(readFileSync(path.join(ROOT, 'npm', dir, 'package.json'), 'utf8')) as { name: string }).name,
    );
    expect(PREBUILT_PLATFORMS.map((platform) => `memcache-native-${platform}`).sort()).toEqual(names.sort());
  });

  it.skipIf(coreKind !== 'native')('probes this machine: the binary that loaded here is found, so a failure would be a load failure', () => {
    expect(nativeLoadError).toBeUndefined();
    const error = describeLoadFailure(NOT_FOUND);
    expect(error.code).toBe('MEMCACHE_NATIVE_LOAD_FAILED');
    expect(error.packageName).toMatch(/^memcache-native-(linux|darwin|win32)-/);
  });
});
