import { describe, expect, it } from 'vitest';
import type { Core, RingFormat, RingServer } from '../ts/core/contract.js';
import { describeEachCore } from './support/cores.js';
import { keyBatch } from './support/key-batch.js';
import { type KetamaSet, LIBMEMCACHED_SERVERS, ketamaVectors, SPYMEMCACHED_SERVERS } from './support/vectors.js';

const VECTORS = ketamaVectors();
const encoder = new TextEncoder();

const SETS: Record<KetamaSet, { servers: readonly RingServer[]; name: (s: RingServer) => string }> = {
  libmemcached: { servers: LIBMEMCACHED_SERVERS, name: (s) => s.host },
  spymemcached: { servers: SPYMEMCACHED_SERVERS, name: (s) => `${s.host}:${s.port}` },
};

function vectorsOf(set: KetamaSet): { keys: Uint8Array[]; expected: string[] } {
  const rows = VECTORS.filter((v) => v.set === set);
  return { keys: rows.map((v) => encoder.encode(v.key)), expected: rows.map((v) => v.server) };
}

function servers(count: number, weight: number, port = 11211): RingServer[] {
  return Array.from({ length: count }, (_, i) => ({ host: `10.0.${i >> 8}.${i & 255}`, port, weight }));
}

/** Server index for each of many probe keys, one lookup at a time. */
function placements(core: Core, list: readonly RingServer[], format: RingFormat): number[] {
  const ring = core.createRing(list, format);
  return Array.from({ length: 500 }, (_, i) => ring.lookup(encoder.encode(`probe:${i}`)));
}

describe('ketama vectors file', () => {
  it('holds 99 libmemcached and 2841 spymemcached keys', () => {
    expect(vectorsOf('libmemcached').keys).toHaveLength(99);
    expect(vectorsOf('spymemcached').keys).toHaveLength(2841);
  });
});

describeEachCore('ketama ring', (core) => {
  describe.each(['libmemcached', 'spymemcached'] as const)('%s vectors', (set) => {
    const { servers: list, name } = SETS[set];
    const { keys, expected } = vectorsOf(set);

    it('lookup puts every key on its expected server', () => {
      const ring = core.createRing(list, set);
      expect(keys.map((key) => name(list[ring.lookup(key)]))).toEqual(expected);
    });

    it('lookupBatch gives the same servers in one call', () => {
      const ring = core.createRing(list, set);
      const { keys: packed, offsets } = keyBatch(keys);
      const out = new Int32Array(keys.length + 1).fill(-9);
      ring.lookupBatch(packed, offsets, out);
      expect(Array.from(out.subarray(0, keys.length), (i) => name(list[i]))).toEqual(expected);
      expect(out[keys.length]).toBe(-9);
    });

    it('lookupHash of the key md5 agrees with lookup', () => {
      const ring = core.createRing(list, set);
      for (const key of keys.slice(0, 200)) expect(ring.lookupHash(core.hash('md5', key))).toBe(ring.lookup(key));
    });
  });

  it('gives the weighted libmemcached set 1264 points', () => {
    expect(core.createRing(LIBMEMCACHED_SERVERS, 'libmemcached').pointCount).toBe(1264);
  });

  it('gives equal-weight servers 160 points each in both formats', () => {
    expect(core.createRing(SPYMEMCACHED_SERVERS, 'spymemcached').pointCount).toBe(8 * 160);
    expect(core.createRing(SPYMEMCACHED_SERVERS, 'libmemcached').pointCount).toBe(8 * 160);
  });

  it('counts points in float32 as libmemcached does: 25 equal servers get 156 each, not 160', () => {
    expect(core.createRing(servers(25, 100), 'libmemcached').pointCount).toBe(25 * 156);
    expect(core.createRing(servers(24, 100), 'libmemcached').pointCount).toBe(24 * 160);
  });

  it('leaves a weight-0 server out entirely: the ring equals the one built without it', () => {
    const list = [...servers(3, 10), { host: 'idle', port: 11211, weight: 0 }];
    expect(placements(core, list, 'libmemcached')).not.toContain(3);
    expect(placements(core, list, 'libmemcached')).toEqual(placements(core, servers(3, 10), 'libmemcached'));
    expect(core.createRing(list, 'libmemcached').pointCount).toBe(3 * 160);
  });

  it('returns -1 from every lookup on an empty ring', () => {
    for (const list of [[], servers(3, 0)]) {
      const ring = core.createRing(list, 'libmemcached');
      expect(ring.pointCount).toBe(0);
      expect(ring.lookup(encoder.encode('key'))).toBe(-1);
      expect(ring.lookupHash(123)).toBe(-1);
      const { keys, offsets } = keyBatch([encoder.encode('a'), encoder.encode('b')]);
      const out = new Int32Array(2);
      ring.lookupBatch(keys, offsets, out);
      expect(Array.from(out)).toEqual([-1, -1]);
    }
  });

  it('wraps a hash past the last point to the first point', () => {
    const ring = core.createRing(LIBMEMCACHED_SERVERS, 'libmemcached');
    expect(ring.lookupHash(0xffffffff)).toBe(ring.lookupHash(0));
  });

  it('gives ties between equal points to the server listed first', () => {
    const twin = { host: 'cache-a', port: 11211, weight: 1 };
    const ring = core.createRing([twin, { ...twin }, { ...twin }], 'libmemcached');
    expect(new Set(placements(core, [twin, { ...twin }, { ...twin }], 'libmemcached'))).toEqual(new Set([0]));
    expect(ring.pointCount).toBe(3 * 160);
  });

  it('writes the port into libmemcached point strings only when it is not 11211', () => {
    const onOtherPort = servers(4, 1, 11212);
    expect(placements(core, onOtherPort, 'libmemcached')).toEqual(placements(core, onOtherPort, 'spymemcached'));
    const onDefaultPort = servers(4, 1);
    expect(placements(core, onDefaultPort, 'libmemcached')).not.toEqual(placements(core, onDefaultPort, 'spymemcached'));
  });

  it('keeps most keys in place when a server is added', () => {
    const before = placements(core, servers(8, 1), 'libmemcached');
    const after = placements(core, servers(9, 1), 'libmemcached');
    const moved = before.filter((server, i) => after[i] !== server).length;
    expect(moved).toBeLessThan(before.length / 4);
    expect(after.filter((server, i) => after[i] !== before[i] && server !== 8)).toEqual([]);
  });
});
