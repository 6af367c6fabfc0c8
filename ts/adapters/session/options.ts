/** MemcacheStore's options, checked at construction (a bad or unknown option is an OptionError). */
import { Buffer } from 'node:buffer';
import { OptionError, type Client, type ClientOptions, type ServerSpec } from '../../index.js';
import { clientFrom, keyRefusal, rejectUnknown, type ClientSource } from '../client-source.js';

export interface MemcacheStoreOptions {
  /** A client to work through (kept open: the application closes it); instead of servers. */
  client?: Client;
  /** Servers in the client's forms; neither this nor `client`: MEMCACHE_SERVERS. */
  servers?: ServerSpec | readonly ServerSpec[];
  /** connect-memcached's name for `servers`; also in its `{ 'host:port': weight }` form. */
  hosts?: ServerSpec | readonly ServerSpec[] | Readonly<Record<string, number>>;
  /** Options of the client made from the servers. */
  clientOptions?: ClientOptions;
  /** Starts every session key; also the namespace clear() empties. Default 'sess:'. */
  prefix?: string;
  /** Seconds a session lives when its cookie has no expiry (a browser-session cookie). Default 86400 (one day). */
  ttl?: number;
}

export interface ResolvedStoreOptions {
  readonly source: ClientSource;
  readonly prefix: string;
  /** ms. */
  readonly ttl: number;
}

const ADAPTER = 'MemcacheStore';
const KNOWN = new Set(['client', 'servers', 'hosts', 'clientOptions', 'prefix', 'ttl']);
const ONE_DAY = 86_400;

/** Longest prefix: a key is the prefix, a generation (up to 14 bytes with its ':') and a session id (uid-safe's are 32). */
const MAX_PREFIX_BYTES = 200;

/**
 * The prefix every session key starts with: refused here when no key could hold it (a space or a
 * control byte, or too long), rather than at every request.
 */
function checkPrefix(prefix: unknown): string {
  if (typeof prefix !== 'string') throw new OptionError('prefix', `must be a string, got ${String(prefix)}`);
  if (/[\x00-\x20\x7f]/.test(prefix)) throw new OptionError('prefix', `must not hold a space or control character (memcached keys cannot), got ${JSON.stringify(prefix)}`);
  if (Buffer.byteLength(prefix) > MAX_PREFIX_BYTES) throw new OptionError('prefix', `must be at most ${MAX_PREFIX_BYTES} bytes, got ${Buffer.byteLength(prefix)}`);
  return prefix;
}

/**
 * Whether the client takes a session key as long as they come under `prefix` (its keyPrefix,
 * maxKeyLength and key encoding decide): refused here rather than at every request. A client made
 * here is closed again.
 */
function checkPrefixFits(source: ClientSource, prefix: string): void {
  const refusal = keyRefusal(source.client, `${prefix}${'0'.repeat(13)}:${'s'.repeat(32)}`);
  if (refusal === undefined) return;
  if (source.owned) void source.client.close();
  throw new OptionError('prefix', `leaves no room for a session key with this client: ${refusal.message}`);
}

export function resolveStoreOptions(options: MemcacheStoreOptions = {}): ResolvedStoreOptions {
  if (typeof options !== 'object' || options === null) throw new OptionError('options', `${ADAPTER} takes an options object`);
  rejectUnknown(options, KNOWN, ADAPTER);
  if (options.servers !== undefined && options.hosts !== undefined) throw new OptionError('hosts', 'and servers both name the servers: give one');
  const prefix = checkPrefix(options.prefix ?? 'sess:');
  const ttl = options.ttl ?? ONE_DAY;
  if (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl <= 0) throw new OptionError('ttl', `must be a number of seconds > 0, got ${String(ttl)}`);
  const source = clientFrom(options.client, options.servers ?? hostsAsServers(options.hosts), options.clientOptions, ADAPTER);
  checkPrefixFits(source, prefix);
  return { source, prefix, ttl: ttl * 1000 };
}

/** `hosts` as connect-memcached (through the `memcached` package) takes it: also `{ 'host:port': weight }`. */
function hostsAsServers(hosts: MemcacheStoreOptions['hosts']): ServerSpec | readonly ServerSpec[] | undefined {
  if (typeof hosts !== 'object' || hosts === null || Array.isArray(hosts) || 'host' in hosts || 'path' in hosts) return hosts as ServerSpec | readonly ServerSpec[] | undefined;
  return Object.entries(hosts as Readonly<Record<string, number>>).map(([server, weight]) => [server, weight] as const);
}
