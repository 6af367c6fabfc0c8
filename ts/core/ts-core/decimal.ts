/**
 * Decimal fields of reply lines, validated in place on the bytes: no strings, no BigInt.
 * Leading zeros are allowed and do not count towards a field's range (as a checked u64 parse).
 */

const ZERO = 0x30;
const NINE = 0x39;
const U64_MAX_DIGITS = '18446744073709551615';
const U32_MAX = 0xffffffff;

/** Whether `buf[from .. to)` is one or more ASCII digits. */
function allDigits(buf: Uint8Array, from: number, to: number): boolean {
  if (from >= to) return false;
  for (let i = from; i < to; i++) {
    const b = buf[i];
    if (b < ZERO || b > NINE) return false;
  }
  return true;
}

function skipZeros(buf: Uint8Array, from: number, to: number): number {
  while (from < to - 1 && buf[from] === ZERO) from++;
  return from;
}

/** The value of the digits `buf[from .. to)` when they are digits fitting a u32, else -1. */
export function parseU32(buf: Uint8Array, from: number, to: number): number {
  if (from >= to) return -1;
  let value = 0;
  for (let i = from; i < to; i++) {
    const digit = buf[i] - ZERO;
    if (digit < 0 || digit > 9) return -1;
    // Stops at the first overflow, so `value` stays an exact integer below 2^36.
    value = value * 10 + digit;
    if (value > U32_MAX) return -1;
  }
  return value;
}

/** Whether `buf[from .. to)` is digits whose value fits a u64 (at most 18446744073709551615). */
export function isU64Digits(buf: Uint8Array, from: number, to: number): boolean {
  if (!allDigits(buf, from, to)) return false;
  const first = skipZeros(buf, from, to);
  const length = to - first;
  if (length !== U64_MAX_DIGITS.length) return length < U64_MAX_DIGITS.length;
  for (let i = 0; i < length; i++) {
    const diff = buf[first + i] - U64_MAX_DIGITS.charCodeAt(i);
    if (diff !== 0) return diff < 0;
  }
  return true;
}

/** End of the run of digits starting at `from` (exclusive), stopping at `to`. */
export function digitsEnd(buf: Uint8Array, from: number, to: number): number {
  while (from < to && buf[from] >= ZERO && buf[from] <= NINE) from++;
  return from;
}
