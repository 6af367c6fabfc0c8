/**
 * Compression of stored values: zlib (RFC 1950, python-memcached's format, flag 8) through the core
 * by default, so the native core does the work when it is active; zstd (flag 32) on request; or a
 * compressor of the caller's (flag 8). Large values go off the main thread (see off-thread.ts).
 */
import { core, CoreDecompressError, CoreUnsupportedError, type CompressionAlgorithm } from '../core/index.js';
import { DeserializeError, MemcacheError, UnsupportedError } from '../errors.js';
import { FLAG_COMPRESSED, FLAG_ZSTD } from './flags.js';

export interface Compressor {
  compress(data: Uint8Array): Uint8Array;
  /** Optional: `compress` of a string's UTF-8 bytes, without the caller making them first. */
  compressText?(text: string): Uint8Array;
  /** Must fail, without using more memory, once the output would pass `maxLength` bytes. */
  decompress(data: Uint8Array, maxLength: number): Uint8Array;
  /**
   * Optional: `decompress`, then the output as UTF-8 text, for values stored as strings. The
   * default compressor has it, so the native core can build long text without a copy.
   */
  decompressText?(data: Uint8Array, maxLength: number): string;
}

/** zlib at `level` (0-9, -1 for zlib's default 6) via the active core. */
export function zlibCompressor(level: number): Compressor {
  return {
    compress: (data) => core.compress(data, level),
    compressText: (text) => core.compressText(text, level),
    decompress: (data, maxLength) => core.decompress(data, maxLength),
    decompressText: (data, maxLength) => core.decompressText(data, maxLength),
  };
}

/** zstd at `level` (1-22) via the active core: one frame per value. */
export function zstdCompressor(level: number): Compressor {
  return {
    compress: (data) => core.zstdCompress(data, level),
    compressText: (text) => core.zstdCompress(text, level),
    decompress: (data, maxLength) => core.zstdDecompress(data, maxLength),
  };
}

/** The `compressor` option: a codec by name, or the caller's own (stored under zlib's flag 8). */
export type CompressorSetting = 'zlib' | 'zstd' | Compressor;

/** zstd's level for compressionLevel -1 (zstd's own default). */
export const ZSTD_DEFAULT_LEVEL = 3;

/** How values are written compressed: by what, under which flag bit, and what can run it off the main thread. */
export interface WriteCompression {
  readonly compressor: Compressor;
  /** FLAG_COMPRESSED (zlib or the caller's) or FLAG_ZSTD. */
  readonly flag: number;
  /** The core algorithm behind `compressor`; undefined for the caller's own, which always runs synchronously. */
  readonly algorithm: CompressionAlgorithm | undefined;
  readonly level: number;
}

/** The writer for a `compressor` setting and `compressionLevel` (-1: the codec's default). */
export function writeCompression(setting: CompressorSetting, level: number): WriteCompression {
  if (setting === 'zstd') {
    const zstdLevel = level === -1 ? ZSTD_DEFAULT_LEVEL : level;
    return { compressor: zstdCompressor(zstdLevel), flag: FLAG_ZSTD, algorithm: 'zstd', level: zstdLevel };
  }
  if (setting === 'zlib') return { compressor: zlibCompressor(level), flag: FLAG_COMPRESSED, algorithm: 'zlib', level };
  return { compressor: setting, flag: FLAG_COMPRESSED, algorithm: undefined, level };
}

/** Runs a compressor's decompressText (which it must have), failures as in decompressValue. */
export function decompressTextValue(compressor: Compressor, data: Uint8Array, maxLength: number): string {
  let text: string;
  try {
    text = compressor.decompressText!(data, maxLength);
  } catch (cause) {
    throw decompressError(cause, maxLength);
  }
  // Never fewer bytes than characters: a longer text certainly passed the cap.
  if (text.length > maxLength) throw new DeserializeError(`compressed value expands past maxDecompressedLength (${maxLength})`);
  return text;
}

/** Runs a compressor's decompress, turning any failure into a DeserializeError. */
export function decompressValue(compressor: Compressor, data: Uint8Array, maxLength: number): Buffer {
  let out: Uint8Array;
  try {
    out = compressor.decompress(data, maxLength);
  } catch (cause) {
    throw decompressError(cause, maxLength);
  }
  if (out.length > maxLength) {
    throw new DeserializeError(`compressed value expands past maxDecompressedLength (${maxLength})`);
  }
  return Buffer.isBuffer(out) ? out : Buffer.from(out.buffer, out.byteOffset, out.length);
}

/** A failed decompression as the caller sees it: past the cap and corrupt input are DeserializeErrors, a core without zstd an UnsupportedError. */
export function decompressError(cause: unknown, maxLength: number): MemcacheError {
  if (cause instanceof MemcacheError) return cause;
  if (cause instanceof CoreUnsupportedError) return new UnsupportedError(`a zstd-compressed value (flag 32) cannot be read here: ${cause.message}`, { cause });
  if (cause instanceof CoreDecompressError && cause.reason === 'too_large') {
    return new DeserializeError(`compressed value expands past maxDecompressedLength (${maxLength})`, { cause });
  }
  return new DeserializeError(`compressed value cannot be decompressed: ${String(cause)}`, { cause });
}
