// Per-operation dialect measurement (issue 12, section 2): for get, set, delete, touch and incr,
// the text form against the meta form(s) on a raw socket (bench/dialect-forms.js), then through
// our client on protocol 'text' against 'meta'. Starts its own memcached (`-t 1`, free port).
//
//   node bench/dialects.js                 every operation, 3 rounds (the median is printed)
//   node bench/dialects.js --ops=set,incr --rounds=5 --batches=2000 --no-client
//
// Raw: each batch is 256 commands in one write, encoded before the clock starts, replies only
// counted; a measurement is `--batches` batches back to back on one connection. Client: 256 calls
// started in one tick and awaited, as in the end-to-end benchmark (the native core unless
// MEMCACHE_NATIVE=0; needs `npm run build:ts`). Client CPU is this process's user + system time
// (`process.cpuUsage`); server CPU is memcached's own (`stats` rusage), both per operation.
import { parseArgs } from 'node:util';
import { BATCH, OPERATIONS, VALUE, quietStore } from './dialect-forms.js';
import { startLoadMonitor } from './load-monitor.js';
import { median } from './measure.js';
import { makeExchange, openSocket } from './raw-floor.js';
import { startServer } from './server.js';

const NOISY_SHARE = 0.1; // as in benchmark.js

/** One raw connection: `send(request, terminator, expected, exactBytes)` and its read tally. */
async function rawConnection(address) {
  const socket = await openSocket(address);
  const tally = { reads: 0, batches: 0 };
  return { socket, tally, send: makeExchange(socket, tally) };
}

/** memcached's own CPU time so far, in µs (`stats` on the `control` socket: rusage_user + rusage_system). */
async function serverCpuUs(control) {
  const text = await new Promise((resolve, reject) => {
    let reply = '';
    const onData = (chunk) => {
      reply += chunk;
      if (!reply.endsWith('END\r\n')) return;
      control.off('data', onData);
      control.off('error', reject);
      resolve(reply);
    };
    control.on('data', onData);
    control.once('error', reject);
    control.write('stats\r\n');
  });
  const field = (name) => Number(new RegExp(`STAT ${name} ([0-9.]+)`).exec(text)[1]);
  return (field('rusage_user') + field('rusage_system')) * 1e6;
}

/** Runs `batches` calls of `step(b)` and reports throughput and CPU per operation on both sides. */
async function clocked(control, batches, step) {
  const server = await serverCpuUs(control);
  const cpu = process.cpuUsage();
  const start = performance.now();
  for (let b = 0; b < batches; b++) await step(b);
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  const serverUsed = (await serverCpuUs(control)) - server;
  const ops = batches * BATCH;
  return { opsPerSec: ops / seconds, cpuUs: (used.user + used.system) / ops, serverUs: serverUsed / ops };
}

/** Stores what `op` starts from (its setup items, or its pool of keys to delete). */
async function prepare(conn, op, batches) {
  for (const request of op.setup?.() ?? []) await conn.send(request, 'MN\r\n', 1, 4);
  if (op.pool) for (let b = 0; b < batches; b++) await conn.send(quietStore(op.keys(b)), 'MN\r\n', 1, 4);
}

async function measureRawForm(address, control, op, form, batches) {
  const conn = await rawConnection(address);
  try {
    await prepare(conn, op, batches);
    const distinct = op.pool ? batches : 4;
    const requests = Array.from({ length: distinct }, (_, b) => Buffer.from(form.encode(op.keys(b)), 'latin1'));
    const expected = form.perBatch ?? form.perCommand * BATCH;
    conn.tally.reads = 0;
    conn.tally.batches = 0;
    const result = await clocked(control, batches, (b) => conn.send(requests[b % distinct], form.terminator, expected, form.exact ?? 0));
    return { ...result, readsPerBatch: conn.tally.reads / conn.tally.batches };
  } finally {
    conn.socket.destroy();
  }
}

/** Our client's call for `op` on `key`, 256 of them per batch. */
const CLIENT_CALLS = {
  get: (client, key) => client.get(key),
  set: (client, key) => client.set(key, VALUE),
  delete: (client, key) => client.delete(key),
  touch: (client, key) => client.touch(key, 3600),
  incr: (client, key) => client.incr(key, 1),
};

async function measureClientForm(address, control, op, protocol, batches) {
  const { Client } = await import('../dist/index.js');
  const conn = await rawConnection(address);
  const client = new Client([address], { protocol });
  try {
    await prepare(conn, op, batches);
    const call = CLIENT_CALLS[op.id];
    const keys = Array.from({ length: op.pool ? batches : 4 }, (_, b) => op.keys(b));
    const pending = new Array(BATCH);
    const step = async (b) => {
      const batch = keys[b % keys.length];
      for (let i = 0; i < BATCH; i++) pending[i] = call(client, batch[i]);
      const results = await Promise.all(pending);
      if (results.some((r) => r === undefined || r === false)) throw new Error(`${op.id} on ${protocol}: a call missed`);
    };
    // Warm-up: connects (for 'meta', asks the server with mn) and compiles before the clock starts.
    for (let b = 0; b < Math.min(100, batches); b++) await step(b);
    if (op.pool) await prepare(conn, op, batches);
    return await clocked(control, batches, step);
  } finally {
    await client.close();
    conn.socket.destroy();
  }
}

