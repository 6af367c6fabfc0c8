// Measures one client in a process of its own, so no client runs in another's GC or JIT state.
// Started by benchmark.js with a JSON job as argv[2]; reports each case over IPC as it ends.
// A case that hangs makes this process exit; the parent then starts a fresh one for the rest.
import { CLIENTS, createAdapter } from './clients/index.js';
import { runFor, withDeadline } from './measure.js';
import { CASES } from './workloads.js';

const SETUP_MS = 15_000;
const CLOSE_MS = 3_000;

const job = JSON.parse(process.argv[2]);
const send = (message) => new Promise((resolve) => process.send(message, resolve));

async function measureCase(spec) {
  const adapter = await createAdapter(job.client);
  try {
    await withDeadline(adapter.connect(job.servers[spec.servers]), SETUP_MS, 'connect');
    const prepare = CLIENTS.find((c) => c.id === job.client).role === 'floor' ? spec.prepareFloor : spec.prepare;
    const step = await withDeadline(prepare.call(spec, adapter), SETUP_MS, 'populate and verify');
    const limit = (job.warmup + job.seconds) * 1000 + SETUP_MS;
    const result = await withDeadline(warmThenMeasure(step), limit, 'measurement');
    return { ...result, ...adapter.stats?.() };
  } finally {
    await withDeadline(adapter.close(), CLOSE_MS, 'close').catch(() => {});
  }
}

async function warmThenMeasure(step) {
  if (job.warmup > 0) await runFor(step, job.warmup, 1);
  return runFor(step, job.seconds);
}

function describe(err) {
  const text = err instanceof Error ? err.message : String(err);
  return Array.isArray(err) ? `errors: ${err.map(describe).join('; ')}` : text.split('\n')[0].slice(0, 160);
}

// A peer that throws from a socket callback takes the process down; say why before going.
const die = (err) => send({ type: 'fatal', error: describe(err) }).finally(() => process.exit(2));
process.on('uncaughtException', die);
process.on('unhandledRejection', die);

for (const id of job.cases) {
  const spec = CASES.find((c) => c.id === id);
  await send({ type: 'start', caseId: id });
  try {
    await send({ type: 'result', caseId: id, result: await measureCase(spec) });
  } catch (err) {
    await send({ type: 'result', caseId: id, error: describe(err) });
    if (/timed out/.test(describe(err))) process.exit(3); // its sockets may still be busy
  }
}
process.exit(0); // peers keep idle timers and sockets alive
