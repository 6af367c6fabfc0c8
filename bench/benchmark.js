// End-to-end benchmark (issue 6): starts its own memcached servers, measures every client on
// every case, each in a child process of its own, then writes bench/RESULTS.md and
// bench/results.svg and prints the report.
//
//   npm run bench                          all clients (our two need `npm run build` first)
//   npm run bench -- --only-peers          the peers and the raw floor only
//   npm run bench -- --clients=memjs,floor --cases=concurrent-get,multi-get
//   BENCH_SECONDS=2 BENCH_WARMUP=0.5       seconds measured / warmed up per case and round
//   BENCH_ROUNDS=3                         rounds per client and case (the median is reported)
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { renderChart } from './chart.js';
import { CLIENTS, oursBuilt } from './clients/index.js';
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

function settingsFromEnv() {
  const seconds = Number(process.env.BENCH_SECONDS ?? 2);
  const warmup = Number(process.env.BENCH_WARMUP ?? Math.min(0.5, seconds / 2));
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
  if (!(seconds > 0) || !(warmup >= 0)) throw new Error('BENCH_SECONDS must be > 0 and BENCH_WARMUP >= 0');
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error('BENCH_ROUNDS must be a whole number >= 1');
  return { seconds, warmup, rounds };
}

function pick(all, wanted, what) {
  if (!wanted) return all;
  const ids = wanted.split(',');
  const unknown = ids.filter((id) => !all.some((item) => item.id === id));
  if (unknown.length) throw new Error(`unknown ${what}: ${unknown.join(', ')} (known: ${all.map((i) => i.id).join(', ')})`);
  return all.filter((item) => ids.includes(item.id));
}

/** The clients to run and the notes explaining any left out. */
function chooseClients(options) {
  const chosen = pick(CLIENTS, options.clients, 'client');
  if (options['only-peers']) return { run: chosen.filter((c) => c.role !== 'ours'), notes: ['Run with --only-peers: memcache-native not measured.'] };
  if (oursBuilt() || !chosen.some((c) => c.role === 'ours')) return { run: chosen, notes: [] };
  const note = 'dist/ is missing (run `npm run build`): memcache-native not measured, peers and floor only.';
  console.error(`\n*** ${note}\n`);
  return { run: chosen.filter((c) => c.role !== 'ours'), notes: [note] };
}

function logProgress(client, msg) {
  const r = msg.result;
  const text = r ? `${Math.round(r.opsPerSec).toLocaleString('en-US')} ops/s, ${r.cpuUsPerOp.toFixed(2)} µs CPU/op` : `error: ${msg.error}`;
  console.error(`  ${client.label.padEnd(32)} ${text}`);
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
 * Every chosen client on every case, case by case and round by round, so that all clients meet a
 * case close together in time (background load then hits them alike); each (client, case, round)
 * in a fresh child process, which also gets a fresh placement on the cores.
 */
async function measureAll(run, cases, settings, servers) {
  const addresses = { 1: [servers[0].address], 3: servers.map((s) => s.address) };
  const ours = new Set([process.pid, ...servers.map((s) => s.pid)]);
  const monitor = startLoadMonitor(() => ours);
  const rounds = Object.fromEntries(run.map((c) => [c.id, {}]));
  const loads = Object.fromEntries(run.map((c) => [c.label, []]));
  for (const spec of cases) {
    for (let round = 1; round <= settings.rounds; round++) {
      console.error(`${spec.title}${settings.rounds > 1 ? ` (round ${round} of ${settings.rounds})` : ''}:`);
      for (const client of run.filter((c) => c.role !== 'floor' || spec.prepareFloor)) {
        monitor.take();
        const measuredCase = await measureClient(client, [spec.id], { ...settings, servers: addresses }, {
          log: logProgress,
          onSpawn: (pid) => ours.add(pid),
        });
        (rounds[client.id][spec.id] ??= []).push(measuredCase[spec.id]);
        loads[client.label].push(monitor.take());
      }
    }
  }
  monitor.stop();
  const outcomes = Object.fromEntries(
    Object.entries(rounds).map(([id, byCase]) => [id, Object.fromEntries(Object.entries(byCase).map(([caseId, list]) => [caseId, medianOfRounds(list)]))]),
  );
  const mean = (xs) => (xs.length && xs[0] !== null ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
  return { outcomes, loadByClient: Object.fromEntries(Object.entries(loads).map(([label, xs]) => [label, mean(xs)])) };
}

async function main() {
  const { values: options } = parseArgs({ options: { 'only-peers': { type: 'boolean' }, clients: { type: 'string' }, cases: { type: 'string' } } });
  const settings = settingsFromEnv();
  const cases = pick(CASES, options.cases, 'case');
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
  const { outcomes, loadByClient } = measuredAll;
  const shown = CLIENTS.filter((c) => run.includes(c) || (c.role === 'ours' && !options['only-peers'] && !options.clients));
  const meta = { ...describeMachine(), ...settings, notes: [...notes, ...loadNote(loadByClient)] };
  const report = renderReport({ meta, clients: shown, cases, outcomes, targets: evaluateTargets(CLIENTS, outcomes) });
  writeFileSync(RESULTS_MD, report);
  writeFileSync(RESULTS_SVG, renderChart({ clients: shown, cases, outcomes, title: `memcache-native vs peers: ops/s relative to the best peer (Node ${process.version})` }));
  console.log(`\n${report}`);
  console.error('wrote bench/RESULTS.md and bench/results.svg');
}

await main();
