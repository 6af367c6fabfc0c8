// Where compressing off the main thread starts to pay: for each size of compressible JSON, the
// main thread's time per value compressing (and decompressing) it synchronously, against its time
// per value when the work goes to the core's async API (the call, the copy, the completion), as
// measured by the event loop's utilization. The default offloadThreshold comes from this table.
//
//   node bench/offload.js            (the core MEMCACHE_NATIVE selects: run it with 0 and 1)
import { performance } from 'node:perf_hooks';

const { core } = await import('../dist/core.js');
const coreKind = core.kind;

const SIZES = [4, 8, 16, 32, 64, 128, 256].map((kb) => kb * 1024);
const ALGORITHMS = core.hasZstd ? ['zlib', 'zstd'] : ['zlib'];
const LEVEL = { zlib: -1, zstd: 3 };

function json(size) {
  const rows = [];
  let length = 2;
  for (let i = 0; length < size; i++) {
    const row = JSON.stringify({ id: i, name: `user-${i}`, email: `user${i}@example.com`, score: (i * 7919) % 1000, tags: ['a', 'b', i % 3 ? 'c' : 'd'] });
    rows.push(row);
    length += row.length + 1;
  }
  return Buffer.from(`[${rows.join(',')}]`.slice(0, size));
}

const compressSync = (algorithm, data) => (algorithm === 'zlib' ? core.compress(data, LEVEL.zlib) : core.zstdCompress(data, LEVEL.zstd));
const decompressSync = (algorithm, data) => (algorithm === 'zlib' ? core.decompress(data, 1 << 26) : core.zstdDecompress(data, 1 << 26));

/** µs of main-thread time per run of `op` (synchronous). */
function syncCost(op, runs) {
  for (let i = 0; i < 20; i++) op();
  const start = performance.now();
  for (let i = 0; i < runs; i++) op();
  return ((performance.now() - start) * 1000) / runs;
}

/** µs of main-thread time per run of `op` (async, one at a time): event-loop active time, which counts the call and the completion. */
async function asyncCost(op, runs) {
  for (let i = 0; i < 20; i++) await op();
  const before = performance.eventLoopUtilization();
  for (let i = 0; i < runs; i++) await op();
  const used = performance.eventLoopUtilization(before);
  return (used.active * 1000) / runs;
}

const rows = [];
for (const algorithm of ALGORITHMS) {
  for (const size of SIZES) {
    const data = json(size);
    const packed = compressSync(algorithm, data);
    const runs = Math.max(50, Math.round(4e6 / size));
    rows.push({
      algorithm,
      size: `${size / 1024} KB`,
      'packed': `${(packed.length / 1024).toFixed(1)} KB`,
      'compress sync µs': syncCost(() => compressSync(algorithm, data), runs).toFixed(1),
      'compress async µs': (await asyncCost(() => core.compressAsync(algorithm, data, LEVEL[algorithm]), runs)).toFixed(1),
      'decompress sync µs': syncCost(() => decompressSync(algorithm, packed), runs).toFixed(1),
      'decompress async µs': (await asyncCost(() => core.decompressAsync(algorithm, Buffer.from(packed), 1 << 26), runs)).toFixed(1),
    });
  }
}
console.log(`main-thread time per value, ${coreKind} core, Node ${process.version}`);
console.table(rows);
