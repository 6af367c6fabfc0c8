/**
 * Compression of stored values: zlib (RFC 1950, python-memcached's format) through the core by
 * default, so the native core does the work when it is active. Pluggable.
 */
import { core, CoreDecompressError } from '../core/index.js';
import { DeserializeError } from '../errors.js';

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

function decompressError(cause: unknown, maxLength: number): DeserializeError {
  if (cause instanceof CoreDecompressError && cause.reason === 'too_large') {
    return new DeserializeError(`compressed value expands past maxDecompressedLength (${maxLength})`, { cause });
  }
  return new DeserializeError(`compressed value cannot be decompressed: ${String(cause)}`, { cause });
}
