/** get / gets / gat / gats / touch / delete, and what values survive the trip, on a real memcached. */
import net from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Client } from '../ts/index.js';
import { startMemcached, type MemcachedServer } from './support/memcached.js';
import { inspect, raw } from './support/raw.js';

let server: MemcachedServer;
let mc: Client;
let n = 0;
const key = (name: string) => `retrieval:${name}:${++n}`;

async function ttlOf(k: string): Promise<number> {
  return Number(/t(-?\d+)/.exec((await raw(server, `mg ${k} t\r\n`)).toString())?.[1]);
}

beforeAll(async () => {
  server = await startMemcached();
  mc = new Client([server.spec]);
});
afterAll(async () => {
  await mc?.close();
  await server?.stop();
});
afterEach(() => {
  vi.restoreAllMocks();
});

describe('get', () => {
  it('resolves undefined on a miss', async () => {
    expect(await mc.get(key('miss'))).toBeUndefined();
  });

  it('returns binary values holding \\r\\n, END and VALUE lines byte for byte', async () => {
    const k = key('binary');
    const value = Buffer.from('a\r\nEND\r\nVALUE x 0 1\r\n\0\xff\r\n', 'latin1');
    await mc.set(k, value);
    expect(await mc.get(k)).toEqual(value);
    const text = 'line1\r\nEND\r\n';
    await mc.set(k, text);
    expect(await mc.get(k)).toBe(text);
  });

  it('returns empty values as empty, not as a miss', async () => {
    const k = key('empty');
    await mc.set(k, '');
    expect(await mc.get(k)).toBe('');
    await mc.set(k, Buffer.alloc(0));
    expect(await mc.get(k)).toEqual(Buffer.alloc(0));
  });

  it('handles unicode keys and values as UTF-8', async () => {
    const k = `${key('unicode')}:ключ:鍵:🔑`;
    const value = 'значение 値 🎉 e\u0301';
    await mc.set(k, value);
    expect(await mc.get(k)).toBe(value);
    const stored = await inspect(server, Buffer.from(k, 'utf8'));
    expect(stored?.data.toString('utf8')).toBe(value);
  });

  it('returns a value that no later read can change (no aliasing of the socket buffer)', async () => {
    const k1 = key('alias1');
    const k2 = key('alias2');
    await mc.set(k1, Buffer.from('first'));
    await mc.set(k2, Buffer.from('other'));
    const a = await mc.get<Buffer>(k1);
    await mc.get(k2);
    expect(a?.toString()).toBe('first');
  });
});

describe('gets', () => {
  it('returns the value with its cas unique, which changes when the item changes', async () => {
    const k = key('gets');
    await mc.set(k, 'v');
    const first = await mc.gets(k);
    expect(first).toEqual({ value: 'v', cas: expect.any(BigInt) });
    await mc.set(k, 'w');
    const second = await mc.gets(k);
    expect(second?.value).toBe('w');
    expect(second!.cas).not.toBe(first!.cas);
    expect(await mc.gets(key('gets-miss'))).toBeUndefined();
  });
});

describe('gat / gats / touch', () => {
  it('gat returns the value and sets the ttl', async () => {
    const k = key('gat');
    await mc.set(k, 'v');
    expect(await mc.gat(k, 500)).toBe('v');
    expect(await ttlOf(k)).toBeGreaterThan(490);
    expect(await mc.gat(key('gat-miss'), 10)).toBeUndefined();
  });

  it('gats returns the value with its cas and sets the ttl', async () => {
    const k = key('gats');
    await mc.set(k, 7);
    const item = await mc.gats(k, 300);
    expect(item).toEqual({ value: 7, cas: expect.any(BigInt) });
    expect(await ttlOf(k)).toBeGreaterThan(290);
  });

  it('touch sets the ttl and says whether the key existed', async () => {
    const k = key('touch');
    await mc.set(k, 'v');
    expect(await mc.touch(k, 200)).toBe(true);
    expect(await ttlOf(k)).toBeGreaterThan(190);
    expect(await mc.touch(k, 0)).toBe(true);
    expect(await ttlOf(k)).toBe(-1);
    expect(await mc.touch(key('touch-miss'), 10)).toBe(false);
  });
});

describe('delete', () => {
  it('says whether the key existed', async () => {
    const k = key('delete');
    await mc.set(k, 'v');
    expect(await mc.delete(k)).toBe(true);
    expect(await mc.get(k)).toBeUndefined();
    expect(await mc.delete(k)).toBe(false);
  });
});

describe('concurrent gets', () => {
  it('go out as one multi-key get per tick, and each caller gets its own result', async () => {
    const keys = [key('m1'), key('m2'), key('m3')];
    await mc.set(keys[0], 'one');
    await mc.set(keys[2], 'three');
    const writes: string[] = [];
    const write = net.Socket.prototype.write;
    vi.spyOn(net.Socket.prototype, 'write').mockImplementation(function (this: net.Socket, chunk: unknown, ...rest: unknown[]) {
      writes.push(Buffer.from(chunk as Uint8Array).toString('latin1'));
      return (write as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
    });
    const results = await Promise.all([mc.get(keys[0]), mc.get(keys[1]), mc.get(keys[2]), mc.get(keys[0])]);
    expect(results).toEqual(['one', undefined, 'three', 'one']);
    expect(writes).toEqual([`get ${keys.join(' ')}\r\n`]);
  });

  it('keep their order with sets queued in the same tick', async () => {
    const k = key('order');
    const results = await Promise.all([mc.get(k), mc.set(k, 'a'), mc.get(k), mc.set(k, 'b'), mc.get(k), mc.delete(k), mc.get(k)]);
    expect(results).toEqual([undefined, true, 'a', true, 'b', true, undefined]);
  });

  it('of the same key each get a value of their own', async () => {
    const k = key('same');
    await mc.set(k, { list: [1, 2] });
    const [a, b] = await Promise.all([mc.get<{ list: number[] }>(k), mc.get<{ list: number[] }>(k)]);
    expect(a).toEqual({ list: [1, 2] });
    expect(a).not.toBe(b);
  });

  it('of different kinds (get, gets, gat) are not merged with each other', async () => {
    const k = key('kinds');
    await mc.set(k, 'v');
    const [plain, withCas, touched] = await Promise.all([mc.get(k), mc.gets(k), mc.gat(k, 100)]);
    expect(plain).toBe('v');
    expect(withCas).toEqual({ value: 'v', cas: expect.any(BigInt) });
    expect(touched).toBe('v');
  });

  it('answer thousands of callers in one burst', async () => {
    const keys = Array.from({ length: 2000 }, (_, i) => `${key('burst')}:${i}`);
    await mc.setMulti(keys.filter((_, i) => i % 3 === 0).map((k) => [k, k]));
    const results = await Promise.all(keys.map((k) => mc.get(k)));
    expect(results).toEqual(keys.map((k, i) => (i % 3 === 0 ? k : undefined)));
  });
});
