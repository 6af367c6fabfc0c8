/**
 * The `memcache-native` command, as built (dist/cli.js, by `npm run build`), against real memcached
 * servers: every command, --json, exit codes (0 done, 1 miss or failure, 2 usage), --help.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseInvocation } from '../ts/cli/args.js';
import { Client, coreKind, ServerSpecError } from '../ts/index.js';
import { startMemcached, type MemcachedServer } from './support/memcached.js';

const CLI = path.resolve(import.meta.dirname, '..', 'dist', 'cli.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  bytes: Buffer;
}

let server: MemcachedServer;

/** Runs the built CLI; MEMCACHE_SERVERS points at this file's server unless `env` says otherwise. */
function cli(args: string[], options: { input?: string | Buffer; env?: Record<string, string | undefined> } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, MEMCACHE_SERVERS: server.spec, ...options.env };
    const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      const bytes = Buffer.concat(out);
      resolve({ code, stdout: bytes.toString(), stderr, bytes });
    });
    child.stdin.end(options.input);
  });
}

const json = (run: Run): unknown => JSON.parse(run.stdout);

/** A port nothing listens on. */
const DEAD = '127.0.0.1:1';

beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
  server = await startMemcached();
});
afterAll(async () => {
  await server?.stop();
});

describe('help and version', () => {
  it('--help lists every command and option and the exit codes, exit 0', async () => {
    const run = await cli(['--help']);
    expect(run.code).toBe(0);
    for (const word of ['get KEY', 'set KEY VALUE|-', 'delete', 'incr', 'decr', 'touch', 'stats', 'flush', 'version', 'ping', 'dump-routing KEY...']) {
      expect(run.stdout).toContain(word);
    }
    for (const option of ['--servers', '--distribution', '--hash', '--json', '--tls', '--timeout', '--ttl', '--help', '--version']) {
      expect(run.stdout).toContain(option);
    }
    expect(run.stdout).toMatch(/Exit codes: 0 .*1 .*\n2 a usage error/);
    expect((await cli(['-h'])).stdout).toBe(run.stdout);
  });

  it('--version names the package version and the active core', async () => {
    const run = await cli(['--version']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^memcache-native \\d+\\.\\d+\\.\\d+\\S* \\(${coreKind} core\\)\\n$`));
  });
});

describe('storage and retrieval', () => {
  it('set then get prints the value; a miss is exit 1 with nothing on stdout', async () => {
    expect(await cli(['set', 'cli:a', 'hello world'])).toMatchObject({ code: 0, stdout: 'STORED\n' });
    expect(await cli(['get', 'cli:a'])).toMatchObject({ code: 0, stdout: 'hello world\n' });
    expect(await cli(['get', 'cli:missing'])).toMatchObject({ code: 1, stdout: '' });
  });

  it('--json shows hits, misses and the stored type', async () => {
    await cli(['set', 'cli:j', 'text']);
    expect(json(await cli(['get', 'cli:j', '--json']))).toEqual({ key: 'cli:j', found: true, value: 'text' });
    const miss = await cli(['--json', 'get', 'cli:j-missing']);
    expect(miss.code).toBe(1);
    expect(json(miss)).toEqual({ key: 'cli:j-missing', found: false });
    expect(json(await cli(['set', 'cli:j', 'x', '-j']))).toEqual({ key: 'cli:j', stored: true });
  });

  it('set - stores stdin as bytes, and get writes them back unchanged', async () => {
    const bytes = Buffer.from([0, 1, 2, 0xff, 0x0a, 0x0d, 0x20]);
    expect((await cli(['set', 'cli:bin', '-'], { input: bytes })).code).toBe(0);
    const run = await cli(['get', 'cli:bin']);
    expect(run.code).toBe(0);
    expect(run.bytes.equals(bytes)).toBe(true);
    expect(json(await cli(['get', 'cli:bin', '--json']))).toEqual({ key: 'cli:bin', found: true, value: { base64: bytes.toString('base64') } });
  });

  it('reads what the library stored: numbers, bigints and structured values', async () => {
    const mc = new Client(server.spec);
    await mc.set('cli:int', 42);
    await mc.set('cli:big', 2n ** 64n - 1n);
    await mc.set('cli:obj', { a: [1, 'two'], m: new Map([['k', 1n]]) });
    await mc.close();
    expect((await cli(['get', 'cli:int'])).stdout).toBe('42\n');
    expect(json(await cli(['get', 'cli:int', '--json']))).toMatchObject({ value: 42 });
    expect(json(await cli(['get', 'cli:big', '--json']))).toMatchObject({ value: '18446744073709551615' });
    expect(json(await cli(['get', 'cli:obj', '--json']))).toMatchObject({ value: { a: [1, 'two'], m: { k: '1' } } });
    expect(JSON.parse((await cli(['get', 'cli:obj'])).stdout)).toEqual({ a: [1, 'two'], m: { k: '1' } });
  });

  it('a value starting with - goes after --', async () => {
    expect((await cli(['set', 'cli:dash', '--', '-5'])).code).toBe(0);
    expect((await cli(['get', 'cli:dash'])).stdout).toBe('-5\n');
  });

  it('--ttl is the item ttl (seconds)', async () => {
    expect((await cli(['set', 'cli:ttl', 'v', '--ttl', '100'])).code).toBe(0);
    expect((await cli(['get', 'cli:ttl'])).stdout).toBe('v\n');
    expect((await cli(['set', 'cli:ttl', 'v', '--ttl', 'soon'])).code).toBe(2);
  });

  it('delete says DELETED, then NOT_FOUND with exit 1', async () => {
    await cli(['set', 'cli:del', 'x']);
    expect(await cli(['delete', 'cli:del'])).toMatchObject({ code: 0, stdout: 'DELETED\n' });
    expect(await cli(['delete', 'cli:del'])).toMatchObject({ code: 1, stdout: 'NOT_FOUND\n' });
    expect(json(await cli(['delete', 'cli:del', '--json']))).toEqual({ key: 'cli:del', deleted: false });
  });

  it('touch says TOUCHED, or NOT_FOUND with exit 1', async () => {
    await cli(['set', 'cli:touch', 'x']);
    expect(await cli(['touch', 'cli:touch', '60'])).toMatchObject({ code: 0, stdout: 'TOUCHED\n' });
    expect(await cli(['touch', 'cli:touch-missing', '60'])).toMatchObject({ code: 1, stdout: 'NOT_FOUND\n' });
    expect((await cli(['touch', 'cli:touch', '-1'])).code).toBe(2);
  });
});

describe('counters', () => {
  it('incr and decr print the new value; decr stops at 0', async () => {
    await cli(['set', 'cli:n', '10']);
    expect(await cli(['incr', 'cli:n'])).toMatchObject({ code: 0, stdout: '11\n' });
    expect(await cli(['incr', 'cli:n', '5'])).toMatchObject({ code: 0, stdout: '16\n' });
    expect(await cli(['decr', 'cli:n', '100'])).toMatchObject({ code: 0, stdout: '0\n' });
    expect(json(await cli(['decr', 'cli:n', '--json']))).toEqual({ key: 'cli:n', found: true, value: 0 });
  });

  it('deltas past 2^53 are exact (JSON: decimal string)', async () => {
    await cli(['set', 'cli:big-n', '0']);
    expect((await cli(['incr', 'cli:big-n', '18446744073709551615'])).stdout).toBe('18446744073709551615\n');
    expect(json(await cli(['decr', 'cli:big-n', '1', '--json']))).toMatchObject({ value: '18446744073709551614' });
  });

  it('a missing counter is NOT_FOUND, exit 1; a non-numeric one is the server error, exit 1', async () => {
    expect(await cli(['incr', 'cli:nothing'])).toMatchObject({ code: 1, stdout: 'NOT_FOUND\n' });
    await cli(['set', 'cli:word', 'abc']);
    const run = await cli(['incr', 'cli:word']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^memcache-native: MEMCACHE_CLIENT_ERROR: /);
  });

  it('a delta that is not a non-negative integer is a usage error', async () => {
    expect((await cli(['incr', 'cli:n', 'x'])).code).toBe(2);
    expect((await cli(['incr', 'cli:n', '--', '-1'])).code).toBe(2);
    expect((await cli(['incr', 'cli:n', '18446744073709551616'])).code).toBe(2);
  });
});

describe('server commands', () => {
  it('stats prints each server and its stats; --json is an array', async () => {
    const run = await cli(['stats']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^${server.spec.replace(/[.[\]]/g, '\\$&')} \\(1\\)\\n`));
    expect(run.stdout).toMatch(/^ {2}pid +\d+$/m);
    const [entry] = json(await cli(['stats', '--json'])) as { server: string; stats: Record<string, string> }[];
    expect(entry.server).toBe(`${server.spec} (1)`);
    expect(entry.stats.version).toMatch(/^1\./);
  });

  it('stats passes its arguments; an unknown group is the server error, exit 1', async () => {
    const [entry] = json(await cli(['stats', 'settings', '--json'])) as { stats: Record<string, string> }[];
    expect(entry.stats.item_size_max).toMatch(/^\d+$/);
    const run = await cli(['stats', 'nonsense']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('MEMCACHE_UNKNOWN_COMMAND');
  });

  it('version prints each server and its version', async () => {
    const run = await cli(['version']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/ \(1\) {2}1\.\d+\.\d+/);
    expect(json(await cli(['version', '--json']))).toEqual([{ server: `${server.spec} (1)`, version: expect.stringMatching(/^1\./) }]);
  });

  it('flush invalidates every item', async () => {
    await cli(['set', 'cli:flush', 'x']);
    expect(await cli(['flush'])).toMatchObject({ code: 0, stdout: 'OK\n' });
    expect((await cli(['get', 'cli:flush'])).code).toBe(1);
    expect(json(await cli(['flush', '0', '--json']))).toEqual({ flushed: true, delay: 0 });
  });

  it('ping reports each server with its round-trip time; a down server is exit 1', async () => {
    const up = await cli(['ping']);
    expect(up.code).toBe(0);
    expect(up.stdout).toMatch(/ \(1\) {2}ok {2}[\d.]+ ms {2}1\.\d+\.\d+\n$/);
    const mixed = await cli(['ping', '--servers', `${server.spec},${DEAD}`, '--json']);
    expect(mixed.code).toBe(1);
    const rows = json(mixed) as { server: string; ok: boolean; ms?: number; error?: { code: string } }[];
    expect(rows[0]).toMatchObject({ server: `${server.spec} (1)`, ok: true, ms: expect.any(Number) });
    expect(rows[1]).toMatchObject({ server: `${DEAD} (1)`, ok: false, error: { code: 'MEMCACHE_CONNECTION' } });
    expect((await cli(['ping', '--servers', `${server.spec},${DEAD}`])).stdout).toMatch(/DOWN {2}MEMCACHE_CONNECTION/);
  });
});

