/**
 * Compression of stored values: zlib (RFC 1950, python-memcached's format) through the core by
 * default, so the native core does the work when it is active. Pluggable.
 */
import { core, CoreDecompressError } from '../core/index.js';
import { DeserializeError } from '../errors.js';

export interface Compressor {
  compress(data: Uint8Array): Uint8Array;
  /** Must fail, without using more memory, once the output would pass `maxLength` bytes. */
  decompress(data: Uint8Array, maxLength: number): Uint8Array;
}

/** zlib at `level` (0-9, -1 for zlib's default 6) via the active core. */
export function zlibCompressor(level: number): Compressor {
  return {
    compress: (data) => core.compress(data, level),
    decompress: (data, maxLength) => core.decompress(data, maxLength),
  };
}

/** Runs a compressor's decompress, turning any failure into a DeserializeError. */
export function decompressValue(compressor: Compressor, data: Uint8Array, maxLength: number): Buffer {
  let out: Uint8Array;
  try {
    out = compressor.decompress(data, maxLength);
  } catch (cause) {
    if (cause instanceof CoreDecompressError && cause.reason === 'too_large') {
      throw new DeserializeError(`compressed value expands past maxDecompressedLength (${maxLength})`, { cause });
    }
    throw new DeserializeError(`compressed value cannot be decompressed: ${String(cause)}`, { cause });
  }
  if (out.length > maxLength) {
    throw new DeserializeError(`compressed value expands past maxDecompressedLength (${maxLength})`);
  }
  return Buffer.isBuffer(out) ? out : Buffer.from(out.buffer, out.byteOffset, out.length);
}
