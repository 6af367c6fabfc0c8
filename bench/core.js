// Micro-benchmark of the core: native (Rust via N-API) against the pure-TS twin, operation by
// operation, on the same inputs. Run after `npm run build`: `npm run bench:core`.
import Benchmark from 'benchmark';
import { core as active, loadNativeCore, tsCore } from '../dist/core.js';
import { makeJson, makeKeyBatch, makeMultiGetReply } from './fixtures.js';

const native = loadNativeCore();
// `active` is what the client uses: per operation, whichever of the two is faster.
const cores = { native, ts: tsCore, active };
const RING_SERVERS = Array.from({ length: 8 }, (_, i) => ({ host: `10.0.1.${i + 1}`, port: 11211, weight: 100 }));

function cases() {
  const { keys, offsets, count } = makeKeyBatch(100);
  const hashOut = new Uint32Array(count);
  const ringOut = new Int32Array(count);
  const reply = makeMultiGetReply(100, 100);
  const scanOut = new Uint32Array(10 * 128);
  const oneKey = keys.subarray(0, offsets[1]);
  const stored = Buffer.from('STORED\r\n');
  const oneValue = makeMultiGetReply(1, 100);
  const list = [
    ['hash 1 key, md5', (c) => () => c.hash('md5', oneKey)],
    ['hash 100 keys, md5', (c) => () => c.hashBatch('md5', keys, offsets, hashOut)],
    ['hash 100 keys, one_at_a_time', (c) => () => c.hashBatch('one_at_a_time', keys, offsets, hashOut)],
    ['ring lookup 100 keys (8 servers)', (c) => {
      const ring = c.createRing(RING_SERVERS, 'libmemcached');
      return () => ring.lookupBatch(keys, offsets, ringOut);
    }],
    ['ring lookup 1 key (8 servers)', (c) => {
      const ring = c.createRing(RING_SERVERS, 'libmemcached');
      return () => ring.lookup(oneKey);
    }],
    ['scan STORED', (c) => () => c.scan(stored, 0, stored.length, scanOut)],
    ['scan 1-item get reply (100 B value)', (c) => () => c.scan(oneValue, 0, oneValue.length, scanOut)],
    ['scan 100-item multi-get reply (100 B values)', (c) => () => c.scan(reply, 0, reply.length, scanOut)],
  ];
  for (const size of [1024, 16 * 1024, 256 * 1024]) {
    const json = makeJson(size);
    const packed = tsCore.compress(json, 6);
    const label = size >= 1024 * 1024 ? `${size >> 20} MB` : `${size >> 10} KB`;
    list.push([`compress ${label} JSON`, (c) => () => c.compress(json, 6)]);
    list.push([`decompress ${label} JSON`, (c) => () => c.decompress(packed, 64 << 20)]);
    list.push([`decompress ${label} JSON to text`, (c) => () => c.decompressText(packed, 64 << 20)]);
  }
  return list;
}

function measure(fn) {
  return new Promise((resolve) => {
    new Benchmark({ fn, minSamples: 20, maxTime: Number(process.env.BENCH_MAX_TIME ?? 1.5) })
      .on('complete', function () { resolve(this.hz); })
      .run();
  });
}

const fmt = (hz) => Math.round(hz).toLocaleString('en-US');
const rows = [];
for (const [name, make] of cases()) {
  const hz = {};
  for (const [kind, c] of Object.entries(cores)) hz[kind] = await measure(make(c));
  rows.push(`| ${name} | ${fmt(hz.native)} | ${fmt(hz.ts)} | ${(hz.native / hz.ts).toFixed(2)}x | ${fmt(hz.active)} |`);
  console.error(rows.at(-1));
}
const table = ['| operation | native ops/s | pure-TS ops/s | native / TS | active core ops/s |', '|---|---:|---:|---:|---:|', ...rows].join('\n');
console.log(`\nCore micro-benchmark, Node ${process.version}\n\n${table}`);
