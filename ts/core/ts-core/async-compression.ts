/**
 * `compressAsync` / `decompressAsync` for the pure-TS core: node:zlib's asynchronous API, which
 * runs on the libuv thread pool as the native core's tasks do. Errors are those of the
 * synchronous forms, as rejections (never thrown).
 */
import { deflate, inflate } from 'node:zlib';
import type { CompressionAlgorithm } from '../contract.js';
import { clampCap, type InflateInfo, inflateFailure, inflateOptions, rightSized, tooLarge, wholeStream } from './compression.js';
import { zstdCompressAsync, zstdDecompressAsync } from './zstd.js';

export function compressAsync(algorithm: CompressionAlgorithm, data: Uint8Array | string, level: number): Promise<Buffer> {
  switch (algorithm) {
    case 'zlib':
      return deflateAsync(data, level);
    case 'zstd':
      return zstdCompressAsync(data, level);
    default:
      return Promise.reject(unknownAlgorithm(algorithm));
  }
}

export function decompressAsync(algorithm: CompressionAlgorithm, data: Uint8Array, maxOutputLength: number): Promise<Buffer> {
  switch (algorithm) {
    case 'zlib':
      return inflateAsync(data, maxOutputLength);
    case 'zstd':
      return zstdDecompressAsync(data, maxOutputLength);
    default:
      return Promise.reject(unknownAlgorithm(algorithm));
  }
}

function unknownAlgorithm(algorithm: never): TypeError {
  return new TypeError(`unknown compression algorithm: ${String(algorithm)}`);
}

/** node:zlib takes a string itself and makes its UTF-8 bytes, on this thread. A bad level rejects (RangeError). */
function deflateAsync(data: Uint8Array | string, level: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    deflate(data, { level }, (err, result) => (err ? reject(err) : resolve(result)));
  });
}

/** As the synchronous `decompress`: the cap, trailing bytes and truncation judged the same way. */
function inflateAsync(data: Uint8Array, maxOutputLength: number): Promise<Buffer> {
  const cap = clampCap(maxOutputLength);
  return new Promise((resolve, reject) => {
    // Node rejects a cap of 0, so inflate with 1 and refuse any output byte.
    inflate(data, inflateOptions(Math.max(cap, 1), data.length), (err, result) => {
      if (err) return reject(inflateFailure(err, cap));
      try {
        const output = wholeStream(result as unknown as InflateInfo, data);
        if (output.length > cap) throw tooLarge(cap);
        resolve(rightSized(output));
      } catch (failure) {
        reject(failure);
      }
    });
  });
}
