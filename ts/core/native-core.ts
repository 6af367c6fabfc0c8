/**
 * The Rust core (crates/memcache-napi) behind the `Core` interface. The binding does the work;
 * this file only maps names to ids and native errors to contract errors, allocating nothing per call.
 */
import { createRequire } from 'node:module';
import type * as Binding from 'memcache-native/binding';
import { CoreDecompressError, HASH_ALGORITHMS, hashAlgorithmId } from './contract.js';
import type { CompressionAlgorithm, Core, DecompressErrorReason, HashAlgorithm, Ring, RingFormat, RingServer } from './contract.js';

type NativeBinding = typeof Binding;
type NativeRing = InstanceType<NativeBinding['KetamaRing']>;

const U32_MAX = 0xffff_ffff;

/** Algorithm ids, looked up once rather than by `indexOf` on every call. */
const ALGORITHM_IDS = new Map<string, number>(HASH_ALGORITHMS.map((name) => [name, hashAlgorithmId(name)]));

/** Point-format ids of the binding's KetamaRing constructor. */
const RING_FORMAT_IDS: Readonly<Record<RingFormat, number>> = { libmemcached: 0, spymemcached: 1 };

/** Algorithm ids of the binding's compressAsync / decompressAsync. */
const COMPRESSION_IDS: Readonly<Record<CompressionAlgorithm, number>> = { zlib: 0, zstd: 1 };

function compressionId(algorithm: CompressionAlgorithm): number {
  const id = COMPRESSION_IDS[algorithm];
  if (id === undefined) throw new TypeError(`unknown compression algorithm: ${String(algorithm)}`);
  return id;
}

function algorithmId(algorithm: HashAlgorithm): number {
  const id = ALGORITHM_IDS.get(algorithm);
  if (id === undefined) throw new TypeError(`unknown hash algorithm: ${String(algorithm)}`);
  return id;
}

function ringFormatId(format: RingFormat): number {
  const id = RING_FORMAT_IDS[format];
  if (id === undefined) throw new TypeError(`unknown ring format: ${String(format)}`);
  return id;
}

/** A u32 argument the binding would otherwise wrap modulo 2^32. */
function checkU32(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 0 || value > U32_MAX) {
    throw new RangeError(`${what} must be an integer from 0 to ${U32_MAX}, got ${value}`);
  }
  return value;
}

/**
 * A u32 argument that saturates where N-API would wrap it modulo 2^32 (negative, NaN, huge),
 * matching the twin's clamping. Fractions are truncated by N-API itself.
 */
function saturateU32(value: number): number {
  if (value > 0) return value < U32_MAX ? value : U32_MAX;
  return 0;
}

/** Native argument errors (bad offsets, short output, bad level) as the twin throws them. */
function toRangeError(err: unknown): unknown {
  return err instanceof Error && !(err instanceof RangeError) ? new RangeError(err.message, { cause: err }) : err;
}

/** The binding's decompression failures carry their reason as the error's `code` (see crates/memcache-napi/src/compress.rs). */
const DECOMPRESS_REASONS: ReadonlyMap<unknown, DecompressErrorReason> = new Map([
  ['DecompressTooLarge', 'too_large'],
  ['DecompressCorrupt', 'corrupt'],
]);

/** A native decompression failure as the contract's error, told apart by `code`, never by message text. */
function toDecompressError(err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  const reason = DECOMPRESS_REASONS.get((err as { code?: unknown }).code);
  return reason === undefined ? err : new CoreDecompressError(reason, err.message, { cause: err });
}

function rethrowAsRangeError(err: unknown): never {
  throw toRangeError(err);
}

function rethrowAsDecompressError(err: unknown): never {
  throw toDecompressError(err);
}

/** Queues a compression on the binding's thread pool; a bad argument rejects rather than throws. */
function compressAsync(binding: NativeBinding, algorithm: CompressionAlgorithm, data: Uint8Array | string, level: number): Promise<Buffer> {
  let pending: Promise<Buffer>;
  try {
    const id = compressionId(algorithm);
    pending = typeof data === 'string' ? binding.compressTextAsync(id, data, level) : binding.compressAsync(id, data, level);
  } catch (err) {
    return Promise.reject(err instanceof TypeError ? err : toRangeError(err));
  }
  return pending.then(undefined, rethrowAsRangeError);
}

