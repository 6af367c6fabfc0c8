/**
 * twemproxy (Debian's `nutcracker`) in front of real memcached servers: a proxy that speaks the
 * text protocol only and hangs up on a command it does not know, such as `mn`.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, ready, stop as kill } from './memcached-process.js';

export const NUTCRACKER = '/usr/sbin/nutcracker';

export interface Twemproxy {
  readonly spec: string;
  stop(): Promise<void>;
}

export function hasTwemproxy(): boolean {
  return existsSync(NUTCRACKER);
}

/** Starts nutcracker on a free port, in front of `servers` (`host:port` each). */
export async function startTwemproxy(servers: readonly string[]): Promise<Twemproxy> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'twemproxy-'));
  const port = await freePort();
  const config = path.join(dir, 'nutcracker.yml');
  writeFileSync(
    config,
    ['pool:', `  listen: 127.0.0.1:${port}`, '  hash: fnv1a_64', '  distribution: ketama', '  servers:', ...servers.map((s) => `   - ${s}:1`), ''].join('\n'),
  );
  const child = spawn(NUTCRACKER, ['-c', config, '-s', String(await freePort())], { stdio: 'ignore' });
  const stop = async (): Promise<void> => {
    await kill(child);
    rmSync(dir, { recursive: true, force: true });
  };
  if (!(await ready(port, child))) {
    await stop();
    throw new Error(`nutcracker did not start on port ${port}`);
  }
  return { spec: `127.0.0.1:${port}`, stop };
}
