/**
 * The meta protocol: which dialect each protocol setting speaks, counters that create themselves,
 * getItem, quiet batches mixed with answering requests, and how a reply is matched to its request
 * by opaque (against fake servers for the replies memcached would never send).
 */
import diagnostics from 'node:diagnostics_channel';
import net from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Client, UnsupportedError } from '../ts/index.js';
import { eventually, startFakeServer, type FakeServer } from './support/fake-server.js';
import { startMemcached, type MemcachedServer } from './support/memcached.js';
import { raw } from './support/raw.js';
import { useServerAndClient, withClient } from './support/server-and-client.js';
import { hasTwemproxy, startTwemproxy } from './support/twemproxy.js';
import { written } from './support/written.js';

const ctx = useServerAndClient({ client: { protocol: 'meta' } });
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

afterEach(() => {
  vi.restoreAllMocks();
});

/** The next message published on `channel`. */
function subscribeOnce(channel: string): Promise<unknown> {
  return new Promise((resolve) => {
    const handler = (message: unknown): void => {
      diagnostics.unsubscribe(channel, handler);
      resolve(message);
    };
    diagnostics.subscribe(channel, handler);
  });
}


describe('protocol setting', () => {
  it("'auto' asks memcached 1.6 with mn once, then stores with quiet ms and reads with text get", async () => {
    await withClient(ctx.server.spec, { protocol: 'auto' }, async (mc) => {
      const first = await written(() => mc.version());
      expect(first).toBe('mn\r\nversion\r\n');
      const wire = await written(async () => {
        expect(await Promise.all([mc.set('auto:a', 'A'), mc.set('auto:b', 'B')])).toEqual([true, true]);
        expect(await mc.get('auto:a')).toBe('A');
      });
      expect(wire).toMatch(/^ms auto:a 1 F16 q O\d+\r\nA\r\nms auto:b 1 F16 q O\d+\r\nB\r\nmn\r\nget auto:a\r\n$/);
    });
  });

  it('stores flags 0 and no ttl by leaving F and T out: the item never expires, even over one that had a ttl', async () => {
    await withClient(ctx.server.spec, { protocol: 'meta' }, async (mc) => {
      await mc.version();
      expect(await mc.set('wire:bare', 'old', { ttl: 60 })).toBe(true);
      expect((await raw(ctx.server, 'mg wire:bare t f\r\n')).toString()).toBe('HD t60 f16\r\n');
      const wire = await written(() => mc.set('wire:bare', Buffer.from('new')));
      expect(wire).toMatch(/^ms wire:bare 3 q O\d+\r\nnew\r\nmn\r\n$/);
      expect((await raw(ctx.server, 'mg wire:bare t f\r\n')).toString()).toBe('HD t-1 f0\r\n');
      expect(await mc.get('wire:bare')).toEqual(Buffer.from('new'));
    });
  });

  it("'meta' sends an answered incr as text, a noreply one as quiet ma, and one with initial as ma", async () => {
    await withClient(ctx.server.spec, { protocol: 'meta' }, async (mc) => {
      await mc.version();
      await mc.set('wire:n', 1);
      const wire = await written(async () => {
        expect(await mc.incr('wire:n', 2)).toBe(3);
        await mc.incr('wire:n', 1, { noreply: true });
        expect(await mc.decr('wire:n', 1, { initial: 0 })).toBe(3);
      });
      expect(wire).toMatch(/^incr wire:n 2\r\nma wire:n D1 q O\d+\r\nmn\r\nma wire:n N0 J0 D1 MD v O\d+\r\n$/);
    });
  });

  it("'text' never writes a meta command", async () => {
    await withClient(ctx.server.spec, { protocol: 'text' }, async (mc) => {
      const wire = await written(async () => {
        await mc.set('text:a', 1);
        await mc.incr('text:a');
        await mc.delete('text:a');
        await mc.setMulti({ 'text:b': 2 });
        await mc.deleteMulti(['text:b']);
      });
      expect(wire).not.toMatch(/(^|\n)(mn|ms|mg|md|ma|me)\b/);
    });
  });

  it("'text' refuses what needs meta with an UnsupportedError, sending nothing", async () => {
    await withClient(ctx.server.spec, { protocol: 'text' }, async (mc) => {
      await mc.version();
      const wire = await written(async () => {
        await expect(mc.incr('text:n', 1, { initial: 5 })).rejects.toMatchObject({ code: 'MEMCACHE_UNSUPPORTED' });
        await expect(mc.getItem('text:n')).rejects.toBeInstanceOf(UnsupportedError);
      });
      expect(wire).toBe('');
    });
  });

  it("'meta' with a server that does not speak it fails with an UnsupportedError naming the server", async () => {
    const textOnly = await startFakeServer((socket) => socket.write('END\r\n'));
    try {
      await withClient(textOnly.spec, { protocol: 'meta' }, async (mc) => {
        const error = await mc.get('k').catch((e: unknown) => e);
        expect(error).toMatchObject({ code: 'MEMCACHE_UNSUPPORTED', server: `${textOnly.spec} (1)` });
        expect(textOnly.received[0]).toBe(''); // only the mn, answered ERROR, crossed
      });
    } finally {
      await textOnly.close();
    }
  });

  it("'auto' with memcached at its connection limit (ERROR Too many open connections, then a hang-up) fails the call with a ConnectionError and asks again on the next connection: a lease placeholder still reads as a miss", { timeout: 15_000 }, async () => {
    const server = await startMemcached({ args: ['-c', '20'] });
    const held = await fillConnections(server);
    try {
      await withClient(server.spec, { protocol: 'auto', retries: 0 }, async (mc) => {
        await expect(mc.get('limit:k')).rejects.toMatchObject({ code: 'MEMCACHE_CONNECTION' });
        for (const socket of held.splice(0)) socket.destroy();
        expect((await raw(server, 'mg limit:k v N30\r\n')).toString('latin1')).toMatch(/^VA 0 W\r\n/); // a placeholder, its lease won here
        // Past the reconnect backoff: the next connection asks again, hears MN, and reads the placeholder as what it is.
        let read: unknown = 'not read';
        for (const deadline = performance.now() + 5000; performance.now() < deadline; await sleep(50)) {
          read = await mc.get('limit:k').catch(() => 'not read');
          if (read !== 'not read') break;
        }
        expect(read).toBeUndefined();
        expect(await mc.incr('limit:n', 1, { initial: 5 })).toBe(5); // meta, known now
      });
    } finally {
      for (const socket of held) socket.destroy();
      await server.stop();
    }
  });

  it.each([
    ['auto', 1],
    ['meta', 1],
    ['auto', 2],
    ['meta', 2],
  ] as const)("'%s', poolSize %i: one cut of the connections probing (a restart, a proxy's cut) is no answer: the next connection asks again, and meta is used", async (protocol, poolSize) => {
    // In front of the real server: the first poolSize connections are closed as their mn arrives, the others passed through.
    let accepted = 0;
    const front = net.createServer((socket) => {
      socket.on('error', () => {});
      if (accepted++ < poolSize) {
        socket.once('data', () => socket.destroy());
        return;
      }
      const [host, port] = ctx.server.spec.split(':');
      const back = net.connect(Number(port), host);
      back.on('error', () => socket.destroy());
      socket.pipe(back).pipe(socket);
    });
    await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
    const spec = `127.0.0.1:${(front.address() as net.AddressInfo).port}`;
    try {
      await withClient(spec, { protocol, poolSize }, async (mc) => {
        expect(await Promise.all(Array.from({ length: poolSize }, () => mc.set('probe-cut:k', 'v')))).toEqual(Array(poolSize).fill(true));
        expect(accepted).toBeGreaterThan(poolSize);
        expect(await mc.getItem('probe-cut:k')).toMatchObject({ value: 'v' }); // needs meta
        expect(await mc.invalidate('probe-cut:k')).toBe(true);
        expect(await mc.get('probe-cut:k')).toBe('v'); // marked stale, not deleted (as without meta)
      });
    } finally {
      await new Promise<void>((resolve) => front.close(() => resolve()));
    }
  });

  it("'auto' with a server that does not speak meta works as text, and what needs meta is an UnsupportedError", async () => {
    const textOnly = await startFakeServer((socket, data) => {
      if (data.toString().startsWith('get ')) socket.write('VALUE k 16 1\r\nv\r\nEND\r\n');
      else if (data.toString().startsWith('version')) socket.write('VERSION 1.5.22\r\n');
    });
    try {
      await withClient(textOnly.spec, { protocol: 'auto' }, async (mc) => {
        expect(await mc.get('k')).toBe('v');
        await expect(mc.incr('n', 1, { initial: 1 })).rejects.toMatchObject({ code: 'MEMCACHE_UNSUPPORTED', server: `${textOnly.spec} (1)` });
        expect(textOnly.received.join('')).not.toMatch(/ma /);
      });
    } finally {
      await textOnly.close();
    }
  });

  it.skipIf(!hasTwemproxy())("'auto' behind twemproxy (which hangs up on mn) works as text from the first call on", async () => {
    const proxy = await startTwemproxy([ctx.server.spec]);
    try {
      await withClient(proxy.spec, {}, async (mc) => {
        const first = await Promise.all([mc.set('tw:a', 'A'), mc.set('tw:n', 1), mc.get('tw:a'), mc.add('tw:a', 'x')]);
        expect(first).toEqual([true, true, 'A', false]);
        expect(await mc.incr('tw:n', 2)).toBe(3);
        expect(await mc.delete('tw:a')).toBe(true);
        expect([...(await mc.getMulti(['tw:n', 'tw:a']))]).toEqual([['tw:n', 3]]);
        expect(mc.metrics().totals.errors).toBe(0);
        await expect(mc.getItem('tw:n')).rejects.toMatchObject({ code: 'MEMCACHE_UNSUPPORTED' });
      });
    } finally {
      await proxy.stop();
    }
  });

  it('an unknown protocol is an OptionError', () => {
    expect(() => new Client(ctx.server.spec, { protocol: 'binary' as 'meta' })).toThrow(expect.objectContaining({ code: 'MEMCACHE_BAD_OPTION', option: 'protocol' }));
  });
});

