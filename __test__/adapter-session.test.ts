/**
 * The express-session store (memcache-native/session) behind real express apps, over real HTTP
 * (app.listen on port 0, Node's fetch carrying the cookie), on a real memcached: a session
 * survives across requests, destroy ends it, it expires, touch extends it without rewriting it, one
 * app instance reads what another wrote; clear() by prefix generation; ttl from the cookie, else ttl.
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import session, { type SessionData } from 'express-session';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Client, OptionError } from '../ts/index.js';
import { MemcacheStore } from '../ts/adapters/session/index.js';
import { inspect, raw } from './support/raw.js';
import { useServerAndClient } from './support/server-and-client.js';

declare module 'express-session' {
  interface SessionData {
    count?: number;
  }
}

const ctx = useServerAndClient();
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const cleanups: (() => Promise<void>)[] = [];
let prefixes = 0;
const freshPrefix = (): string => `sess${++prefixes}:`;

afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

/** A store on the test's memcached with a client of its own (as another process would have). */
function newStore(prefix: string, ttl?: number): MemcacheStore {
  const store = new MemcacheStore({ servers: ctx.server.spec, prefix, ttl });
  cleanups.push(() => store.close());
  return store;
}

/** "Remember me": 30 days. */
const REMEMBERED_MS = 30 * 86_400_000;

