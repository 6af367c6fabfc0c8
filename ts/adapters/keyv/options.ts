/**
 * KeyvMemcache's options. Names that @keyv/memcache (and memjs under it) takes are accepted with
 * their meaning and units (seconds), so it is a drop-in; the rest are this package's own.
 */
import { OptionError, type Client, type ClientOptions, type ServerSpec } from '../../index.js';
import { isClient } from '../../client-brand.js';
import { clientFrom, rejectUnknown, type ClientSource } from '../client-source.js';

export interface KeyvMemcacheOptions {
  // ---- as @keyv/memcache and memjs ----
  /** Servers as @keyv/memcache takes them: `'host:port'`, comma-separated, each optionally `user:pass@host:port`. */
  url?: string;
  /** Same as `url`. */
  uri?: string;
  /** memcached exptime for a set Keyv gives no ttl (memjs `expires`: seconds, past 30 days a Unix time). Default 0: no expiry. */
  expires?: number;
  /** Seconds an operation may take (memjs; the client's `timeout` in ms). */
  timeout?: number;
  /** Seconds to connect (memjs; the client's `connectTimeout` in ms). */
  conntimeout?: number;
  /** Times a request is sent again after its connection broke (the client's `retries`, 0-5). */
  retries?: number;
  /** Send a dead server's keys to the others (the client's `failover`). */
  failover?: boolean;
  /** Seconds a dead server stays dead (memjs; the client's `deadRetry` in ms). */
  failoverTime?: number;
  /** memcached ASCII authentication (the client's `auth`); memjs' SASL is binary protocol only. */
  username?: string;
  password?: string;
  /** memjs options with no counterpart here; accepted so existing configurations load, and ignored. */
  retry_delay?: unknown;
  keepAlive?: unknown;
  keepAliveDelay?: unknown;
  logger?: unknown;
  /**
   * Parses the stored string in the adapter, as @keyv/memcache does with it: get() and getMany()
   * return `deserialize(stored)`, and Keyv skips its own deserializer. `deserializeKeyv` does what
   * Keyv's default one does, faster. Not with a custom Keyv serializer or Keyv `compression`
   * (README "Keyv"). Default: none, Keyv gets the string.
   */
  deserialize?: (data: string) => unknown;

  // ---- this package's ----
  /** A client to work through, kept open by disconnect(); instead of servers and client options. */
  client?: Client;
  /** Servers in the client's forms; instead of `url`. Neither: MEMCACHE_SERVERS. */
  servers?: ServerSpec | readonly ServerSpec[];
  /** Options of the client made from the servers (they win over the memjs names above). */
  clientOptions?: ClientOptions;
  /** Usually set by Keyv (its `namespace`, default 'keyv'): the key space `clear()` empties. */
  namespace?: string;
  /**
   * What `clear()` does without a namespace: 'refuse' (a ClearRefusedError) or 'flushAll' (every
   * item of every server, as @keyv/memcache always does). Default 'refuse'.
   */
  clearWithoutNamespace?: 'refuse' | 'flushAll';
}

export interface ResolvedKeyvOptions {
  /** Every option given, the servers string of the first argument as `url` (the adapter's `opts`). */
  readonly given: KeyvMemcacheOptions;
  readonly source: ClientSource;
  /** exptime of sets without a ttl; 0: no expiry. */
  readonly expires: number;
  readonly namespace: string | undefined;
  readonly clearWithoutNamespace: 'refuse' | 'flushAll';
  readonly deserialize: ((data: string) => unknown) | undefined;
}

const ADAPTER = 'KeyvMemcache';
const KNOWN = new Set([
  'url', 'uri', 'expires', 'timeout', 'conntimeout', 'retries', 'failover', 'failoverTime', 'username', 'password',
  'retry_delay', 'keepAlive', 'keepAliveDelay', 'logger', 'deserialize',
  'client', 'servers', 'clientOptions', 'namespace', 'clearWithoutNamespace',
]);
/** memjs' timeout 0 (none) in the client's terms: the longest timer Node takes, about 24.8 days. */
const NO_TIMEOUT = 2 ** 31 - 1;
/** Most retries the client takes; memjs takes more (it retries every command, the client only idempotent ones). */
const MAX_RETRIES = 5;
/** Largest exptime memcached parses (a signed 32-bit integer). */
const MAX_EXPTIME = 2 ** 31 - 1;

/** The memjs names that configure a client: meaningless next to a client given. */
const CLIENT_SETTINGS = ['timeout', 'conntimeout', 'retries', 'failover', 'failoverTime', 'username', 'password'] as const;

/** The constructor's arguments as @keyv/memcache takes them (servers string, or options), or a Client, or servers. */
export type KeyvMemcacheTarget = string | Client | ServerSpec | readonly ServerSpec[] | KeyvMemcacheOptions;

