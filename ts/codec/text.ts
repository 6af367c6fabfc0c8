/**
 * Text out of a reply buffer, at the lowest cost Node offers. `Buffer#toString` validates its
 * arguments and looks the encoding up on every call; for 100-byte values that wrapper costs as
 * much as decoding, so the slicers it ends in are called directly. Long ASCII text (the common
 * case for JSON) is copied one byte per character (`latin1Slice`) after a SIMD check (`isAscii`),
 * faster than UTF-8 decoding from about 4 KB on.
 */
import { isAscii } from 'node:buffer';

/** Node's own slicers behind `Buffer#toString`; on Buffer.prototype since Node 0.x, untyped. */
interface Slicers {
  utf8Slice(start: number, end: number): string;
  latin1Slice(start: number, end: number): string;
}

/** Below this, checking for ASCII first costs more than it saves (measured, Node 20). */
const ASCII_CHECK_MIN = 4096;

/** `buf[start .. end)` as UTF-8 text; the caller guarantees 0 <= start <= end <= buf.length. */
export function utf8Text(buf: Buffer, start: number, end: number): string {
  const slicers = buf as unknown as Slicers;
  if (end - start >= ASCII_CHECK_MIN && isAscii(buf.subarray(start, end))) return slicers.latin1Slice(start, end);
  return slicers.utf8Slice(start, end);
}