describe('counters that create themselves', () => {
  it('incr with initial creates a missing counter at initial (delta not applied) and resolves with it', async () => {
    expect(await ctx.client.incr('ctr:new', 5, { initial: 100 })).toBe(100);
    expect(await ctx.client.incr('ctr:new', 5, { initial: 100 })).toBe(105);
    expect(await ctx.client.decr('ctr:new2', 5, { initial: 7 })).toBe(7);
    expect(await ctx.client.decr('ctr:new2', 5, { initial: 7 })).toBe(2);
    // memcached creates the item with client flags 0 (ma has no F): get reads its digits as bytes.
    expect(await ctx.client.get('ctr:new')).toEqual(Buffer.from('105'));
  });

  it('creates exactly once under 50 concurrent calls: every call sees a distinct value', async () => {
    const results = await Promise.all(Array.from({ length: 50 }, () => ctx.client.incr('ctr:race', 1, { initial: 10 })));
    expect([...results].sort((x, y) => Number(x) - Number(y))).toEqual(Array.from({ length: 50 }, (_, i) => 10 + i));
  });

  it('keeps its place among the calls made around it: written in call order once the server is known to speak meta', async () => {
    await ctx.client.version(); // the server is known to speak meta from here on
    const wire = await written(async () => {
      await Promise.all([ctx.client.set('ctr:order:a', 'x'), ctx.client.incr('ctr:order:n', 1, { initial: 1 }), ctx.client.delete('ctr:order:b')]);
    });
    const commands = wire.split('\r\n').filter((line) => /^(ms|ma|md) /.test(line)).map((line) => line.split(' ', 2).join(' '));
    expect(commands).toEqual(['ms ctr:order:a', 'ma ctr:order:n', 'md ctr:order:b']);
  });

  it('keeps call order while the server is still being asked whether it speaks meta: a later one waits for the earlier', async () => {
    // `mn` is answered at once (the server speaks meta), the first counter's `version` only 50 ms later.
    const fake = await startFakeServer(
      (socket, data) => {
        for (const line of data.toString('latin1').split('\r\n')) {
          if (line === 'version') setTimeout(() => socket.write('VERSION 1.6.18\r\n'), 50);
          const opaque = / (O\d+)/.exec(line)?.[1];
          if (line.startsWith('ma ') && opaque !== undefined) socket.write(`VA 1 ${opaque}\r\n1\r\n`);
        }
      },
      { meta: true },
    );
    const mc = new Client(fake.spec, { protocol: 'auto' });
    try {
      const first = mc.incr('first', 1, { initial: 1 }); // asks first (version)
      await sleep(20); // the server said it speaks meta meanwhile; the version's answer is not in yet
      const second = mc.incr('second', 1, { initial: 1 });
      await Promise.all([first, second]);
      const counters = fake.received.join('').split('\r\n').filter((line) => line.startsWith('ma '));
      expect(counters.map((line) => line.split(' ')[1])).toEqual(['first', 'second']);
    } finally {
      await mc.close();
      await fake.close();
    }
  });

  it('gives the created counter its ttl', async () => {
    await ctx.client.incr('ctr:ttl', 1, { initial: 0, ttl: 100 });
    const item = await ctx.client.getItem('ctr:ttl');
    expect(item?.ttl).toBeGreaterThan(90);
    expect(item?.ttl).toBeLessThanOrEqual(100);
  });

  it('without initial, a miss still resolves undefined; bigints past 2^53 come back as bigints', async () => {
    expect(await ctx.client.incr('ctr:missing')).toBeUndefined();
    expect(await ctx.client.incr('ctr:big', 1, { initial: 2n ** 60n })).toBe(2n ** 60n);
    expect(await ctx.client.incr('ctr:big', 1)).toBe(2n ** 60n + 1n);
  });

  it('refuses a bad initial or a ttl without initial before sending', async () => {
    await expect(ctx.client.incr('ctr:x', 1, { initial: -1 })).rejects.toMatchObject({ code: 'MEMCACHE_BAD_ARGUMENT' });
    await expect(ctx.client.incr('ctr:x', 1, { ttl: 5 })).rejects.toMatchObject({ code: 'MEMCACHE_BAD_ARGUMENT' });
  });

  it('of a non-numeric value is a ClientError and the connection stays usable', async () => {
    await ctx.client.set('ctr:text', 'abc');
    await expect(ctx.client.incr('ctr:text', 1)).rejects.toMatchObject({ code: 'MEMCACHE_CLIENT_ERROR' });
    expect(await ctx.client.get('ctr:text')).toBe('abc');
  });
});

