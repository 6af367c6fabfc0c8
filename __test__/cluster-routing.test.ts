/**
 * Which server each key goes to, in every distribution, over real servers: serverFor() equals the
 * algorithm computed independently (support/routing.ts) for thousands of keys, and every key is
 * then found on the server serverFor() names, read back with a client of that server alone.
 */
import { describe, expect, it } from 'vitest';
import { Client, KeyError, type ClientOptions, type Distribution, type ServerSpec } from '../ts/index.js';
import type { MemcachedServer } from './support/memcached.js';
import { useClientOfEach, useServers } from './support/server-and-client.js';
import { ketamaRouter, modulaRoute, pythonRoute, type PoolServer } from './support/routing.js';

const servers = useServers(4);
/** A client of each server alone: where a key really is. */
const single = useClientOfEach(servers);

const name = (server: MemcachedServer, weight = 1) => `${server.spec} (${weight})`;
const pool = (weights: readonly number[]): PoolServer[] => weights.map((weight, i) => ({ port: servers[i].port, weight }));
const specs = (weights: readonly number[]): ServerSpec[] => weights.map((weight, i) => [servers[i].spec, weight]);

/** The expected server index of a key (keyPrefix included), per distribution. */
function expectedRouter(distribution: Distribution, p: readonly PoolServer[], hash?: ClientOptions['hash']): (key: string) => number {
  switch (distribution) {
    case 'ketama':
      return ketamaRouter(p, 'libmemcached');
    case 'ketama-spy':
      return ketamaRouter(p, 'spymemcached');
    case 'python-memcached':
      return (key) => pythonRoute(key, p);
    case 'modula':
      return (key) => modulaRoute(key, p, hash ?? 'one_at_a_time');
  }
}

/** ASCII keys, and some in other scripts (hashed as their UTF-8 bytes, as python-memcached does). */
function keys(tag: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => (i % 7 === 0 ? `${tag}:ключ-${i}` : `${tag}:user:${i}:profile`));
}

/** Which single-server client holds each key (index), or -1. */
async function whereStored(list: readonly string[], among: number): Promise<Map<string, number>> {
  const where = new Map<string, number>();
  for (let s = 0; s < among; s++) {
    const hits = await single[s].getMulti(list);
    for (const key of hits.keys()) {
      expect(where.has(key), `${key} is on two servers`).toBe(false);
      where.set(key, s);
    }
  }
  return where;
}

const CASES: { distribution: Distribution; hash?: ClientOptions['hash'] }[] = [
  { distribution: 'ketama' },
  { distribution: 'ketama-spy' },
  { distribution: 'python-memcached' },
  { distribution: 'modula' },
  { distribution: 'modula', hash: 'fnv1a_32' },
  { distribution: 'modula', hash: 'murmur3' },
];

