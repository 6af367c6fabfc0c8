// Keyv through our adapter (memcache-native/keyv) against Keyv through @keyv/memcache (memjs):
// 256 concurrent Keyv gets, and 256 concurrent Keyv sets, of 100-byte strings, on one memcached
// started here with `-t 1`. Each client and case runs in a fresh process (no shared JIT or GC
// state), in several rounds taken in turns; a row shows the median round. Target: our adapter at
// 3x @keyv/memcache's ops/s or more. Needs the built package (`npm run build`).
//
//   node bench/keyv.js [--seconds 2] [--rounds 3]
//
// The main benchmark can call runKeyvBenchmark() and renderKeyvTable().
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { makeKeys, makeValue } from './fixtures.js';
import { median, runFor, withDeadline } from './measure.js';
import { memcachedVersion, startServer } from './server.js';

const CONCURRENCY = 256;
const WARMUP_SECONDS = 0.5;
const TARGET_RATIO = 3;
const SELF = fileURLToPath(import.meta.url);

/** The clients measured: ours on each core, and the adapter it replaces. */
export const KEYV_CLIENTS = [
  { id: 'ours-native', name: 'memcache-native/keyv (native core)', env: { MEMCACHE_NATIVE: '1' } },
  { id: 'ours-ts', name: 'memcache-native/keyv (pure-TS core)', env: { MEMCACHE_NATIVE: '0' } },
  { id: 'keyv-memcache', name: '@keyv/memcache (memjs)', env: {}, baseline: true },
];
export const KEYV_CASES = [
  { id: 'get', name: `${CONCURRENCY} concurrent Keyv gets, 100 B values` },
  { id: 'set', name: `${CONCURRENCY} concurrent Keyv sets, 100 B values` },
];

/** A Keyv on `address` through the client's store, and a way to close it. */
async function openKeyv(clientId, address) {
  const { default: Keyv } = await import('keyv');
  if (clientId === 'keyv-memcache') {
    const { default: KeyvMemcache } = await import('@keyv/memcache');
    const store = new KeyvMemcache(address);
    return { keyv: new Keyv({ store, namespace: 'bench-theirs' }), close: async () => store.client.close() };
  }
  const { KeyvMemcache } = await import('../dist/keyv.js');
  const { coreKind } = await import('../dist/index.js');
  const wanted = clientId === 'ours-native' ? 'native' : 'ts';
  if (coreKind !== wanted) throw new Error(`asked for the ${wanted} core, got ${coreKind}`);
  const store = new KeyvMemcache(address);
  return { keyv: new Keyv({ store, namespace: 'bench-ours' }), close: () => store.disconnect() };
}

/** Child process: measures one client on one case, prints the result as JSON. */
async function measureInChild({ clientId, caseId, address, seconds }) {
  const { keyv, close } = await openKeyv(clientId, address);
  try {
    const keys = makeKeys(CONCURRENCY, 'bench:keyv');
    const values = keys.map((_, i) => makeValue(i, 100));
    await Promise.all(keys.map((key, i) => keyv.set(key, values[i])));
    const back = await Promise.all(keys.map((key) => keyv.get(key)));
    if (back.some((value, i) => value !== values[i])) throw new Error(`${clientId}: a value did not read back as written`);
    const step =
      caseId === 'get'
        ? async () => (await Promise.all(keys.map((key) => keyv.get(key)))).length
        : async () => (await Promise.all(keys.map((key, i) => keyv.set(key, values[i])))).length;
    await runFor(step, WARMUP_SECONDS, 1);
    return await runFor(step, seconds);
  } finally {
    await close();
  }
}

function runChild(client, caseId, address, seconds) {
  return new Promise((resolve, reject) => {
    const job = JSON.stringify({ clientId: client.id, caseId, address, seconds });
    const child = fork(SELF, ['--child', job], { env: { ...process.env, ...client.env }, stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`${client.name}, ${caseId}: exited with ${code}`))));
  });
}

/**
 * Measures every client on every case, rounds taken in turns, each in a fresh process; resolves
 * with `{ server, rows }`, a row per client and case: median ops/s and µs of CPU per op, and the
 * ratios to @keyv/memcache.
 */
