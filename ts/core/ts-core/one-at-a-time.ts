/** libhashkit `one_at_a_time`: Bob Jenkins' one-at-a-time hash. */

/** Bytes are sign-extended first, as libhashkit reads them through a signed `char` on x86. */
export function oneAtATimeHash(data: Uint8Array, start: number, end: number): number {
  let value = 0;
  for (let i = start; i < end; i++) {
    value = (value + ((data[i] << 24) >> 24)) | 0;
    value = (value + (value << 10)) | 0;
    value ^= value >>> 6;
  }
  value = (value + (value << 3)) | 0;
  value ^= value >>> 11;
  value = (value + (value << 15)) | 0;
  return value >>> 0;
}
