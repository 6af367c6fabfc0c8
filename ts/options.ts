/**
 * Every client option: what it does, its default, and its validation. A bad option throws an
 * OptionError naming it, at construction; unknown option names throw too (a typo is not ignored).
 */
import type tls from 'node:tls';
import type { CompressorSetting } from './codec/compression.js';
import type { Serializer } from './codec/serializer.js';
import { DEFAULT_HASH, DISTRIBUTIONS, type Distribution } from './cluster/distribution.js';
import { parseServerSpec } from './cluster/server-spec.js';
import { core, HASH_ALGORITHMS, type HashAlgorithm } from './core/index.js';
import { OptionError } from './errors.js';

export interface ClientOptions {
  /** ms an operation may take, from the call to its last reply byte; it then fails with a TimeoutError and its connection is destroyed. Default 3000. */
  timeout?: number;
  /** ms to open a connection: TCP connect, TLS handshake and authentication. Default 1000. */
  connectTimeout?: number;
  /** Prepended to every key, sent and hashed with it (and counted in maxKeyLength); results come back without it. Default ''. */
  keyPrefix?: string;
  /** Enforce maxKeyLength. Bytes that would break the protocol (control characters, space) and keys past memcached's 250 bytes are refused either way (with binaryKeys: any byte, past 186 bytes). Default true. */
  checkKeys?: boolean;
  /** Longest key in bytes (UTF-8), prefix included: 1-250 (memcached's limit, fixed when it is compiled). Default 250. */
  maxKeyLength?: number;
  /**
   * Keys of any bytes: space, CR, LF, NUL, bytes that are not UTF-8 (a string key is still its
   * UTF-8 bytes). They travel base64 with the meta protocol's `b` flag, so every keyed command is
   * a meta command, and are hashed and routed as their raw bytes (a printable key goes to the same
   * server either way). memcached's 250-byte limit holds for the base64 form: 186 raw bytes,
   * keyPrefix included (maxKeyLength counts raw bytes). Needs the meta protocol: with protocol
   * 'text' an OptionError; a server that does not speak meta fails its connections with an
   * UnsupportedError. Default false (the text key rules: no control bytes, no space).
   */
  binaryKeys?: boolean;
  /** Largest value in bytes after serialization and compression; larger fails before anything is sent. Default 1048576 (1 MiB, memcached's default item size; the server's own overhead makes values just under it fail server-side). */
  maxValueLength?: number;
  /** Compress values longer than this many bytes, when that makes them smaller. 0 turns it off (python-memcached's min_compress_len=0). Default 0. */
  compressionThreshold?: number;
  /** Level of the compressor: zlib 0-9, zstd 1-22; -1 is the codec's default (zlib 6, zstd 3). Default -1. */
  compressionLevel?: number;
  /**
   * Values of at least this many bytes are compressed (serialized size) and decompressed (stored
   * size) off the main thread, so a large value does not stall the event loop; requests still go
   * out in the order they were made. 0 keeps all of it on the main thread. A compressor of your
   * own always runs on it. Default 32768 (where measurement put the break-even: bench/PROFILE.md).
   */
  offloadThreshold?: number;
  /** Largest size a compressed value may expand to when read; past it the read fails (zip bombs). Default 67108864 (64 MiB). */
  maxDecompressedLength?: number;
  /** Turns values into bytes and flags and back. Default: python-memcached compatible (see README's flags table), msgpackr for other values. */
  serializer?: Serializer;
  /**
   * What compresses values: 'zlib' (flag 8, python-memcached's), 'zstd' (flag 32, ours: faster and
   * smaller, unreadable to other clients), or a compressor of your own (stored under flag 8).
   * Values of both flags are read whatever this says. Default 'zlib', via the core (native when loaded).
   */
  compressor?: CompressorSetting;
  /** Connect with TLS (memcached `-Z`): true for Node's defaults, or tls.connect options. Default false. */
  tls?: boolean | tls.ConnectionOptions;
  /** memcached ASCII authentication (`-Y`): sent on every new connection before its first command. Default none. */
  auth?: { username: string; password: string };
  /** Connections per server. Default 1. */
  poolSize?: number;
  /**
   * Most callers waiting on one connection (requests queued or awaiting replies; a merged get
   * counts each caller); past it calls fail at once with a QueueFullError, so a stalled server
   * costs bounded memory. Infinity turns the bound off. Default 10000.
   */
  maxPending?: number;
  /**
   * Times a request may be sent again, on a fresh connection to the same server, after its
   * connection broke (reset, closed by the server) before any byte of its reply was read. Only
   * idempotent commands are (get, gets, gat, gats, getMulti, touch, delete, deleteMulti, version,
   * stats), within the call's own timeout; set, add, cas, append, prepend, incr, decr and
   * flush_all never are. 0 turns retrying off. Default 1.
   */
  retries?: number;
  /**
   * ms before reconnecting to a server whose last connection failed before it ever answered; it
   * doubles with every such failure in a row, up to maxReconnectDelay, with jitter (half of each
   * step random). A connection that had been answered (a restart, an idle timeout) is replaced
   * at once. Calls that would time out before the reconnect fail at once with a ConnectionError.
   * 0 turns backing off off. Default 50.
   */
  reconnectDelay?: number;
  /** ms the reconnect backoff never exceeds (see reconnectDelay); at least reconnectDelay. Default 2000, or reconnectDelay if larger. */
  maxReconnectDelay?: number;
  /** Merge single-key gets queued back to back on a connection in one tick into one multi-key get. Default true. */
  mergeGets?: boolean;
  /**
   * Which of memcached's protocols to speak. 'text': never a meta command (twemproxy, mcrouter and
   * memcached before 1.6.10 speak only text); what needs meta (counters with `initial`,
   * getItem) fails with an UnsupportedError, and binaryKeys is an OptionError. 'meta': meta
   * where it is faster (quiet storage and deletes, counters) and text `get`s where those are
   * (all meta with binaryKeys); a server that does not speak meta fails its connections with an
   * UnsupportedError. 'auto': each server's first connection asks (`mn`) and the server is then
   * spoken to as 'meta' or 'text'. Default 'auto', or the
   * MEMCACHE_PROTOCOL environment variable when set.
   */
  protocol?: 'auto' | 'meta' | 'text';
  /**
   * Let the client's sockets not hold the process open while no call waits on them (as
   * `socket.unref()`), so a script that never calls close() still exits when its work is done.
   * A call in flight holds the process until it settles. Default false.
   */
  unref?: boolean;
  /**
   * How keys are spread over the servers, each as another client does it so that a pool can be
   * shared: 'ketama' (libmemcached / pylibmc / twemproxy weighted consistent ring, MD5),
   * 'ketama-spy' (spymemcached's ring), 'python-memcached' (its crc buckets, bit for bit),
   * 'modula' (`hash` of the key modulo the servers). Default 'ketama'.
   */
  distribution?: Distribution;
  /**
   * Key hash for 'modula', by its libhashkit name ('one_at_a_time', 'md5', 'crc', 'fnv1_64',
   * 'fnv1a_64', 'fnv1_32', 'fnv1a_32', 'hsieh', 'murmur', 'jenkins', 'murmur3'). The other
   * distributions have theirs fixed (ketama: md5, python-memcached: crc). Default: the
   * distribution's; for modula 'one_at_a_time', libmemcached's default.
   */
  hash?: HashAlgorithm;
  /** ms a server stays marked dead after a failed connect or a timeout; then it is probed and, once it answers, takes its keys back. Default 30000 (python-memcached's dead_retry). */
  deadRetry?: number;
  /** While a server is dead, send its keys to the live ones (true) or fail them at once with a ServerDeadError (false). Default true. */
  failover?: boolean;
  /** Flush a server coming back from the dead before it takes keys again, so nothing it held from before is served (python-memcached's flush_on_reconnect). Default false. */
  flushOnReconnect?: boolean;
  /**
   * Servers each key is stored on: its own and the next distinct ones in the distribution's order
   * (ketama: clockwise on the ring), 1-64. Writes go to every live replica, reads to the first and,
   * on a miss or an error, the next; README "Replicas". n times the writes and the memory.
   * Default 1 (no copies).
   */
  replicas?: number;
  /**
   * With replicas: seconds a value lives when a read that found it on a later replica, after a
   * miss on an earlier one, copies it back there (`add`: never over a newer value; `gat` copies
   * with its own ttl). 0 copies nothing back. Default 0.
   */
  readRepairTtl?: number;
  /**
   * Auto-discovery (ElastiCache's configuration endpoint): the pool is asked of `endpoint`
   * (`host:port`) with `config get cluster`, at once and every `interval` ms (default 60000),
   * and replaced as setServers does when its version goes up. Give no servers with it. tls and
   * auth apply to the endpoint too. Default none.
   */
  discovery?: DiscoveryOptions;
}

