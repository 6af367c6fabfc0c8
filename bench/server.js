// Starts and stops the memcached servers the benchmark talks to: loopback only, one worker
// thread each (`-t 1`), so every client meets the same single-threaded server.
import { execFileSync, spawn } from 'node:child_process';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

const BINARY = process.env.MEMCACHED_BIN ?? 'memcached';
const HOST = '127.0.0.1';

/** The `memcached -V` line, e.g. `memcached 1.6.18`. */
export function memcachedVersion() {
  return execFileSync(BINARY, ['-V'], { encoding: 'utf8' }).trim();
}

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, HOST, () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

function canConnect(host, port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, host);
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

/** Resolves once the memcached `child` accepts connections on `host:port`; throws if it exits or takes over `deadlineMs`. */
export async function waitUntilListening(host, port, child, deadlineMs) {
  const end = Date.now() + deadlineMs;
  while (Date.now() < end) {
    if (child.exitCode !== null) throw new Error(`memcached on ${host}:${port} exited with code ${child.exitCode}`);
    if (await canConnect(host, port)) return;
    await sleep(20);
  }
  throw new Error(`memcached on ${host}:${port} did not start within ${deadlineMs} ms`);
}

function stopper(child) {
  return () => new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** One memcached on a free loopback port; `-u root` because memcached refuses root otherwise. */
export async function startServer() {
  const port = await freePort();
  const args = ['-p', String(port), '-U', '0', '-l', HOST, '-t', '1', '-m', '256', '-c', '4096'];
  if (process.getuid?.() === 0) args.push('-u', 'root');
  const child = spawn(BINARY, args, { stdio: 'ignore' });
  await waitUntilListening(HOST, port, child, 5000);
  return { address: `${HOST}:${port}`, pid: child.pid, stop: stopper(child) };
}

/** `count` servers; stops the ones already started if a later one fails. */
export async function startServers(count) {
  const servers = [];
  try {
    for (let i = 0; i < count; i++) servers.push(await startServer());
  } catch (err) {
    await Promise.all(servers.map((s) => s.stop()));
    throw err;
  }
  return servers;
}
