/**
 * The text protocol as canned bytes: what each command encodes to, and how reply bytes (split at
 * any boundary) turn into results and typed errors. No server involved, except for the last block,
 * which pins write coalescing (per tick, and per burst of 32) on a real one.
 */
import net from 'node:net';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { PythonCompatibleSerializer } from '../ts/codec/serializer.js';
import { ReplyReader, type ReplySink } from '../ts/connection/reply-reader.js';
import { SCAN_STRIDE } from '../ts/core/index.js';
import {
  Client,
  ClientError,
  DeserializeError,
  KeyError,
  ProtocolError,
  ServerError,
  UnknownCommandError,
  type MemcacheError,
} from '../ts/index.js';
import { CommandWriter } from '../ts/protocol/command-writer.js';
import { wireKey } from '../ts/protocol/key-rules.js';
import type { Request, ValueDecoder } from '../ts/protocol/request.js';
import { ArithRequest, DeleteManyRequest, DeleteRequest, TouchRequest } from '../ts/protocol/requests/keyed.js';
import { GetMultiRequest, GetRequest } from '../ts/protocol/requests/retrieval.js';
import { FlushAllRequest, StatsRequest, VersionRequest } from '../ts/protocol/requests/server.js';
import { StoreManyRequest, StoreRequest } from '../ts/protocol/requests/storage.js';
import {
  encodeArith,
  encodeAuth,
  encodeDelete,
  encodeFlushAll,
  encodeRetrieval,
  encodeStats,
  encodeStorage,
  encodeTouch,
  encodeVersion,
} from '../ts/protocol/text-commands.js';
import { eventually, startFakeServer } from './support/fake-server.js';
import { useServerAndClient } from './support/server-and-client.js';

const serializer = new PythonCompatibleSerializer();
const decoder: ValueDecoder = { decode: (buf, start, end, flags) => serializer.deserializeRange(buf, start, end, flags, false) };

function encoded(write: (w: CommandWriter) => void): string {
  const w = new CommandWriter();
  write(w);
  return Buffer.concat(w.take()).toString('latin1');
}

/** Writes `requests`, then feeds `reply` to them in `chunks` pieces as a connection would. Returns their outcomes. */
async function exchange(requests: Request[], reply: string | Buffer, cuts: number[] = []): Promise<PromiseSettledResult<unknown>[]> {
  const w = new CommandWriter();
  for (const r of requests) r.encode(w);
  const queue = [...requests];
  const sink: ReplySink = {
    onRecords(buf, records, count) {
      for (let i = 0; i < count; i++) {
        const off = i * SCAN_STRIDE;
        if (queue[0].onReply(records[off], buf, records, off)) queue.shift();
      }
      return true;
    },
  };
  const bytes = Buffer.isBuffer(reply) ? reply : Buffer.from(reply, 'latin1');
  const reader = new ReplyReader();
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    reader.push(Buffer.from(bytes.subarray(from, cut)), sink);
    from = cut;
  }
  expect(queue).toEqual([]);
  return Promise.allSettled(requests.map((r) => r.promise));
}

const value = (outcome: PromiseSettledResult<unknown>) => (outcome as PromiseFulfilledResult<unknown>).value;
const reason = (outcome: PromiseSettledResult<unknown>) => (outcome as PromiseRejectedResult).reason;

