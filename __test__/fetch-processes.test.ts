/**
 * fetch across processes of their own (child Node processes on the same memcached): the server's
 * lease, not any one process, decides who loads; a winner that dies while loading holds nobody
 * up past its lease.
 */
import { describe, expect, it } from 'vitest';
import { Client } from '../ts/index.js';
import { runChild } from './support/child.js';
import { raw } from './support/raw.js';
import { useServerAndClient } from './support/server-and-client.js';

const ctx = useServerAndClient({ client: { protocol: 'meta' } });
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** 50 concurrent fetches of KEY, once all PROCESSES children are ready; prints what happened as JSON. */
const HERD = `
  import { Client } from '../ts/index.js';
  const mc = new Client(process.env.MC_SPEC, { protocol: 'meta' });
  const key = process.env.KEY;
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  // Every process ready before any fetches: a counter, then wait for the others.
  await mc.incr(key + ':ready', 1, { initial: 1 });
  while ((await mc.incr(key + ':ready', 0)) < Number(process.env.PROCESSES)) await sleep(2);
  let loads = 0;
  const loader = async () => {
    loads++;
    await sleep(300);
    return 'loaded by ' + process.pid;
  };
  const values = await Promise.all(Array.from({ length: 50 }, () => mc.fetch(key, loader, { ttl: 60 })));
  const { leaseWins, leaseWaits } = mc.metrics().totals;
  process.stdout.write(JSON.stringify({ loads, values: [...new Set(values)], calls: values.length, leaseWins, leaseWaits }) + '\\n');
  await mc.close();
`;

/** Wins KEY's lease, and dies (SIGKILL) while its loader runs: no store, no release, nothing said to memcached. */
const DOOMED_WINNER = `
  import { Client } from '../ts/index.js';
  const mc = new Client(process.env.MC_SPEC, { protocol: 'meta' });
  await mc.fetch(process.env.KEY, () => {
    process.stdout.write('loading\\n', () => process.kill(process.pid, 'SIGKILL'));
    return new Promise(() => {});
  }, { ttl: 60, lockTtl: 2 });
`;

interface HerdReport {
  loads: number;
  values: string[];
  calls: number;
  leaseWins: number;
  leaseWaits: number;
}

describe.concurrent('fetch across processes', () => {
  it('four processes, 50 concurrent fetches each, of one missing key: the loader runs once in all, every call gets its value', async () => {
    const key = `herd:${process.pid}:${Date.now()}`;
    const env = { MC_SPEC: ctx.server.spec, KEY: key, PROCESSES: '4' };
    const runs = await Promise.all(Array.from({ length: 4 }, () => runChild(HERD, env, '', 20_000)));
    for (const run of runs) expect(run.code).toBe(0);
    const reports = runs.map((run) => JSON.parse(run.stdout) as HerdReport);
    expect(reports.reduce((sum, r) => sum + r.loads, 0)).toBe(1);
    expect(reports.reduce((sum, r) => sum + r.leaseWins, 0)).toBe(1);
    expect(reports.reduce((sum, r) => sum + r.leaseWaits, 0)).toBeGreaterThanOrEqual(1); // the losers waited for the winner's value
    const values = new Set(reports.flatMap((r) => r.values));
    expect(values.size).toBe(1);
    expect(reports.every((r) => r.calls === 50)).toBe(true);
    expect(await ctx.client.get(key)).toBe([...values][0]);
  });

  it('the winner is killed while loading: the others load themselves once its lease runs out, within lockTtl and a second (memcached\'s clock) plus a poll, without an error', async () => {
    const key = `doomed:${process.pid}:${Date.now()}`;
    const winner = runChild(DOOMED_WINNER, { MC_SPEC: ctx.server.spec, KEY: key }, 'loading', 20_000);
    await placeholderOf(key);
    const mc = new Client(ctx.server.spec, { protocol: 'meta' });
    try {
      let loads = 0;
      const started = performance.now();
      const results = await Promise.all(Array.from({ length: 50 }, () => mc.fetch(key, () => (loads++, 'rescued'), { ttl: 60, lockTtl: 2 })));
      const waited = performance.now() - started;
      expect(results).toEqual(Array(50).fill('rescued'));
      expect(loads).toBe(1);
      expect(waited).toBeLessThan(3000 + 100 + 300); // the lease's longest life (lockTtl + 1 s), the longest poll interval, some slack
      const run = await winner;
      expect(run.stdout).toBe('loading\n');
      expect(run.code).toBeNull(); // killed while loading
      expect(mc.metrics().totals).toMatchObject({ leaseWaits: 1, leaseWins: 1, errors: 0 });
    } finally {
      await mc.close();
    }
  });
});

/** Resolves once `key` holds a lease placeholder (its loader is running somewhere). */
async function placeholderOf(key: string): Promise<void> {
  for (let i = 0; i < 3000; i++) {
    if (/^VA 0 .*Z\r\n/.test((await raw(ctx.server, `mg ${key} v\r\n`)).toString('latin1'))) return;
    await sleep(5);
  }
  throw new Error(`no placeholder for ${key}`);
}
