// The fault proxy itself, driven by raw sockets against a real memcached.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFaultProxy, type FaultProxy } from './support/fault-proxy.js';
import { startMemcached, type MemcachedProcess } from './support/memcached-process.js';

/** A raw client that records every read separately, plus how it ended. */
class Raw {
  readonly chunks: Buffer[] = [];
  error?: NodeJS.ErrnoException;
  ended = false;
  closed = false;
  private waiters: Array<() => void> = [];

  constructor(readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.on('data', (c: Buffer) => (this.chunks.push(c), this.poke()));
    socket.on('end', () => (this.ended = true, this.poke()));
    socket.on('error', (e) => (this.error = e, this.poke()));
    socket.on('close', () => (this.closed = true, this.poke()));
  }

  static open(at: { host: string; port: number }): Promise<Raw> {
    const raw = new Raw(net.connect(at.port, at.host));
    // A refused or reset connection may fail before 'connect' fires.
    return new Promise((resolve) => {
      raw.socket.once('connect', () => resolve(raw)).once('close', () => resolve(raw));
    });
  }

  get data(): Buffer {
    return Buffer.concat(this.chunks);
  }

  /** Resolves true once `done()` holds, false after `ms`. */
  async until(done: (r: Raw) => boolean, ms = 2000): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (!done(this)) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => (clearTimeout(t), resolve()));
      });
    }
    return true;
  }

  private poke(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}

const endsWith = (s: string) => (r: Raw) => r.data.toString('latin1').endsWith(s);
const VALUE = 'x'.repeat(100);
const GET_REPLY = `VALUE fp:k 0 100\r\n${VALUE}\r\nEND\r\n`;

let mc: MemcachedProcess;
let proxy: FaultProxy;
const clients: Raw[] = [];

async function client(): Promise<Raw> {
  const raw = await Raw.open(proxy);
  clients.push(raw);
  return raw;
}

async function get(raw: Raw): Promise<Buffer> {
  const before = raw.data.length;
  raw.socket.write('get fp:k\r\n');
  await raw.until((r) => r.data.subarray(before).toString('latin1').endsWith('END\r\n'));
  return raw.data.subarray(before);
}

beforeAll(async () => {
  mc = await startMemcached();
  const direct = await Raw.open(mc);
  direct.socket.write(`set fp:k 0 0 100\r\n${VALUE}\r\n`);
  await direct.until(endsWith('STORED\r\n'));
  direct.socket.destroy();
});

afterAll(async () => {
  await mc?.stop();
});

