import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { HASH_ALGORITHMS, type HashAlgorithm } from '../ts/core/contract.js';
import { describeEachCore } from './support/cores.js';
import { keyBatch } from './support/key-batch.js';
import { hashVectors } from './support/vectors.js';

const VECTORS = hashVectors();
const encoder = new TextEncoder();

function vectorsFor(algorithm: HashAlgorithm): { inputs: string[]; expected: number[] } {
  const rows = VECTORS.filter((v) => v.algorithm === algorithm);
  return { inputs: rows.map((v) => v.input), expected: rows.map((v) => v.expected) };
}

/**
 * Non-ASCII keys, hex, with libhashkit's values for the eleven algorithms in HASH_ALGORITHMS
 * order: computed by compiling libhashkit's own sources on x86-64, where `char` is signed.
 * They pin the decided policy: sign-extended bytes in one_at_a_time, the FNV family and hsieh's
 * 3-byte tail; unsigned everywhere else. Keys 1-3 bytes long reach each hsieh tail case.
 */
const LIBHASHKIT_NON_ASCII: ReadonlyArray<readonly [string, readonly number[]]> = [
  ['', [0, 3649838548, 0, 2216829733, 2216829733, 2166136261, 2166136261, 0, 0, 3735928572, 0]],
  ['80', [3273477671, 2128427405, 16314, 2046707807, 2046684255, 4210270879, 83079839, 3606367026, 2421514821, 2976898632, 3984175026]],
  ['ff', [2925896852, 3561969920, 32512, 2046707744, 2046707310, 4210270944, 4193493326, 44489640, 3679652508, 3784723880, 2014273854]],
  ['41fe', [3050283601, 1357666405, 29374, 1259667076, 1247716758, 2944992516, 2469034422, 3385328487, 3102783097, 4195994170, 2790546961]],
  ['6162e9', [2087468527, 2356330952, 14409, 2488291905, 4206748569, 3160658113, 2981610777, 307729637, 1806632351, 2301080244, 3058037349]],
  ['636166c3a9', [3650908318, 3833532679, 6317, 2315714289, 3472276361, 3598905713, 1970454601, 3728705621, 3658586143, 3412207021, 592794272]],
  [
    '6e61c3af76652dd0bad0bbd18ed1872de382ade383bc',
    [4183183360, 982412803, 17654, 3587314051, 993151407, 3886728771, 3293908143, 2719008551, 3063143770, 2090806538, 3524901191],
  ],
  ['808182838485868788898a8b8c', [2749814950, 2623180903, 32718, 3150082911, 693656847, 1483364127, 1611215439, 260328847, 114699268, 1950961613, 4208884355]],
  [
    'fffefdfcfbfaf9f8f7f6f5f4f3f2f1f0efeeedecebeae9e8e7e6e5e4e3e2e1e0dfdedddcdbdad9d8',
    [3077958573, 2144180476, 26778, 2989159789, 1284893141, 2172088077, 3076797045, 4161066370, 4258041008, 4030369988, 133262218],
  ],
];

/** Real 64-bit FNV-1 over bytes read as signed `char` and widened to u64, as libhashkit does. */
function fnv1Of64Bits(key: Uint8Array): number {
  const mask = (1n << 64n) - 1n;
  let hash = 0xcbf29ce484222325n;
  for (const byte of key) hash = ((hash * 0x100000001b3n) & mask) ^ (BigInt((byte << 24) >> 24) & mask);
  return Number(hash & 0xffffffffn);
}

/** Deterministic keys of every length up to `max`, bytes across the whole 0-255 range. */
function keysUpTo(max: number): Uint8Array[] {
  return Array.from({ length: max + 1 }, (_, length) => Uint8Array.from({ length }, (_, i) => (i * 97 + length * 31) & 0xff));
}

describe('hash vectors file', () => {
  it('holds 26 vectors for each of the eleven algorithms', () => {
    for (const algorithm of HASH_ALGORITHMS) expect(vectorsFor(algorithm).inputs).toHaveLength(26);
    expect(VECTORS).toHaveLength(26 * HASH_ALGORITHMS.length);
  });
});

describeEachCore('libhashkit hashes', (core) => {
  describe.each(HASH_ALGORITHMS)('%s', (algorithm) => {
    const { inputs, expected } = vectorsFor(algorithm);

    it('matches every conformance vector', () => {
      expect(inputs.map((input) => core.hash(algorithm, encoder.encode(input)))).toEqual(expected);
    });

    it('hashBatch gives the same values for the whole set in one call', () => {
      const { keys, offsets } = keyBatch(inputs.map((input) => encoder.encode(input)));
      const out = new Uint32Array(inputs.length + 2).fill(7);
      core.hashBatch(algorithm, keys, offsets, out);
      expect(Array.from(out)).toEqual([...expected, 7, 7]);
    });

    it('matches libhashkit on x86-64 for non-ASCII and empty keys', () => {
      const index = HASH_ALGORITHMS.indexOf(algorithm);
      for (const [hex, values] of LIBHASHKIT_NON_ASCII) {
        expect(core.hash(algorithm, Buffer.from(hex, 'hex')), `key ${hex}`).toBe(values[index]);
      }
    });

    it('hashes a key inside a larger buffer by its own bytes only', () => {
      const key = encoder.encode('user:42:profile');
      const framed = Buffer.concat([Buffer.from('xx'), key, Buffer.from('yyy')]);
      const view = framed.subarray(2, 2 + key.length);
      expect(core.hash(algorithm, view)).toBe(core.hash(algorithm, key));
    });
  });

  it('md5 agrees with node:crypto across the padding boundaries (55, 56, 64, 119, 120 bytes)', () => {
    for (const key of keysUpTo(200)) {
      expect(core.hash('md5', key), `length ${key.length}`).toBe(createHash('md5').update(key).digest().readUInt32LE(0));
    }
  });

  it('fnv1_64 is real 64-bit FNV-1 truncated, high bytes sign-extended to 64 bits', () => {
    for (const key of keysUpTo(80)) expect(core.hash('fnv1_64', key), `length ${key.length}`).toBe(fnv1Of64Bits(key));
  });

  it('hashBatch with no keys writes nothing', () => {
    const out = new Uint32Array([5]);
    core.hashBatch('md5', new Uint8Array(0), new Uint32Array([0]), out);
    expect(out[0]).toBe(5);
  });
});
