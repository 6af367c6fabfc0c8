/** libhashkit `jenkins`: Bob Jenkins' lookup3 `hashlittle` with initval 13, unsigned bytes. */

const INITVAL = 13;

/** Little-endian word of up to 4 bytes from `i`, bytes at or past `stop` counting as zero. */
function wordAt(data: Uint8Array, i: number, stop: number): number {
  if (i + 4 <= stop) return data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24);
  let k = 0;
  for (let j = Math.min(stop, i + 4) - 1; j >= i; j--) k = (k << 8) | data[j];
  return k;
}

function rot(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

export function jenkinsHash(data: Uint8Array, start: number, end: number): number {
  let length = end - start;
  let a = (0xdeadbeef + length + INITVAL) | 0;
  let b = a;
  let c = a;
  let i = start;
  for (; length > 12; length -= 12, i += 12) {
    a = (a + wordAt(data, i, end)) | 0;
    b = (b + wordAt(data, i + 4, end)) | 0;
    c = (c + wordAt(data, i + 8, end)) | 0;
    // mix(a, b, c)
    a = (a - c) | 0; a ^= rot(c, 4); c = (c + b) | 0;
    b = (b - a) | 0; b ^= rot(a, 6); a = (a + c) | 0;
    c = (c - b) | 0; c ^= rot(b, 8); b = (b + a) | 0;
    a = (a - c) | 0; a ^= rot(c, 16); c = (c + b) | 0;
    b = (b - a) | 0; b ^= rot(a, 19); a = (a + c) | 0;
    c = (c - b) | 0; c ^= rot(b, 4); b = (b + a) | 0;
  }
  // Zero-length tails skip the final mix, as lookup3 does.
  if (length === 0) return c >>> 0;
  a = (a + wordAt(data, i, end)) | 0;
  if (length > 4) b = (b + wordAt(data, i + 4, end)) | 0;
  if (length > 8) c = (c + wordAt(data, i + 8, end)) | 0;
  // final(a, b, c)
  c ^= b; c = (c - rot(b, 14)) | 0;
  a ^= c; a = (a - rot(c, 11)) | 0;
  b ^= a; b = (b - rot(a, 25)) | 0;
  c ^= b; c = (c - rot(b, 16)) | 0;
  a ^= c; a = (a - rot(c, 4)) | 0;
  b ^= a; b = (b - rot(a, 14)) | 0;
  c ^= b; c = (c - rot(b, 24)) | 0;
  return c >>> 0;
}
