/**
 * zlib (RFC 1950) for the pure-TS core, on Node's built-in `node:zlib`: what any JS client
 * would use, and itself native code, so the twin is a fair baseline rather than a JS inflate.
 */
import { constants as bufferConstants, isAscii } from 'node:buffer';
import { deflateSync, inflateSync } from 'node:zlib';
import { CoreDecompressError } from '../contract.js';

/** zlib's own Node object carrying how much input it consumed (`info: true` exposes it). */
export interface InflateInfo {
  readonly buffer: Buffer;
  readonly engine: { readonly bytesWritten: number };
}

export function compress(data: Uint8Array, level: number): Buffer {
  return deflateSync(data, { level });
}

/** node:zlib takes the string itself (and makes its UTF-8 Buffer). */
export function compressText(text: string, level: number): Buffer {
  return deflateSync(text, { level });
}

export function decompress(data: Uint8Array, maxOutputLength: number): Buffer {
  return rightSized(inflateBytes(data, maxOutputLength));
}

function inflateBytes(data: Uint8Array, maxOutputLength: number): Buffer {
  const cap = clampCap(maxOutputLength);
  // Node rejects a cap of 0, so inflate with 1 and refuse any output byte.
  const result = inflateWithCap(data, Math.max(cap, 1));
  if (result.length > cap) throw tooLarge(cap);
  return result;
}

/** Below this, checking for ASCII first costs more than latin1 decoding saves (Node 20). */
const ASCII_CHECK_MIN = 4096;

/** Node's own slicers behind `Buffer#toString`, called directly (on Buffer.prototype, untyped). */
interface Slicers {
  utf8Slice(start: number, end: number): string;
  latin1Slice(start: number, end: number): string;
}

/** What a good JS client does: inflate, then decode, one byte per character when the text is ASCII. */
export function decompressText(data: Uint8Array, maxOutputLength: number): string {
  const bytes = inflateBytes(data, maxOutputLength); // read once into a string: its chunk is not kept
  const slicers = bytes as unknown as Slicers;
  if (bytes.length >= ASCII_CHECK_MIN && isAscii(bytes)) return slicers.latin1Slice(0, bytes.length);
  return slicers.utf8Slice(0, bytes.length);
}

/** The cap as node:zlib takes it: a whole number from 0 to the largest Buffer. */
export function clampCap(maxOutputLength: number): number {
  return maxOutputLength > 0 ? Math.min(Math.floor(maxOutputLength), bufferConstants.MAX_LENGTH) : 0;
}

function inflateWithCap(data: Uint8Array, cap: number): Buffer {
  let info: InflateInfo;
  try {
    // Node checks the cap per output chunk and stops there, so a bomb never costs more memory.
    info = inflateSync(data, inflateOptions(cap, data.length)) as unknown as InflateInfo;
  } catch (err) {
    throw inflateFailure(err, cap);
  }
  return wholeStream(info, data);
}

/** node:zlib's inflate options for `cap` (at least 1) and `storedLength` bytes in, returning how much input it read. */
export function inflateOptions(cap: number, storedLength: number): { maxOutputLength: number; info: true; chunkSize: number } {
  return { maxOutputLength: cap, info: true, chunkSize: outputChunkSize(storedLength * EXPECTED_RATIO, cap) };
}

/** What compressible values (JSON, text) inflate to, times their stored size: the guess when nothing says the size. */
export const EXPECTED_RATIO = 8;
/** node:zlib's own output chunk; also the smallest used here. */
const MIN_CHUNK = 16 * 1024;
const MAX_CHUNK = 4 * 1024 * 1024;
/** node:zlib refuses a smaller chunk. */
const MIN_NODE_CHUNK = 64;

/**
 * node:zlib's output chunk for an output of about `expected` bytes under `cap`. It makes a value
 * in 16 KiB chunks by default, each a pass of its JS loop (a thread-pool round trip when async)
 * and all concatenated at the end: a 256 KB value cost the main thread 604 µs off the thread
 * that way, 221 in one chunk (bench/PROFILE.md, "Large values"). Never above the cap, so a zip
 * bomb costs no more memory than before.
 */
export function outputChunkSize(expected: number, cap: number): number {
  const wanted = Math.min(MAX_CHUNK, Math.max(MIN_CHUNK, Math.ceil(expected)));
  return Math.max(MIN_NODE_CHUNK, Math.min(wanted, cap));
}

/**
 * `output` in a buffer of its own size when its chunk is over twice as large (a value that
 * compressed less than expected): a Buffer handed to the caller must not hold the rest alive.
 */
export function rightSized(output: Buffer): Buffer {
  return output.buffer.byteLength > 2 * output.length && output.length > 0 ? Buffer.from(output) : output;
}

/** node:zlib's inflate failure as the contract's: a cap overrun is 'too_large', anything else 'corrupt'. */
export function inflateFailure(err: unknown, cap: number): CoreDecompressError {
  if ((err as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') return tooLarge(cap);
  return corruptError('zlib', err);
}

/** The output of an inflate that read all of `data`. node:zlib stops at the end of the stream and ignores what follows; that is corruption here. */
export function wholeStream(info: InflateInfo, data: Uint8Array): Buffer {
  if (info.engine.bytesWritten !== data.length) {
    throw new CoreDecompressError('corrupt', `corrupt zlib data: ${data.length - info.engine.bytesWritten} bytes after the stream end`);
  }
  return info.buffer;
}

export function tooLarge(cap: number): CoreDecompressError {
  return new CoreDecompressError('too_large', `decompressed data is larger than ${cap} bytes`);
}

export function corruptError(algorithm: 'zlib' | 'zstd', err: unknown): CoreDecompressError {
  const why = err instanceof Error ? err.message : String(err);
  return new CoreDecompressError('corrupt', `corrupt ${algorithm} data: ${why}`, { cause: err });
}