describe('encoding', () => {
  it('storage commands', () => {
    const text = { data: 'héllo', length: 6, flags: 16 };
    expect(encoded((w) => encodeStorage(w, 'set', 'k', text, 0, undefined, false))).toBe('set k 16 0 6\r\nh\xc3\xa9llo\r\n');
    expect(encoded((w) => encodeStorage(w, 'add', 'k', { data: Buffer.from([0, 13, 10]), length: 3, flags: 0 }, 60, undefined, true))).toBe(
      'add k 0 60 3 noreply\r\n\0\r\n\r\n',
    );
    expect(encoded((w) => encodeStorage(w, 'cas', 'k', { data: '', length: 0, flags: 2 }, 5, '18446744073709551615', false))).toBe(
      'cas k 2 5 0 18446744073709551615\r\n\r\n',
    );
  });

  it('retrieval commands, split into lines of bounded length', () => {
    const w = new CommandWriter();
    expect(encodeRetrieval(w, 'get', 0, ['a', 'b'])).toBe(1);
    expect(encodeRetrieval(w, 'gats', 300, ['a'])).toBe(1);
    expect(Buffer.concat(w.take()).toString()).toBe('get a b\r\ngats 300 a\r\n');
    const keys = Array.from({ length: 100 }, (_, i) => `${'k'.repeat(200)}${i}`);
    const lines = encodeRetrieval(w, 'get', 0, keys);
    const text = Buffer.concat(w.take()).toString();
    expect(lines).toBeGreaterThan(1);
    expect(text.split('\r\n').filter(Boolean)).toHaveLength(lines);
    for (const line of text.split('\r\n')) expect(line.length).toBeLessThanOrEqual(8 * 1024);
    expect(text.replace(/\r\nget/g, '').split(' ').slice(1).join(' ')).toBe(keys.join(' ') + '\r\n');
  });

  it('the other commands', () => {
    expect(encoded((w) => encodeDelete(w, 'k', false))).toBe('delete k\r\n');
    expect(encoded((w) => encodeDelete(w, 'k', true))).toBe('delete k noreply\r\n');
    expect(encoded((w) => encodeArith(w, 'incr', 'k', '18446744073709551615', false))).toBe('incr k 18446744073709551615\r\n');
    expect(encoded((w) => encodeArith(w, 'decr', 'k', '1', true))).toBe('decr k 1 noreply\r\n');
    expect(encoded((w) => encodeTouch(w, 'k', 10, false))).toBe('touch k 10\r\n');
    expect(encoded((w) => encodeStats(w, ''))).toBe('stats\r\n');
    expect(encoded((w) => encodeStats(w, 'slabs'))).toBe('stats slabs\r\n');
    expect(encoded((w) => encodeFlushAll(w, 0))).toBe('flush_all\r\n');
    expect(encoded((w) => encodeFlushAll(w, 30))).toBe('flush_all 30\r\n');
    expect(encoded((w) => encodeVersion(w))).toBe('version\r\n');
    expect(encoded((w) => encodeAuth(w, 'user', 'pässword'))).toBe('set auth 0 0 14\r\nuser p\xc3\xa4ssword\r\n');
  });

  it('keys in wire form: one character per UTF-8 byte, prefix included', () => {
    expect(wireKey('plain', '', 250)).toBe('plain');
    expect(wireKey('é', 'p:', 250)).toBe('p:\xc3\xa9');
    expect(wireKey(Buffer.from([0xff, 0x41]), '', 250)).toBe('\xffA');
    expect(() => wireKey('a'.repeat(249), 'p:', 250)).toThrow(KeyError);
  });
});

describe('the command writer', () => {
  it('keeps small commands in one chunk and large values as chunks of their own, uncopied', () => {
    const w = new CommandWriter();
    const big = Buffer.alloc(64 * 1024, 1);
    w.latin1('set k 0 0 65536\r\n');
    w.bytes(big);
    w.latin1('\r\nget k\r\n');
    const chunks = w.take();
    expect(chunks).toHaveLength(3);
    expect(chunks[1]).toBe(big);
    expect(w.isEmpty).toBe(true);
  });

  it('never writes again over bytes it handed out', () => {
    const w = new CommandWriter();
    w.latin1('first\r\n');
    const [first] = w.take();
    for (let i = 0; i < 20_000; i++) w.latin1('second\r\n');
    w.take();
    expect(Buffer.from(first).toString()).toBe('first\r\n');
  });

  it('writes wire text one byte per character and values as UTF-8, in order, whatever they hold', () => {
    const w = new CommandWriter();
    w.latin1('set \xffk 0 0 2\r\n'); // a wire key holding byte 0xff
    w.utf8('é', 2);
    w.latin1('\r\n');
    w.utf8('plain', 5);
    w.bytes(Buffer.from([0, 1]));
    w.utf8('\u{1f600}', 4);
    const expected = Buffer.concat([
      Buffer.from('set \xffk 0 0 2\r\n', 'latin1'),
      Buffer.from('é\r\nplain'),
      Buffer.from([0, 1]),
      Buffer.from('\u{1f600}'),
    ]);
    expect(Buffer.concat(w.take()).equals(expected)).toBe(true);
  });

  it('encodes long runs of commands across batch and slab boundaries byte for byte', () => {
    const w = new CommandWriter();
    const expected: Buffer[] = [];
    for (let i = 0; i < 5000; i++) {
      const value = i % 7 === 0 ? `vä${i}` : `v${i}`;
      const key = i % 1000 === 0 ? `k\xe9${i}` : `k${i}`;
      w.latin1(`set ${key} 0 0 ${Buffer.byteLength(value)}\r\n`);
      w.utf8(value, Buffer.byteLength(value));
      w.latin1('\r\n');
      expected.push(Buffer.from(`set ${key} 0 0 ${Buffer.byteLength(value)}\r\n`, 'latin1'), Buffer.from(`${value}\r\n`));
    }
    const chunks = w.take();
    expect(chunks.length).toBeGreaterThan(1);
    expect(Buffer.concat(chunks).equals(Buffer.concat(expected))).toBe(true);
  });
});

