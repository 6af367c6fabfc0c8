// End-to-end benchmark (issue 6): starts its own memcached servers, measures every client on
// every case, each in a child process of its own, then writes bench/RESULTS.md and
// bench/results.svg and prints the report.
//
//   npm run bench                          all clients (ours, on both cores and both protocols,
//                                          need `npm run build` first)
//   npm run bench -- --only-peers          the peers and the raw floors only
//   npm run bench -- --clients=native-meta,native-text,floor-meta --cases=concurrent-set
//   npm run bench -- --keyv-only           the Keyv adapter rows only (issue 14, bench/keyv.js);
//                                          same as --cases=keyv, which also combines with other cases
//   npm run bench -- --no-keyv             everything but the Keyv rows
//   BENCH_SECONDS=2 BENCH_WARMUP=0.5       seconds measured / warmed up per case and round
//   BENCH_ROUNDS=3                         rounds per client and case (the median is reported)
//
// A round during which other processes took over a tenth of the machine's CPU time is taken again
// (twice at most; the least disturbed take counts), and the report says how many were.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { renderChart } from './chart.js';
import { CLIENTS, oursBuilt } from './clients/index.js';
import { runsCase } from './compare.js';
import { keyvSectionOf, renderKeyvSection, runKeyvBenchmark, spliceKeyvSection, writeKeyvSection } from './keyv.js';
import { keepLatencySection } from './latency-report.js';
import { startLoadMonitor } from './load-monitor.js';
import { describeMachine } from './machine.js';
import { renderReport } from './report.js';
import { medianOfRounds } from './measure.js';
import { measureClient } from './runner.js';
import { startServers } from './server.js';
import { evaluateTargets } from './targets.js';
import { CASES } from './workloads.js';

const RESULTS_MD = new URL('./RESULTS.md', import.meta.url);
const RESULTS_SVG = new URL('./results.svg', import.meta.url);
const NOISY_SHARE = 0.1; // of all cores' time: a fifth of a core on this 2-core machine
const RETAKES = 2; // a measurement other processes disturbed is taken again, at most this many times

function settingsFromEnv() {
  const seconds = Number(process.env.BENCH_SECONDS ?? 2);
  const warmup = Number(process.env.BENCH_WARMUP ?? Math.min(0.5, seconds / 2));
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
  if (!(seconds > 0) || !(warmup >= 0)) throw new Error('BENCH_SECONDS must be > 0 and BENCH_WARMUP >= 0');
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error('BENCH_ROUNDS must be a whole number >= 1');
  return { seconds, warmup, rounds };
}

function pick(all, wanted, what, extra = []) {
  if (!wanted) return all;
  const ids = wanted.split(',');
  const unknown = ids.filter((id) => !all.some((item) => item.id === id) && !extra.includes(id));
  if (unknown.length) throw new Error(`unknown ${what}: ${unknown.join(', ')} (known: ${[...all.map((i) => i.id), ...extra].join(', ')})`);
  return all.filter((item) => ids.includes(item.id));
}

/** The pseudo-case of --cases naming the Keyv adapter rows (bench/keyv.js, their own section of RESULTS.md). */
const KEYV_CASE = 'keyv';

/**
 * Whether the Keyv rows run: named in --cases (or --keyv-only), or in a full run (no --cases,
 * --clients or --only-peers: they measure our adapter against @keyv/memcache), unless --no-keyv.
 */
function runsKeyv(options) {
  if (options['no-keyv']) return false;
  if (options['keyv-only']) return true;
  if (options.cases) return options.cases.split(',').includes(KEYV_CASE);
  return !options.clients && !options['only-peers'];
}

/** The Keyv rows (bench/keyv.js) as RESULTS.md's keyv section; null when the package is not built. */
async function measureKeyv(settings) {
  if (!oursBuilt()) {
    console.error('\n*** dist/ is missing (run `npm run build`): Keyv rows not measured.\n');
    return null;
  }
  console.error('Keyv adapters (issue 14):');
  const results = await runKeyvBenchmark({ ...settings, log: (line) => console.error(`  ${line}`) });
  return renderKeyvSection(results);
}

/** The clients to run and the notes explaining any left out. */
function chooseClients(options) {
  const chosen = pick(CLIENTS, options.clients, 'client');
  if (options['only-peers']) return { run: chosen.filter((c) => c.role !== 'ours'), notes: ['Run with --only-peers: memcache-native not measured.'] };
  if (oursBuilt() || !chosen.some((c) => c.role === 'ours')) return { run: chosen, notes: [] };
  const note = 'dist/ is missing (run `npm run build`): memcache-native not measured, peers and floors only.';
  console.error(`\n*** ${note}\n`);
  return { run: chosen.filter((c) => c.role !== 'ours'), notes: [note] };
}

function logProgress(client, msg) {
  const r = msg.result;
  const text = r ? `${Math.round(r.opsPerSec).toLocaleString('en-US')} ops/s, ${r.cpuUsPerOp.toFixed(2)} µs CPU/op` : `error: ${msg.error}`;
  console.error(`  ${client.label.padEnd(36)} ${text}`);
}

/** A note on other processes' CPU use per client, loud when it may have moved the numbers. */
function loadNote(loadByClient) {
  const entries = Object.entries(loadByClient).filter(([, share]) => share !== null);
  if (entries.length === 0) return [];
  const list = entries.map(([label, share]) => `${label} ${Math.round(share * 100)}%`).join(', ');
  const busy = entries.filter(([, share]) => share > NOISY_SHARE).map(([label]) => label);
  if (busy.length === 0) return [`Other processes' share of the machine's CPU time while measuring: ${list} (quiet).`];
  const warning = `WARNING: other processes were busy while measuring ${busy.join(', ')} (${list} of the machine's CPU time); those rows are noisy, rerun on a quiet machine.`;
  console.error(`\n*** ${warning}\n`);
  return [warning];
}