describe('getItem', () => {
  it('resolves the value with its cas, flags, ttl, size, whether it was read before and when', async () => {
    await ctx.client.set('item:a', 'hello', { ttl: 300 });
    const first = await ctx.client.getItem<string>('item:a');
    expect(first).toMatchObject({ value: 'hello', flags: 16, size: 5, hitBefore: false });
    expect(typeof first?.cas).toBe('bigint');
    expect(first?.ttl).toBeGreaterThan(290);
    expect(first?.lastAccess).toBeGreaterThanOrEqual(0);
    const second = await ctx.client.getItem('item:a');
    expect(second?.hitBefore).toBe(true);
    expect(await ctx.client.cas('item:a', 'changed', first!.cas)).toBe(true);
    expect(await ctx.client.cas('item:a', 'again', first!.cas)).toBe(false);
  });

  it('is undefined on a miss; -1 ttl for an item that never expires; touch sets a new ttl', async () => {
    expect(await ctx.client.getItem('item:none')).toBeUndefined();
    await ctx.client.set('item:forever', 1);
    expect((await ctx.client.getItem('item:forever'))?.ttl).toBe(-1);
    const touched = await ctx.client.getItem('item:forever', { touch: 50 });
    expect(touched?.value).toBe(1);
    expect((await ctx.client.getItem('item:forever'))?.ttl).toBeGreaterThan(40);
  });
});