describe('decoding', () => {
  it('a VALUE split at every possible boundary', async () => {
    const reply = 'VALUE k 16 10\r\nhello\r\nEND\r\nEND\r\n';
    for (let cut = 1; cut < reply.length; cut++) {
      const [outcome] = await exchange([new GetRequest('get', 0, 'k', decoder, 1000, undefined)], reply, [cut]);
      expect(value(outcome)).toBe('hello\r\nEND');
    }
  });

  it('any split of a reply stream gives the same results (fast-check)', async () => {
    const reply = 'VALUE a 0 3\r\nabc\r\nEND\r\nSTORED\r\nVALUE b 2 2 77\r\n42\r\nEND\r\n18446744073709551615\r\nDELETED\r\n';
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(fc.integer({ min: 1, max: reply.length - 1 }), { maxLength: 8 }), async (cuts) => {
        const requests = [
          new GetRequest('get', 0, 'a', decoder, 1000, undefined),
          new StoreRequest('set', 'x', { data: 'v', length: 1, flags: 16 }, 0, undefined, false, 1000, undefined),
          new GetRequest('gets', 0, 'b', decoder, 1000, undefined),
          new ArithRequest('incr', 'n', '1', false, 1000, undefined),
          new DeleteRequest('d', false, 1000, undefined),
        ];
        const outcomes = await exchange(requests, reply, cuts.sort((x, y) => x - y));
        expect(outcomes.map(value)).toEqual([Buffer.from('abc'), true, { value: 42, cas: 77n }, 2n ** 64n - 1n, true]);
      }),
      { numRuns: 200 },
    );
  });

  it('a merged get hands each waiter its own key, duplicates included', async () => {
    const [a, b, a2, c] = ['a', 'b', 'a', 'c'].map((k) => new GetRequest('get', 0, k, decoder, 1000, undefined));
    expect(a.absorb(b)).toBe(true);
    expect(a.absorb(a2)).toBe(true);
    expect(a.absorb(c)).toBe(true);
    expect(a.keys).toEqual(['a', 'b', 'c']);
    expect(encoded((w) => a.encode(w))).toBe('get a b c\r\n');
    await exchange([a], 'VALUE a 16 1\r\n1\r\nVALUE c 16 1\r\n3\r\nEND\r\n');
    expect(await Promise.all([a.promise, b.promise, a2.promise, c.promise])).toEqual(['1', undefined, '1', '3']);
  });

  it('gets of different kinds, ttls or timeouts do not merge', () => {
    const get = new GetRequest('get', 0, 'a', decoder, 1000, undefined);
    expect(get.absorb(new GetRequest('gets', 0, 'b', decoder, 1000, undefined))).toBe(false);
    expect(get.absorb(new GetRequest('get', 0, 'b', decoder, 500, undefined))).toBe(false);
    const gat = new GetRequest('gat', 10, 'a', decoder, 1000, undefined);
    expect(gat.absorb(new GetRequest('gat', 20, 'b', decoder, 1000, undefined))).toBe(false);
    expect(gat.absorb(new GetRequest('gat', 10, 'b', decoder, 1000, undefined))).toBe(true);
    expect(get.absorb(new StoreRequest('set', 'k', { data: 'v', length: 1, flags: 0 }, 0, undefined, false, 1000, undefined))).toBe(false);
  });

  it('getMulti fills the shared map, and a key that cannot be decoded goes to errors', async () => {
    const hits = new Map<unknown, unknown>();
    const errors = new Map<unknown, MemcacheError>();
    const request = new GetMultiRequest(['a', 'b', 'c'], ['A', 'B', 'C'], hits, errors, decoder, 1000, undefined);
    await exchange([request], 'VALUE a 16 1\r\nx\r\nVALUE b 2 3\r\nabc\r\nEND\r\n');
    expect([...hits]).toEqual([['A', 'x']]);
    expect(errors.get('B')).toBeInstanceOf(DeserializeError);
  });

  it('error lines become typed errors; the reply stream stays in step', async () => {
    const set = () => new StoreRequest('set', 'k', { data: 'v', length: 1, flags: 0 }, 0, undefined, false, 1000, undefined);
    const outcomes = await exchange(
      [set(), new ArithRequest('incr', 'k', '1', false, 1000, undefined), set(), new TouchRequest('k', 1, 1000, undefined), new VersionRequest(1000, undefined)],
      'SERVER_ERROR out of memory storing object\r\nCLIENT_ERROR cannot increment or decrement non-numeric value\r\nERROR\r\nNOT_FOUND\r\nVERSION 1.6.18\r\n',
    );
    expect(reason(outcomes[0])).toBeInstanceOf(ServerError);
    expect(reason(outcomes[0]).message).toBe('SERVER_ERROR out of memory storing object');
    expect(reason(outcomes[1])).toBeInstanceOf(ClientError);
    expect(reason(outcomes[2])).toBeInstanceOf(UnknownCommandError);
    expect(value(outcomes[3])).toBe(false);
    expect(value(outcomes[4])).toBe('1.6.18');
  });

  it.each([
    ['set', () => new StoreRequest('set', 'k', { data: 'v', length: 1, flags: 0 }, 0, undefined, false, 1000, undefined)],
    ['setMulti', () => new StoreManyRequest('set', [{ key: 'k', value: { data: 'v', length: 1, flags: 0 }, exptime: 0 }], ['k'], false, 1000, undefined)],
  ])('a CLIENT_ERROR to %s rejects it with a ClientError and ends the stream with a ProtocolError', async (_, make) => {
    const request = make();
    await expect(exchange([request], 'CLIENT_ERROR bad command line format\r\nSTORED\r\n')).rejects.toMatchObject({
      code: 'MEMCACHE_PROTOCOL',
      cause: { code: 'MEMCACHE_CLIENT_ERROR' },
    });
    await expect(request.promise).rejects.toMatchObject({ code: 'MEMCACHE_CLIENT_ERROR' });
  });

  it('multi-key storage and deletion report per key', async () => {
    const item = (key: string) => ({ key, value: { data: 'v', length: 1, flags: 0 }, exptime: 0 });
    const store = new StoreManyRequest('add', [item('a'), item('b'), item('c')], ['A', 'B', 'C'], false, 1000, undefined);
    const del = new DeleteManyRequest(['a', 'b'], ['A', 'B'], false, 1000, undefined);
    const outcomes = await exchange([store, del], 'STORED\r\nNOT_STORED\r\nSERVER_ERROR object too large for cache\r\nNOT_FOUND\r\nDELETED\r\n');
    expect(outcomes.map(value)).toEqual([['B', 'C'], ['A']]);
  });

  it('stats lines, including values with spaces', async () => {
    const [outcome] = await exchange([new StatsRequest('', 1000, undefined)], 'STAT pid 42\r\nSTAT libevent 2.1.12-stable x\r\nSTAT empty \r\nEND\r\n');
    expect(value(outcome)).toEqual({ pid: '42', libevent: '2.1.12-stable x', empty: '' });
  });

  it('a reply that cannot answer its request is a ProtocolError', async () => {
    const flush = new FlushAllRequest(0, 1000, undefined);
    await expect(exchange([flush], 'STORED\r\n')).rejects.toBeInstanceOf(ProtocolError);
  });
});