/** An express app with express-session on `store`, listening on a free port; its base URL. */
async function startApp(store: MemcacheStore, maxAge?: number): Promise<string> {
  const app = express();
  app.use(session({ store, secret: 'test secret', resave: false, saveUninitialized: false, cookie: { maxAge } }));
  app.get('/count', (req, res) => {
    req.session.count = (req.session.count ?? 0) + 1;
    res.json({ count: req.session.count });
  });
  app.get('/peek', (req, res) => {
    res.json({ count: req.session.count ?? null });
  });
  app.get('/save-now', (req, res, next) => {
    req.session.count = (req.session.count ?? 0) + 1;
    req.session.save((error) => (error ? next(error) : res.json({ count: req.session.count }))); // as before a redirect
  });
  app.get('/remember', (req, res) => {
    req.session.cookie.maxAge = REMEMBERED_MS; // the cookie alone changes
    res.json({ count: req.session.count ?? null });
  });
  app.get('/remember-saved', (req, res, next) => {
    req.session.cookie.maxAge = REMEMBERED_MS;
    req.session.save((error) => (error ? next(error) : res.json({ count: req.session.count ?? null })));
  });
  app.get('/logout', (req, res, next) => {
    req.session.destroy((error) => (error ? next(error) : res.json({ ok: true })));
  });
  const server = await new Promise<Server>((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  cleanups.push(() => new Promise((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A browser, as far as one cookie goes: sends it, keeps the one the server sets. */
class Browser {
  cookie = '';

  /** The session id the cookie carries (express-session signs it: `s:<sid>.<signature>`). */
  get sid(): string {
    return decodeURIComponent(this.cookie.split('=')[1]).slice(2).split('.')[0];
  }

  async get(url: string): Promise<{ count?: number | null }> {
    const response = await fetch(url, { headers: this.cookie === '' ? {} : { cookie: this.cookie } });
    const setCookie = response.headers.get('set-cookie');
    if (setCookie !== null) this.cookie = setCookie.split(';')[0];
    if (!response.ok) throw new Error(`${url}: ${response.status} ${await response.text()}`);
    return (await response.json()) as { count?: number | null };
  }
}

/** Calls a callback-style store method as a promise. */
function call<T>(run: (callback: (error?: unknown, result?: T) => void) => void): Promise<T | undefined> {
  return new Promise((resolve, reject) => run((error, result) => (error ? reject(error) : resolve(result))));
}

/** Seconds memcached gives the item left (-1: no expiry). */
async function secondsLeft(key: string): Promise<number> {
  const reply = (await raw(ctx.server, `mg ${key} t\r\n`)).toString('latin1');
  const match = /^HD t(-?\d+)/.exec(reply);
  if (match === null) throw new Error(`mg ${key}: ${reply}`);
  return Number(match[1]);
}

/** Where `sid` lives under `prefix`: `prefix + generation (base 36) + ':' + sid`. */
async function sessionKey(prefix: string, sid: string): Promise<string> {
  const counter = await inspect(ctx.server, `${prefix}gen`);
  if (counter === undefined) throw new Error(`no generation counter for ${prefix}`);
  return `${prefix}${BigInt(counter.data.toString('latin1').trim()).toString(36)}:${sid}`;
}

const cookieFor = (ms: number | null): SessionData['cookie'] =>
  ({ originalMaxAge: ms, maxAge: ms, expires: ms === null ? null : new Date(Date.now() + ms), httpOnly: true, path: '/' }) as unknown as SessionData['cookie'];

describe('express-session over HTTP', () => {
  it('a session survives across requests', async () => {
    const url = await startApp(newStore(freshPrefix()));
    const browser = new Browser();
    expect(await browser.get(`${url}/count`)).toEqual({ count: 1 });
    expect(await browser.get(`${url}/count`)).toEqual({ count: 2 });
    expect(await browser.get(`${url}/peek`)).toEqual({ count: 2 });
    expect(await new Browser().get(`${url}/peek`)).toEqual({ count: null }); // another browser: no session
  });

  it('destroy ends the session', async () => {
    const url = await startApp(newStore(freshPrefix()));
    const browser = new Browser();
    await browser.get(`${url}/count`);
    await browser.get(`${url}/logout`);
    expect(await browser.get(`${url}/peek`)).toEqual({ count: null });
    expect(await browser.get(`${url}/count`)).toEqual({ count: 1 });
  });

  it("a session expires with its cookie's maxAge (1 s)", async () => {
    const url = await startApp(newStore(freshPrefix()), 1000);
    const browser = new Browser();
    expect(await browser.get(`${url}/count`)).toEqual({ count: 1 });
    await sleep(2100);
    expect(await browser.get(`${url}/peek`)).toEqual({ count: null });
  });

  it("touch extends the session with memcached's touch, without rewriting it", async () => {
    const store = newStore(freshPrefix());
    // A maxAge of 4 s is sent as exptime 5 (rounded up, one more for memcached's whole-second
    // clock), which ends 4 to 5 s later: the touch at 2.3 s gives the touched session until 6.3 s
    // at least, and the check at 5.2 s (past 5) leaves a second of slack either way.
    const url = await startApp(store, 4000);
    const touched = new Browser();
    const untouched = new Browser();
    await Promise.all([touched.get(`${url}/count`), untouched.get(`${url}/count`)]);
    await sleep(2300);
    const set = vi.spyOn(store, 'set');
    const touch = vi.spyOn(store.client, 'touch');
    expect(await touched.get(`${url}/peek`)).toEqual({ count: 1 }); // unmodified: express-session touches
    // The session's touch (the counter's own, now and then, is not this test's).
    expect(touch.mock.calls.filter(([key]) => !String(key).endsWith('gen'))).toHaveLength(1);
    expect(set).not.toHaveBeenCalled();
    await sleep(2900); // 5.2 s after the start: past the first expiry, before the touched one
    expect(await untouched.get(`${url}/peek`)).toEqual({ count: null });
    expect(await touched.get(`${url}/peek`)).toEqual({ count: 1 });
  });

  it("a save made during the request keeps a session whose stored cookie is past its expiry (touch kept it alive; resave: false)", async () => {
    const prefix = freshPrefix();
    const url = await startApp(newStore(prefix), 60_000);
    const browser = new Browser();
    expect(await browser.get(`${url}/count`)).toEqual({ count: 1 });
    // As stored minutes ago and kept alive since by touch(), which leaves the stored cookie as it was.
    const key = await sessionKey(prefix, browser.sid);
    const stored = JSON.parse((await ctx.client.get(key)) as string) as SessionData;
    stored.cookie.expires = new Date(Date.now() - 5_000);
    await ctx.client.set(key, JSON.stringify(stored), { ttl: 60 });

    expect(await browser.get(`${url}/save-now`)).toEqual({ count: 2 });
    expect(await browser.get(`${url}/peek`)).toEqual({ count: 2 });
    expect(await secondsLeft(key)).toBeGreaterThan(55);
  });

  it('a change to the cookie alone lasts one request when express-session only touches the session, and stays once saved', async () => {
    const prefix = freshPrefix();
    const url = await startApp(newStore(prefix), 60_000);
    const sessionOf = (browser: Browser): Promise<string> => sessionKey(prefix, browser.sid);
    const [touchedOnly, saved] = [new Browser(), new Browser()];
    await Promise.all([touchedOnly.get(`${url}/count`), saved.get(`${url}/count`)]);

    await touchedOnly.get(`${url}/remember`); // unchanged as express-session hashes it: touched, with the new expiry
    expect(await secondsLeft(await sessionOf(touchedOnly))).toBeGreaterThan(86_400);
    await touchedOnly.get(`${url}/peek`); // read back with the cookie as stored, and touched with it
    expect(await secondsLeft(await sessionOf(touchedOnly))).toBeLessThanOrEqual(61);

    await saved.get(`${url}/remember-saved`);
    await saved.get(`${url}/peek`);
    expect(await secondsLeft(await sessionOf(saved))).toBeGreaterThan(86_400);
    expect(await saved.get(`${url}/peek`)).toEqual({ count: 1 });
  });

  it('a session written by one app instance is read by another', async () => {
    const prefix = freshPrefix();
    const [one, two] = [await startApp(newStore(prefix)), await startApp(newStore(prefix))];
    const browser = new Browser();
    expect(await browser.get(`${one}/count`)).toEqual({ count: 1 });
    expect(await browser.get(`${two}/count`)).toEqual({ count: 2 });
    expect(await browser.get(`${one}/peek`)).toEqual({ count: 2 });
    await browser.get(`${two}/logout`);
    expect(await browser.get(`${one}/peek`)).toEqual({ count: null });
  });
});

describe('MemcacheStore', () => {
  it('clear() ends every session of its prefix, for every instance, and no other', async () => {
    const prefix = freshPrefix();
    const [store, sameOther, otherPrefix] = [newStore(prefix), newStore(prefix), newStore(freshPrefix())];
    const data = { cookie: cookieFor(60_000), count: 7 } as SessionData;
    await call((cb) => store.set('a', data, cb));
    await call((cb) => otherPrefix.set('a', data, cb));
    await ctx.client.set('not-a-session', 'kept');
    expect((await call<SessionData | null>((cb) => sameOther.get('a', cb)))?.count).toBe(7);

    await call((cb) => store.clear(cb));

    expect(await call((cb) => store.get('a', cb))).toBeNull();
    expect(await call((cb) => sameOther.get('a', cb))).toBeNull();
    expect((await call<SessionData | null>((cb) => otherPrefix.get('a', cb)))?.count).toBe(7);
    expect(await ctx.client.get('not-a-session')).toBe('kept');
  });

  it('a session set after clear() is called, before it completes, is kept (it is written under the new generation)', async () => {
    const store = newStore(freshPrefix());
    const data = { cookie: cookieFor(60_000), count: 1 } as SessionData;
    await call((cb) => store.set('old', data, cb));
    await Promise.all([call((cb) => store.clear(cb)), call((cb) => store.set('new', data, cb))]);
    expect(await call((cb) => store.get('old', cb))).toBeNull();
    expect((await call<SessionData | null>((cb) => store.get('new', cb)))?.count).toBe(1);
  });

  it('close() right after a set on a fresh store, or after a clear, lets the calls made before it finish', async () => {
    const prefix = freshPrefix();
    const data = { cookie: cookieFor(60_000), count: 2 } as SessionData;
    const fresh = new MemcacheStore({ servers: ctx.server.spec, prefix });
    const first = call((cb) => fresh.set('first', data, cb)); // waits for the prefix's first counter read
    await fresh.close();
    await first;
    const clearing = new MemcacheStore({ servers: ctx.server.spec, prefix });
    const cleared = call((cb) => clearing.clear(cb));
    const after = call((cb) => clearing.set('after', data, cb)); // waits for the clear
    await clearing.close();
    await Promise.all([cleared, after]);
    const reader = newStore(prefix);
    expect(await call((cb) => reader.get('first', cb))).toBeNull(); // cleared
    expect((await call<SessionData | null>((cb) => reader.get('after', cb)))?.count).toBe(2);
  });

  it("the ttl comes from the cookie's expiry, else the ttl option (seconds); an expired cookie whose originalMaxAge is not positive deletes", async () => {
    const prefix = freshPrefix();
    const store = newStore(prefix, 120);
    await call((cb) => store.set('cookie', { cookie: cookieFor(60_000) } as SessionData, cb));
    await call((cb) => store.set('browser-session', { cookie: cookieFor(null) } as SessionData, cb));
    const left = await secondsLeft(await sessionKey(prefix, 'cookie'));
    expect(left).toBeGreaterThan(57);
    expect(left).toBeLessThanOrEqual(61);
    expect(await secondsLeft(await sessionKey(prefix, 'browser-session'))).toBeGreaterThan(115);

    await call((cb) => store.set('cookie', { cookie: cookieFor(-1000) } as SessionData, cb));
    expect(await call((cb) => store.get('cookie', cb))).toBeNull();
  });

  it('a session too large for the client is refused with its coded error, and the session it meant to replace is gone (as memcached drops an item it refuses)', async () => {
    const store = new MemcacheStore({ client: new Client(ctx.server.spec, { maxValueLength: 2000 }), prefix: freshPrefix() });
    cleanups.push(() => store.client.close());
    const session = { cookie: cookieFor(60_000), count: 1 } as SessionData;
    await call((done) => store.set('big', session, done));
    const big = { ...session, note: 'x'.repeat(3000) } as SessionData;
    await expect(call((done) => store.set('big', big, done))).rejects.toMatchObject({ code: 'MEMCACHE_VALUE_TOO_LARGE' });
    expect(await call<SessionData | null>((done) => store.get('big', done))).toBeNull();
  });

  it('close() right after a set the client refuses late (compressed off the main thread) still drops the session it meant to replace', async () => {
    const prefix = freshPrefix();
    const clientOptions = { maxValueLength: 20_000, compressionThreshold: 1_024, offloadThreshold: 1_024 };
    const store = new MemcacheStore({ servers: ctx.server.spec, prefix, clientOptions });
    const session = { cookie: cookieFor(60_000), count: 1 } as SessionData;
    await call((done) => store.set('late', session, done));
    const key = await sessionKey(prefix, 'late');
    // Too large even compressed; large enough that compressing it takes a while (the native core is quick).
    const big = { ...session, note: randomBytes(3_000_000).toString('base64') } as SessionData;
    const refused = call((done) => store.set('late', big, done)).catch((e: unknown) => e);
    await store.close();
    expect(await refused).toMatchObject({ code: 'MEMCACHE_VALUE_TOO_LARGE' });
    expect(await inspect(ctx.server, key)).toBeUndefined();
  });

  it('a session refused as too large does not drop the session a later save of the same sid stored', async () => {
    const store = new MemcacheStore({ client: new Client(ctx.server.spec, { maxValueLength: 2000 }), prefix: freshPrefix() });
    cleanups.push(() => store.client.close());
    const session = { cookie: cookieFor(60_000), count: 1 } as SessionData;
    const big = { ...session, note: 'x'.repeat(3000) } as SessionData;
    const [refused] = await Promise.allSettled([call((done) => store.set('twice', big, done)), call((done) => store.set('twice', session, done))]);
    expect(refused).toMatchObject({ status: 'rejected', reason: { code: 'MEMCACHE_VALUE_TOO_LARGE' } });
    expect(await call<SessionData | null>((done) => store.get('twice', done))).toMatchObject({ count: 1 });
  });

  it('stores the session as JSON text, and reads it back', async () => {
    const prefix = freshPrefix();
    const store = newStore(prefix);
    const data = { cookie: cookieFor(60_000), count: 3 } as SessionData;
    await call((cb) => store.set('json', data, cb));
    const stored = await inspect(ctx.server, await sessionKey(prefix, 'json'));
    expect(JSON.parse(stored?.data.toString('utf8') ?? '')).toEqual(JSON.parse(JSON.stringify(data)));
    expect(await call((cb) => store.get('json', cb))).toEqual(JSON.parse(JSON.stringify(data)));
  });

  it('a stored value that is not a session fails get and load with a DeserializeError naming the server, never the session id (express-session would read its cookie and throw); a session JSON cannot hold fails set with a SerializeError', async () => {
    const prefix = freshPrefix();
    const store = newStore(prefix);
    await call((cb) => store.set('good', { cookie: cookieFor(60_000), count: 1 } as SessionData, cb));
    const sid = 'bad-sid-Zq81xW';
    const key = await sessionKey(prefix, sid);
    for (const text of ['{', '{}', '"text"', '123', 'null', '[]', '{"cookie":null}', '{"cookie":"x"}']) {
      await ctx.client.set(key, text);
      for (const reading of [call((cb) => store.get(sid, cb)), call((cb) => store.load(sid, cb))]) {
        const error = (await reading.catch((e: unknown) => e)) as Error & { code?: string; server?: string };
        expect(error, text).toMatchObject({ code: 'MEMCACHE_DESERIALIZE', server: ctx.client.serverFor(key) });
        // The id opens the session to whoever reads the log the error ends up in.
        expect(error.message, text).not.toContain(sid);
      }
    }
    await ctx.client.set(key, Buffer.from([0xff, 0xfe])); // bytes that are no JSON text
    await expect(call((cb) => store.get(sid, cb))).rejects.toMatchObject({ code: 'MEMCACHE_DESERIALIZE', server: ctx.client.serverFor(key) });
    const circular = { cookie: cookieFor(60_000) } as SessionData & { self?: unknown };
    circular.self = circular;
    for (const data of [circular, { cookie: cookieFor(60_000), big: 1n } as unknown as SessionData]) {
      await expect(call((cb) => store.set('unwritable', data, cb))).rejects.toMatchObject({ code: 'MEMCACHE_SERIALIZE', cause: expect.any(TypeError) });
    }
  });

  it('works through a client given (kept open by close()) and with the text protocol', async () => {
    const client = new Client(ctx.server.spec, { protocol: 'text' });
    try {
      const store = new MemcacheStore({ client });
      await call((cb) => store.set('t', { cookie: cookieFor(60_000), count: 1 } as SessionData, cb));
      await call((cb) => store.clear(cb));
      expect(await call((cb) => store.get('t', cb))).toBeNull();
      await store.close();
      expect(await client.version()).toHaveLength(1);
    } finally {
      await client.close();
    }
  });

  it("takes connect-memcached's hosts in each of its forms: a string, an array, { 'host:port': weight }", async () => {
    const prefix = freshPrefix();
    const forms = [ctx.server.spec, [ctx.server.spec], { [ctx.server.spec]: 2 }] as const;
    for (const [i, hosts] of forms.entries()) {
      const store = new MemcacheStore({ hosts, prefix });
      cleanups.push(() => store.close());
      await call((cb) => store.set(`h${i}`, { cookie: cookieFor(60_000), count: i } as SessionData, cb));
      expect((await call<SessionData | null>((cb) => newStore(prefix).get(`h${i}`, cb)))?.count).toBe(i);
    }
  });

  it('has no all() or length(): memcached cannot list keys', () => {
    const store = newStore(freshPrefix());
    expect(store.all).toBeUndefined();
    expect(store.length).toBeUndefined();
  });

  it('refuses unknown and malformed options, naming them', () => {
    expect(() => new MemcacheStore({ servers: ctx.server.spec, secret: 'x' } as never)).toThrow(OptionError);
    expect(() => new MemcacheStore({ servers: ctx.server.spec, ttl: -1 })).toThrow(/ttl/);
    expect(() => new MemcacheStore({ client: ctx.client, servers: ctx.server.spec })).toThrow(/client/);
  });

  it('refuses a prefix no memcached key could start with (a space, a control byte, too long) at construction, not at each request', () => {
    for (const prefix of ['my sess:', 'sess\r\n:', 'p'.repeat(201)]) {
      expect(() => new MemcacheStore({ client: ctx.client, prefix })).toThrow(expect.objectContaining({ code: 'MEMCACHE_BAD_OPTION', option: 'prefix' }));
    }
    expect(() => new MemcacheStore({ client: ctx.client, prefix: 'séss:' })).not.toThrow();
  });

  it("refuses at construction a prefix the client's own key rules leave no room after (its keyPrefix, maxKeyLength, binaryKeys)", () => {
    const servers = ctx.server.spec;
    for (const [prefix, clientOptions] of [
      ['p'.repeat(200), { keyPrefix: 'app:long:' }],
      ['p'.repeat(190), { maxKeyLength: 200 }],
      ['p'.repeat(150), { binaryKeys: true, protocol: 'meta' }],
    ] as const) {
      expect(() => new MemcacheStore({ servers, clientOptions, prefix })).toThrow(expect.objectContaining({ code: 'MEMCACHE_BAD_OPTION', option: 'prefix' }));
    }
    expect(() => newStore('p'.repeat(200))).not.toThrow();
  });
});

describe('the generation counter under memory pressure', () => {
  const small = useServerAndClient({ server: { args: ['-m', '4'] } });

  it("stays as long as its namespace is in use: memcached's arithmetic does not mark it used, so the store touches it now and then", async () => {
    const store = new MemcacheStore({ client: new Client(small.server.spec), prefix: 'lru:' });
    const filler = new Client(small.server.spec);
    try {
      await call((cb) => store.set('sid', { cookie: cookieFor(null), count: 7 } as SessionData, cb));
      // A counter of its own, read as the store reads its own (incr by 0, which leaves it where it
      // is in the LRU), is evicted once memcached has cycled through its memory: the store's would be too.
      // Filler and control in the counter's slab class (memcached evicts within a class): items of
      // its size, a short key and a 19-digit value.
      const digits = String(2n ** 60n);
      await filler.set('lru-ctl', digits);
      // Items written in batches, each followed by a read of the session, until the control
      // counter is evicted, then as many again; paced so that memcached cycles through its 4 MB in
      // seconds, several of the store's touches apart, as a cache far larger would in minutes.
      let written = 0;
      let cycle: number | undefined;
      while (cycle === undefined || written < 2 * cycle) {
        await filler.setMulti(Array.from({ length: 100 }, (_, i) => [`lf${written + i}`, digits] as const));
        written += 100;
        expect(await call<SessionData | null>((cb) => store.get('sid', cb)), `after ${written} items`).toMatchObject({ count: 7 });
        if (cycle === undefined && (await filler.incr('lru-ctl', 0)) === undefined) cycle = written;
        await sleep(10);
      }
    } finally {
      await filler.close();
      await store.close();
      await store.client.close();
    }
  }, 60_000);
});