describe('routing over several servers', () => {
  let others: MemcachedServer[];
  let list: string;
  beforeAll(async () => {
    others = await Promise.all([startMemcached(), startMemcached()]);
    list = [server.spec, ...others.map((s) => s.spec)].join(',');
  });
  afterAll(async () => {
    await Promise.all(others.map((s) => s.stop()));
  });

  it('dump-routing names the server of each key, as serverFor does; keys set through the CLI are there', async () => {
    const keys = Array.from({ length: 30 }, (_, i) => `cli:route:${i}`);
    const run = await cli(['dump-routing', ...keys, '--servers', list, '--json']);
    expect(run.code).toBe(0);
    const routes = json(run) as { key: string; server: string }[];
    const mc = new Client(list.split(','));
    expect(routes).toEqual(keys.map((key) => ({ key, server: mc.serverFor(key) })));
    await mc.close();
    expect(new Set(routes.map((r) => r.server)).size).toBe(3);
    const text = await cli(['dump-routing', keys[0], '--servers', list]);
    expect(text.stdout).toBe(`${keys[0]}  ${routes[0].server}\n`);
    for (const { key, server: name } of routes.slice(0, 6)) {
      expect((await cli(['set', key, 'routed', '--servers', list])).code).toBe(0);
      const address = name.replace(/ \(\d+\)$/, '');
      expect(await cli(['get', key, '--servers', address])).toMatchObject({ code: 0, stdout: 'routed\n' });
    }
  });

  it('host:port:weight sets a weight; --distribution and --hash are passed to the client', async () => {
    const weighted = `${server.spec}:3,${others[0].spec}`;
    const routes = json(await cli(['dump-routing', 'a', 'b', 'c', '--servers', weighted, '--json'])) as { server: string }[];
    expect(routes.map((r) => r.server).every((s) => s === `${server.spec} (3)` || s === `${others[0].spec} (1)`)).toBe(true);
    const keys = Array.from({ length: 20 }, (_, i) => `cli:modula:${i}`);
    const modula = json(await cli(['dump-routing', ...keys, '-d', 'modula', '--servers', list, '--json'])) as { server: string }[];
    const crc = json(await cli(['dump-routing', ...keys, '-d', 'modula', '--hash', 'crc', '--servers', list, '--json'])) as { server: string }[];
    const mc = new Client(list.split(','), { distribution: 'modula' });
    const mcCrc = new Client(list.split(','), { distribution: 'modula', hash: 'crc' });
    expect(modula.map((r) => r.server)).toEqual(keys.map((key) => mc.serverFor(key)));
    expect(crc.map((r) => r.server)).toEqual(keys.map((key) => mcCrc.serverFor(key)));
    await Promise.all([mc.close(), mcCrc.close()]);
    for (const wrong of [['-d', 'no-such'], ['--hash', 'crc']]) {
      const bad = await cli(['dump-routing', 'a', ...wrong, '--servers', list]);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('MEMCACHE_BAD_OPTION');
    }
  });
});

