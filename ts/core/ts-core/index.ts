/**
 * The pure-TS core: the fallback when the native binding does not load, and the benchmark
 * baseline. Results are identical to the Rust core's, bit for bit (compressed bytes aside: both
 * emit valid zlib, each decodes the other's).
 */
import type { Core } from '../contract.js';
import { compress, compressText, decompress, decompressText } from './compression.js';
import { hash, hashBatch } from './hash.js';
import { createRing } from './ketama.js';
import { scan } from './scanner.js';

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
});
