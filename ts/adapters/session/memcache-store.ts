/**
 * An express-session store on memcache-native. A session lives as its JSON under
 * `prefix + generation + ':' + sid` until its cookie expires (else `ttl`); touch() is memcached's
 * own touch, which moves the expiry without rewriting the session; clear() moves the prefix to a
 * new generation (see ../namespace-generation.ts). memcached cannot list keys, so there is no
 * all() or length().
 */
import session from 'express-session';
import type { SessionData } from 'express-session';
import { DeserializeError, SerializeError, type Client } from '../../index.js';
import { exptimeFromMs, type Exptime } from '../exptime.js';
import { NamespaceGeneration } from '../namespace-generation.js';
import { setOrDrop } from '../set-or-drop.js';
import { WriteLog } from '../write-log.js';
import { resolveStoreOptions, type MemcacheStoreOptions } from './options.js';

type Callback<T = void> = (error?: unknown, result?: T) => void;

export class MemcacheStore extends session.Store {
  /** The client the store works through. */
  readonly client: Client;
  readonly #owned: boolean;
  /** ms, for sessions whose cookie does not expire. */
  readonly #ttl: number;
  readonly #generation: NamespaceGeneration;
  /** The sessions written (set, destroy), in call order: a set refused for its size drops the old session only when no later call wrote it. */
  readonly #writes = new WriteLog();

  /** Throws an OptionError on a bad option. */
  constructor(options?: MemcacheStoreOptions) {
    super();
    const resolved = resolveStoreOptions(options);
    this.client = resolved.source.client;
    this.#owned = resolved.source.owned;
    this.#ttl = resolved.ttl;
    this.#generation = new NamespaceGeneration(this.client, resolved.prefix);
  }

  /** The session, or null when there is none (never stored, destroyed, expired, cleared). */
  override get(sid: string, callback: (error: unknown, session?: SessionData | null) => void): void {
    settle(
      this.#run(sid, async (key) => parse(await this.client.get(key), () => serverOf(this.client, key))),
      callback as Callback<SessionData | null>,
    );
  }

  /** Stores the session until its cookie expires; one already expired is deleted. */
  override set(sid: string, data: SessionData, callback?: (error?: unknown) => void): void {
    const write = this.#writes.wrote(sid);
    settle(
      this.#run(sid, async (key) => {
        const exptime = this.#exptime(data);
        if (exptime === 'expired') await this.client.delete(key);
        else await setOrDrop(this.client, key, sessionJson(data), { ttl: exptime }, this.#writes, sid, write);
      }),
      callback,
    );
  }

  /** Ends the session. */
  override destroy(sid: string, callback?: (error?: unknown) => void): void {
    this.#writes.wrote(sid);
    settle(
      this.#run(sid, async (key) => {
        await this.client.delete(key);
      }),
      callback,
    );
  }

  /** Moves the session's expiry to its cookie's, with memcached's touch: the session is not rewritten. */
  override touch(sid: string, data: SessionData, callback?: (error?: unknown) => void): void {
    settle(
      this.#run(sid, async (key) => {
        const exptime = this.#exptime(data);
        if (exptime === 'expired') await this.client.delete(key);
        else await this.client.touch(key, exptime);
      }),
      callback,
    );
  }

  /** Ends every session of this prefix, by moving it to a new generation; nothing else on the servers is touched. */
  override clear(callback?: (error?: unknown) => void): void {
    settle(this.#generation.bump(), callback);
  }

  /**
   * Closes the client if the store made it, once every call made before has reached it (the
   * client's close() lets those finish); a client given stays open.
   */
  async close(): Promise<void> {
    await Promise.all([this.#generation.settled(), this.#writes.idle()]);
    if (this.#owned) await this.client.close();
  }

  #run<T>(sid: string, op: (key: string) => Promise<T>): Promise<T> {
    return this.#generation.run((prefix) => op(prefix + sid));
  }

  /**
   * From the cookie's expiry (or maxAge), else the `ttl` option. An expiry already past, on a
   * cookie whose originalMaxAge is positive, is one read back as stored while touch() kept the
   * session alive (touch does not rewrite it): express-session refreshes it to originalMaxAge only
   * as the response ends, so a save during the request (resave: false) still carries it, and the
   * session lives originalMaxAge from now, as the touch that follows will say.
   */
  #exptime(data: SessionData): Exptime {
    const cookie = data?.cookie as { expires?: Date | string | null; maxAge?: number | null; originalMaxAge?: number | null } | undefined;
    const expires = cookie?.expires ? new Date(cookie.expires).getTime() : NaN;
    if (!Number.isNaN(expires)) {
      const left = expires - Date.now();
      const original = cookie?.originalMaxAge;
      return exptimeFromMs(left <= 0 && typeof original === 'number' && original > 0 ? original : left);
    }
    if (typeof cookie?.maxAge === 'number') return exptimeFromMs(cookie.maxAge);
    return exptimeFromMs(this.#ttl);
  }
}

/** The session as JSON; one JSON cannot hold (a cycle, a BigInt) is a SerializeError, its cause what JSON.stringify threw. */
function sessionJson(data: SessionData): string {
  try {
    return JSON.stringify(data);
  } catch (cause) {
    throw new SerializeError(`the session cannot be written as JSON: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/**
 * A stored session: our JSON text, or bytes (stored by another client with flags 0). Anything but
 * an object with a cookie object is an error: express-session reads `session.cookie` as soon as it
 * gets one, and a throw there, in reload()'s callback, would end the process. The error names the
 * server (`server()`), never the key: it holds the session id, which opens the session to whoever
 * reads the log it ends up in.
 */
function parse(value: unknown, server: () => string | undefined): SessionData | null {
  if (value === undefined) return null;
  const text = typeof value === 'string' ? value : value instanceof Uint8Array ? Buffer.from(value).toString('utf8') : undefined;
  if (text === undefined) throw new DeserializeError('a stored session is not JSON text', { server: server() });
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new DeserializeError('a stored session is not valid JSON', { cause: error, server: server() });
  }
  if (!isObject(data) || !isObject(data.cookie)) throw new DeserializeError('a value stored under a session key is not a session (an object with a cookie object)', { server: server() });
  return data as unknown as SessionData;
}

/** The server `key` goes to, for an error; undefined once the client is closing. */
function serverOf(client: Client, key: string): string | undefined {
  try {
    return client.serverFor(key);
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** express-session's callback style, called once, outside the promise chain (a throwing callback is not turned into a rejection). */
function settle<T>(promise: Promise<T>, callback: Callback<T> | undefined): void {
  promise.then(
    (result) => callback !== undefined && process.nextTick(callback, null, result),
    (error: unknown) => callback !== undefined && process.nextTick(callback, error),
  );
}
