/**
 * NODE_DEBUG=memcache-native, in a child process running the built package (dist/, by `npm run
 * build`): every connection event is logged (connect, auth, ready, timeout, error, close,
 * reconnect, server down), and no key, value or password ever is, not even one quoted by a
 * malformed reply's error. Without NODE_DEBUG nothing is written.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMemcached, type MemcachedServer } from './support/memcached.js';

const DIST = path.resolve(import.meta.dirname, '..', 'dist', 'index.js');

const SECRET_KEY = 'key-d1e5c7a9';
const SECRET_VALUE = 'value-4b8f2e6c';
const PASSWORD = 'pw-93a1f0';

/** The child: a real server with authentication, a wrong password, a silent server, a refused port, a server that answers garbage. */
const SCRIPT = `
import net from 'node:net';
const { Client } = await import(process.env.DIST_URL);
const { SECRET_KEY, SECRET_VALUE, PASSWORD, AUTH_SPEC } = process.env;
const settle = (p) => p.then(() => 'ok', (e) => e.code);
const listen = (onSocket) => new Promise((resolve) => {
  const server = net.createServer(onSocket);
  server.listen(0, '127.0.0.1', () => resolve(server));
});

// Authenticated, values set and read, closed on purpose.
const mc = new Client(AUTH_SPEC, { auth: { username: 'alice', password: PASSWORD } });
await mc.set(SECRET_KEY, SECRET_VALUE);
if ((await mc.get(SECRET_KEY)) !== SECRET_VALUE) throw new Error('round trip failed');
await mc.close();

// A refused login.
const wrong = new Client(AUTH_SPEC, { auth: { username: 'alice', password: PASSWORD + '-wrong' } });
console.log('wrong password:', await settle(wrong.get(SECRET_KEY)));
await wrong.close();

// A server that never answers: a timeout, and the server marked dead.
const sockets = [];
const silent = await listen((socket) => sockets.push(socket));
const slow = new Client('127.0.0.1:' + silent.address().port, { timeout: 100 });
console.log('silent:', await settle(slow.set(SECRET_KEY, SECRET_VALUE)));
await slow.close();
sockets.forEach((s) => s.destroy());
silent.close();

// A refused port: an error; the next call reconnects.
const refused = new Client('127.0.0.1:1', { reconnectDelay: 0 });
console.log('refused:', await settle(refused.get(SECRET_KEY)));
console.log('refused again:', await settle(refused.get(SECRET_KEY)));
await refused.close();

// A malformed reply quoting the value: its error's message holds the value, the log must not.
const garbage = await listen((socket) => socket.on('data', () => socket.write('BOGUS ' + SECRET_VALUE + '\\r\\n')));
const confused = new Client('127.0.0.1:' + garbage.address().port);
console.log('garbage:', await settle(confused.get(SECRET_KEY)));
await confused.close();
garbage.close();
`;

let server: MemcachedServer;

beforeAll(async () => {
  if (!existsSync(DIST)) throw new Error(`${DIST} is missing: run \`npm run build\` first`);
  server = await startMemcached({ users: { alice: PASSWORD } });
});
afterAll(async () => {
  await server?.stop();
});

function runChild(nodeDebug: string | undefined): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, DIST_URL: pathToFileURL(DIST).href, SECRET_KEY, SECRET_VALUE, PASSWORD, AUTH_SPEC: server.spec };
    delete env.NODE_DEBUG;
    if (nodeDebug !== undefined) env.NODE_DEBUG = nodeDebug;
    const child = spawn(process.execPath, ['--input-type=module', '-e', SCRIPT], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('NODE_DEBUG=memcache-native', () => {
  it('logs every connection event, and never a key, a value or a password', async () => {
    const run = await runChild('memcache-native');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('wrong password: MEMCACHE_AUTH');
    expect(run.stdout).toContain('silent: MEMCACHE_TIMEOUT');
    expect(run.stdout).toContain('refused: MEMCACHE_CONNECTION');
    expect(run.stdout).toContain('garbage: MEMCACHE_PROTOCOL');

    const lines = run.stderr.split('\n').filter((line) => /^MEMCACHE-NATIVE \d+: /.test(line));
    const log = lines.map((line) => line.replace(/^MEMCACHE-NATIVE \d+: /, '')).join('\n');
    const auth = `${server.spec} \\(1\\)`;
    const port = String.raw`127\.0\.0\.1:\d+ \(1\)`;
    const expected = [
      new RegExp(`^connect ${auth}$`, 'm'),
      new RegExp(`^auth ${auth}: authenticating$`, 'm'),
      new RegExp(`^auth ${auth}: accepted$`, 'm'),
      new RegExp(`^ready ${auth}$`, 'm'),
      new RegExp(`^close ${auth}: closed by the client$`, 'm'),
      new RegExp(`^auth ${auth}: refused, MEMCACHE_AUTH \\(MEMCACHE_CLIENT_ERROR\\)$`, 'm'),
      new RegExp(`^timeout ${port}: 1 request\\(s\\) timed out \\(MEMCACHE_TIMEOUT: no reply from .* within 100 ms\\)$`, 'm'),
      new RegExp(`^server down ${port}: MEMCACHE_TIMEOUT`, 'm'),
      /^error 127\.0\.0\.1:1 \(1\): MEMCACHE_CONNECTION \(ECONNREFUSED\): connection to 127\.0\.0\.1:1 \(1\) failed: connect ECONNREFUSED/m,
      /^close 127\.0\.0\.1:1 \(1\): destroyed with 1 request\(s\) pending$/m,
      /^reconnect 127\.0\.0\.1:1 \(1\)/m,
      new RegExp(`^error ${port}: MEMCACHE_PROTOCOL$`, 'm'),
    ];
    for (const pattern of expected) expect(log, `${pattern}`).toMatch(pattern);

    // The garbage server's error message quotes its reply, value and all; the log must not.
    expect(run.stderr).not.toContain(SECRET_VALUE);
    expect(run.stderr).not.toContain(SECRET_KEY);
    expect(run.stderr).not.toContain(PASSWORD);
  });

  it('writes nothing when NODE_DEBUG does not name it', async () => {
    const run = await runChild(undefined);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toBe('');
    const other = await runChild('net-something-else');
    expect(other.stderr).not.toMatch(/MEMCACHE-NATIVE/);
  });
});
