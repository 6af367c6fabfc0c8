/**
 * twemproxy (Debian's `nutcracker`) in front of real memcached servers: a proxy that speaks the
 * text protocol only and hangs up on a command it does not know, such as `mn`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

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
  if (!(await listening(port, child))) {
    await stop();
    throw new Error(`nutcracker did not start on port ${port}`);
  }
  return { spec: `127.0.0.1:${port}`, stop };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function listening(port: number, child: ChildProcess): Promise<boolean> {
  const deadline = Date.now() + 3000;
  while (Date.now() < deadline && child.exitCode === null) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
    if (ok) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return false;
}

function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}
