/**
 * Chaos for fetch and invalidate: three clients (each standing for a process) over three real
 * servers, each behind a fault proxy switching modes at random (delay, split, drip, reset, close
 * after N bytes, garbage, stalls, refused connections, cuts, pass), concurrent callers fetching,
 * invalidating, setting, deleting and getting a few keys with loaders that are slow, throw or
 * return undefined. Pins: every call settles; no read returns another key's value, one nobody
 * produced or a lease placeholder (garbled meta flags once read as a value); every rejection is a
 * MemcacheError with a code, a fetch's naming its server; a loader runs alone per key and client
 * (while no failover moves the key); one hang-up on the first `mn` leaves meta on (it once turned
 * it off, for the client's life); once the faults stop and leases run out, every key fetches and
 * a set value reads back in every client; close() settles with fetches under way and the process
 * exits. Under 'text' as under 'auto' (MEMCACHE_PROTOCOL).
 * The run happens in a child process (see support/chaos-fetch.ts); its figures are one line.
 */
import { expect, it } from 'vitest';
import type { FetchChaosConfig, FetchChaosFigures } from './support/chaos-fetch.js';
import { chaosChild, runChild } from './support/child.js';
import { useServers } from './support/server-and-client.js';

const SEED = Number(process.env.CHAOS_SEED ?? Date.now() % 1_000_000);
const CHAOS_MS = Number(process.env.CHAOS_MS ?? 10_000);
const PROTOCOL = process.env.MEMCACHE_PROTOCOL || 'auto';
/** The longest a call may take: a lease waited out (waitTimeout 3 s), then won and loaded (lockTtl 2 s), with room for a loaded machine. */
const WATCHDOG_MS = 15_000;

const servers = useServers(3);

const CHILD = chaosChild('./support/chaos-fetch.js', 'runFetchChaos', 'CHAOS_FETCH_CONFIG', 'chaos-fetch');

/** `a 3, b 1` from a table, largest first. */
function list(table: Record<string, number>): string {
  return Object.entries(table)
    .sort((a, b) => b[1] - a[1])
    .map(([name, n]) => `${name} ${n}`)
    .join(', ');
}

function describeRun(f: FetchChaosFigures, exitMs: number | undefined): string {
  return (
    `chaos-fetch (seed ${SEED}, ${f.core} core, protocol ${PROTOCOL}): ${(f.ms / 1000).toFixed(1)} s; ` +
    `calls [${list(f.calls)}]; outcomes [${list(f.outcomes)}]; loader runs ${f.loaderRuns}; ` +
    `leases: ${f.leases.wins} won, ${f.leases.waits} waited, ${f.leases.staleServes} stale served, ${f.leases.loaderErrors} loader errors; ` +
    `errors [${list(f.errorsByCode)}]; mode switches [${list(f.modes)}]; faults [${list(f.faults)}]; ` +
    `slowest ms [${list(f.slowest)}]; loaders overlapping after a failover ${f.overlapsAfterFailover}; violations [${list(f.violations)}]; unhandled ${f.unhandled}; ` +
    `close() ms [${f.closeMs.join(', ')}]; exit ${Math.round(exitMs ?? -1)} ms after close()`
  );
}

it('fetch and invalidate keep their contract over three servers behind switching fault proxies', async () => {
  const config: FetchChaosConfig = {
    servers: servers.map((s) => ({ host: s.host, port: s.port })),
    seed: SEED,
    chaosMs: CHAOS_MS,
    callersPerClient: 6,
    watchdogMs: WATCHDOG_MS,
    meta: PROTOCOL !== 'text',
  };
  const run = await runChild(CHILD, { CHAOS_FETCH_CONFIG: JSON.stringify(config) }, 'closed', CHAOS_MS + 4 * WATCHDOG_MS);
  const line = run.stdout.split('\n').find((l) => l.startsWith('{'));
  expect(line, `chaos-fetch child printed no figures (exit ${run.code}):\n${run.stdout}`).toBeDefined();
  const figures = JSON.parse(line as string) as FetchChaosFigures;
  console.log(describeRun(figures, run.exitAfterMarker));
  if (figures.samples.length > 0) console.log(`chaos-fetch problems (seed ${SEED}):\n${figures.samples.join('\n')}`);

  expect(run.code).toBe(0);
  expect(figures.violations).toEqual({});
  expect(figures.unhandled).toBe(0);
  expect(figures.closeMs).toHaveLength(3);
  expect(run.exitAfterMarker).toBeLessThan(2000);
  // The run did what it says: many fetches, loaders of every kind, every fault, the errors they cause.
  expect(figures.calls.fetch).toBeGreaterThan(300);
  expect(figures.outcomes['fetch resolved']).toBeGreaterThan(100);
  expect(figures.outcomes['fetch undefined']).toBeGreaterThan(0);
  expect(figures.errorsByCode.MEMCACHE_LOADER).toBeGreaterThan(0);
  for (const mode of ['delay', 'split', 'drip', 'reset', 'closeAfter', 'garbage', 'stall', 'refuse', 'cut', 'pass']) {
    expect(figures.modes[mode] ?? 0, mode).toBeGreaterThan(0);
  }
  for (const code of ['MEMCACHE_TIMEOUT', 'MEMCACHE_CONNECTION', 'MEMCACHE_PROTOCOL']) {
    expect(figures.errorsByCode[code] ?? 0, code).toBeGreaterThan(0);
  }
  // Leases and serve-stale with meta; without it, the in-process single flight alone.
  if (config.meta) {
    expect(figures.leases.wins).toBeGreaterThan(0);
    expect(figures.leases.staleServes).toBeGreaterThan(0);
  } else {
    expect(figures.leases.wins + figures.leases.waits + figures.leases.staleServes).toBe(0);
  }
}, CHAOS_MS + 5 * WATCHDOG_MS);