export interface DiscoveryOptions {
  /** The configuration endpoint, `host:port` (port 11211 by default). */
  endpoint: string;
  /** ms between polls, 50 to 2^31-1. Default 60000. */
  interval?: number;
}

export type ResolvedOptions = Required<Omit<ClientOptions, 'auth' | 'serializer' | 'compressor' | 'tls' | 'hash' | 'discovery'>> & {
  discovery: Required<DiscoveryOptions> | undefined;
  /** undefined: the distribution's own (DEFAULT_HASH). */
  hash: HashAlgorithm | undefined;
  auth: { username: string; password: string } | undefined;
  serializer: Serializer | undefined;
  compressor: CompressorSetting;
  tls: tls.ConnectionOptions | undefined;
};

export const DEFAULT_OPTIONS = Object.freeze({
  timeout: 3000,
  connectTimeout: 1000,
  keyPrefix: '',
  checkKeys: true,
  maxKeyLength: 250,
  binaryKeys: false,
  maxValueLength: 1024 * 1024,
  compressionThreshold: 0,
  compressionLevel: -1,
  offloadThreshold: 32 * 1024,
  maxDecompressedLength: 64 * 1024 * 1024,
  serializer: undefined,
  compressor: 'zlib',
  tls: undefined,
  auth: undefined,
  poolSize: 1,
  maxPending: 10_000,
  retries: 1,
  reconnectDelay: 50,
  maxReconnectDelay: 2000,
  mergeGets: true,
  protocol: 'auto',
  unref: false,
  distribution: 'ketama',
  hash: undefined,
  deadRetry: 30_000,
  failover: true,
  flushOnReconnect: false,
  replicas: 1,
  readRepairTtl: 0,
  discovery: undefined,
} satisfies ResolvedOptions);

