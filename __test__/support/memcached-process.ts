// A throwaway memcached for tests that only need a real server behind them.
// (The full fixture is `memcached.ts`; this one stays tiny on purpose.)
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';

export interface MemcachedProcess {
  readonly host: string;
  readonly port: number;
  stop(): Promise<void>;
}

const BIN = process.env.MEMCACHED_BIN ?? '/usr/bin/memcached';

export async function startMemcached(): Promise<MemcachedProcess> {
  // Picking a free port then binding it can race another process; retry.
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const child = spawn(BIN, ['-u', 'root', '-l', '127.0.0.1', '-p', String(port), '-U', '0', '-m', '16'], {
      stdio: 'ignore',
    });
    if (await ready(port, child)) return { host: '127.0.0.1', port, stop: () => stop(child) };
    await stop(child);
    if (attempt === 4) throw new Error(`memcached did not start on port ${port}`);
  }
}

/** A TCP port free on 127.0.0.1 now (binding it later can race another process). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** Polls until a connection succeeds, the child exits, or 3 s pass. */
export async function ready(port: number, child: ChildProcess): Promise<boolean> {
  const deadline = Date.now() + 3000;
  while (Date.now() < deadline && child.exitCode === null) {
    if (await canConnect(port)) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return false;
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

/** Kills `child` and resolves once it exited. */
export function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}
