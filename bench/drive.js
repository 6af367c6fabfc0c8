// One client on one case of the benchmark, alone in this process: for profiles and A/B runs.
//
//   node bench/drive.js native-meta concurrent-fetch [seconds]
//   node --cpu-prof bench/drive.js native-meta concurrent-set 4
//   BENCH_DIST=dist-b node bench/drive.js native-meta concurrent-set   (ours from another build, for A/B)
//   node bench/drive.js native-meta concurrent-get 2 --mixed   (ours, after every command ran once)
//
// --mixed first runs every kind of command through another client in this process, as a
// long-lived application does, so code shared by all commands has seen them all (a benchmark
// process that only ever runs one case hides what that costs: bench/PROFILE.md, "Class fields").
// Starts its own memcached (`-t 1`), prepares the case as the benchmark does, warms up 0.5 s,
// measures, and prints one JSON line: ops/s and CPU µs per op (medians of the slices).
import { CLIENTS, createAdapter } from './clients/index.js';
import { ourBuild } from './clients/memcache-native.js';
import { runFor } from './measure.js';
import { startServer } from './server.js';
import { CASES } from './workloads.js';

const args = process.argv.slice(2);
const mixed = args.includes('--mixed');
const [clientId, caseId, seconds = '2'] = args.filter((arg) => arg !== '--mixed');
const client = CLIENTS.find((c) => c.id === clientId);
const spec = CASES.find((c) => c.id === caseId);
if (client === undefined || spec === undefined || spec.servers !== 1) {
  console.error('usage: node bench/drive.js <client> <case> [seconds] [--mixed]');
  console.error(`  clients: ${CLIENTS.map((c) => c.id).join(', ')}`);
  console.error(`  cases (one server): ${CASES.filter((c) => c.servers === 1).map((c) => c.id).join(', ')}`);
  process.exit(2);
}
if (client.env !== undefined) Object.assign(process.env, client.env);

const server = await startServer();
try {
  const adapter = await createAdapter(clientId);
  await adapter.connect([server.address]);
  if (mixed && client.role === 'ours') await runEveryCommand(server.address);
  const step = await (client.role === 'floor' ? spec.prepareFloor : spec.prepare).call(spec, adapter);
  await runFor(step, 0.5, 1);
  const result = await runFor(step, Number(seconds));
  console.log(JSON.stringify({ client: clientId, case: caseId, dist: process.env.BENCH_DIST ?? 'dist', mixed, opsPerSec: Math.round(result.opsPerSec), cpuUsPerOp: Number(result.cpuUsPerOp.toFixed(2)) }));
  await adapter.close();
} finally {
  await server.stop();
}
process.exit(0); // peers keep idle timers and sockets alive

/** Every kind of command, a few hundred times each, through a client of our build of its own. */
async function runEveryCommand(address) {
  const { Client } = await import(ourBuild('index.js'));
  const mc = new Client([address], { protocol: client.protocol });
  const keys = Array.from({ length: 64 }, (_, i) => `mixed:${i}`);
  for (let round = 0; round < 5; round++) {
    await Promise.all(keys.map((key) => mc.set(key, 'v')));
    await Promise.all(keys.flatMap((key) => [mc.add(`${key}:a${round}`, 'v'), mc.replace(key, 'w'), mc.append(key, 'x'), mc.prepend(key, 'y')]));
    await Promise.all(keys.flatMap((key) => [mc.get(key), mc.gets(key), mc.getItem(key), mc.touch(key, 60), mc.gat(key, 60)]));
    await Promise.all(keys.map((key) => mc.fetch(key, () => 'loaded', { ttl: 60 })));
    await mc.getMulti(keys);
    await mc.setMulti(keys.map((key) => [key, 'z']));
    await Promise.all(keys.flatMap((key) => [mc.incr(`${key}:n`, 1, { initial: 0 }), mc.decr(`${key}:n`, 1)]));
    await Promise.all(keys.map((key) => mc.delete(`${key}:a${round}`)));
    await mc.deleteMulti(keys.map((key) => `${key}:gone`));
    await mc.version();
  }
  await mc.close();
}
