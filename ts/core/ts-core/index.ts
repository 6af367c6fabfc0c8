/**
 * The pure-TS core: the fallback when the native binding does not load, and the benchmark
 * baseline. Results are identical to the Rust core's, bit for bit (compressed bytes aside: both
 * emit valid zlib and zstd, each decodes the other's). zstd needs a Node whose node:zlib has it.
 */
import type { Core } from '../contract.js';
import { compressAsync, decompressAsync } from './async-compression.js';
import { compress, compressText, decompress, decompressText } from './compression.js';
import { hash, hashBatch } from './hash.js';
import { createRing } from './ketama.js';
import { scan } from './scanner.js';
import { hasZstd, zstdCompress, zstdDecompress } from './zstd.js';

export const tsCore: Core = Object.freeze({
  kind: 'ts',
  hash,
  hashBatch,
  createRing,
  scan,
  compress,
  compressText,
  decompress,
  decompressText,
  hasZstd,
  zstdCompress,
  zstdDecompress,
  compressAsync,
  decompressAsync,
});
