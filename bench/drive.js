// One client on one case of the benchmark, alone in this process: for profiles and A/B runs.
//
//   node bench/drive.js native-meta concurrent-fetch [seconds]
//   node --cpu-prof bench/drive.js native-meta concurrent-set 4
//   BENCH_DIST=dist-b node bench/drive.js native-meta concurrent-set   (ours from another build, for A/B)
//
// Starts its own memcached (`-t 1`), prepares the case as the benchmark does, warms up 0.5 s,
// measures, and prints one JSON line: ops/s and CPU µs per op (medians of the slices).
import { CLIENTS, createAdapter } from './clients/index.js';
import { runFor } from './measure.js';
import { startServer } from './server.js';
import { CASES } from './workloads.js';

const [clientId, caseId, seconds = '2'] = process.argv.slice(2);
const client = CLIENTS.find((c) => c.id === clientId);
const spec = CASES.find((c) => c.id === caseId);
if (client === undefined || spec === undefined || spec.servers !== 1) {
  console.error('usage: node bench/drive.js <client> <case> [seconds]');
  console.error(`  clients: ${CLIENTS.map((c) => c.id).join(', ')}`);
  console.error(`  cases (one server): ${CASES.filter((c) => c.servers === 1).map((c) => c.id).join(', ')}`);
  process.exit(2);
}
if (client.env !== undefined) Object.assign(process.env, client.env);

const server = await startServer();
try {
  const adapter = await createAdapter(clientId);
  await adapter.connect([server.address]);
  const step = await (client.role === 'floor' ? spec.prepareFloor : spec.prepare).call(spec, adapter);
  await runFor(step, 0.5, 1);
  const result = await runFor(step, Number(seconds));
  console.log(JSON.stringify({ client: clientId, case: caseId, dist: process.env.BENCH_DIST ?? 'dist', opsPerSec: Math.round(result.opsPerSec), cpuUsPerOp: Number(result.cpuUsPerOp.toFixed(2)) }));
  await adapter.close();
} finally {
  await server.stop();
}
process.exit(0); // peers keep idle timers and sockets alive
