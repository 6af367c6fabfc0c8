/**
 * The active core when the binding loads: each operation goes to whichever implementation is
 * faster for it, measured with `npm run bench:core` and /tmp-free micro-runs (Node 20, x86-64):
 *
 * | operation                     | native  | pure TS | used   |
 * |-------------------------------|---------|---------|--------|
 * | hash, one md5 key             | 271 ns  | 156 ns  | TS     |
 * | ring lookup, one key          | 410 ns  | 160 ns  | TS     |
 * | hashBatch / lookupBatch, 100  | 1.1-1.4x faster | | native |
 * | scan, 1 reply (STORED)        | 263 ns  | 70 ns   | TS     |
 * | scan, 1 VALUE (100 B)         | 287 ns  | 146 ns  | TS     |
 * | scan, 100-item multi-get      | 2.2 us  | 7.4 us  | native |
 * | compress / decompress(Text)   | 1.2-3.5x faster | | native |
 *
 * A call across N-API costs ~150-200 ns before any work (argument checks on each typed array),
 * so single small operations stay in JS and batches cross once.
 */
import type { Core, Ring, RingFormat, RingServer } from './contract.js';
import { F_END, F_KIND, ReplyKind, SCAN_STRIDE } from './contract.js';

/** Replies the TS scanner reads before handing the rest of a read to the native scanner. */
const TS_SCAN_RECORDS = 2;

class CombinedRing implements Ring {
  readonly pointCount: number;
  readonly #single: Ring;
  readonly #batch: Ring;

  constructor(single: Ring, batch: Ring) {
    this.#single = single;
    this.#batch = batch;
    this.pointCount = batch.pointCount;
  }

  lookup(key: Uint8Array): number {
    return this.#single.lookup(key);
  }

  lookupHash(hash: number): number {
    return this.#single.lookupHash(hash);
  }

  lookupBatch(keys: Uint8Array, offsets: Uint32Array, out: Int32Array): void {
    this.#batch.lookupBatch(keys, offsets, out);
  }
}

/**
 * Most socket reads hold one or two replies (a lone STORED, one VALUE + END): the TS scanner reads
 * those without a crossing. When more follow, one native call scans the rest of the read.
 */
function makeScan(native: Core, ts: Core): Core['scan'] {
  const headWords = TS_SCAN_RECORDS * SCAN_STRIDE;
  // Views of the caller's output array, made once per array rather than once per read.
  let views: { out: Uint32Array; head: Uint32Array; tail: Uint32Array } | undefined;
  return (buf, start, end, out) => {
    if (out.length <= headWords) return ts.scan(buf, start, end, out);
    if (views?.out !== out) views = { out, head: out.subarray(0, headWords), tail: out.subarray(headWords) };
    const head = ts.scan(buf, start, end, views.head);
    if (head < TS_SCAN_RECORDS) return head;
    const last = (head - 1) * SCAN_STRIDE;
    const resume = out[last + F_END];
    if (out[last + F_KIND] === ReplyKind.MALFORMED || resume >= end) return head;
    return head + native.scan(buf, resume, end, views.tail);
  };
}

/** Native where it is faster, TS where the crossing costs more than the work. */
export function fastestCore(native: Core, ts: Core): Core {
  return {
    kind: 'native',
    hash: ts.hash,
    hashBatch: native.hashBatch,
    createRing: (servers: readonly RingServer[], format: RingFormat) =>
      new CombinedRing(ts.createRing(servers, format), native.createRing(servers, format)),
    scan: makeScan(native, ts),
    compress: native.compress,
    compressText: native.compressText,
    decompress: native.decompress,
    decompressText: native.decompressText,
    hasZstd: native.hasZstd,
    zstdCompress: native.zstdCompress,
    zstdDecompress: native.zstdDecompress,
    compressAsync: native.compressAsync,
    decompressAsync: native.decompressAsync,
  };
}
