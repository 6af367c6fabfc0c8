/**
 * Server specifications, in every form python-memcached and the issue accept, to one address with
 * a weight and a display name (python-memcached's, as `stats()` reports it). One grammar for the
 * library, MEMCACHE_SERVERS and the command line's --servers.
 */
import net from 'node:net';
import type { Endpoint } from '../connection/transport.js';
import { ServerSpecError } from '../errors.js';

export const DEFAULT_PORT = 11211;

/**
 * `'HOST[:PORT[:WEIGHT]]'` (host a name or an IPv4 address), `'inet:HOST[:PORT[:WEIGHT]]'`,
 * `'[IPV6][:PORT[:WEIGHT]]'`, `'inet6:[IPV6][:PORT[:WEIGHT]]'`, a bare IPv6 address (`'::1'`, port
 * 11211), `'unix:/PATH'` or `'/PATH'`. Port 11211 and weight 1 by default; a weight needs its port
 * before it. A unix path takes no weight in the string (a path may hold ':'): give it as
 * `['unix:/PATH', weight]` or `{ path, weight }`.
 */
export type ServerString = string;
export interface TcpServer {
  host: string;
  /** Default 11211. */
  port?: number;
  /** Default 1; 0 = never chosen for keys. */
  weight?: number;
}
export interface UnixServer {
  path: string;
  /** Default 1; 0 = never chosen for keys. */
  weight?: number;
}
export type ServerSpec = ServerString | TcpServer | UnixServer | readonly [ServerString | TcpServer | UnixServer, number];

export interface ServerAddress {
  readonly endpoint: Endpoint;
  readonly weight: number;
  /** `'127.0.0.1:11211 (1)'`, `'[::1]:11211 (1)'`, `'unix:/tmp/mc.sock (1)'`. */
  readonly name: string;
}

export function parseServerSpec(spec: ServerSpec): ServerAddress {
  if (Array.isArray(spec)) {
    if (spec.length !== 2) throw new ServerSpecError(`a [spec, weight] pair has 2 elements, not ${spec.length}`);
    const { endpoint, weight } = located(spec[0]);
    if (weight !== undefined) throw new ServerSpecError(`the weight is given twice, in the spec and in the pair: ${show(spec)}`);
    return withName(endpoint, checkWeight(spec[1], spec));
  }
  const { endpoint, weight } = located(spec as ServerString | TcpServer | UnixServer);
  return withName(endpoint, weight ?? 1);
}

/** An endpoint, and the weight the spec itself gives (undefined: none). */
interface Located {
  endpoint: Endpoint;
  weight: number | undefined;
}

function located(spec: ServerString | TcpServer | UnixServer): Located {
  if (typeof spec === 'string') return parseString(spec);
  if (typeof spec !== 'object' || spec === null) throw new ServerSpecError(`a server is a string, an object or a [spec, weight] pair, not ${show(spec)}`);
  const weight = spec.weight === undefined ? undefined : checkWeight(spec.weight, spec);
  if ('path' in spec) return { endpoint: unixEndpoint(spec.path, spec), weight };
  if (!('host' in spec)) throw new ServerSpecError(`a server object needs host or path: ${show(spec)}`);
  const port = spec.port ?? DEFAULT_PORT;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new ServerSpecError(`port must be an integer 1-65535: ${show(spec)}`);
  const host = typeof spec.host === 'string' && spec.host.startsWith('[') && spec.host.endsWith(']') ? spec.host.slice(1, -1) : spec.host;
  return { endpoint: tcpEndpoint(host, port, spec), weight };
}

function parseString(text: string): Located {
  if (text.startsWith('unix:')) return { endpoint: unixEndpoint(text.slice(5), text), weight: undefined };
  if (text.startsWith('/')) return { endpoint: unixEndpoint(text, text), weight: undefined };
  if (text.startsWith('inet6:')) {
    const rest = text.slice(6);
    if (!rest.startsWith('[')) throw new ServerSpecError(`inet6 addresses are written in brackets, as inet6:[::1]:11211: ${show(text)}`);
    return bracketed(rest, text);
  }
  if (text.startsWith('inet:')) return hostPortWeight(text.slice(5), text);
  if (text.startsWith('[')) return bracketed(text, text);
  if (net.isIPv6(text)) return { endpoint: tcpEndpoint(text, DEFAULT_PORT, text), weight: undefined };
  return hostPortWeight(text, text);
}

/** `[addr]`, `[addr]:port` or `[addr]:port:weight`. */
function bracketed(text: string, spec: string): Located {
  const close = text.indexOf(']');
  const host = text.slice(1, close);
  const rest = text.slice(close + 1);
  if (close < 0 || !net.isIPv6(host)) throw new ServerSpecError(`not an IPv6 address in brackets: ${show(spec)}`);
  if (rest === '') return { endpoint: tcpEndpoint(host, DEFAULT_PORT, spec), weight: undefined };
  if (!rest.startsWith(':')) throw new ServerSpecError(`expected :PORT after the address: ${show(spec)}`);
  return portAndWeight(host, rest.slice(1).split(':'), spec);
}

