/** libhashkit `hsieh`: Paul Hsieh's SuperFastHash; 0 for an empty key. */

/**
 * Byte reads follow libhashkit on x86-64: the 16-bit reads are unsigned, the third tail byte
 * (`(uint32_t) key[2] << 18`) is a signed `char` and so sign-extended, and the single tail byte
 * is cast to `unsigned char` in the source.
 */
export function hsiehHash(data: Uint8Array, start: number, end: number): number {
  const length = end - start;
  if (length <= 0) return 0;
  let hash = 0;
  let i = start;
  for (const stop = start + (length & ~3); i < stop; i += 4) {
    hash = (hash + (data[i] | (data[i + 1] << 8))) | 0;
    const tmp = ((data[i + 2] | (data[i + 3] << 8)) << 11) ^ hash;
    hash = (hash << 16) ^ tmp;
    hash = (hash + (hash >>> 11)) | 0;
  }
  switch (length & 3) {
    case 3:
      hash = (hash + (data[i] | (data[i + 1] << 8))) | 0;
      hash ^= hash << 16;
      hash ^= ((data[i + 2] << 24) >> 24) << 18;
      hash = (hash + (hash >>> 11)) | 0;
      break;
    case 2:
      hash = (hash + (data[i] | (data[i + 1] << 8))) | 0;
      hash ^= hash << 11;
      hash = (hash + (hash >>> 17)) | 0;
      break;
    case 1:
      hash = (hash + data[i]) | 0;
      hash ^= hash << 10;
      hash = (hash + (hash >>> 1)) | 0;
      break;
  }
  return avalanche(hash);
}

function avalanche(hash: number): number {
  hash ^= hash << 3;
  hash = (hash + (hash >>> 5)) | 0;
  hash ^= hash << 4;
  hash = (hash + (hash >>> 17)) | 0;
  hash ^= hash << 25;
  hash = (hash + (hash >>> 6)) | 0;
  return hash >>> 0;
}