describe('quiet batches', () => {
  it('one flush mixing quiet and answering requests, some quiet ones refused: every call gets its own outcome', async () => {
    await ctx.client.setMulti({ 'mix:taken1': 'x', 'mix:taken2': 'y', 'mix:n': 1 });
    await ctx.client.version();
    const calls = [
      ctx.client.set('mix:a', 'A'),
      ctx.client.add('mix:taken1', 'no'), // NS: a failure reply to a quiet command
      ctx.client.incr('mix:n', 2), // answers
      ctx.client.add('mix:b', 'B'),
      ctx.client.get('mix:taken2'), // text, after the run's mn
      ctx.client.replace('mix:missing', 'no'), // NS
      ctx.client.delete('mix:missing'), // NF
      ctx.client.delete('mix:a'),
      ctx.client.getItem('mix:b'),
      ctx.client.add('mix:taken2', 'no'), // NS, last in the flush
    ];
    const results = await Promise.all(calls);
    expect(results.slice(0, 8)).toEqual([true, false, 3, true, 'y', false, false, true]);
    expect(results[8]).toMatchObject({ value: 'B' });
    expect(results[9]).toBe(false);
    expect(await ctx.client.get('mix:taken1')).toBe('x');
  });

  it('setMulti and deleteMulti report their failures by key', async () => {
    const keys = Array.from({ length: 300 }, (_, i) => `batch:${i}`);
    expect(await ctx.client.setMulti(Object.fromEntries(keys.map((k) => [k, k])))).toEqual([]);
    expect(await ctx.client.deleteMulti([...keys.slice(0, 10), 'batch:none'])).toEqual(['batch:none']);
    const hits = await ctx.client.getMulti(keys);
    expect(hits.size).toBe(290);
  });
});

