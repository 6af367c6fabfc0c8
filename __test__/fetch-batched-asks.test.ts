/**
 * fetch's first asks go out in batches (protocol/meta/lease-batch.ts): the fetches started in one
 * tick share one request per connection. Pinned here: each fetch still gets its own key's reply
 * (checked by opaque, ask by ask; on one server or three), a batch never overtakes a command
 * queued after it, fetches with other settings ask as those settings say, a failure
 * of one ask or of the whole batch reaches exactly the fetches it concerns, maxPending counts
 * every fetch, and a traced fetch is still one command of its own.
 */
import diagnostics from 'node:diagnostics_channel';
import type net from 'node:net';
import { describe, expect, it } from 'vitest';
import { CHANNELS, Client, type CommandMessage } from '../ts/index.js';
import { startFakeServer, type FakeServer } from './support/fake-server.js';
import { startFaultProxy } from './support/fault-proxy.js';
import { useServerAndClient, useServers, withClient } from './support/server-and-client.js';
import { written } from './support/written.js';

const ctx = useServerAndClient({ client: { protocol: 'meta' } });

let keys = 0;
const freshKeys = (name: string, count: number): string[] => {
  const batch = ++keys;
  return Array.from({ length: count }, (_, i) => `batch:${name}:${batch}:${i}:${process.pid}`);
};
/** The client flags of a string value (the codec's). */
const TEXT = 16;
const notLoaded = (): never => {
  throw new Error('the loader ran: the fetch missed');
};

/** A stand-in that answers the `mg` lines of each chunk with `answer` (their opaques, in the order they came). */
function mgServer(answer: (socket: net.Socket, asks: { key: string; opaque: number }[]) => void): Promise<FakeServer> {
  return startFakeServer(
    (socket, data) => {
      const asks = [...data.toString('latin1').matchAll(/^mg (\S+) .*O(\d+)\r$/gm)].map((m) => ({ key: m[1], opaque: Number(m[2]) }));
      if (asks.length > 0) answer(socket, asks);
    },
    { meta: true },
  );
}

describe('fetches started together', () => {
  it('300 fetches of distinct keys in one tick each get their own key\'s value (several batches, one per burst)', async () => {
    const names = freshKeys('many', 300);
    await ctx.client.setMulti(names.map((key, i) => [key, `value ${i}`]));
    const before = ctx.client.metrics().totals;
    const values = await Promise.all(names.map((key) => ctx.client.fetch(key, notLoaded, { ttl: 60 })));
    expect(values).toEqual(names.map((_, i) => `value ${i}`));
    const after = ctx.client.metrics().totals;
    expect(after.ops.fetch - before.ops.fetch).toBe(300); // each fetch is an op, batched or not
    expect(after.hits - before.hits).toBe(300);
  });

  it('with binaryKeys too (keys in base64)', async () => {
    await withClient(ctx.server.spec, { protocol: 'meta', binaryKeys: true }, async (mc) => {
      const names = freshKeys('binary', 70).map((key) => `${key} \n`); // bytes a text key may not hold
      await Promise.all(names.map((key, i) => mc.set(key, i)));
      expect(await Promise.all(names.map((key) => mc.fetch(key, notLoaded, { ttl: 60 })))).toEqual(names.map((_, i) => i));
    });
  });

  it('a fetch started after another command in the same tick goes after it: it reads what that command stored', async () => {
    const [first, second] = freshKeys('order', 2);
    await ctx.client.set(first, 'old');
    const fetchedFirst = ctx.client.fetch(first, notLoaded, { ttl: 60 });
    const stored = ctx.client.set(second, 'stored just before');
    // Joined to the first fetch's batch, this ask would overtake the set: a miss, a lease, the loader.
    const fetchedSecond = ctx.client.fetch(second, notLoaded, { ttl: 60 });
    expect(await Promise.all([fetchedFirst, stored, fetchedSecond])).toEqual(['old', true, 'stored just before']);
  });

  it('fetches with other settings (lockTtl, recacheBefore, timeout) ask as their own batch, each as it asked', async () => {
    const names = freshKeys('settings', 3);
    const wire = await written(async () => {
      await Promise.all([
        ctx.client.fetch(names[0], () => 'a', { ttl: 60 }),
        ctx.client.fetch(names[1], () => 'b', { ttl: 60, lockTtl: 7 }),
        ctx.client.fetch(names[2], () => 'c', { ttl: 60, recacheBefore: 5 }),
      ]);
    });
    // N: one second more than lockTtl (memcached's clock ticks once a second); R: strictly fewer seconds left than it.
    expect(wire).toMatch(new RegExp(`mg ${names[0]} v f c N31 O\\d+\\r\\n`));
    expect(wire).toMatch(new RegExp(`mg ${names[1]} v f c N8 O\\d+\\r\\n`));
    expect(wire).toMatch(new RegExp(`mg ${names[2]} v f c N31 R6 O\\d+\\r\\n`));
  });
});

