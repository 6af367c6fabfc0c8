/**
 * The ketama consistent-hashing ring of libmemcached (weighted) and spymemcached: MD5 digests of
 * per-server point strings, four little-endian u32 points per digest, sorted ascending; a key
 * goes to the first point >= its md5 hash, wrapping past the last.
 */
import type { Ring, RingFormat, RingServer } from '../contract.js';
import { batchCount } from './key-batch.js';
import { md5Hash, md5Words } from './md5.js';

const POINTS_PER_SERVER = 160;
const DEFAULT_PORT = 11211;
const encoder = new TextEncoder();

/**
 * libmemcached's weighted point count, float32 at every step as in its C source: with some
 * server counts a double-precision version gives 160 where libmemcached gives 156.
 */
function pointsForServer(weight: number, totalWeight: number, liveServers: number): number {
  const f = Math.fround;
  const share = f(f(weight) / f(totalWeight));
  const scaled = f(f(f(share * POINTS_PER_SERVER) / 4) * f(liveServers));
  return Math.floor(f(scaled + f(1e-10))) * 4;
}

function checkWeight(server: RingServer, index: number): void {
  const { weight } = server;
  if (!Number.isInteger(weight) || weight < 0 || weight > 0xffffffff) {
    throw new RangeError(`ring server ${index} weight must be an integer 0 .. 2^32-1, got ${weight}`);
  }
}

/** The bytes of a point string before the point index, e.g. `10.0.1.1-` or `10.0.1.1:11212-`. */
function pointPrefix(server: RingServer, format: RingFormat): Uint8Array {
  const withPort = format === 'spymemcached' || server.port !== DEFAULT_PORT;
  return encoder.encode(withPort ? `${server.host}:${server.port}-` : `${server.host}-`);
}

/** Writes the decimal digits of `n` at `at`; returns the end. */
function writeDecimal(into: Uint8Array, at: number, n: number): number {
  let digits = 1;
  for (let rest = n; rest >= 10; rest = Math.floor(rest / 10)) digits++;
  for (let i = at + digits - 1; i >= at; i--, n = Math.floor(n / 10)) into[i] = 0x30 + (n % 10);
  return at + digits;
}

/**
 * Every point packed with its server as `value * 2^21 + server` in a float64 (exact below 2^53),
 * so one native numeric sort orders by value with ties to the earlier server.
 */
const SERVER_SLOTS = 2 ** 21;

function packedPoints(servers: readonly RingServer[], format: RingFormat): Float64Array {
  servers.forEach(checkWeight);
  if (servers.length > SERVER_SLOTS) throw new RangeError(`a ring takes at most ${SERVER_SLOTS} servers`);
  const total = servers.reduce((sum, s) => sum + s.weight, 0);
  // A weight-0 server is never used: it is left out of the live count, so the ring equals one
  // built without it (as libmemcached's ring without an ejected server).
  const live = servers.filter((s) => s.weight > 0).length;
  const counts = servers.map((s) => (s.weight === 0 ? 0 : pointsForServer(s.weight, total, live)));
  const packed = new Float64Array(counts.reduce((sum, n) => sum + n, 0));
  const digest = new Uint32Array(4);
  let at = 0;
  servers.forEach((server, index) => {
    const prefix = pointPrefix(server, format);
    const text = new Uint8Array(prefix.length + 10);
    text.set(prefix);
    for (let i = 0; i < counts[index] / 4; i++) {
      md5Words(text, 0, writeDecimal(text, prefix.length, i), digest);
      for (let k = 0; k < 4; k++) packed[at++] = digest[k] * SERVER_SLOTS + index;
    }
  });
  return packed.sort();
}

class KetamaRing implements Ring {
  readonly pointCount: number;
  readonly #points: Uint32Array;
  readonly #servers: Int32Array;

  constructor(packed: Float64Array) {
    this.#points = new Uint32Array(packed.length);
    this.#servers = new Int32Array(packed.length);
    for (let i = 0; i < packed.length; i++) {
      const value = Math.floor(packed[i] / SERVER_SLOTS);
      this.#points[i] = value;
      this.#servers[i] = packed[i] - value * SERVER_SLOTS;
    }
    this.pointCount = packed.length;
  }

  lookup(key: Uint8Array): number {
    return this.lookupHash(md5Hash(key, 0, key.length));
  }

  /** Lower bound: the first point >= hash, wrapping to the first point. */
  lookupHash(hash: number): number {
    const points = this.#points;
    const count = points.length;
    if (count === 0) return -1;
    const target = hash >>> 0;
    let low = 0;
    let high = count;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (points[mid] < target) low = mid + 1;
      else high = mid;
    }
    return this.#servers[low === count ? 0 : low];
  }

  lookupBatch(keys: Uint8Array, offsets: Uint32Array, out: Int32Array): void {
    const count = batchCount(keys, offsets, out.length);
    for (let i = 0; i < count; i++) out[i] = this.lookupHash(md5Hash(keys, offsets[i], offsets[i + 1]));
  }
}

export function createRing(servers: readonly RingServer[], format: RingFormat): Ring {
  if (format !== 'libmemcached' && format !== 'spymemcached') {
    throw new TypeError(`unknown ring format: ${String(format)}`);
  }
  return new KetamaRing(packedPoints(servers, format));
}
