/**
 * Why the native binding did not load, in words that say what to do. The napi-rs loader's own
 * error blames an npm bug about optional dependencies whatever happened; the usual truth is that
 * this platform's package (`memcache-native-linux-x64-gnu`...) is not installed: `npm pack` and a
 * local install, `--omit=optional`, or a lockfile made on another platform all leave it out.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/** The platforms a binary is published for (package.json `napi.targets`, one npm/ folder each). */
export const PREBUILT_PLATFORMS: readonly string[] = [
  'darwin-arm64',
  'darwin-x64',
  'linux-arm64-gnu',
  'linux-arm64-musl',
  'linux-x64-gnu',
  'linux-x64-musl',
  'win32-x64-msvc',
];

export type NativeLoadErrorCode =
  /** A binary is published for this platform, but its package is not installed (nor built here). */
  | 'MEMCACHE_NATIVE_NOT_INSTALLED'
  /** No binary is published for this platform. */
  | 'MEMCACHE_NATIVE_NO_PREBUILT'
  /** The package or a local build is there, and loading it failed. */
  | 'MEMCACHE_NATIVE_LOAD_FAILED';

/** What was looked at on this machine; a parameter so each case can be tested anywhere. */
export interface NativeProbe {
  /** napi-rs's name for this platform: `linux-x64-gnu`, `darwin-arm64`, `win32-x64-msvc`... */
  platform: string;
  /** Whether `memcache-native-<platform>` resolves from this package. */
  packageInstalled: boolean;
  /** Whether `native/memcache-native.<platform>.node` exists (`npm run build:native` in a checkout). */
  localBuild: boolean;
  /** This package's version, which the platform package must match ('latest' when unknown). */
  version: string;
}

/** The native core's load failure; `cause` is the loader's error, with every path it tried. */
export class NativeLoadError extends Error {
  override readonly name = 'NativeLoadError';
  readonly code: NativeLoadErrorCode;
  /** The package this platform needs (`memcache-native-linux-x64-gnu`); undefined when none is published. */
  readonly packageName: string | undefined;
  /** The loader's error. */
  declare readonly cause: Error;

  constructor(code: NativeLoadErrorCode, message: string, packageName: string | undefined, cause: Error) {
    super(message, { cause });
    this.code = code;
    this.packageName = packageName;
  }
}

/**
 * The loader's error, told apart by what is on disk rather than by its text. The message says
 * what is missing and how to get it, then what the loader tried (`explain`).
 */
export function describeLoadFailure(loaderError: Error, probe: NativeProbe = probeNative()): NativeLoadError {
  const { platform, packageInstalled, localBuild, version } = probe;
  const tried = `; the loader tried: ${explain(loaderError)}`;
  const build = 'build it from source in a checkout with `npm run build:native` (Rust and cargo needed)';
  if (!PREBUILT_PLATFORMS.includes(platform)) {
    const message = `no native binary is published for ${platform}: ${build}${tried}`;
    return new NativeLoadError('MEMCACHE_NATIVE_NO_PREBUILT', message, undefined, loaderError);
  }
  const packageName = `memcache-native-${platform}`;
  if (packageInstalled || localBuild) {
    const what = packageInstalled ? packageName : `native/memcache-native.${platform}.node`;
    const message = `${what}, the native binary for this platform, is there but did not load: reinstall ${packageName}@${version}, or ${build}${tried}`;
    return new NativeLoadError('MEMCACHE_NATIVE_LOAD_FAILED', message, packageName, loaderError);
  }
  const message =
    `${packageName}, the native binary for this platform, is not installed (npm adds it as an optional dependency ` +
    'of the published package; `npm pack`, --omit=optional or a lockfile made on another platform leave it out): ' +
    `install it with \`npm install ${packageName}@${version}\`, or ${build}${tried}`;
  return new NativeLoadError('MEMCACHE_NATIVE_NOT_INSTALLED', message, packageName, loaderError);
}

/**
 * The loader's error in one line: its first sentence, then the first line of each reason it
 * collected, in the order it tried them (its `cause` chain runs backwards): the local .node file,
 * the platform package, then the WASI fallbacks. Its advice about an npm bug is left out.
 */
function explain(error: Error): string {
  const reasons: string[] = [];
  for (let cause = error.cause; cause instanceof Error && reasons.length < 8; cause = cause.cause) {
    reasons.push(cause.message.split('\n')[0]);
  }
  const first = error.message.split('\n')[0].split(/\.\s/)[0];
  return reasons.length === 0 ? first : `${first} (${reasons.reverse().join('; ')})`;
}

/**
 * Looks, the way the napi-rs loader (native/index.cjs) does, for this platform's binary. Never
 * throws: in a bundle, where `memcache-native/...` may not resolve, it reports nothing found.
 */
function probeNative(): NativeProbe {
  const requireHere = createRequire(import.meta.url);
  const platform = napiPlatform();
  const localBinary = `memcache-native.${platform}.node`;
  return {
    platform,
    packageInstalled: resolves(requireHere, `memcache-native-${platform}/package.json`),
    localBuild: attempt(() => existsSync(path.join(path.dirname(requireHere.resolve('memcache-native/binding')), localBinary)), false),
    version: attempt(() => (requireHere('memcache-native/package.json') as { version: string }).version, 'latest'),
  };
}

function attempt<T>(look: () => T, otherwise: T): T {
  try {
    return look();
  } catch {
    return otherwise;
  }
}

function napiPlatform(): string {
  const { platform, arch } = process;
  if (platform === 'linux') return `linux-${arch}-${isGlibc() ? 'gnu' : 'musl'}`;
  if (platform === 'win32') return `win32-${arch}-msvc`;
  return `${platform}-${arch}`;
}

/** glibc reports its version in the process report; musl does not. */
function isGlibc(): boolean {
  const report = process.report.getReport() as { header?: { glibcVersionRuntime?: string } };
  return report.header?.glibcVersionRuntime !== undefined;
}

/** Whether `specifier` resolves; only "not found" says no (a package hiding its files is still there). */
function resolves(requireHere: NodeJS.Require, specifier: string): boolean {
  try {
    requireHere.resolve(specifier);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND';
  }
}
