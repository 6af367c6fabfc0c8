/**
 * Starts a real memcached for a test file: TCP (IPv4 or IPv6), unix socket, TLS (a certificate made
 * with openssl in a temp dir), ASCII auth, extra arguments. Waits until it accepts connections;
 * `stop()` sends SIGTERM, then SIGKILL after 200 ms, and removes the temp dir. `kill()` and
 * `restart()` take it down and bring it back on the same address (empty), for outage tests.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const BIN = process.env.MEMCACHED_BIN ?? 'memcached';

export interface MemcachedOptions {
  /** 'tcp' (127.0.0.1, default), 'ipv6' (::1) or 'unix'. */
  transport?: 'tcp' | 'ipv6' | 'unix';
  /** Serve TLS only (`-Z`), with a fresh self-signed certificate for localhost / 127.0.0.1 / ::1. */
  tls?: boolean;
  /** ASCII authentication (`-Y`) with these users. */
  users?: Record<string, string>;
  /** More memcached arguments, e.g. ['-I', '2m']. */
  args?: string[];
}

export interface MemcachedServer {
  /** A server spec for the client: 'host:port', '[::1]:port' or 'unix:/path'. */
  readonly spec: string;
  readonly host: string;
  readonly port: number;
  /** The unix socket path ('' for TCP). */
  readonly path: string;
  /** The certificate (PEM) to trust, with `tls`. */
  readonly ca: Buffer | undefined;
  stop(): Promise<void>;
  /** SIGKILL: connections are cut, new ones refused, until `restart()`. */
  kill(): Promise<void>;
  /** Starts it again, same address and arguments, no items; resolves once it accepts connections. */
  restart(): Promise<void>;
}

export async function startMemcached(options: MemcachedOptions = {}): Promise<MemcachedServer> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mc-test-'));
  const transport = options.transport ?? 'tcp';
  const host = transport === 'ipv6' ? '::1' : '127.0.0.1';
  const base = ['-U', '0', '-m', '64', '-t', '2', ...(process.getuid?.() === 0 ? ['-u', 'root'] : [])];
  let ca: Buffer | undefined;
  if (options.tls) {
    ca = makeCertificate(dir);
    base.push('-Z', '-o', `ssl_chain_cert=${path.join(dir, 'cert.pem')},ssl_key=${path.join(dir, 'key.pem')}`);
  }
  if (options.users !== undefined) {
    const file = path.join(dir, 'auth');
    writeFileSync(file, Object.entries(options.users).map(([user, pass]) => `${user}:${pass}\n`).join(''));
    base.push('-Y', file);
  }
  base.push(...(options.args ?? []));
  for (let attempt = 0; attempt < 5; attempt++) {
    const socketPath = path.join(dir, `mc${attempt}.sock`);
    const port = transport === 'unix' ? 0 : await freePort(host);
    const listen = transport === 'unix' ? ['-s', socketPath, '-a', '0700'] : ['-l', host, '-p', String(port)];
    let child: ChildProcess = spawn(BIN, [...base, ...listen], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const target = transport === 'unix' ? { path: socketPath } : { host, port };
    const plain = !options.tls && options.users === undefined;
    if ((await acceptsConnections(target, child)) && (await isOurs(target, child, plain))) {
      const spec = transport === 'unix' ? `unix:${socketPath}` : transport === 'ipv6' ? `[::1]:${port}` : `127.0.0.1:${port}`;
      return {
        spec,
        host,
        port,
        path: transport === 'unix' ? socketPath : '',
        ca,
        stop: async () => {
          await stopProcess(child);
          rmSync(dir, { recursive: true, force: true });
        },
        kill: () => stopProcess(child, 'SIGKILL'),
        restart: async () => {
          await stopProcess(child, 'SIGKILL');
          if (transport === 'unix') rmSync(socketPath, { force: true });
          child = spawn(BIN, [...base, ...listen], { stdio: ['ignore', 'ignore', 'ignore'] });
          if (!(await acceptsConnections(target, child)) || !(await isOurs(target, child, plain))) throw new Error(`memcached did not restart on ${spec}`);
        },
      };
    }
    await stopProcess(child);
    if (attempt === 4) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`memcached did not start (${[...base, ...listen].join(' ')}): ${stderr.trim()}`);
    }
  }
  throw new Error('unreachable');
}

/** Whether this machine can listen on the IPv6 loopback. */
export function hasIpv6Loopback(): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(0, '::1', () => server.close(() => resolve(true)));
  });
}

function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function acceptsConnections(target: { host: string; port: number } | { path: string }, child: ChildProcess): Promise<boolean> {
  for (let i = 0; i < 250; i++) {
    if (child.exitCode !== null || child.signalCode !== null) return false;
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(target);
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

/**
 * Whether what accepted connections at `target` is `child`: between `freePort` and memcached's
 * bind, another test file's server may take the port; ours then fails to bind, and the files
 * would share a server. A plain server says its pid in `stats`; a TLS or auth one must still be
 * running a moment later (a failed bind exits at once).
 */
async function isOurs(target: { host: string; port: number } | { path: string }, child: ChildProcess, plain: boolean): Promise<boolean> {
  if (!plain) {
    await new Promise((r) => setTimeout(r, 150));
    return child.exitCode === null && child.signalCode === null;
  }
  return (await statsPid(target)) === child.pid;
}

/** The pid in a server's `stats`, or undefined if it does not answer as memcached within a second. */
function statsPid(target: { host: string; port: number } | { path: string }): Promise<number | undefined> {
  return new Promise((resolve) => {
    const socket = net.connect(target);
    let reply = '';
    const done = (pid: number | undefined): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(pid);
    };
    const timer = setTimeout(() => done(undefined), 1000);
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString('latin1');
      if (reply.endsWith('END\r\n')) done(Number(/^STAT pid (\d+)\r$/m.exec(reply)?.[1]));
    });
    socket.once('error', () => done(undefined));
    socket.write('stats\r\n');
  });
}

function stopProcess(child: ChildProcess, signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    // memcached takes up to a second to act on SIGTERM (its clock tick); no test needs that grace.
    const kill = setTimeout(() => child.kill('SIGKILL'), 200);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill(signal);
  });
}

function makeCertificate(dir: string): Buffer {
  const cert = path.join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1',
      '-keyout', path.join(dir, 'key.pem'), '-out', cert,
    ],
    { stdio: 'ignore' },
  );
  return readFileSync(cert);
}