/** Default ms between polls of the discovery endpoint. */
export const DEFAULT_DISCOVERY_INTERVAL = 60_000;

/** Longest timer Node accepts (ms). */
export const MAX_TIMEOUT = 2 ** 31 - 1;

/** A timeout (client option or per call): ms in (0, MAX_TIMEOUT]. */
export function isTimeout(value: unknown): value is number {
  return typeof value === 'number' && value > 0 && value <= MAX_TIMEOUT;
}

type Check = (value: unknown) => string | undefined;

const positiveMs: Check = (v) => (isTimeout(v) ? undefined : `must be a number of ms in (0, ${MAX_TIMEOUT}]`);
const integerFrom =
  (min: number, max = Number.MAX_SAFE_INTEGER): Check =>
  (v) =>
    Number.isInteger(v) && (v as number) >= min && (v as number) <= max ? undefined : `must be an integer from ${min} to ${max}`;
const boolean: Check = (v) => (typeof v === 'boolean' ? undefined : 'must be a boolean');
const oneOf =
  (names: readonly string[]): Check =>
  (v) =>
    names.includes(v as string) ? undefined : `must be one of ${names.map((n) => `'${n}'`).join(', ')}`;
const withMethods =
  (...names: string[]): Check =>
  (v) =>
    typeof v === 'object' && v !== null && names.every((n) => typeof (v as Record<string, unknown>)[n] === 'function')
      ? undefined
      : `must be an object with ${names.join(' and ')} methods`;

