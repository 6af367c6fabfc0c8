// memcache-native, a guided tour: three local memcached servers, one client, and what happens to
// your keys when a server dies and comes back. Run it with `npm run demo` (it uses the built
// package in dist/ and the memcached binary in PATH), or `node examples/demo.js` after a build.
import { Client, coreKind } from '../dist/index.js';
import { Worker } from 'node:worker_threads';
import { rawItem, sleep, startServers, table } from './demo-support.js';

/** The stampede step: threads, and concurrent callers in each. */
const STAMPEDE_WORKERS = 4;
const STAMPEDE_READERS = 50;
/** How long a dead server is left alone before the client tries it again (30 s by default; short here). */
const DEAD_RETRY = 1000;

// The demo never hangs: whatever goes wrong, it stops within 30 s.
setTimeout(() => {
  console.error('demo: timed out');
  process.exit(2);
}, 30_000).unref();

const servers = await startServers(3);
const [a, b, c] = servers;
/** 'A', 'B', 'C' for the client's server names ('127.0.0.1:port (weight)'). */
const letter = (name) => 'ABC'[servers.findIndex((s) => name.startsWith(`${s.spec} `))] ?? name;
const spread = (keys) => {
  const counts = { A: 0, B: 0, C: 0 };
  for (const key of keys) counts[letter(mc.serverFor(key))]++;
  return Object.entries(counts)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${s}:${n}`)
    .join(' ');
};

const mc = new Client(
  servers.map((s) => s.spec),
  { deadRetry: DEAD_RETRY, timeout: 1000, connectTimeout: 500, compressionThreshold: 1024 },
);
const steps = [];
/** Adds a row to the table; returns it, so a result can be filled in after the events it caused. */
const step = (what, call, result, where = '') => {
  const row = [steps.length + 1, what, call, result, where];
  steps.push(row);
  return row;
};
mc.on('server:down', ({ server, error }) => step('event', "'server:down'", `${letter(server)} marked dead: ${error.message.replace(/^.*failed: /, '')}`, letter(server)));
mc.on('server:up', ({ server, downtime }) => step('event', "'server:up'", `${letter(server)} answered its probe after ${(downtime / 1000).toFixed(1)} s down`, letter(server)));

try {
  console.log(`memcache-native demo: memcached A ${a.spec}, B ${b.spec}, C ${c.spec}`);
  console.log(`${coreKind} core, ketama distribution, deadRetry ${DEAD_RETRY} ms\n`);

  await mc.set('greeting', 'hello, memcached');
  step('set / get', "set('greeting') then get", JSON.stringify(await mc.get('greeting')), letter(mc.serverFor('greeting')));

  const users = Array.from({ length: 30 }, (_, i) => `user:${i + 1}`);
  await mc.setMulti(users.map((key, i) => [key, { id: i + 1, name: `user ${i + 1}` }]));
  const found = await mc.getMulti(users);
  step('getMulti', 'setMulti + getMulti of 30 users', `${found.size} hits, one request per server`, spread(users));

  await mc.set('page:views', 41);
  const views = [await mc.incr('page:views'), await mc.incr('page:views', 8)];
  step('incr', 'set 41, incr 1, incr 8', `41 -> ${views.join(' -> ')}`, letter(mc.serverFor('page:views')));

  const seen = await mc.gets('page:views');
  const won = await mc.cas('page:views', seen.value + 1, seen.cas);
  const lost = await mc.cas('page:views', 0, seen.cas);
  step('cas', 'gets, cas, cas again with the old cas', `${won} (now ${await mc.get('page:views')}), then ${lost}: changed since`, letter(mc.serverFor('page:views')));

  const text = 'memcached is a high-performance, distributed memory object caching system. '.repeat(1500);
  await mc.set('article', text);
  const holder = servers.find((s) => mc.serverFor('article').startsWith(`${s.spec} `));
  const raw = await rawItem(holder, 'article');
  const intact = (await mc.get('article')) === text;
  const zlib = raw.flags & 8 ? 'zlib flag 8 set' : 'not compressed';
  step('compression', `set a ${text.length.toLocaleString('en')}-char text`, `stored in ${raw.bytes.toLocaleString('en')} bytes (flags ${raw.flags}: ${zlib}); read back ${intact ? 'intact' : 'CORRUPT'}`, letter(mc.serverFor('article')));

  const onB = users.filter((key) => mc.serverFor(key) === `${b.spec} (1)`);
  await b.kill();
  await sleep(50); // the client sees B's connection close: no outage yet, a restart looks the same
  const killed = step('kill B', 'SIGKILL B; getMulti of the 30 users', '', 'B');
  const first = await mc.getMulti(users);
  const why = [...new Set([...first.errors.values()].map((e) => e.cause?.code ?? e.code))].join(', ');
  killed[3] = `${first.size} hits, ${first.errors.size} errors (${why}): the call that finds B down loses B's keys`;
  await until("'server:down'", () => mc.get('greeting'));

  const during = await mc.getMulti(users);
  const missing = users.filter((key) => !during.has(key));
  await mc.setMulti(missing.map((key) => [key, { id: Number(key.slice(5)), name: `refilled ${key}` }]));
  const refilled = await mc.getMulti(users);
  step('failover', "getMulti again; refill what missed", `${during.size} hits, ${missing.length} misses (B's ${onB.length} keys moved), ${during.errors.size} errors; after refill ${refilled.size} hits`, spread(users));

  await b.restart();
  step('restart B', 'start B again (empty), same port', `its keys stay on A and C for deadRetry (${DEAD_RETRY} ms)`, spread(users));
  await sleep(DEAD_RETRY);
  // The next call after deadRetry sends B a probe; once B answers, it takes its keys back.
  await until("'server:up'", () => mc.get('greeting'));
  const back = await mc.getMulti(users);
  await mc.setMulti(users.filter((key) => !back.has(key)).map((key) => [key, { id: Number(key.slice(5)), name: `refilled ${key}` }]));
  const home = await mc.getMulti(users);
  step('B is back', 'getMulti; refill what missed', `${back.size} hits, ${users.length - back.size} misses (B's keys, home on an empty B); after refill ${home.size} hits`, spread(users));

  for (const useFetch of [false, true]) {
    const run = await stampede(a.spec, `stampede:${useFetch ? 'fetch' : 'get-then-set'}`, useFetch);
    const how = useFetch ? "fetch(key, loader)" : 'get, on a miss load + set';
    const leases = useFetch ? `; ${run.leaseWins} lease won, ${run.leaseWaits} waits on it` : '';
    step('stampede', `${STAMPEDE_WORKERS} workers x ${STAMPEDE_READERS} callers: ${how}`, `loader ran ${run.loads === 1 ? "once" : `${run.loads} times`} for ${run.resolved} callers${leases}`, 'A');
  }

  const stats = await mc.stats();
  console.log(table(['#', 'step', 'call', 'what happened', 'where'], steps));
  console.log('\nper-server stats');
  console.log(
    table(
      ['server', 'address', 'items', 'sets', 'gets', 'hits', 'misses', 'connections'],
      stats.map(({ server, stats: s }) => [letter(server), server, s.curr_items, s.cmd_set, s.cmd_get, s.get_hits, s.get_misses, s.total_connections]),
    ),
  );
} catch (error) {
  console.log(table(['#', 'step', 'call', 'what happened', 'where'], steps));
  console.error('\ndemo failed:', error);
  process.exitCode = 1;
} finally {
  await mc.close();
  await Promise.all(servers.map((s) => s.kill()));
}

