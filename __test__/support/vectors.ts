/** The conformance vectors (vectors/ at the repository root), parsed. */
import { readFileSync } from 'node:fs';
import type { HashAlgorithm, RingServer } from '../../ts/core/contract.js';

const VECTORS = new URL('../../vectors/', import.meta.url);

function rows(file: string): string[][] {
  return readFileSync(new URL(file, VECTORS), 'utf8')
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => line.split('\t'));
}

export interface HashVector {
  readonly algorithm: HashAlgorithm;
  readonly input: string;
  readonly expected: number;
}

export function hashVectors(): HashVector[] {
  return rows('hashes.tsv').map(([algorithm, input, expected]) => ({
    algorithm: algorithm as HashAlgorithm,
    input: JSON.parse(input) as string,
    expected: Number(expected),
  }));
}

export type KetamaSet = 'libmemcached' | 'spymemcached';

export interface KetamaVector {
  readonly set: KetamaSet;
  readonly key: string;
  /** `host` for the libmemcached set, `host:port` for the spymemcached set. */
  readonly server: string;
}

export function ketamaVectors(): KetamaVector[] {
  return rows('ketama.tsv').map(([set, key, server]) => ({ set: set as KetamaSet, key: JSON.parse(key) as string, server }));
}

/** The libmemcached set's servers and weights, in the README's order. */
export const LIBMEMCACHED_SERVERS: readonly RingServer[] = [600, 300, 200, 350, 1000, 800, 950, 100].map((weight, i) => ({
  host: `10.0.1.${i + 1}`,
  port: 11211,
  weight,
}));

/** The spymemcached set's servers: equal weights. */
export const SPYMEMCACHED_SERVERS: readonly RingServer[] = Array.from({ length: 8 }, (_, i) => ({
  host: `10.0.1.${i + 1}`,
  port: 11211,
  weight: 1,
}));
