/**
 * zlib (RFC 1950) for the pure-TS core, on Node's built-in `node:zlib`: what any JS client
 * would use, and itself native code, so the twin is a fair baseline rather than a JS inflate.
 */
import { constants as bufferConstants, isAscii } from 'node:buffer';
import { deflateSync, inflateSync } from 'node:zlib';
import { CoreDecompressError } from '../contract.js';

/** zlib's own Node object carrying how much input it consumed (`info: true` exposes it). */
interface InflateInfo {
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
  const bytes = decompress(data, maxOutputLength);
  const slicers = bytes as unknown as Slicers;
  if (bytes.length >= ASCII_CHECK_MIN && isAscii(bytes)) return slicers.latin1Slice(0, bytes.length);
  return slicers.utf8Slice(0, bytes.length);
}

function clampCap(maxOutputLength: number): number {
  return maxOutputLength > 0 ? Math.min(Math.floor(maxOutputLength), bufferConstants.MAX_LENGTH) : 0;
}

function inflateWithCap(data: Uint8Array, cap: number): Buffer {
  let info: InflateInfo;
  try {
    // Node checks the cap per output chunk and stops there, so a bomb never costs more memory.
    info = inflateSync(data, { maxOutputLength: cap, info: true }) as unknown as InflateInfo;
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge(cap);
    throw new CoreDecompressError('corrupt', `corrupt zlib data: ${(err as Error).message}`);
  }
  // inflateSync stops at the end of the stream and ignores what follows; that is corruption here.
  if (info.engine.bytesWritten !== data.length) {
    throw new CoreDecompressError('corrupt', `corrupt zlib data: ${data.length - info.engine.bytesWritten} bytes after the stream end`);
  }
  return info.buffer;
}

function tooLarge(cap: number): CoreDecompressError {
  return new CoreDecompressError('too_large', `decompressed data is larger than ${cap} bytes`);
}