/** `host`, `host:port` or `host:port:weight`, host an IPv4 address or a name. */
function hostPortWeight(text: string, spec: string): Located {
  const parts = text.split(':');
  if (parts.length === 1) return { endpoint: tcpEndpoint(text, DEFAULT_PORT, spec), weight: undefined };
  if (looksLikeBareIpv6(text, parts[0])) throw new ServerSpecError(`IPv6 addresses are written in brackets, as [::1]:11211: ${show(spec)}`);
  return portAndWeight(parts[0], parts.slice(1), spec);
}

/**
 * Hex digits (or nothing) before the first ':', and '::' or three ':' or more: an IPv6 address
 * (one `net.isIPv6` refused, or one followed by a port) that wants its brackets. 'cache:11211:2'
 * and 'host::5' are no such thing: they get the port's or the weight's message.
 */
function looksLikeBareIpv6(text: string, head: string): boolean {
  return /^[0-9a-f]{0,4}$/i.test(head) && (text.includes('::') || text.split(':').length > 3);
}

/** The `PORT[:WEIGHT]` after a host, already split on ':'. */
function portAndWeight(host: string, parts: readonly string[], spec: string): Located {
  if (parts.length > 2) throw new ServerSpecError(`too many ':' for HOST[:PORT[:WEIGHT]]: ${show(spec)}`);
  const port = parsePort(parts[0], spec);
  const weight = parts.length === 2 ? checkWeight(/^\d{1,10}$/.test(parts[1]) ? Number(parts[1]) : NaN, spec) : undefined;
  return { endpoint: tcpEndpoint(host, port, spec), weight };
}

function parsePort(text: string, spec: unknown): number {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(port >= 1 && port <= 65535)) throw new ServerSpecError(`port must be an integer 1-65535: ${show(spec)}`);
  return port;
}

function tcpEndpoint(host: unknown, port: number, spec: unknown): Endpoint {
  if (typeof host !== 'string' || host === '' || /[\s/[\]\x00-\x1f\x7f]/.test(host)) {
    throw new ServerSpecError(`not a valid host: ${show(spec)}`);
  }
  if (host.includes(':') && !net.isIPv6(host)) throw new ServerSpecError(`not a valid IPv6 address: ${show(spec)}`);
  return { kind: 'tcp', host, port };
}

function unixEndpoint(path: unknown, spec: unknown): Endpoint {
  if (typeof path !== 'string' || path === '' || path.includes('\0')) throw new ServerSpecError(`not a valid unix socket path: ${show(spec)}`);
  return { kind: 'unix', path };
}

function checkWeight(weight: unknown, spec: unknown): number {
  if (typeof weight !== 'number' || !Number.isInteger(weight) || weight < 0 || weight > 0xffff_ffff) {
    throw new ServerSpecError(`weight must be a non-negative integer: ${show(spec)}`);
  }
  return weight;
}

function withName(endpoint: Endpoint, weight: number): ServerAddress {
  let address: string;
  if (endpoint.kind === 'unix') address = `unix:${endpoint.path}`;
  else if (endpoint.host.includes(':')) address = `[${endpoint.host}]:${endpoint.port}`;
  else address = `${endpoint.host}:${endpoint.port}`;
  return { endpoint, weight, name: `${address} (${weight})` };
}

function show(spec: unknown): string {
  try {
    return JSON.stringify(spec) ?? String(spec);
  } catch {
    return String(spec);
  }
}

/**
 * The client's `servers` argument as a list: one spec, one `[spec, weight]` pair, or a list of
 * specs. None (undefined) takes MEMCACHE_SERVERS from `env`, comma-separated; unset or empty, that
 * is a ServerSpecError: the library never guesses localhost.
 */
export function serverList(servers: ServerSpec | readonly ServerSpec[] | undefined, env: NodeJS.ProcessEnv = process.env): readonly ServerSpec[] {
  if (servers === undefined) return envServers(env.MEMCACHE_SERVERS);
  const list = typeof servers === 'string' || !Array.isArray(servers) || isWeightedPair(servers) ? [servers as ServerSpec] : servers;
  if (list.length === 0) throw new ServerSpecError('at least one server is needed');
  return list;
}

/** `[spec, weight]` (one weighted server) as opposed to a list of specs. */
function isWeightedPair(value: readonly unknown[]): boolean {
  return value.length === 2 && typeof value[1] === 'number' && (typeof value[0] === 'string' || typeof value[0] === 'object');
}

/** MEMCACHE_SERVERS, checked here so that a bad entry names the variable it came from. */
function envServers(text: string | undefined): readonly ServerSpec[] {
  if (text === undefined) throw new ServerSpecError('no servers were given and MEMCACHE_SERVERS is not set');
  const list = text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  if (list.length === 0) throw new ServerSpecError(`no servers were given and MEMCACHE_SERVERS is empty (${show(text)})`);
  for (const spec of list) {
    try {
      parseServerSpec(spec);
    } catch (error) {
      throw new ServerSpecError(`MEMCACHE_SERVERS: ${(error as Error).message}`);
    }
  }
  return list;
}
