// One of the demo's stampede workers: 50 concurrent readers of one missing key, whose loader
// (a 200 ms "database query") counts its calls in memory shared with the other workers.
import { parentPort, workerData } from 'node:worker_threads';
import { Client } from '../dist/index.js';

const { spec, key, useFetch, counters, readers } = workerData;
const calls = new Int32Array(counters);
const mc = new Client(spec, { timeout: 5000 });

const loader = async () => {
  Atomics.add(calls, 0, 1);
  await new Promise((resolve) => setTimeout(resolve, 200));
  return 'loaded value';
};

/** Cache-aside as most code does it: read, and on a miss load and write back. */
async function naive() {
  const hit = await mc.get(key);
  if (hit !== undefined) return hit;
  const value = await loader();
  await mc.set(key, value, { ttl: 60 });
  return value;
}

await mc.get('stampede:warm-up'); // connected before the start line, like a running service
// Every worker starts at once: each arrives at the barrier, then waits for the others.
Atomics.add(calls, 1, 1);
Atomics.notify(calls, 1);
for (let n = Atomics.load(calls, 1); n < workerData.workers; n = Atomics.load(calls, 1)) Atomics.wait(calls, 1, n, 100);
const values = await Promise.all(Array.from({ length: readers }, () => (useFetch ? mc.fetch(key, loader, { ttl: 60 }) : naive())));
const { leaseWins, leaseWaits } = mc.metrics().totals;
await mc.close();
parentPort.postMessage({ resolved: values.filter((v) => v === 'loaded value').length, leaseWins, leaseWaits });