const CHECKS: Record<keyof ClientOptions, Check> = {
  timeout: positiveMs,
  connectTimeout: positiveMs,
  keyPrefix: (v) => (typeof v === 'string' ? undefined : 'must be a string'),
  checkKeys: boolean,
  maxKeyLength: integerFrom(1, 250),
  binaryKeys: boolean,
  maxValueLength: integerFrom(1, 2 ** 31 - 1),
  compressionThreshold: integerFrom(0),
  compressionLevel: integerFrom(-1, 22),
  offloadThreshold: integerFrom(0, 2 ** 31 - 1),
  maxDecompressedLength: integerFrom(1, 2 ** 31 - 1),
  serializer: withMethods('serialize', 'deserialize'),
  compressor: (v) =>
    v === 'zlib' || v === 'zstd' || withMethods('compress', 'decompress')(v) === undefined ? undefined : "must be 'zlib', 'zstd' or an object with compress and decompress methods",
  tls: (v) => (typeof v === 'boolean' || (typeof v === 'object' && v !== null) ? undefined : 'must be a boolean or tls.connect options'),
  auth: checkAuth,
  poolSize: integerFrom(1, 1024),
  maxPending: (v) => (v === Infinity || (Number.isInteger(v) && (v as number) >= 1) ? undefined : 'must be a positive integer or Infinity'),
  retries: integerFrom(0, 5),
  reconnectDelay: integerFrom(0, MAX_TIMEOUT),
  maxReconnectDelay: integerFrom(0, MAX_TIMEOUT),
  mergeGets: boolean,
  protocol: oneOf(['auto', 'meta', 'text']),
  unref: boolean,
  distribution: oneOf(DISTRIBUTIONS),
  hash: oneOf(HASH_ALGORITHMS),
  deadRetry: integerFrom(0, MAX_TIMEOUT),
  failover: boolean,
  flushOnReconnect: boolean,
  replicas: integerFrom(1, 64),
  readRepairTtl: integerFrom(0, MAX_TIMEOUT),
  discovery: checkDiscovery,
};

function checkDiscovery(v: unknown): string | undefined {
  if (typeof v !== 'object' || v === null) return 'must be { endpoint, interval? }';
  const unknown = Object.keys(v).find((name) => name !== 'endpoint' && name !== 'interval');
  if (unknown !== undefined) return `has no field ${JSON.stringify(unknown)} (it takes endpoint and interval)`;
  const { endpoint, interval } = v as Record<string, unknown>;
  if (typeof endpoint !== 'string' || endpoint === '') return 'endpoint must be a host:port string';
  try {
    if (parseServerSpec(endpoint).endpoint.kind !== 'tcp') return 'endpoint must be a TCP host:port';
  } catch (error) {
    return `endpoint: ${(error as Error).message}`;
  }
  if (interval !== undefined && !(Number.isInteger(interval) && (interval as number) >= 50 && (interval as number) <= MAX_TIMEOUT)) {
    return `interval must be an integer from 50 to ${MAX_TIMEOUT} ms`;
  }
  return undefined;
}

/** With discovery the pool is the endpoint's: servers given too are an OptionError (MEMCACHE_SERVERS is ignored). */
export function checkNoServersWithDiscovery(servers: unknown): void {
  const given = Array.isArray(servers) ? servers.length : servers === undefined ? 0 : 1;
  if (given > 0) throw new OptionError('discovery', `takes the pool from its endpoint: give no servers with it (got ${given})`);
}

function checkAuth(v: unknown): string | undefined {
  if (typeof v !== 'object' || v === null) return 'must be { username, password }';
  const { username, password } = v as Record<string, unknown>;
  if (typeof username !== 'string' || !/^[^\s\x00-\x1f\x7f]+$/.test(username)) return 'username must be a non-empty string without spaces or control characters';
  if (typeof password !== 'string' || /[\x00-\x1f\x7f]/.test(password)) return 'password must be a string without control characters';
  return undefined;
}