describe('the server list grammar, shared with the library', () => {
  const names = (servers: ReturnType<typeof parseInvocation>['servers']): string[] => {
    const mc = new Client(servers);
    const list = mc.metrics().servers.map((s) => s.server);
    void mc.close();
    return list;
  };

  it('--servers and MEMCACHE_SERVERS name the servers new Client names for the same strings', () => {
    const list = '127.0.0.1:11211:5, [::1]:11212:2,inet6:[::1]:11213:3,inet:10.0.0.1:11214:4,cache:11215,unix:/tmp/mc:1.sock,::1';
    const expected = ['127.0.0.1:11211 (5)', '[::1]:11212 (2)', '[::1]:11213 (3)', '10.0.0.1:11214 (4)', 'cache:11215 (1)', 'unix:/tmp/mc:1.sock (1)', '[::1]:11211 (1)'];
    expect(names(parseInvocation(['ping', '--servers', list], {}).servers)).toEqual(expected);
    expect(names(parseInvocation(['ping'], { MEMCACHE_SERVERS: list }).servers)).toEqual(expected);
    expect(names(list.split(',').map((s) => s.trim()))).toEqual(expected);
  });

  it('a bad weight or port is the library\'s ServerSpecError, saying what is wrong', () => {
    for (const [list, message] of [
      ['127.0.0.1:11211:x', /weight must be a non-negative integer/],
      ['[::1]:11211:-2', /weight must be a non-negative integer/],
      ['cache:99999:1', /port must be an integer 1-65535/],
    ] as const) {
      const { servers } = parseInvocation(['ping', '--servers', list], {});
      expect(() => new Client(servers)).toThrow(ServerSpecError);
      expect(() => new Client(servers)).toThrow(message);
    }
  });
});