describe('noreply over meta', () => {
  it('resolves once written, and a failure the server reports later is counted and published', async () => {
    const fake = await startFakeServer(
      (socket, data) => {
        if (data.includes('ms ')) socket.write('SERVER_ERROR out of memory storing object\r\nMN\r\n');
      },
      { meta: true },
    );
    try {
      await withClient(fake.spec, { protocol: 'meta' }, async (mc) => {
        const published = subscribeOnce('memcache-native:command:error');
        expect(await mc.set('k', 'v', { noreply: true })).toBe(true);
        const message = await published;
        expect(message).toMatchObject({ command: 'set', error: { code: 'MEMCACHE_SERVER_ERROR' } });
        expect(mc.metrics().totals.errors).toBe(1);
      });
    } finally {
      await fake.close();
    }
  });
});

describe('matching replies by opaque', () => {
  let fake: FakeServer | undefined;
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
  });

  /** Answers each `ma` line with what `answer(opaque)` says. */
  async function counterServer(answer: (opaque: number) => string): Promise<FakeServer> {
    return startFakeServer(
      (socket, data) => {
        for (const match of data.toString('latin1').matchAll(/^ma \S+.* O(\d+)\r$/gm)) socket.write(answer(Number(match[1])));
      },
      { meta: true },
    );
  }

  it('a reply with another request’s opaque is a ProtocolError for everything in flight, never a value', async () => {
    fake = await counterServer((opaque) => `VA 2 O${opaque + 1}\r\n42\r\n`);
    await withClient(fake.spec, { protocol: 'meta', retries: 0 }, async (mc) => {
      const outcomes = await Promise.allSettled([mc.incr('a', 1, { initial: 0 }), mc.incr('b', 1, { initial: 0 })]);
      for (const outcome of outcomes) expect((outcome as PromiseRejectedResult).reason).toMatchObject({ code: 'MEMCACHE_PROTOCOL' });
    });
  });

  it('a meta reply without an opaque is a ProtocolError', async () => {
    fake = await counterServer(() => 'VA 2\r\n42\r\n');
    await withClient(fake.spec, { protocol: 'meta' }, async (mc) => {
      await expect(mc.incr('a', 1, { initial: 0 })).rejects.toMatchObject({ code: 'MEMCACHE_PROTOCOL' });
    });
  });

  it('each reply goes to the request whose opaque it carries', async () => {
    fake = await counterServer((opaque) => `VA ${String(opaque).length} O${opaque}\r\n${opaque}\r\n`);
    await withClient(fake.spec, { protocol: 'meta' }, async (mc) => {
      const values = await Promise.all([mc.incr('a', 1, { initial: 0 }), mc.incr('b', 1, { initial: 0 }), mc.incr('c', 1, { initial: 0 })]);
      expect(values).toEqual([1, 2, 3]);
    });
  });

  it('an error line among quiet sets fails every set it could belong to; none resolves as stored', async () => {
    fake = await startFakeServer(
      (socket, data) => {
        if (data.includes('ms ')) socket.write('SERVER_ERROR out of memory storing object\r\nMN\r\n');
        else if (data.includes('version')) socket.write('VERSION 1.6.18\r\n');
      },
      { meta: true },
    );
    await withClient(fake.spec, { protocol: 'meta' }, async (mc) => {
      const outcomes = await Promise.allSettled([mc.set('a', 1), mc.set('b', 2), mc.add('c', 3)]);
      for (const outcome of outcomes) expect((outcome as PromiseRejectedResult).reason).toMatchObject({ code: 'MEMCACHE_SERVER_ERROR' });
      expect((await mc.version())[0].version).toBe('1.6.18'); // the connection goes on
      expect(fake!.accepted).toBe(1);
    });
  });

  it('a CLIENT_ERROR among quiet sets closes the connection: a value may have run as commands', async () => {
    fake = await startFakeServer(
      (socket, data) => {
        if (data.includes('ms ')) socket.write('CLIENT_ERROR bad data chunk\r\nHD O999\r\nMN\r\n');
      },
      { meta: true },
    );
    await withClient(fake.spec, { protocol: 'meta', retries: 0 }, async (mc) => {
      const outcomes = await Promise.allSettled([mc.set('a', 1), mc.set('b', 2)]);
      for (const outcome of outcomes) expect(outcome.status).toBe('rejected');
      await eventually(() => fake!.open === 0);
    });
  });

  it('quiet sets whose mn is never answered time out; nothing resolves as stored', async () => {
    fake = await startFakeServer(() => {}, { meta: true });
    await withClient(fake.spec, { protocol: 'meta', timeout: 200 }, async (mc) => {
      const outcomes = await Promise.allSettled([mc.set('a', 1), mc.set('b', 2)]);
      expect(outcomes.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected']);
      const codes = outcomes.map((outcome) => (outcome as PromiseRejectedResult).reason.code);
      expect(codes[0]).toBe('MEMCACHE_TIMEOUT');
      // The timeout closes the connection; a set whose deadline had not quite passed fails with it.
      expect(['MEMCACHE_TIMEOUT', 'MEMCACHE_CONNECTION']).toContain(codes[1]);
    });
  });
});

/** Opens connections to `server` until it refuses one with `ERROR Too many open connections`; the ones it kept. */
async function fillConnections(server: MemcachedServer): Promise<net.Socket[]> {
  const held: net.Socket[] = [];
  for (let i = 0; i < 100; i++) {
    const socket = net.connect(server.port, server.host);
    const refused = await new Promise<boolean>((resolve) => {
      socket.once('data', (data) => resolve(data.toString('latin1').startsWith('ERROR Too many open connections')));
      socket.once('error', () => resolve(true));
      socket.once('connect', () => setTimeout(() => resolve(false), 20));
    });
    if (refused) {
      socket.destroy();
      return held;
    }
    held.push(socket);
  }
  for (const socket of held) socket.destroy();
  throw new Error('memcached never refused a connection');
}
