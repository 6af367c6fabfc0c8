// Latency benchmark: open-loop request rates, a mix of small gets and large sets, every client
// measured at the same rates, on loopback and again over a 1 Gbit/s link; then the large-value
// set+get cases on both. Writes its section of bench/RESULTS.md (between the latency markers,
// leaving the rest of the file alone) and bench/latency.svg, and prints the report and the targets.
//
//   npm run bench:latency                  everything, ~6 minutes (needs `npm run build` first)
//   npm run bench:latency -- --skip-link   loopback only (no network namespace made)
//   npm run bench:latency -- --clients=native-off,native-sync,memjs
//   LATENCY_RATES=2000,10000,20000,30000   request rates of the mix, per second
//   LATENCY_SECONDS=3 LATENCY_WARMUP=1     seconds counted / warmed up per client and rate
//   LATENCY_PAIR_SECONDS=2                 seconds measured per client and large-value case, after
//                                          a warm-up of LATENCY_WARMUP (at most half of these)
// Client ids: native-off, native-sync, native-offload and ts-offload (ts-sync instead of the last
// two while the build has no `offloadThreshold`), memjs, memcached, memcache-client.
//
// Each client, rate and case runs in a fresh child process (bench/latency-child.js), clients
// taking turns at each rate, so background load meets them alike. The link is a veth pair into a
// network namespace with memcached inside, shaped by tc tbf (bench/link.js); it needs root and is
// skipped, with a note in the report, where a namespace cannot be made.
import { fork } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { oursBuilt } from './clients/index.js';
import { createLink } from './link.js';
import { startLoadMonitor } from './load-monitor.js';
import { describeMachine } from './machine.js';
import { evaluateLatencyTargets, renderLatencyChart, renderLatencySection, spliceLatencySection, targetLines } from './latency-report.js';
import { startServer } from './server.js';

const CHILD = fileURLToPath(new URL('./latency-child.js', import.meta.url));
const RESULTS_MD = new URL('./RESULTS.md', import.meta.url);
const LATENCY_SVG = new URL('./latency.svg', import.meta.url);
const MIX = { setShare: 0.05, smallSize: 100, largeSize: 64 * 1024 };
const PAIR_CASES = [{ id: 'json-16k', label: '16 KB' }, { id: 'json-256k', label: '256 KB' }];
const OUT_OF_REACH = 2 ** 31 - 1;
const GRACE_MS = 40_000; // setup, drain and close deadlines inside the child, plus slack

function settingsFromEnv() {
  const rates = (process.env.LATENCY_RATES ?? '2000,10000,20000,30000').split(',').map(Number);
  const seconds = Number(process.env.LATENCY_SECONDS ?? 3);
  const warmup = Number(process.env.LATENCY_WARMUP ?? 1);
  const pairSeconds = Number(process.env.LATENCY_PAIR_SECONDS ?? 2);
  if (rates.some((r) => !(r > 0))) throw new Error('LATENCY_RATES must be request rates > 0, comma-separated');
  if (!(seconds > 0) || !(warmup >= 0) || !(pairSeconds > 0)) throw new Error('LATENCY_SECONDS and LATENCY_PAIR_SECONDS must be > 0, LATENCY_WARMUP >= 0');
  return { rates, seconds, warmup, pairSeconds, pairWarmup: Math.min(warmup, pairSeconds / 2) };
}

/** The built package's default offload threshold, or null when it has no `offloadThreshold` yet. */
async function offloadDefault() {
  const { DEFAULT_OPTIONS } = await import('../dist/index.js');
  return 'offloadThreshold' in DEFAULT_OPTIONS ? DEFAULT_OPTIONS.offloadThreshold : null;
}

/**
 * The rows: ours in four variants (named for what ran: without `offloadThreshold` in the build,
 * compression can only be synchronous, and the off-thread rows become synchronous ones), then
 * the peers in their default configuration (uncompressed). `main` marks the row the targets hold
 * against the peers: our native core as a user gets it by default with compression on.
 */
function variants(offload) {
  const NATIVE = { MEMCACHE_NATIVE: '1' };
  const PURE_TS = { MEMCACHE_NATIVE: '0' };
  const on = { compressionThreshold: 1024 };
  const ours = [{ id: 'native-off', label: 'ours, native core, compression off', core: 'native', env: NATIVE, options: { compressionThreshold: 0 } }];
  if (offload === null) {
    const note = '(no offloadThreshold in this build)';
    ours.push({ id: 'native-sync', label: `ours, native core, compressed on the main thread ${note}`, core: 'native', env: NATIVE, options: on, main: true });
    ours.push({ id: 'ts-sync', label: `ours, pure-TS core, compressed on the main thread ${note}`, core: 'ts', env: PURE_TS, options: on });
  } else {
    ours.push({ id: 'native-sync', label: 'ours, native core, compressed on the main thread (offloadThreshold out of reach)', core: 'native', env: NATIVE, options: { ...on, offloadThreshold: OUT_OF_REACH } });
    ours.push({ id: 'native-offload', label: `ours, native core, compressed off the main thread (offloadThreshold ${offload})`, core: 'native', env: NATIVE, options: on, main: true });
    ours.push({ id: 'ts-offload', label: `ours, pure-TS core, compressed off the main thread (offloadThreshold ${offload})`, core: 'ts', env: PURE_TS, options: on });
  }
  const peers = ['memjs', 'memcached', 'memcache-client'].map((id) => ({ id, label: `${id} (uncompressed)`, role: 'peer' }));
  return [...ours.map((c) => ({ ...c, role: 'ours' })), ...peers];
}