function decompressAsync(binding: NativeBinding, algorithm: CompressionAlgorithm, data: Uint8Array, maxOutputLength: number): Promise<Buffer> {
  let pending: Promise<Buffer>;
  try {
    pending = binding.decompressAsync(compressionId(algorithm), data, saturateU32(maxOutputLength));
  } catch (err) {
    return Promise.reject(err);
  }
  return pending.then(undefined, rethrowAsDecompressError);
}

class NativeKetamaRing implements Ring {
  /** Fixed once built, so read across N-API only once. */
  readonly pointCount: number;
  readonly #ring: NativeRing;

  constructor(ring: NativeRing) {
    this.#ring = ring;
    this.pointCount = ring.pointCount;
  }

  lookup(key: Uint8Array): number {
    return this.#ring.lookup(key);
  }

  lookupHash(hash: number): number {
    return this.#ring.lookupHash(hash);
  }

  lookupBatch(keys: Uint8Array, offsets: Uint32Array, out: Int32Array): void {
    try {
      this.#ring.lookupBatch(keys, offsets, out);
    } catch (err) {
      throw toRangeError(err);
    }
  }
}

function createRing(binding: NativeBinding, servers: readonly RingServer[], format: RingFormat): Ring {
  const formatId = ringFormatId(format);
  const hosts = servers.map((server) => server.host);
  const ports = servers.map((server) => checkU32(server.port, `port of ${server.host}`));
  const weights = servers.map((server) => checkU32(server.weight, `weight of ${server.host}`));
  return new NativeKetamaRing(new binding.KetamaRing(hosts, ports, weights, formatId));
}

function wrap(binding: NativeBinding): Core {
  return {
    kind: 'native',
    hash: (algorithm, key) => binding.hash(algorithmId(algorithm), key),
    hashBatch: (algorithm, keys, offsets, out) => {
      const id = algorithmId(algorithm);
      try {
        binding.hashBatch(id, keys, offsets, out);
      } catch (err) {
        throw toRangeError(err);
      }
    },
    createRing: (servers, format) => createRing(binding, servers, format),
    scan: (buf, start, end, out) => binding.scan(buf, saturateU32(start), saturateU32(end), out),
    compress: (data, level) => {
      try {
        return binding.compress(data, level);
      } catch (err) {
        throw toRangeError(err);
      }
    },
    compressText: (text, level) => {
      try {
        return binding.compressText(text, level);
      } catch (err) {
        throw toRangeError(err);
      }
    },
    decompress: (data, maxOutputLength) => {
      try {
        return binding.decompress(data, saturateU32(maxOutputLength));
      } catch (err) {
        throw toDecompressError(err);
      }
    },
    decompressText: (data, maxOutputLength) => {
      try {
        return binding.decompressText(data, saturateU32(maxOutputLength));
      } catch (err) {
        throw toDecompressError(err);
      }
    },
    hasZstd: true,
    zstdCompress: (data, level) => {
      try {
        return typeof data === 'string' ? binding.zstdCompressText(data, level) : binding.zstdCompress(data, level);
      } catch (err) {
        throw toRangeError(err);
      }
    },
    zstdDecompress: (data, maxOutputLength) => {
      try {
        return binding.zstdDecompress(data, saturateU32(maxOutputLength));
      } catch (err) {
        throw toDecompressError(err);
      }
    },
    compressAsync: (algorithm, data, level) => compressAsync(binding, algorithm, data, level),
    decompressAsync: (algorithm, data, maxOutputLength) => decompressAsync(binding, algorithm, data, maxOutputLength),
  };
}

/** Loads the binding for this platform; throws when it is missing or fails to load. */
export function loadNativeCore(): Core {
  const binding = createRequire(import.meta.url)('memcache-native/binding') as NativeBinding;
  return wrap(binding);
}
