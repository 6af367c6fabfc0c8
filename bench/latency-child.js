// One point of the latency benchmark in a process of its own (started by latency.js with a JSON job
// as argv[2]; the result goes back over IPC), so no client runs in another's GC or JIT state:
//   mix    the open-loop mix at one rate: gets of small values, some sets of large JSON (shares and
//          sizes from the job: latency.js sets 95% gets of 100 B, 5% sets of 64 KB)
//   pairs  closed-loop set+get of one large JSON value (the main benchmark's cases 5a/5b), then
//          the value's length as memcached stored it (`mg <key> s`)
import net from 'node:net';
import { createAdapter as createPeer } from './clients/index.js';
import { createAdapter as createOurs } from './clients/memcache-native.js';
import { makeJson, makeKeys, makeValue } from './fixtures.js';
import { runFor, withDeadline } from './measure.js';
import { KIND, makeSchedule, runOpenLoop } from './open-loop.js';
import { CASES } from './workloads.js';

const SETUP_MS = 15_000;
const CLOSE_MS = 3_000;
const DRAIN_MS = 5_000;

const job = JSON.parse(process.argv[2]);
const MIX = job.mix; // { setShare, smallSize, largeSize }
const SMALL_KEYS = makeKeys(1024, 'latency:small');
const SMALL_VALUES = SMALL_KEYS.map((_, i) => makeValue(i, MIX?.smallSize));
const LARGE_KEYS = makeKeys(16, 'latency:large');
const send = (message) => new Promise((resolve) => process.send(message, resolve));

async function makeAdapter(client) {
  if (client.role !== 'ours') return createPeer(client.id);
  if (client.options.offloadThreshold !== undefined) {
    const { DEFAULT_OPTIONS } = await import('../dist/index.js');
    if (!('offloadThreshold' in DEFAULT_OPTIONS)) throw new Error('this build has no offloadThreshold option');
  }
  return createOurs(client.core, 'meta', client.options);
}

function expectEqual(actual, expected, what) {
  if (actual !== expected) throw new Error(`${what}: read back ${String(actual).slice(0, 40)}…, expected ${expected.slice(0, 40)}…`);
}

async function prepareMix(adapter) {
  const large = makeJson(MIX.largeSize).toString();
  for (let i = 0; i < SMALL_KEYS.length; i += 64) {
    await Promise.all(SMALL_KEYS.slice(i, i + 64).map((key, j) => adapter.set(key, SMALL_VALUES[i + j])));
  }
  await Promise.all(LARGE_KEYS.map((key) => adapter.set(key, large)));
  expectEqual(adapter.value(await adapter.get(SMALL_KEYS[513])), SMALL_VALUES[513], `get ${SMALL_KEYS[513]}`);
  expectEqual(adapter.value(await adapter.get(LARGE_KEYS[3])), large, `get ${LARGE_KEYS[3]}`);
  const mask = SMALL_KEYS.length - 1;
  return (kind, i) => (kind === KIND.GET ? adapter.get(SMALL_KEYS[i & mask]) : adapter.set(LARGE_KEYS[i & 15], large));
}

async function runMix(adapter) {
  const issue = await withDeadline(prepareMix(adapter), SETUP_MS, 'populate and verify');
  const schedule = makeSchedule({ rate: job.rate, seconds: job.warmup + job.seconds, setShare: MIX.setShare, seed: job.seed });
  return runOpenLoop({ schedule, issue, warmupMs: job.warmup * 1000, drainMs: DRAIN_MS });
}

/** The length of `key`'s value as memcached holds it, from a meta get asking only for the size. */
function storedLength(address, key) {
  const [host, port] = [address.slice(0, address.lastIndexOf(':')), Number(address.slice(address.lastIndexOf(':') + 1))];
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, host, () => socket.write(`mg ${key} s\r\n`));
    let reply = '';
    socket.on('data', (chunk) => {
      reply += chunk;
      if (!reply.includes('\r\n')) return;
      socket.destroy();
      const size = /^HD .*\bs(\d+)/.exec(reply);
      return size ? resolve(Number(size[1])) : reject(new Error(`mg ${key} s: ${reply.trim()}`));
    });
    socket.once('error', reject);
  });
}

async function runPairs(adapter) {
  const spec = CASES.find((c) => c.id === job.caseId);
  const step = await withDeadline(spec.prepare(adapter), SETUP_MS, 'populate and verify');
  if (job.warmup > 0) await runFor(step, job.warmup, 1);
  const result = await runFor(step, job.seconds);
  const key = `bench:json:${spec.id === 'json-16k' ? 16 * 1024 : 256 * 1024}`;
  return { ...result, storedBytes: await storedLength(job.server, key) };
}

async function measure() {
  const adapter = await makeAdapter(job.client);
  try {
    await withDeadline(adapter.connect([job.server]), SETUP_MS, 'connect');
    const limit = (job.warmup + job.seconds) * 1000 + DRAIN_MS + SETUP_MS;
    return await withDeadline(job.kind === 'mix' ? runMix(adapter) : runPairs(adapter), limit, 'measurement');
  } finally {
    await withDeadline(adapter.close(), CLOSE_MS, 'close').catch(() => {});
  }
}

const describe = (err) => (err instanceof Error ? err.message : String(err)).split('\n')[0].slice(0, 160);
// A peer that throws from a socket callback takes the process down; say why before going.
const die = (err) => send({ type: 'result', error: describe(err) }).finally(() => process.exit(2));
process.on('uncaughtException', die);
process.on('unhandledRejection', die);

try {
  await send({ type: 'result', result: await measure() });
} catch (err) {
  await send({ type: 'result', error: describe(err) });
}
process.exit(0); // peers keep idle timers and sockets alive