describe('fault proxy', () => {
  beforeAll(async () => {
    proxy = await startFaultProxy({ target: mc });
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.socket.destroy();
    proxy.setMode({ kind: 'pass' });
  });
  afterAll(async () => {
    await proxy.close();
  });

  it('passes set and get through unchanged and counts the bytes', async () => {
    const raw = await client();
    const before = proxy.stats;
    const request = 'set fp:p 0 0 2\r\nhi\r\nget fp:p\r\n';
    const reply = 'STORED\r\nVALUE fp:p 0 2\r\nhi\r\nEND\r\n';
    raw.socket.write(request);
    expect(await raw.until(endsWith('END\r\n'))).toBe(true);
    expect(raw.data.toString()).toBe(reply);
    const after = proxy.stats;
    expect(after.bytesToServer - before.bytesToServer).toBe(request.length);
    expect(after.bytesToClient - before.bytesToClient).toBe(reply.length);
  });

  it('delays each direction by at least the delay', async () => {
    const raw = await client();
    proxy.setMode({ kind: 'delay', ms: 60 });
    const t0 = performance.now();
    expect((await get(raw)).toString()).toBe(GET_REPLY);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(120);

    // Replies only: the request chunk is not counted as delayed.
    proxy.setMode({ kind: 'delay', ms: 60, direction: 'toClient' });
    const delayed = proxy.stats.faults.delay;
    const t1 = performance.now();
    await get(raw);
    expect(performance.now() - t1).toBeGreaterThanOrEqual(60);
    expect(proxy.stats.faults.delay - delayed).toBe(1);
  });

  it('never lets a later chunk overtake a delayed one when the mode switches', async () => {
    const raw = await client();
    proxy.setMode({ kind: 'delay', ms: 80, direction: 'toServer' });
    raw.socket.write('get fp:k\r\n');
    await new Promise((r) => setTimeout(r, 10));
    proxy.setMode({ kind: 'pass' });
    raw.socket.write('version\r\n');
    expect(await raw.until((r) => /VERSION [^\r]*\r\n$/.test(r.data.toString()))).toBe(true);
    expect(raw.data.toString().startsWith(GET_REPLY)).toBe(true);
  });

  it('stall delivers nothing, then releases the held bytes when lifted', async () => {
    const raw = await client();
    proxy.setMode({ kind: 'stall' });
    raw.socket.write('get fp:k\r\n');
    expect(await raw.until((r) => r.chunks.length > 0, 200)).toBe(false);
    proxy.setMode({ kind: 'pass' });
    expect(await raw.until(endsWith('END\r\n'))).toBe(true);
    expect(raw.data.toString()).toBe(GET_REPLY);
  });

  it('reset sends RST on the next data of a live connection and on accept', async () => {
    const live = await client();
    proxy.setMode({ kind: 'reset' });
    live.socket.write('get fp:k\r\n');
    expect(await live.until((r) => r.closed)).toBe(true);
    expect(live.error?.code).toBe('ECONNRESET');
    expect(live.chunks).toHaveLength(0);

    const fresh = await client();
    expect(await fresh.until((r) => r.closed)).toBe(true);
    expect(fresh.error?.code).toBe('ECONNRESET');
    expect(proxy.stats.faults.reset).toBeGreaterThanOrEqual(2);
  });

  it('resetConnections kills every live pair at once', async () => {
    const a = await client();
    const b = await client();
    await get(a);
    proxy.resetConnections();
    expect(await a.until((r) => r.closed)).toBe(true);
    expect(await b.until((r) => r.closed)).toBe(true);
    expect(a.error?.code).toBe('ECONNRESET');
    expect(proxy.stats.open).toBe(0);
  });

  it('closeAfter delivers exactly N reply bytes, then EOF', async () => {
    const raw = await client();
    proxy.setMode({ kind: 'closeAfter', bytes: 10 });
    raw.socket.write('get fp:k\r\n');
    expect(await raw.until((r) => r.closed)).toBe(true);
    expect(raw.ended).toBe(true);
    expect(raw.error).toBeUndefined();
    expect(raw.data.toString()).toBe(GET_REPLY.slice(0, 10));
  });

  it('closeAfter toServer forwards exactly N request bytes', async () => {
    const raw = await client();
    proxy.setMode({ kind: 'closeAfter', bytes: 5, direction: 'toServer' });
    const before = proxy.stats.bytesToServer;
    raw.socket.write('get fp:k\r\n');
    expect(await raw.until((r) => r.closed)).toBe(true);
    expect(raw.chunks).toHaveLength(0);
    expect(proxy.stats.bytesToServer - before).toBe(5);
  });

  it('drip delivers the full reply in many small reads', async () => {
    const raw = await client();
    proxy.setMode({ kind: 'drip' });
    expect((await get(raw)).toString()).toBe(GET_REPLY);
    expect(raw.chunks.length).toBeGreaterThan(GET_REPLY.length / 2);
  });

  it('split delivers a byte-identical reply in several reads', async () => {
    const raw = await client();
    proxy.setMode({ kind: 'split', seed: 7 });
    for (let i = 0; i < 5; i++) expect((await get(raw)).toString()).toBe(GET_REPLY);
    expect(raw.chunks.length).toBeGreaterThan(5);
    expect(proxy.stats.faults.split).toBeGreaterThanOrEqual(5);
  });

  it('garbage inserts high bytes into the reply', async () => {
    const raw = await client();
    proxy.setMode({ kind: 'garbage', seed: 3 });
    raw.socket.write('get fp:k\r\n');
    expect(await raw.until((r) => r.data.length > GET_REPLY.length)).toBe(true);
    const reply = raw.data;
    expect(reply.equals(Buffer.from(GET_REPLY))).toBe(false);
    expect(reply.some((b) => b >= 0x80)).toBe(true);
    expect(Buffer.from(reply.filter((b) => b < 0x80)).toString()).toBe(GET_REPLY);
  });

  it('garbage with probability 0 changes nothing', async () => {
    const raw = await client();
    proxy.setMode({ kind: 'garbage', probability: 0 });
    expect((await get(raw)).toString()).toBe(GET_REPLY);
  });

  it('refuse fails new connections while old ones keep working', async () => {
    const old = await client();
    proxy.setMode({ kind: 'refuse' });
    const refused = await client();
    expect(await refused.until((r) => r.closed)).toBe(true);
    expect(refused.error?.code).toBe('ECONNRESET');
    expect((await get(old)).toString()).toBe(GET_REPLY);
    expect(proxy.stats.refused).toBeGreaterThanOrEqual(1);

    proxy.setMode({ kind: 'pass' });
    expect((await get(await client())).toString()).toBe(GET_REPLY);
  });

  it('rejects an invalid mode, naming the field', () => {
    expect(() => proxy.setMode({ kind: 'delay', ms: -1 })).toThrow(/delay\.ms/);
    expect(() => proxy.setMode({ kind: 'closeAfter', bytes: 1.5 })).toThrow(/closeAfter\.bytes/);
  });
});

