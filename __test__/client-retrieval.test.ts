/** get / gets / gat / gats / touch / delete, and what values survive the trip, on a real memcached. */
import net from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { inspect, raw } from './support/raw.js';
import { useServerAndClient } from './support/server-and-client.js';

const ctx = useServerAndClient();
let n = 0;
const key = (name: string) => `retrieval:${name}:${++n}`;

async function ttlOf(k: string): Promise<number> {
  return Number(/t(-?\d+)/.exec((await raw(ctx.server, `mg ${k} t\r\n`)).toString())?.[1]);
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('get', () => {
  it('resolves undefined on a miss', async () => {
    expect(await ctx.client.get(key('miss'))).toBeUndefined();
  });

  it('returns binary values holding \\r\\n, END and VALUE lines byte for byte', async () => {
    const k = key('binary');
    const value = Buffer.from('a\r\nEND\r\nVALUE x 0 1\r\n\0\xff\r\n', 'latin1');
    await ctx.client.set(k, value);
    expect(await ctx.client.get(k)).toEqual(value);
    const text = 'line1\r\nEND\r\n';
    await ctx.client.set(k, text);
    expect(await ctx.client.get(k)).toBe(text);
  });

  it('returns empty values as empty, not as a miss', async () => {
    const k = key('empty');
    await ctx.client.set(k, '');
    expect(await ctx.client.get(k)).toBe('');
    await ctx.client.set(k, Buffer.alloc(0));
    expect(await ctx.client.get(k)).toEqual(Buffer.alloc(0));
  });

  it('handles unicode keys and values as UTF-8', async () => {
    const k = `${key('unicode')}:ключ:鍵:🔑`;
    const value = 'значение 値 🎉 e\u0301';
    await ctx.client.set(k, value);
    expect(await ctx.client.get(k)).toBe(value);
    const stored = await inspect(ctx.server, Buffer.from(k, 'utf8'));
    expect(stored?.data.toString('utf8')).toBe(value);
  });

  it('returns a value that no later read can change (no aliasing of the socket buffer)', async () => {
    const k1 = key('alias1');
    const k2 = key('alias2');
    await ctx.client.set(k1, Buffer.from('first'));
    await ctx.client.set(k2, Buffer.from('other'));
    const a = await ctx.client.get<Buffer>(k1);
    await ctx.client.get(k2);
    expect(a?.toString()).toBe('first');
  });
});

describe('gets', () => {
  it('returns the value with its cas unique, which changes when the item changes', async () => {
    const k = key('gets');
    await ctx.client.set(k, 'v');
    const first = await ctx.client.gets(k);
    expect(first).toEqual({ value: 'v', cas: expect.any(BigInt) });
    await ctx.client.set(k, 'w');
    const second = await ctx.client.gets(k);
    expect(second?.value).toBe('w');
    expect(second!.cas).not.toBe(first!.cas);
    expect(await ctx.client.gets(key('gets-miss'))).toBeUndefined();
  });
});

describe('gat / gats / touch', () => {
  it('gat returns the value and sets the ttl', async () => {
    const k = key('gat');
    await ctx.client.set(k, 'v');
    expect(await ctx.client.gat(k, 500)).toBe('v');
    expect(await ttlOf(k)).toBeGreaterThan(490);
    expect(await ctx.client.gat(key('gat-miss'), 10)).toBeUndefined();
  });

  it('gats returns the value with its cas and sets the ttl', async () => {
    const k = key('gats');
    await ctx.client.set(k, 7);
    const item = await ctx.client.gats(k, 300);
    expect(item).toEqual({ value: 7, cas: expect.any(BigInt) });
    expect(await ttlOf(k)).toBeGreaterThan(290);
  });

  it('touch sets the ttl and says whether the key existed', async () => {
    const k = key('touch');
    await ctx.client.set(k, 'v');
    expect(await ctx.client.touch(k, 200)).toBe(true);
    expect(await ttlOf(k)).toBeGreaterThan(190);
    expect(await ctx.client.touch(k, 0)).toBe(true);
    expect(await ttlOf(k)).toBe(-1);
    expect(await ctx.client.touch(key('touch-miss'), 10)).toBe(false);
  });
});

describe('delete', () => {
  it('says whether the key existed', async () => {
    const k = key('delete');
    await ctx.client.set(k, 'v');
    expect(await ctx.client.delete(k)).toBe(true);
    expect(await ctx.client.get(k)).toBeUndefined();
    expect(await ctx.client.delete(k)).toBe(false);
  });
});

describe('concurrent gets', () => {
  it('go out as one multi-key get per tick, and each caller gets its own result', async () => {
    const keys = [key('m1'), key('m2'), key('m3')];
    await ctx.client.set(keys[0], 'one');
    await ctx.client.set(keys[2], 'three');
    const writes: string[] = [];
    const write = net.Socket.prototype.write;
    vi.spyOn(net.Socket.prototype, 'write').mockImplementation(function (this: net.Socket, chunk: unknown, ...rest: unknown[]) {
      writes.push(Buffer.from(chunk as Uint8Array).toString('latin1'));
      return (write as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
    });
    const results = await Promise.all([ctx.client.get(keys[0]), ctx.client.get(keys[1]), ctx.client.get(keys[2]), ctx.client.get(keys[0])]);
    expect(results).toEqual(['one', undefined, 'three', 'one']);
    expect(writes).toEqual([`get ${keys.join(' ')}\r\n`]);
  });

  it('keep their order with sets queued in the same tick', async () => {
    const k = key('order');
    const results = await Promise.all([ctx.client.get(k), ctx.client.set(k, 'a'), ctx.client.get(k), ctx.client.set(k, 'b'), ctx.client.get(k), ctx.client.delete(k), ctx.client.get(k)]);
    expect(results).toEqual([undefined, true, 'a', true, 'b', true, undefined]);
  });

  it('of the same key each get a value of their own', async () => {
    const k = key('same');
    await ctx.client.set(k, { list: [1, 2] });
    const [a, b] = await Promise.all([ctx.client.get<{ list: number[] }>(k), ctx.client.get<{ list: number[] }>(k)]);
    expect(a).toEqual({ list: [1, 2] });
    expect(a).not.toBe(b);
  });

  it('of different kinds (get, gets, gat) are not merged with each other', async () => {
    const k = key('kinds');
    await ctx.client.set(k, 'v');
    const [plain, withCas, touched] = await Promise.all([ctx.client.get(k), ctx.client.gets(k), ctx.client.gat(k, 100)]);
    expect(plain).toBe('v');
    expect(withCas).toEqual({ value: 'v', cas: expect.any(BigInt) });
    expect(touched).toBe('v');
  });

  it('answer thousands of callers in one burst', async () => {
    const keys = Array.from({ length: 2000 }, (_, i) => `${key('burst')}:${i}`);
    await ctx.client.setMulti(keys.filter((_, i) => i % 3 === 0).map((k) => [k, k]));
    const results = await Promise.all(keys.map((k) => ctx.client.get(k)));
    expect(results).toEqual(keys.map((k, i) => (i % 3 === 0 ? k : undefined)));
  });
});