/** One point in a fresh child; `{ result }` or `{ error }`. A child quiet past its deadline is killed. */
function runPoint(job, client, onSpawn) {
  return new Promise((resolve) => {
    const { env, label, main, ...forChild } = client;
    const child = fork(CHILD, [JSON.stringify({ ...job, client: forChild })], { env: { ...process.env, ...env }, stdio: ['ignore', 2, 2, 'ipc'] });
    onSpawn(child.pid);
    const limitMs = (job.warmup + job.seconds) * 1000 + GRACE_MS;
    const watchdog = setTimeout(() => child.kill('SIGKILL'), limitMs);
    let outcome = null;
    child.on('message', (msg) => { if (msg.type === 'result') outcome = msg.error ? { error: msg.error } : { result: msg.result }; });
    child.on('exit', (code, signal) => {
      clearTimeout(watchdog);
      resolve(outcome ?? { error: signal ? `child killed (${signal}) after ${limitMs / 1000} s` : `child exited with code ${code}` });
    });
  });
}

const ms = (v) => (v == null ? '–' : v.toFixed(2));

function logMix(client, outcome) {
  const r = outcome.result;
  const text = r
    ? `${Math.round(r.achieved)}/s done, get p50 ${ms(r.get.p50)} p99 ${ms(r.get.p99)} p99.9 ${ms(r.get.p999)} ms, loop delay p99 ${ms(r.loopDelayMs.p99)} ms${r.errors ? `, ${r.errors} errors` : ''}`
    : `error: ${outcome.error}`;
  console.error(`  ${client.label.padEnd(60)} ${text}`);
}

function logPairs(client, outcome) {
  const r = outcome.result;
  const text = r ? `${Math.round(r.opsPerSec).toLocaleString('en-US')} pairs/s, ${r.storedBytes.toLocaleString('en-US')} bytes stored` : `error: ${outcome.error}`;
  console.error(`  ${client.label.padEnd(60)} ${text}`);
}

/** Every client at every rate, then on every large-value case, against the server at `address`. */
async function measureNetwork(name, address, clients, settings, context) {
  const measure = async (job, client, log) => {
    context.monitor.take();
    const outcome = await runPoint({ ...job, server: address }, client, context.onSpawn);
    outcome.load = context.monitor.take();
    log(client, outcome);
    return outcome;
  };
  const mix = {};
  for (const rate of settings.rates) {
    console.error(`${name}: latency mix at ${rate.toLocaleString('en-US')} requests/s`);
    mix[rate] = {};
    const job = { kind: 'mix', rate, seed: rate, mix: MIX, seconds: settings.seconds, warmup: settings.warmup };
    for (const client of clients) mix[rate][client.id] = await measure(job, client, logMix);
  }
  const pairs = {};
  for (const spec of PAIR_CASES) {
    console.error(`${name}: ${spec.label} JSON set+get`);
    pairs[spec.id] = {};
    const job = { kind: 'pairs', caseId: spec.id, seconds: settings.pairSeconds, warmup: settings.pairWarmup };
    for (const client of clients) pairs[spec.id][client.id] = await measure(job, client, logPairs);
  }
  return { mix, pairs };
}

async function onLoopback(clients, settings, context) {
  const server = await startServer();
  context.onSpawn(server.pid);
  try {
    return { address: server.address, ...await measureNetwork('loopback', server.address, clients, settings, context) };
  } finally {
    await server.stop();
  }
}

async function onLink(clients, settings, context) {
  const link = await createLink();
  if (link.skipped) {
    console.error(`\n*** Skipping the 1 Gbit/s link: ${link.skipped}\n`);
    return { skipped: link.skipped };
  }
  console.error(`link: ${link.describe}`);
  try {
    return { address: link.address, describe: link.describe, ...await measureNetwork('1 Gbit/s link', link.address, clients, settings, context) };
  } finally {
    await link.stop();
  }
}

function pickClients(all, wanted) {
  if (!wanted) return all;
  const ids = wanted.split(',');
  const unknown = ids.filter((id) => !all.some((c) => c.id === id));
  if (unknown.length) throw new Error(`unknown client: ${unknown.join(', ')} (known here: ${all.map((c) => c.id).join(', ')})`);
  return all.filter((c) => ids.includes(c.id));
}

async function main() {
  const { values: args } = parseArgs({ options: { 'skip-link': { type: 'boolean' }, clients: { type: 'string' } } });
  const settings = settingsFromEnv();
  if (!oursBuilt()) throw new Error('dist/ is missing: run `npm run build` first');
  const offload = await offloadDefault();
  const clients = pickClients(variants(offload), args.clients);
  const started = Date.now();
  const ours = new Set([process.pid]);
  const context = { monitor: startLoadMonitor(() => ours), onSpawn: (pid) => ours.add(pid) };
  const networks = { loopback: await onLoopback(clients, settings, context) };
  networks.link = args['skip-link'] ? { skipped: 'run with --skip-link' } : await onLink(clients, settings, context);
  context.monitor.stop();

  const meta = { ...describeMachine(), ...settings, mix: MIX, offload, minutes: (Date.now() - started) / 60000 };
  const targets = evaluateLatencyTargets({ clients, networks, rates: settings.rates, offload });
  const section = renderLatencySection({ meta, clients, networks, targets });
  const old = existsSync(RESULTS_MD) ? readFileSync(RESULTS_MD, 'utf8') : '';
  writeFileSync(RESULTS_MD, spliceLatencySection(old, section));
  writeFileSync(LATENCY_SVG, renderLatencyChart({ clients, networks, rates: settings.rates, mix: MIX }));
  console.log(`\n${section}\n`);
  console.log(targetLines(targets).join('\n'));
  console.error('\nwrote the latency section of bench/RESULTS.md and bench/latency.svg');
}

await main();