describe('close()', () => {
  it('closes live pairs and stops listening', async () => {
    const p = await startFaultProxy({ target: mc });
    proxy = p;
    const raw = await client();
    await get(raw);
    p.setMode({ kind: 'delay', ms: 10_000 });
    raw.socket.write('get fp:k\r\n');
    await p.close();
    expect(await raw.until((r) => r.closed)).toBe(true);
    expect(p.stats.open).toBe(0);
    const err = await new Promise<NodeJS.ErrnoException>((resolve) =>
      net.connect(p.port, p.host).once('error', resolve));
    expect(err.code).toBe('ECONNREFUSED');
  });

  it('leaves nothing running: a child process exits within 2 s of close()', async () => {
    const exitAfterClose = await runChild(`
      import net from 'node:net';
      import { startFaultProxy } from './fault-proxy.js';
      import { startMemcached } from './memcached-process.js';
      const mc = await startMemcached();
      const proxy = await startFaultProxy({ target: mc });
      const s = net.connect(proxy.port, proxy.host).on('error', () => {});
      await new Promise((r) => s.once('connect', r));
      proxy.setMode({ kind: 'delay', ms: 30000 });
      s.write('version\\r\\n');
      await new Promise((r) => setTimeout(r, 50));
      await proxy.close();
      await mc.stop();
      process.stdout.write('closed\\n');
    `);
    expect(exitAfterClose).toBeLessThan(2000);
  });
});

/** Bundles `source` beside the support files, runs it, returns ms from "closed" to exit. */
async function runChild(source: string): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'fault-proxy-'));
  try {
    const out = join(dir, 'child.mjs');
    const result = await build({
      stdin: { contents: source, loader: 'ts', resolveDir: fileURLToPath(new URL('./support/', import.meta.url)) },
      bundle: true, platform: 'node', format: 'esm', write: false, logLevel: 'silent',
    });
    writeFileSync(out, result.outputFiles[0].text);
    const child = spawn(process.execPath, [out], { stdio: ['ignore', 'pipe', 'inherit'] });
    let closedAt = 0;
    child.stdout.on('data', (c: Buffer) => {
      if (c.toString().includes('closed')) closedAt = performance.now();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    clearTimeout(timer);
    expect(code).toBe(0);
    expect(closedAt).toBeGreaterThan(0);
    return performance.now() - closedAt;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
