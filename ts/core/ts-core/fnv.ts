/**
 * libhashkit's FNV family. Every byte is sign-extended before mixing, as libhashkit reads it
 * through a signed `char` on x86.
 */

const FNV_32_INIT = 0x811c9dc5;
const FNV_32_PRIME = 0x01000193;
/** The low halves of the 64-bit FNV offset basis 0xcbf29ce484222325 and prime 0x100000001b3. */
const FNV_64_INIT_LOW = 0x84222325;
const FNV_64_PRIME_LOW = 0x1b3;

export function fnv1Hash32(data: Uint8Array, start: number, end: number): number {
  let hash = FNV_32_INIT | 0;
  for (let i = start; i < end; i++) hash = Math.imul(hash, FNV_32_PRIME) ^ ((data[i] << 24) >> 24);
  return hash >>> 0;
}

export function fnv1aHash32(data: Uint8Array, start: number, end: number): number {
  let hash = FNV_32_INIT | 0;
  for (let i = start; i < end; i++) hash = Math.imul(hash ^ ((data[i] << 24) >> 24), FNV_32_PRIME);
  return hash >>> 0;
}

/**
 * `fnv1_64`: real 64-bit FNV-1 truncated to 32 bits. The low 32 bits of a product or an xor
 * mod 2^64 depend only on the operands' low 32 bits, so the high half (and the sign extension
 * into it) never reaches the result: 32-bit arithmetic on the low halves is exact.
 */
export function fnv1Hash64(data: Uint8Array, start: number, end: number): number {
  let hash = FNV_64_INIT_LOW | 0;
  for (let i = start; i < end; i++) hash = Math.imul(hash, FNV_64_PRIME_LOW) ^ ((data[i] << 24) >> 24);
  return hash >>> 0;
}

/** `fnv1a_64`: libhashkit's quirk keeps a 32-bit state with the 64-bit constants' low halves. */
export function fnv1aHash64(data: Uint8Array, start: number, end: number): number {
  let hash = FNV_64_INIT_LOW | 0;
  for (let i = start; i < end; i++) hash = Math.imul(hash ^ ((data[i] << 24) >> 24), FNV_64_PRIME_LOW);
  return hash >>> 0;
}