const fmt = (n) => Math.round(n).toLocaleString('en-US');
const fmtUs = (n) => n.toFixed(2);
const fmtX = (n) => `${n.toFixed(2)}x`;

function printTable(title, baseName, rows) {
  console.log(`\n${title}\n`);
  console.log(`| form | dialect | ops/s | vs ${baseName} | client CPU µs/op | vs ${baseName} | server CPU µs/op | reads/batch |`);
  console.log('|---|---|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    const reads = r.readsPerBatch === undefined ? '' : r.readsPerBatch.toFixed(1);
    console.log(`| ${r.wire} | ${r.dialect} | ${fmt(r.opsPerSec)} | ${fmtX(r.opsRatio)} | ${fmtUs(r.cpuUs)} | ${fmtX(r.cpuRatio)} | ${fmtUs(r.serverUs)} | ${reads} |`);
  }
}

/**
 * Each entry's medians over the rounds (each field taken separately, as the benchmark does), and
 * its ratios to entry `base` taken round by round before the median: two forms measured in the
 * same round met the same machine, so their ratio moves less than either number does.
 */
function summarize(results, base) {
  return results.map((rounds) => {
    const row = { ...rounds[0] };
    for (const field of ['opsPerSec', 'cpuUs', 'serverUs', 'readsPerBatch']) {
      if (typeof rounds[0][field] === 'number') row[field] = median(rounds.map((r) => r[field]));
    }
    row.opsRatio = median(rounds.map((r, i) => r.opsPerSec / results[base][i].opsPerSec));
    row.cpuRatio = median(rounds.map((r, i) => r.cpuUs / results[base][i].cpuUs));
    return row;
  });
}

/** Every entry measured once per round, the order rotated each round so none always goes first; `[entry][round]`. */
async function inRounds(entries, rounds, measureOne) {
  const results = entries.map(() => []);
  for (let round = 0; round < rounds; round++) {
    for (let n = 0; n < entries.length; n++) {
      const i = (n + round) % entries.length;
      results[i][round] = await measureOne(entries[i]);
    }
  }
  return results;
}

async function main() {
  const { values } = parseArgs({ options: { ops: { type: 'string' }, rounds: { type: 'string', default: '3' }, batches: { type: 'string', default: '1000' }, 'no-client': { type: 'boolean' } } });
  const rounds = Number(values.rounds);
  const batches = Number(values.batches);
  const ops = values.ops ? OPERATIONS.filter((op) => values.ops.split(',').includes(op.id)) : OPERATIONS;
  const server = await startServer();
  const control = await openSocket(server.address);
  const ourPids = new Set([process.pid, server.pid]);
  const monitor = startLoadMonitor(() => ourPids);
  const coreKind = values['no-client'] ? null : (await import('../dist/index.js')).coreKind;
  console.log(`# Dialects: text vs meta per operation (${rounds} round${rounds === 1 ? "" : "s"}, median; ${batches} batches of ${BATCH} per measurement; Node ${process.version}, ${server.address})`);
  try {
    for (const op of ops) {
      // A warm-up pass of every form, so the first measured form does not pay for JIT and memcached's allocations.
      for (const form of op.forms) await measureRawForm(server.address, control, op, form, Math.min(100, batches));
      monitor.take();
      const base = op.forms.findIndex((form) => form.base);
      const rows = summarize(await inRounds(op.forms, rounds, (form) => measureRawForm(server.address, control, op, form, batches)), base);
      printTable(`## ${op.title}: raw socket`, op.forms[base].id, op.forms.map((form, i) => ({ ...rows[i], wire: form.wire, dialect: form.dialect })));
      if (coreKind) {
        const protocols = ['text', 'meta'];
        const clientRows = summarize(await inRounds(protocols, rounds, (protocol) => measureClientForm(server.address, control, op, protocol, batches)), 0);
        printTable(`## ${op.title}: memcache-native (${coreKind} core), 256 concurrent calls`, 'text', protocols.map((p, i) => ({ ...clientRows[i], wire: `protocol '${p}'`, dialect: p })));
      }
      const share = monitor.take();
      if (share !== null) console.log(`\nOther processes' share of the machine's CPU time: ${Math.round(share * 100)}%${share > NOISY_SHARE ? ' (BUSY: these numbers are noisy, rerun)' : ' (quiet)'}`);
    }
  } finally {
    monitor.stop();
    control.destroy();
    await server.stop();
  }
}

await main();