/**
 * A hot key missing from the cache, read at once by STAMPEDE_READERS callers in each of
 * STAMPEDE_WORKERS threads (each its own client, as processes of a service would be): how many
 * times the 200 ms loader runs.
 */
async function stampede(spec, key, useFetch) {
  const counters = new SharedArrayBuffer(8);
  const workerData = { spec, key, useFetch, counters, readers: STAMPEDE_READERS, workers: STAMPEDE_WORKERS };
  const results = await Promise.all(
    Array.from({ length: STAMPEDE_WORKERS }, () => {
      const worker = new Worker(new URL('./stampede-worker.js', import.meta.url), { workerData });
      return new Promise((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
    }),
  );
  const sum = (field) => results.reduce((total, r) => total + r[field], 0);
  return { loads: new Int32Array(counters)[0], resolved: sum('resolved'), leaseWins: sum('leaseWins'), leaseWaits: sum('leaseWaits') };
}

/** Keeps calling (as an application would) until the event has been seen, at most 3 s. */
async function until(event, call) {
  for (let i = 0; i < 120 && !steps.some((s) => s[2] === event); i++) {
    await call().catch(() => undefined);
    await sleep(25);
  }
  if (!steps.some((s) => s[2] === event)) throw new Error(`no ${event} event`);
}