/**
 * One (client, case, round) in a fresh child process, taken again (up to RETAKES times) while other
 * processes were busy during it; `{ outcome, load }` of the least disturbed take.
 */
async function measureRound(client, spec, settings, { monitor, onSpawn, counts }) {
  let kept = null;
  for (let take = 0; take <= RETAKES; take++) {
    monitor.take();
    const outcome = (await measureClient(client, [spec.id], settings, { log: logProgress, onSpawn }))[spec.id];
    const load = monitor.take();
    if (kept === null || load < kept.load) kept = { outcome, load };
    if (load === null || load <= NOISY_SHARE || take === RETAKES) break;
    counts.retakes++;
    console.error(`  ${client.label}: other processes took ${Math.round(load * 100)}% of the machine's CPU time, measuring again`);
  }
  return kept;
}

/**
 * Every chosen client on every case, case by case and round by round, so that all clients meet a
 * case close together in time (background load then hits them alike); each (client, case, round)
 * in a fresh child process, which also gets a fresh placement on the cores.
 */
async function measureAll(run, cases, settings, servers) {
  const addresses = { 1: [servers[0].address], 3: servers.map((s) => s.address) };
  const ours = new Set([process.pid, ...servers.map((s) => s.pid)]);
  const context = { monitor: startLoadMonitor(() => ours), onSpawn: (pid) => ours.add(pid), counts: { retakes: 0 } };
  const rounds = Object.fromEntries(run.map((c) => [c.id, {}]));
  const loads = Object.fromEntries(run.map((c) => [c.label, []]));
  for (const spec of cases) {
    for (let round = 1; round <= settings.rounds; round++) {
      console.error(`${spec.title}${settings.rounds > 1 ? ` (round ${round} of ${settings.rounds})` : ''}:`);
      for (const client of run.filter((c) => runsCase(c, spec))) {
        const { outcome, load } = await measureRound(client, spec, { ...settings, servers: addresses }, context);
        (rounds[client.id][spec.id] ??= []).push(outcome);
        loads[client.label].push(load);
      }
    }
  }
  context.monitor.stop();
  const outcomes = Object.fromEntries(
    Object.entries(rounds).map(([id, byCase]) => [id, Object.fromEntries(Object.entries(byCase).map(([caseId, list]) => [caseId, medianOfRounds(list)]))]),
  );
  const mean = (xs) => (xs.length && xs[0] !== null ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
  const loadByClient = Object.fromEntries(Object.entries(loads).map(([label, xs]) => [label, mean(xs)]));
  return { outcomes, loadByClient, retakes: context.counts.retakes };
}

async function main() {
  const { values: options } = parseArgs({
    options: {
      'only-peers': { type: 'boolean' }, clients: { type: 'string' }, cases: { type: 'string' },
      'keyv-only': { type: 'boolean' }, 'no-keyv': { type: 'boolean' },
    },
  });
  const settings = settingsFromEnv();
  const keyv = runsKeyv(options);
  const cases = options['keyv-only'] ? [] : pick(CASES, options.cases, 'case', [KEYV_CASE]);
  if (cases.length === 0) {
    // The Keyv rows alone: only their section of RESULTS.md changes.
    const section = keyv ? await measureKeyv(settings) : null;
    if (section === null) return;
    writeKeyvSection(section);
    console.log(`\n${section}`);
    console.error('wrote the keyv section of bench/RESULTS.md');
    return;
  }
  const { run, notes } = chooseClients(options);
  const servers = await startServers(3);
  const stopAll = () => Promise.all(servers.map((s) => s.stop()));
  process.once('SIGINT', () => stopAll().then(() => process.exit(130)));
  let measuredAll;
  try {
    measuredAll = await measureAll(run, cases, settings, servers);
  } finally {
    await stopAll();
  }
  const keyvSection = keyv ? await measureKeyv(settings) : null;
  const { outcomes, loadByClient, retakes } = measuredAll;
  const shown = CLIENTS.filter((c) => run.includes(c) || (c.role === 'ours' && !options['only-peers'] && !options.clients));
  const retaken = retakes > 0 ? [`${retakes} measurement${retakes === 1 ? ' was' : 's were'} taken again because other processes took over ${NOISY_SHARE * 100}% of the machine's CPU time during ${retakes === 1 ? 'it' : 'them'} (the least disturbed take is kept).`] : [];
  const meta = { ...describeMachine(), ...settings, notes: [...notes, ...retaken, ...loadNote(loadByClient)] };
  const report = renderReport({ meta, clients: shown, cases, outcomes, targets: evaluateTargets(CLIENTS, outcomes) });
  // The Keyv section (bench/keyv.js: this run's, else the one the file had) and the latency
  // section (bench/latency.js) follow the report.
  const previous = existsSync(RESULTS_MD) ? readFileSync(RESULTS_MD, 'utf8') : '';
  const kept = keyvSection ?? keyvSectionOf(previous);
  writeFileSync(RESULTS_MD, keepLatencySection(kept === null ? report : spliceKeyvSection(report, kept), previous));
  writeFileSync(RESULTS_SVG, renderChart({ clients: shown, cases, outcomes, title: `memcache-native vs peers: ops/s relative to the best peer (Node ${process.version})` }));
  console.log(`\n${report}${keyvSection === null ? '' : `\n${keyvSection}\n`}`);
  console.error('wrote bench/RESULTS.md and bench/results.svg');
}

await main();