describe('servers, TLS and failures', () => {
  it('--servers beats MEMCACHE_SERVERS, which beats localhost:11211', async () => {
    expect((await cli(['ping', '--json'], { env: { MEMCACHE_SERVERS: DEAD } })).code).toBe(1);
    expect((await cli(['ping', '--servers', server.spec], { env: { MEMCACHE_SERVERS: DEAD } })).code).toBe(0);
    const fallback = await cli(['dump-routing', 'k', '--json'], { env: { MEMCACHE_SERVERS: '' } });
    expect(json(fallback)).toEqual([{ key: 'k', server: 'localhost:11211 (1)' }]);
  });

  it('an unreachable server is exit 1 with the error code on stderr (JSON with --json)', async () => {
    const run = await cli(['get', 'k', '--servers', DEAD]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^memcache-native: MEMCACHE_CONNECTION: .*\(127\.0\.0\.1:1 \(1\)\)\n$/);
    const asJson = await cli(['get', 'k', '--servers', DEAD, '--json']);
    expect(JSON.parse(asJson.stderr)).toMatchObject({ error: { code: 'MEMCACHE_CONNECTION', server: `${DEAD} (1)` } });
  });

  it('--tls talks to a TLS-only memcached (CA trusted through NODE_EXTRA_CA_CERTS)', async () => {
    const tlsServer = await startMemcached({ tls: true });
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cli-tls-'));
    try {
      const ca = path.join(dir, 'ca.pem');
      writeFileSync(ca, tlsServer.ca!);
      const env = { NODE_EXTRA_CA_CERTS: ca, MEMCACHE_SERVERS: tlsServer.spec };
      expect((await cli(['--tls', 'set', 'cli:tls', 'secret'], { env })).code).toBe(0);
      expect(await cli(['--tls', 'get', 'cli:tls'], { env })).toMatchObject({ code: 0, stdout: 'secret\n' });
      expect((await cli(['get', 'cli:tls', '--timeout', '500'], { env })).code).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await tlsServer.stop();
    }
  });
});

