/** The eleven libhashkit functions behind one dispatch by algorithm name. */
import type { HashAlgorithm } from '../contract.js';
import { crcHash } from './crc32.js';
import { fnv1aHash32, fnv1aHash64, fnv1Hash32, fnv1Hash64 } from './fnv.js';
import { hsiehHash } from './hsieh.js';
import { jenkinsHash } from './jenkins.js';
import { batchCount } from './key-batch.js';
import { md5Hash } from './md5.js';
import { murmur3Hash, murmurHash } from './murmur.js';
import { oneAtATimeHash } from './one-at-a-time.js';

/** Hash of `data[start .. end)` as a u32. */
export type KeyHash = (data: Uint8Array, start: number, end: number) => number;

const HASHES: Readonly<Record<HashAlgorithm, KeyHash>> = {
  one_at_a_time: oneAtATimeHash,
  md5: md5Hash,
  crc: crcHash,
  fnv1_64: fnv1Hash64,
  fnv1a_64: fnv1aHash64,
  fnv1_32: fnv1Hash32,
  fnv1a_32: fnv1aHash32,
  hsieh: hsiehHash,
  murmur: murmurHash,
  jenkins: jenkinsHash,
  murmur3: murmur3Hash,
};

/** The function for `algorithm`; throws TypeError for a name that is none of the eleven. */
export function keyHash(algorithm: HashAlgorithm): KeyHash {
  const fn = Object.hasOwn(HASHES, algorithm) ? HASHES[algorithm] : undefined;
  if (fn === undefined) throw new TypeError(`unknown hash algorithm: ${String(algorithm)}`);
  return fn;
}

export function hash(algorithm: HashAlgorithm, key: Uint8Array): number {
  return keyHash(algorithm)(key, 0, key.length);
}

export function hashBatch(algorithm: HashAlgorithm, keys: Uint8Array, offsets: Uint32Array, out: Uint32Array): void {
  const fn = keyHash(algorithm);
  const count = batchCount(keys, offsets, out.length);
  for (let i = 0; i < count; i++) out[i] = fn(keys, offsets[i], offsets[i + 1]);
}
