/**
 * Multi-key calls over several servers: grouped by server, one pipelined request per server, all
 * servers at once, results merged; a failing server costs only its own keys; long key lists are
 * split into lines memcached accepts.
 */
import type net from 'node:net';
import { describe, expect, it } from 'vitest';
import { Client, TimeoutError, type MemcacheError } from '../ts/index.js';
import { startFakeServer, type FakeServer } from './support/fake-server.js';
import { useServers } from './support/server-and-client.js';

const servers = useServers(3);

/** Answers each complete get/gat line, after `delayMs`, with a one-byte value for every key. */
function answersGets(delayMs: number) {
  const pending = new Map<net.Socket, string>();
  return (socket: net.Socket, data: Buffer) => {
    const text = (pending.get(socket) ?? '') + data.toString('latin1');
    const lines = text.split('\r\n');
    pending.set(socket, lines.pop() as string);
    for (const line of lines) {
      const words = line.split(' ');
      const keys = words[0] === 'gat' || words[0] === 'gats' ? words.slice(2) : words.slice(1);
      const reply = keys.map((k) => `VALUE ${k} 0 1\r\nx\r\n`).join('') + 'END\r\n';
      setTimeout(() => socket.writable && socket.write(reply), delayMs);
    }
  };
}

/** The request lines a fake server received. */
const linesOf = (fake: FakeServer) => fake.received.join('').split('\r\n').filter(Boolean);

describe('a multi-key call over three servers', () => {
  it('sends one request per server, to all at once, and merges the replies', async () => {
    const fakes = await Promise.all([0, 1, 2].map(() => startFakeServer(answersGets(150))));
    const mc = new Client(fakes.map((f) => f.spec));
    try {
      const keys = Array.from({ length: 600 }, (_, i) => `fan:${i}`);
      const started = performance.now();
      const result = await mc.getMulti(keys);
      // Three servers answering after 150 ms each: in parallel that is one wait, not three.
      expect(performance.now() - started).toBeLessThan(400);
      expect(result.size).toBe(600);
      for (const fake of fakes) {
        const [line, ...more] = linesOf(fake);
        expect(more).toEqual([]);
        expect(line.split(' ').slice(1)).toEqual(keys.filter((k) => mc.serverFor(k) === `${fake.spec} (1)`));
      }
    } finally {
      await mc.close();
      await Promise.all(fakes.map((f) => f.close()));
    }
  });

  it('loses only the keys of a server that fails: getMulti keeps the others\' hits, setMulti and deleteMulti list its keys, and their errors option gets each one\'s error', async () => {
    const silent = await startFakeServer();
    const specs = [servers[0].spec, servers[1].spec, silent.spec];
    const writer = new Client(specs, { timeout: 200 });
    const reader = new Client(specs, { timeout: 200 });
    const deleter = new Client(specs, { timeout: 200 }); // has not seen the silent server fail yet
    try {
      const keys = Array.from({ length: 300 }, (_, i) => `partial:${i}`);
      const lost = keys.filter((k) => writer.serverFor(k) === `${silent.spec} (1)`);
      expect(lost.length).toBeGreaterThan(50);
      const setErrors = new Map<string, MemcacheError>();
      expect((await writer.setMulti(keys.map((k) => [k, k]), { errors: setErrors })).sort()).toEqual([...lost].sort());
      expect([...setErrors.keys()].sort()).toEqual([...lost].sort()); // the failed server's keys, each with its error
      for (const error of setErrors.values()) expect(error).toBeInstanceOf(TimeoutError);
      const result = await reader.getMulti(keys);
      expect(result.size).toBe(keys.length - lost.length);
      expect([...result.errors.keys()].sort()).toEqual([...lost].sort());
      for (const error of result.errors.values()) expect(error).toBeInstanceOf(TimeoutError);
      const deleteErrors = new Map<string, MemcacheError>();
      let missing = 'partial:missing:0'; // on a live server: listed as not there, with no error
      for (let i = 1; deleter.serverFor(missing) === `${silent.spec} (1)`; i++) missing = `partial:missing:${i}`;
      expect((await deleter.deleteMulti([...keys, missing], { errors: deleteErrors })).sort()).toEqual([...lost, missing].sort());
      expect([...deleteErrors.keys()].sort()).toEqual([...lost].sort());
      for (const error of deleteErrors.values()) expect(error).toBeInstanceOf(TimeoutError);
    } finally {
      await Promise.all([writer.close(), reader.close(), deleter.close()]);
      await silent.close();
    }
  });
});

describe('a long key list', () => {
  const longKeys = (tag: string, count: number) => Array.from({ length: count }, (_, i) => `${tag}:${i}:`.padEnd(240, 'k'));

  it('is split into get lines of at most 8 KiB, gat lines of at most 2 KiB (memcached\'s limit for a line that arrives in pieces)', async () => {
    const fake = await startFakeServer(answersGets(0));
    const mc = new Client(fake.spec);
    try {
      const keys = longKeys('lines', 400);
      expect((await mc.getMulti(keys)).size).toBe(400);
      expect((await Promise.all(keys.map((k) => mc.gat(k, 60)))).every((v) => v !== undefined)).toBe(true);
      const lines = linesOf(fake);
      const gets = lines.filter((l) => l.startsWith('get '));
      const gats = lines.filter((l) => l.startsWith('gat '));
      expect(gets.flatMap((l) => l.split(' ').slice(1))).toEqual(keys);
      expect(gats.flatMap((l) => l.split(' ').slice(2))).toEqual(keys);
      expect(Math.max(...gets.map((l) => l.length + 2))).toBeLessThanOrEqual(8192);
      expect(Math.max(...gats.map((l) => l.length + 2))).toBeLessThanOrEqual(2048);
      expect(gets.length).toBeGreaterThan(10);
    } finally {
      await mc.close();
      await fake.close();
    }
  });

  it('of thousands of keys over three real servers round-trips through every multi-key call', async () => {
    const mc = new Client(servers.map((s) => s.spec));
    try {
      const keys = longKeys('real', 5000);
      expect(await mc.setMulti(keys.map((k) => [k, k.length]))).toEqual([]);
      const result = await mc.getMulti(keys);
      expect(result.size).toBe(5000);
      expect(result.get(keys[4999])).toBe(240);
      const gats = await Promise.all(keys.slice(0, 1000).map((k) => mc.gat(k, 600)));
      expect(gats.every((v) => v === 240)).toBe(true);
      expect(await mc.deleteMulti(keys)).toEqual([]);
      expect((await mc.getMulti(keys)).size).toBe(0);
    } finally {
      await mc.close();
    }
  });
});
