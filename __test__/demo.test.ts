/**
 * The demo (examples/demo.js, `npm run demo`) runs to the end: it starts three memcached servers,
 * tours the client, kills and restarts one, shows a stampede with and without fetch, prints its table and exits 0, well within 15 s. It runs
 * here against a bundle of the current sources laid out as the package is (dist/index.js beside
 * examples/), so the test needs no prior build.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { bundleForNode, linkRuntimeModules } from './support/child.js';

const repo = fileURLToPath(new URL('../', import.meta.url));
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'mc-demo-'));
  mkdirSync(path.join(dir, 'dist'));
  mkdirSync(path.join(dir, 'examples'));
  linkRuntimeModules(dir);
  writeFileSync(path.join(dir, 'dist', 'index.js'), await bundleForNode({ entryPoints: [path.join(repo, 'ts', 'index.ts')] }));
  for (const file of ['demo.js', 'demo-support.js', 'stampede-worker.js']) copyFileSync(path.join(repo, 'examples', file), path.join(dir, 'examples', file));
});
afterAll(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

it('runs the whole tour, prints its table and exits 0 within 15 s', async () => {
  const started = performance.now();
  // The demo shows the defaults: the text pass of the suite (MEMCACHE_PROTOCOL=text) does not apply to it.
  const env = { ...process.env, MEMCACHE_PROTOCOL: '' };
  const child = spawn(process.execPath, [path.join(dir, 'examples', 'demo.js')], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearTimeout(kill);
  expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  expect(performance.now() - started).toBeLessThan(15_000);

  const rows = stdout.split('\n');
  expect(rows[0]).toMatch(/^memcache-native demo: memcached A 127\.0\.0\.1:\d+, B 127\.0\.0\.1:\d+, C 127\.0\.0\.1:\d+$/);
  expect(stdout).toMatch(/^#\s+step\s+call\s+what happened\s+where$/m);
  const row = (step: string) => rows.find((r) => new RegExp(`^\\d+\\s+${step}\\s`).test(r)) ?? `no row for ${step}`;
  expect(row('set / get')).toMatch(/"hello, memcached"/);
  expect(row('getMulti')).toMatch(/30 hits/);
  expect(row('incr')).toMatch(/41 -> 42 -> 50/);
  expect(row('cas')).toMatch(/true \(now 51\), then false/);
  expect(row('compression')).toMatch(/zlib flag 8 set\); read back intact/);
  expect(row('kill B')).toMatch(/errors \(ECONNREFUSED\)/);
  expect(stdout).toMatch(/'server:down'\s+B marked dead/);
  expect(row('failover')).toMatch(/0 errors; after refill 30 hits\s+A:\d+ C:\d+$/);
  expect(stdout).toMatch(/'server:up'\s+B answered its probe/);
  expect(row('B is back')).toMatch(/after refill 30 hits\s+A:\d+ B:\d+ C:\d+$/);
  const stampedes = rows.filter((r) => /^\d+\s+stampede\s/.test(r));
  expect(stampedes[0]).toMatch(/get, on a miss load \+ set\s+loader ran \d+ times for 200 callers/);
  expect(stampedes[1]).toMatch(/fetch\(key, loader\)\s+loader ran once for 200 callers; 1 lease won, \d+ waits? on it/);
  expect(stdout).toMatch(/per-server stats\nserver\s+address\s+items/);
  expect(rows.filter((r) => /^[ABC]\s+127\.0\.0\.1:\d+ \(1\)\s+\d+/.test(r))).toHaveLength(3);
});
