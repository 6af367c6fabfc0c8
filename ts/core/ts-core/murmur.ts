/**
 * libhashkit `murmur` (MurmurHash2) and `murmur3` (MurmurHash3 x86_32), both seeded with
 * `0xdeadbeef * length`. Blocks and tails are read as unsigned little-endian bytes.
 */

const M2 = 0x5bd1e995;
const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;
const SEED_FACTOR = 0xdeadbeef;

function readWord(data: Uint8Array, i: number): number {
  return data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24);
}

/** The last `count` (< 4) bytes from `i`, as a little-endian word. */
function readTail(data: Uint8Array, i: number, count: number): number {
  let k = 0;
  for (let j = count - 1; j >= 0; j--) k = (k << 8) | data[i + j];
  return k;
}

export function murmurHash(data: Uint8Array, start: number, end: number): number {
  const length = end - start;
  let h = Math.imul(SEED_FACTOR, length) ^ length;
  let i = start;
  for (const stop = start + (length & ~3); i < stop; i += 4) {
    let k = Math.imul(readWord(data, i), M2);
    k ^= k >>> 24;
    h = Math.imul(h, M2) ^ Math.imul(k, M2);
  }
  if (length & 3) h = Math.imul(h ^ readTail(data, i, length & 3), M2);
  h ^= h >>> 13;
  h = Math.imul(h, M2);
  h ^= h >>> 15;
  return h >>> 0;
}

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

function scramble(k: number): number {
  return Math.imul(rotl(Math.imul(k, C1), 15), C2);
}

export function murmur3Hash(data: Uint8Array, start: number, end: number): number {
  const length = end - start;
  let h = Math.imul(SEED_FACTOR, length);
  let i = start;
  for (const stop = start + (length & ~3); i < stop; i += 4) {
    h = rotl(h ^ scramble(readWord(data, i)), 13);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  if (length & 3) h ^= scramble(readTail(data, i, length & 3));
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