/** Fills in defaults and validates; throws OptionError naming the first bad option. */
export function validateOptions(options: ClientOptions | undefined): ResolvedOptions {
  if (options === undefined) options = {};
  if (typeof options !== 'object' || options === null) throw new OptionError('options', 'must be an object');
  for (const [name, value] of Object.entries(options)) {
    // Own names only: 'valueOf' or '__proto__' (JSON.parse makes it an own key) would find
    // Object.prototype's. So only option names reach `resolved` below, which no '__proto__' poisons.
    const check = Object.hasOwn(CHECKS, name) ? CHECKS[name as keyof ClientOptions] : undefined;
    if (check === undefined) throw new OptionError(name, 'is not an option');
    if (value === undefined) continue;
    const problem = check(value);
    if (problem !== undefined) throw new OptionError(name, `${problem} (got ${describe(value)})`);
  }
  const resolved = { ...DEFAULT_OPTIONS } as ResolvedOptions;
  for (const [name, value] of Object.entries(options)) {
    if (value !== undefined) (resolved as Record<string, unknown>)[name] = value;
  }
  resolved.tls = options.tls === true ? {} : options.tls === false ? undefined : options.tls;
  if (options.protocol === undefined) resolved.protocol = protocolFromEnvironment();
  if (resolved.binaryKeys && resolved.protocol === 'text') {
    const from = options.protocol === undefined ? ' (from MEMCACHE_PROTOCOL)' : '';
    throw new OptionError('binaryKeys', `needs the meta protocol (its keys travel base64 with the meta b flag), and protocol is 'text'${from}; use 'auto' or 'meta'`);
  }
  const own = DEFAULT_HASH[resolved.distribution];
  if (resolved.hash !== undefined && resolved.distribution !== 'modula' && resolved.hash !== own) {
    throw new OptionError('hash', `only 'modula' takes another hash; '${resolved.distribution}' hashes keys with ${own} (got ${describe(resolved.hash)})`);
  }
  checkCompression(resolved);
  if (resolved.readRepairTtl > 0 && resolved.replicas === 1) throw new OptionError('readRepairTtl', 'copies values between replicas: it needs replicas of 2 or more');
  if (options.discovery !== undefined) resolved.discovery = { endpoint: options.discovery.endpoint, interval: options.discovery.interval ?? DEFAULT_DISCOVERY_INTERVAL };
  // Unset, the cap follows a reconnectDelay set above it; set, it must not be below it.
  if (options.maxReconnectDelay === undefined) resolved.maxReconnectDelay = Math.max(resolved.maxReconnectDelay, resolved.reconnectDelay);
  if (resolved.maxReconnectDelay < resolved.reconnectDelay) {
    throw new OptionError('maxReconnectDelay', `must be at least reconnectDelay (${resolved.reconnectDelay}) (got ${resolved.maxReconnectDelay})`);
  }
  return resolved;
}

/** The level fits the compressor; zstd needs a core that has it. */
function checkCompression({ compressor, compressionLevel: level }: ResolvedOptions): void {
  if (compressor === 'zstd') {
    if (!core.hasZstd) throw new OptionError('compressor', `'zstd' needs the native core or a Node whose node:zlib has zstd (>= 22.15); this is the ${core.kind} core on Node ${process.version}`);
    if (level === 0) throw new OptionError('compressionLevel', 'zstd takes 1-22, or -1 for its default (3) (got 0)');
  } else if (level > 9) {
    throw new OptionError('compressionLevel', `zlib takes 0-9, or -1 for its default (6) (got ${level})`);
  }
}

/** MEMCACHE_PROTOCOL, when set, is the default of `protocol` (a deployment behind a text-only proxy can say so once). */
function protocolFromEnvironment(): ResolvedOptions['protocol'] {
  const value = process.env.MEMCACHE_PROTOCOL;
  if (value === undefined || value === '') return DEFAULT_OPTIONS.protocol;
  const problem = CHECKS.protocol(value);
  if (problem !== undefined) throw new OptionError('protocol', `from MEMCACHE_PROTOCOL ${problem} (got ${describe(value)})`);
  return value as ResolvedOptions['protocol'];
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'object' && value !== null) return 'an object';
  return String(value);
}