describe('over three servers', () => {
  const servers = useServers(3);

  it('the fetches of one tick ask each key\'s own server, one batch per server, and each gets its own value', async () => {
    await withClient(servers.map((server) => server.spec), { protocol: 'meta' }, async (mc) => {
      const names = freshKeys('spread', 150);
      await mc.setMulti(names.map((key, i) => [key, `value ${i}`]));
      expect(new Set(names.map((key) => mc.serverFor(key))).size).toBe(3);
      expect(await Promise.all(names.map((key) => mc.fetch(key, notLoaded, { ttl: 60 })))).toEqual(names.map((_, i) => `value ${i}`));
      expect(mc.metrics().servers.map((server) => server.ops.fetch).reduce((a, b) => a + b)).toBe(150);
    });
  });
});

describe('a batch that fails', () => {
  it('replies out of step (another ask\'s opaque first) are a ProtocolError for every fetch in the batch, never another key\'s value', async () => {
    const fake = await mgServer((socket, asks) => {
      for (const ask of [...asks].reverse()) socket.write(`VA ${ask.key.length} f${TEXT} O${ask.opaque}\r\n${ask.key}\r\n`);
    });
    try {
      await withClient(fake.spec, { protocol: 'meta', retries: 0 }, async (mc) => {
        const outcomes = await Promise.allSettled(['a', 'b', 'c'].map((key) => mc.fetch(key, notLoaded, { ttl: 60 })));
        for (const outcome of outcomes) expect(outcome).toMatchObject({ status: 'rejected', reason: { code: 'MEMCACHE_PROTOCOL' } });
      });
    } finally {
      await fake.close();
    }
  });

  it('an error line answers one ask: that fetch rejects with it, the others get their values, the connection goes on', async () => {
    const fake = await mgServer((socket, asks) => {
      for (const ask of asks) {
        socket.write(ask.key === 'b' ? 'SERVER_ERROR out of memory\r\n' : `VA ${ask.key.length} f${TEXT} O${ask.opaque}\r\n${ask.key}\r\n`);
      }
    });
    try {
      await withClient(fake.spec, { protocol: 'meta' }, async (mc) => {
        const outcomes = await Promise.allSettled(['a', 'b', 'c'].map((key) => mc.fetch(key, notLoaded, { ttl: 60 })));
        expect(outcomes).toMatchObject([
          { status: 'fulfilled', value: 'a' },
          { status: 'rejected', reason: { code: 'MEMCACHE_SERVER_ERROR' } },
          { status: 'fulfilled', value: 'c' },
        ]);
        expect(await mc.fetch('d', notLoaded, { ttl: 60 })).toBe('d');
        expect(fake.accepted).toBe(1);
        expect(mc.metrics().totals.errors).toBe(1);
      });
    } finally {
      await fake.close();
    }
  });

  it('a reply no lease ask takes (HD) fails every fetch in the batch with a ProtocolError, the one it answered too; the next fetch of that key asks again', { timeout: 10_000 }, async () => {
    let chunks = 0;
    const fake = await mgServer((socket, asks) => {
      const first = ++chunks === 1;
      for (const [i, ask] of asks.entries()) socket.write(first && i === 0 ? `HD O${ask.opaque}\r\n` : `VA ${ask.key.length} f${TEXT} O${ask.opaque}\r\n${ask.key}\r\n`);
    });
    try {
      await withClient(fake.spec, { protocol: 'meta', retries: 0, timeout: 2000 }, async (mc) => {
        const outcomes = await Promise.allSettled(['a', 'b', 'c'].map((key) => mc.fetch(key, notLoaded, { ttl: 60 })));
        for (const outcome of outcomes) expect(outcome).toMatchObject({ status: 'rejected', reason: { code: 'MEMCACHE_PROTOCOL' } });
        expect(await mc.fetch('a', notLoaded, { ttl: 60, waitTimeout: 100 })).toBe('a');
      });
    } finally {
      await fake.close();
    }
  });

  it('a batch that times out fails every fetch in it with MEMCACHE_TIMEOUT; the next fetches of those keys ask again', async () => {
    const proxy = await startFaultProxy({ target: { host: '127.0.0.1', port: ctx.server.port } });
    const names = freshKeys('timeout', 60); // one batch: a burst (64) would start another, which fails with the connection
    await ctx.client.setMulti(names.map((key) => [key, 'cached']));
    try {
      await withClient(`127.0.0.1:${proxy.port}`, { protocol: 'meta', timeout: 200 }, async (mc) => {
        expect(await mc.fetch(names[0], notLoaded, { ttl: 60 })).toBe('cached'); // connected, dialect known
        proxy.setMode({ kind: 'stall' });
        const outcomes = await Promise.allSettled(names.map((key) => mc.fetch(key, notLoaded, { ttl: 60 })));
        for (const outcome of outcomes) expect(outcome).toMatchObject({ status: 'rejected', reason: { code: 'MEMCACHE_TIMEOUT' } });
        proxy.setMode({ kind: 'pass' });
        const again = await Promise.all(names.map((key) => mc.fetch(key, notLoaded, { ttl: 60, timeout: 2000 })));
        expect(again.every((value) => value === 'cached')).toBe(true);
      });
    } finally {
      await proxy.close();
    }
  });

  it('maxPending counts every fetch in a batch: the ones past it reject with MEMCACHE_QUEUE_FULL', async () => {
    await withClient(ctx.server.spec, { protocol: 'meta', maxPending: 5 }, async (mc) => {
      const names = freshKeys('pending', 8);
      await mc.setMulti(names.map((key) => [key, 'cached']));
      const outcomes = await Promise.allSettled(names.map((key) => mc.fetch(key, notLoaded, { ttl: 60 })));
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(5);
      const refused = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
      expect(refused.map((o) => (o.reason as { code: string }).code)).toEqual(['MEMCACHE_QUEUE_FULL', 'MEMCACHE_QUEUE_FULL', 'MEMCACHE_QUEUE_FULL']);
    });
  });

  it("an answered fetch stops counting against maxPending while the batch's other asks wait: a winner's store finds room", async () => {
    const proxy = await startFaultProxy({ target: { host: '127.0.0.1', port: ctx.server.port } });
    const names = freshKeys('room', 40);
    try {
      await withClient(`127.0.0.1:${proxy.port}`, { protocol: 'meta', maxPending: names.length }, async (mc) => {
        await mc.version(); // connected, dialect known
        proxy.setMode({ kind: 'split', seed: 7, ms: 15, maxPieces: 7 }); // the batch's replies in pieces, loaders done between them
        const values = await Promise.all(names.map((key) => mc.fetch(key, async () => `loaded ${key}`, { ttl: 60 })));
        expect(values).toEqual(names.map((key) => `loaded ${key}`));
        expect(mc.metrics().totals.errors).toBe(0);
      });
      const stored = await ctx.client.getMulti(names);
      expect(names.filter((key) => stored.get(key) !== `loaded ${key}`)).toEqual([]); // every winner stored (no lease left behind)
    } finally {
      await proxy.close();
    }
  });
});

describe('while commands are traced', () => {
  it('each fetch is a traced command of its own, with one key', async () => {
    const started: CommandMessage[] = [];
    const listen = (message: unknown): void => void started.push(message as CommandMessage);
    diagnostics.subscribe(CHANNELS.commandStart, listen);
    try {
      const names = freshKeys('traced', 3);
      await ctx.client.setMulti(names.map((key) => [key, 'cached']));
      started.length = 0;
      await Promise.all(names.map((key) => ctx.client.fetch(key, notLoaded, { ttl: 60 })));
      expect(started.map((m) => [m.command, m.keyCount])).toEqual([['fetch', 1], ['fetch', 1], ['fetch', 1]]);
    } finally {
      diagnostics.unsubscribe(CHANNELS.commandStart, listen);
    }
  });
});