describe('authentication (memcached -Y)', () => {
  let secured: MemcachedServer;
  beforeAll(async () => {
    secured = await startMemcached({ users: { alice: 's3cr:et' } });
  });
  afterAll(async () => secured?.stop());

  it('logs in with --username and MEMCACHE_PASSWORD', async () => {
    const env = { MEMCACHE_SERVERS: secured.spec, MEMCACHE_PASSWORD: 's3cr:et' };
    expect((await cli(['--username', 'alice', 'set', 'cli:auth', 'v'], { env })).code).toBe(0);
    expect(await cli(['-u', 'alice', 'get', 'cli:auth'], { env })).toMatchObject({ code: 0, stdout: 'v\n' });
  });

  it('logs in with MEMCACHE_USERNAME and --password-file', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cli-auth-'));
    try {
      const file = path.join(dir, 'password');
      writeFileSync(file, 's3cr:et\n');
      const env = { MEMCACHE_SERVERS: secured.spec, MEMCACHE_USERNAME: 'alice' };
      expect(await cli(['--password-file', file, 'ping'], { env })).toMatchObject({ code: 0 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('without a login, says the server requires authentication (exit 1, MEMCACHE_AUTH)', async () => {
    const run = await cli(['get', 'cli:auth'], { env: { MEMCACHE_SERVERS: secured.spec } });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/MEMCACHE_AUTH: .*requires authentication/);
  });

  it('a wrong password is exit 1 with MEMCACHE_AUTH', async () => {
    const run = await cli(['-u', 'alice', 'get', 'k'], { env: { MEMCACHE_SERVERS: secured.spec, MEMCACHE_PASSWORD: 'wrong' } });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/MEMCACHE_AUTH/);
  });

  it.each<[string, string[], Record<string, string | undefined>]>([
    ['a user and no password', ['-u', 'alice', 'ping'], { MEMCACHE_PASSWORD: undefined }],
    ['a password file and no user', ['--password-file', '/nonexistent', 'ping'], { MEMCACHE_USERNAME: undefined }],
    ['a password file that cannot be read', ['-u', 'alice', '--password-file', '/nonexistent', 'ping'], {}],
    ['a password on the command line', ['-u', 'alice', '--password', 'pw', 'ping'], {}],
  ])('%s is a usage error (exit 2), nothing sent', async (_, args, env) => {
    const run = await cli(args, { env: { MEMCACHE_SERVERS: secured.spec, ...env } });
    expect(run.code).toBe(2);
  });
});

describe('usage errors: exit 2, nothing sent', () => {
  it.each<[string, string[]]>([
    ['no command', []],
    ['an unknown command', ['fetch', 'k']],
    ['an unknown option', ['get', 'k', '--bogus']],
    ['a missing argument', ['get']],
    ['an extra argument', ['get', 'a', 'b']],
    ['a key with a space', ['get', 'a b']],
    ['a key too long', ['get', 'k'.repeat(251)]],
    ['a bad server list', ['get', 'k', '--servers', 'host:99999']],
    ['an empty server list', ['get', 'k', '--servers', ',']],
    ['a bad timeout', ['get', 'k', '--timeout', 'soon']],
    ['a bad flush delay', ['flush', 'later']],
  ])('%s', async (_, args) => {
    const run = await cli(args, { env: { MEMCACHE_SERVERS: DEAD } });
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^memcache-native: /);
  });

  it('says how to get help', async () => {
    expect((await cli(['fetch'])).stderr).toBe(`memcache-native: unknown command "fetch"\nTry 'memcache-native --help'.\n`);
    expect((await cli(['get'])).stderr).toMatch(/usage: memcache-native get KEY/);
  });
});