describe.each(CASES)('distribution $distribution (hash $hash)', ({ distribution, hash }) => {
  const tag = `${distribution}-${hash ?? 'default'}`;

  it('routes 4000 keys over four servers as the algorithm does, and stores each where serverFor says', async () => {
    const weights = [1, 1, 1, 1];
    const mc = new Client(specs(weights), { distribution, hash });
    try {
      const list = keys(tag, 4000);
      const expected = expectedRouter(distribution, pool(weights), hash);
      const named = list.map((k) => mc.serverFor(k));
      expect(named).toEqual(list.map((k) => name(servers[expected(k)])));
      // Half stored by setMulti (the batch routing path), half one by one (the single-key path).
      const half = list.length / 2;
      expect(await mc.setMulti(list.slice(0, half).map((k) => [k, k]))).toEqual([]);
      await Promise.all(list.slice(half).map((k) => mc.set(k, k)));
      const where = await whereStored(list, 4);
      expect(list.map((k) => (where.has(k) ? name(servers[where.get(k) as number]) : `${k} missing`))).toEqual(named);
      const read = await mc.getMulti(list);
      expect(read.size).toBe(list.length);
      expect(read.errors.size).toBe(0);
    } finally {
      await mc.close();
    }
  });

  it('spreads 10 000 keys over a 3:1 weighted pair within 3 points of 75/25', async () => {
    // A ketama ring's balance depends on the addresses in its point strings (two servers: about
    // +-2.5 points from one pair of ports to another), so the shares are measured on fixed addresses.
    const fixed: PoolServer[] = [
      { host: '10.0.1.1', port: 11211, weight: 3 },
      { host: '10.0.1.2', port: 11211, weight: 1 },
    ];
    const mc = new Client(fixed.map((s): [string, number] => [`${s.host}:${s.port}`, s.weight]), { distribution, hash });
    try {
      const list = keys(`${tag}:w`, 10_000);
      const expected = expectedRouter(distribution, fixed, hash);
      const named = list.map((k) => mc.serverFor(k));
      expect(named).toEqual(list.map((k) => (expected(k) === 0 ? '10.0.1.1:11211 (3)' : '10.0.1.2:11211 (1)')));
      const share = named.filter((n) => n === '10.0.1.1:11211 (3)').length / list.length;
      expect(Math.abs(share - 0.75)).toBeLessThan(0.03);
    } finally {
      await mc.close();
    }
  });

  it('stores the keys of a 3:1 weighted pair of real servers where serverFor says', async () => {
    const weights = [3, 1];
    const mc = new Client(specs(weights), { distribution, hash });
    try {
      const list = keys(`${tag}:real-w`, 10_000);
      const expected = expectedRouter(distribution, pool(weights), hash);
      const onFirst = list.filter((k) => mc.serverFor(k) === name(servers[0], 3));
      expect(onFirst).toEqual(list.filter((k) => expected(k) === 0));
      expect(onFirst.length / list.length).toBeGreaterThan(0.65);
      expect(onFirst.length / list.length).toBeLessThan(0.85);
      expect(await mc.setMulti(list.map((k) => [k, 1]))).toEqual([]);
      const where = await whereStored(list, 2);
      expect(where.size).toBe(list.length);
      expect(list.filter((k) => where.get(k) === 0)).toEqual(onFirst);
    } finally {
      await mc.close();
    }
  });

  it('never gives a key to a weight-0 server', async () => {
    const mc = new Client(specs([1, 0, 1]), { distribution, hash });
    try {
      const list = keys(`${tag}:zero`, 2000);
      const named = new Set(list.map((k) => mc.serverFor(k)));
      expect(named).toEqual(new Set([name(servers[0]), name(servers[2])]));
    } finally {
      await mc.close();
    }
  });
});

describe('serverFor', () => {
  it('applies the keyPrefix, as every call does', async () => {
    const mc = new Client(specs([1, 1, 1, 1]), { keyPrefix: 'app:' });
    const bare = new Client(specs([1, 1, 1, 1]));
    try {
      for (const k of keys('prefix', 300)) expect(mc.serverFor(k)).toBe(bare.serverFor(`app:${k}`));
      await mc.set('prefixed', 'v');
      const holder = servers.findIndex((s) => name(s) === mc.serverFor('prefixed'));
      expect(await single[holder].get('app:prefixed')).toBe('v');
    } finally {
      await Promise.all([mc.close(), bare.close()]);
    }
  });

  it('takes bytes keys, and checks keys as calls do', async () => {
    const mc = new Client(specs([1, 1, 1, 1]));
    try {
      expect(mc.serverFor(Buffer.from('ключ', 'utf8'))).toBe(mc.serverFor('ключ'));
      expect(() => mc.serverFor('has space')).toThrow(KeyError);
      expect(() => mc.serverFor('')).toThrow(KeyError);
    } finally {
      await mc.close();
    }
  });

  it('of a single server names it without hashing', async () => {
    const mc = new Client(servers[2].spec, { distribution: 'python-memcached' });
    try {
      expect(mc.serverFor('anything')).toBe(name(servers[2]));
    } finally {
      await mc.close();
    }
  });
});