export async function runKeyvBenchmark({ seconds = 2, rounds = 3, log = () => {} } = {}) {
  const server = await startServer();
  try {
    const samples = new Map();
    for (let round = 1; round <= rounds; round++) {
      for (const spec of KEYV_CASES) {
        for (const client of KEYV_CLIENTS) {
          const result = await withDeadline(runChild(client, spec.id, server.address, seconds), (seconds + 30) * 1000, `${client.name} ${spec.id}`);
          const key = `${client.id}/${spec.id}`;
          samples.set(key, [...(samples.get(key) ?? []), result]);
          log(`round ${round}/${rounds}: ${client.name}, ${spec.id}: ${Math.round(result.opsPerSec).toLocaleString('en-US')} ops/s, ${result.cpuUsPerOp.toFixed(2)} µs CPU/op`);
        }
      }
    }
    const baseline = KEYV_CLIENTS.find((c) => c.baseline);
    const summary = (clientId, caseId) => {
      const results = samples.get(`${clientId}/${caseId}`);
      return { opsPerSec: median(results.map((r) => r.opsPerSec)), cpuUsPerOp: median(results.map((r) => r.cpuUsPerOp)) };
    };
    const rows = KEYV_CASES.flatMap((spec) =>
      KEYV_CLIENTS.map((client) => {
        const mine = summary(client.id, spec.id);
        const theirs = summary(baseline.id, spec.id);
        return { case: spec.id, client: client.name, ...mine, opsRatio: mine.opsPerSec / theirs.opsPerSec, cpuRatio: mine.cpuUsPerOp / theirs.cpuUsPerOp };
      }),
    );
    return { server: memcachedVersion(), seconds, rounds, rows };
  } finally {
    await server.stop();
  }
}

/** The results as a markdown section: a table per case, and whether our adapter met the target. */
export function renderKeyvTable({ server, seconds, rounds, rows }) {
  const lines = [`Keyv adapters: ${server}, \`-t 1\`, loopback; ${seconds} s per case after a ${WARMUP_SECONDS} s warm-up, median of ${rounds} rounds, each in a fresh process.`, ''];
  for (const spec of KEYV_CASES) {
    lines.push(`**${spec.name}**`, '', '| client | ops/s | CPU µs/op | ops/s vs @keyv/memcache | CPU vs @keyv/memcache |', '|---|---:|---:|---:|---:|');
    for (const row of rows.filter((r) => r.case === spec.id)) {
      lines.push(`| ${row.client} | ${Math.round(row.opsPerSec).toLocaleString('en-US')} | ${row.cpuUsPerOp.toFixed(2)} | ${row.opsRatio.toFixed(2)}x | ${row.cpuRatio.toFixed(2)}x |`);
    }
    lines.push('');
  }
  const ours = rows.filter((r) => r.client.startsWith('memcache-native'));
  const worst = Math.min(...ours.map((r) => r.opsRatio));
  lines.push(`Target: ${TARGET_RATIO}x @keyv/memcache's ops/s: ${worst >= TARGET_RATIO ? 'met' : 'missed'} (lowest ratio ${worst.toFixed(2)}x).`);
  return lines.join('\n');
}

if (process.argv[2] === '--child') {
  measureInChild(JSON.parse(process.argv[3]))
    .then((result) => {
      process.stdout.write(JSON.stringify(result));
      process.exit(0); // memjs keeps timers that hold the loop open
    })
    .catch((error) => {
      console.error(error);
      process.exit(1);
    });
} else if (process.argv[1] === SELF) {
  const arg = (name, fallback) => {
    const at = process.argv.indexOf(`--${name}`);
    return at < 0 ? fallback : Number(process.argv[at + 1]);
  };
  runKeyvBenchmark({ seconds: arg('seconds', 2), rounds: arg('rounds', 3), log: (line) => console.error(line) })
    .then((results) => console.log(renderKeyvTable(results)))
    .catch((error) => {
      console.error(error);
      process.exitCode = 1;
    });
}