describe('a storage command the server refused (CLIENT_ERROR)', () => {
  it('closes its connection: the replies of value bytes run as commands never reach later requests', async () => {
    // Answers the set as memcached answers a command line it cannot parse, then the "injected" command's reply.
    const fake = await startFakeServer((socket, data) => {
      if (data.includes('set ')) socket.write('CLIENT_ERROR bad command line format\r\nSTORED\r\n');
      else if (data.includes('version')) socket.write('VERSION 1.6.18\r\n');
    });
    const mc = new Client(fake.spec, { retries: 0 });
    try {
      const set = mc.set('k', 'set pwned 0 0 1\r\nx');
      const add = mc.add('lock', 'mine');
      await expect(set).rejects.toMatchObject({ code: 'MEMCACHE_CLIENT_ERROR' });
      await expect(add).rejects.toMatchObject({ code: 'MEMCACHE_PROTOCOL' });
      await eventually(() => fake.open === 0 || fake.accepted === 1);
      expect((await mc.version())[0].version).toBe('1.6.18');
      expect(fake.accepted).toBe(2);
    } finally {
      await mc.close();
      await fake.close();
    }
  });
});

describe('writing to a real server', () => {
  const ctx = useServerAndClient();

  it('coalesces everything queued in one tick into one socket write', async () => {
    await ctx.client.version();
    const write = vi.spyOn(net.Socket.prototype, 'write');
    try {
      const results = await Promise.all([
        ctx.client.set('co:a', 'A'),
        ctx.client.get('co:a'),
        ctx.client.incr('co:n'),
        ctx.client.add('co:a', 'x'),
        ctx.client.delete('co:b'),
        ctx.client.touch('co:a', 10),
        ctx.client.getMulti(['co:a', 'co:b']),
      ]);
      expect(results.slice(0, 6)).toEqual([true, 'A', undefined, false, false, true]);
      expect(write).toHaveBeenCalledTimes(1);
    } finally {
      write.mockRestore();
    }
  });

  it('writes a burst at once every 64 requests, so the server starts before the tick ends; replies stay matched', async () => {
    await ctx.client.version();
    const write = vi.spyOn(net.Socket.prototype, 'write');
    try {
      const sets: Promise<boolean>[] = [];
      for (let i = 0; i < 63; i++) sets.push(ctx.client.set(`burst:${i}`, `v${i}`));
      expect(write).not.toHaveBeenCalled();
      sets.push(ctx.client.set('burst:63', 'v63'));
      expect(write).toHaveBeenCalledTimes(1);
      for (let i = 64; i < 140; i++) sets.push(ctx.client.set(`burst:${i}`, `v${i}`));
      expect(write).toHaveBeenCalledTimes(2); // at 128; the last 12 wait for the tick's end
      expect(await Promise.all(sets)).toEqual(sets.map(() => true));
      expect(write).toHaveBeenCalledTimes(3);
      const keys = sets.map((_, i) => `burst:${i}`);
      const values = await Promise.all(keys.map((key) => ctx.client.get(key)));
      expect(values).toEqual(keys.map((_, i) => `v${i}`));
    } finally {
      write.mockRestore();
    }
  });

  it("writes a request of 64 keys at once while nothing awaits a reply; one of 63 keys, or one behind a request in flight, waits for the tick's end", async () => {
    const keys = Array.from({ length: 64 }, (_, i) => `wide:${i}`);
    await Promise.all(keys.map((key) => ctx.client.set(key, key)));
    const write = vi.spyOn(net.Socket.prototype, 'write');
    try {
      const narrow = ctx.client.getMulti(keys.slice(0, 63));
      expect(write).not.toHaveBeenCalled();
      const wide = ctx.client.getMulti(keys);
      expect(write).toHaveBeenCalledTimes(1); // both, before the tick ends
      const behind = ctx.client.getMulti(keys); // the two above are in flight: memcached is busy
      expect(write).toHaveBeenCalledTimes(1);
      const [fewer, all, again] = await Promise.all([narrow, wide, behind]);
      expect(write).toHaveBeenCalledTimes(2);
      expect([...fewer.values()]).toEqual(keys.slice(0, 63));
      expect([...all.values()]).toEqual(keys);
      expect([...again.values()]).toEqual(keys);
    } finally {
      write.mockRestore();
    }
  });
});