export function resolveKeyvOptions(target: KeyvMemcacheTarget | undefined, extra: KeyvMemcacheOptions | undefined): ResolvedKeyvOptions {
  const options = { ...targetAsOptions(target), ...extra };
  rejectUnknown(options, KNOWN, ADAPTER);
  const url = options.url ?? options.uri;
  if (url !== undefined && options.servers !== undefined) throw new OptionError('servers', 'and url (or uri) both name the servers: give one');
  const servers = url === undefined ? options.servers : serversOf(url);
  const given = options.client !== undefined;
  if (given && CLIENT_SETTINGS.some((name) => options[name] !== undefined)) {
    throw new OptionError('client', `comes with its own settings: ${CLIENT_SETTINGS.join(', ')} apply to a client made from servers`);
  }
  const clientOptions = given ? options.clientOptions : { ...clientSettings(options, url), ...options.clientOptions };
  // Checked before the client is made: a bad option must not leave one behind.
  const settings = {
    expires: exptimeOption(options.expires),
    namespace: namespaceOf(options.namespace),
    clearWithoutNamespace: clearChoice(options.clearWithoutNamespace),
    deserialize: deserializer(options.deserialize),
  };
  return { given: options, source: clientFrom(options.client, servers, clientOptions, ADAPTER), ...settings };
}

function targetAsOptions(target: KeyvMemcacheTarget | undefined): KeyvMemcacheOptions {
  if (target === undefined) return {};
  if (typeof target === 'string') return { url: target };
  if (typeof target !== 'object' || target === null) throw new OptionError('servers', 'must be a string, server specs, a Client or options');
  if (isClient(target)) return { client: target };
  if (Array.isArray(target) || isServerObject(target)) return { servers: target as ServerSpec | readonly ServerSpec[] };
  return target as KeyvMemcacheOptions;
}

function isServerObject(value: object): boolean {
  return 'host' in value || 'path' in value;
}

/** memjs' server list: comma-separated `[user:pass@]host:port`; credentials go to `auth` (see credentials). */
function serversOf(url: unknown): string[] {
  if (typeof url !== 'string' || url.trim() === '') throw new OptionError('url', 'must be servers as a string, e.g. "127.0.0.1:11211,10.0.0.2:11211"');
  return url.split(',').map((server) => withoutCredentials(server.trim()).address);
}

/**
 * The credentials memjs would use for every server: each server's own in `url`, else the
 * `username` and `password` options. The client authenticates every server alike, so they must
 * come out the same for all (memjs takes them per server).
 */
function credentials(url: string | undefined, options: KeyvMemcacheOptions): { username?: string; password?: string } {
  const given = { username: options.username, password: options.password };
  if (url === undefined) return given;
  const perServer = url.split(',').map((server) => {
    const entry = withoutCredentials(server.trim());
    return entry.username === undefined ? given : { username: entry.username, password: entry.password };
  });
  const [first] = perServer;
  if (perServer.some((entry) => entry.username !== first.username || entry.password !== first.password)) {
    throw new OptionError('url', 'gives servers different credentials (or some none): this client authenticates every server with one username and password');
  }
  return first;
}

function withoutCredentials(server: string): { address: string; username?: string; password?: string } {
  const at = server.lastIndexOf('@');
  if (at < 0) return { address: server };
  const [username, ...rest] = server.slice(0, at).split(':');
  return { address: server.slice(at + 1), username, password: rest.join(':') };
}

/** The memjs names, in the client's terms and units. */
function clientSettings(options: KeyvMemcacheOptions, url: string | undefined): ClientOptions {
  const settings: ClientOptions = {};
  const timeout = seconds(options.timeout, 'timeout');
  const conntimeout = seconds(options.conntimeout, 'conntimeout');
  const failoverTime = seconds(options.failoverTime, 'failoverTime');
  if (timeout !== undefined) settings.timeout = timeoutMs(timeout);
  if (conntimeout !== undefined) settings.connectTimeout = timeoutMs(conntimeout);
  if (failoverTime !== undefined) settings.deadRetry = Math.round(failoverTime * 1000);
  if (options.retries !== undefined) settings.retries = typeof options.retries === 'number' && options.retries > MAX_RETRIES ? MAX_RETRIES : options.retries;
  if (options.failover !== undefined) settings.failover = options.failover;
  // clientOptions.auth, spread over these, wins: then the url's own are not the client's.
  const { username, password } = options.clientOptions?.auth === undefined ? credentials(url, options) : {};
  if (username !== undefined || password !== undefined) settings.auth = { username: username ?? '', password: password ?? '' };
  return settings;
}

/** memjs' seconds as ms; 0 is memjs' "no timeout". */
function timeoutMs(seconds: number): number {
  return seconds === 0 ? NO_TIMEOUT : Math.min(NO_TIMEOUT, Math.max(1, Math.round(seconds * 1000)));
}

/** memjs' `expires`: whole seconds (it drops a fraction), 0 for none; past 30 days a Unix time. */
function exptimeOption(value: unknown): number {
  const expires = Math.trunc(seconds(value, 'expires') ?? 0);
  if (expires > MAX_EXPTIME) throw new OptionError('expires', `must be at most ${MAX_EXPTIME} (memcached's largest exptime), got ${String(value)}`);
  return expires;
}

function seconds(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new OptionError(name, `must be a number of seconds >= 0, got ${String(value)}`);
  return value;
}

function namespaceOf(value: unknown): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw new OptionError('namespace', `must be a string, got ${String(value)}`);
  return value;
}

function clearChoice(value: unknown): 'refuse' | 'flushAll' {
  if (value === undefined) return 'refuse';
  if (value === 'refuse' || value === 'flushAll') return value;
  throw new OptionError('clearWithoutNamespace', `must be 'refuse' or 'flushAll', got ${String(value)}`);
}

function deserializer(value: unknown): ((data: string) => unknown) | undefined {
  if (value === undefined || typeof value === 'function') return value as ((data: string) => unknown) | undefined;
  throw new OptionError('deserialize', `must be a function (data: string) => unknown, got ${String(value)}`);
}
