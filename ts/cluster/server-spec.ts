/**
 * Server specifications, in every form python-memcached and the issue accept, to one address with
 * a weight and a display name (python-memcached's, as `stats()` reports it).
 */
import net from 'node:net';
import type { Endpoint } from '../connection/transport.js';
import { ServerSpecError } from '../errors.js';

export const DEFAULT_PORT = 11211;

/** `'host:port'`, `'host'`, `'inet:host[:port]'`, `'inet6:[::1]:11211'`, `'[::1]:11211'`, `'unix:/path'`, `'/path'`. */
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
    return withName(endpointOf(spec[0]), checkWeight(spec[1], spec));
  }
  const weight = typeof spec === 'object' && spec !== null ? checkWeight((spec as TcpServer).weight ?? 1, spec) : 1;
  return withName(endpointOf(spec as ServerString | TcpServer | UnixServer), weight);
}

function endpointOf(spec: ServerString | TcpServer | UnixServer): Endpoint {
  if (typeof spec === 'string') return parseString(spec);
  if (typeof spec !== 'object' || spec === null) throw new ServerSpecError(`a server is a string, an object or a [spec, weight] pair, not ${show(spec)}`);
  if ('path' in spec) return unixEndpoint(spec.path, spec);
  if (!('host' in spec)) throw new ServerSpecError(`a server object needs host or path: ${show(spec)}`);
  const port = spec.port ?? DEFAULT_PORT;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new ServerSpecError(`port must be an integer 1-65535: ${show(spec)}`);
  const host = typeof spec.host === 'string' && spec.host.startsWith('[') && spec.host.endsWith(']') ? spec.host.slice(1, -1) : spec.host;
  return tcpEndpoint(host, port, spec);
}

function parseString(text: string): Endpoint {
  if (text.startsWith('unix:')) return unixEndpoint(text.slice(5), text);
  if (text.startsWith('/')) return unixEndpoint(text, text);
  if (text.startsWith('inet6:')) {
    const rest = text.slice(6);
    if (!rest.startsWith('[')) throw new ServerSpecError(`inet6 addresses are written in brackets, as inet6:[::1]:11211: ${show(text)}`);
    return bracketed(rest, text);
  }
  if (text.startsWith('inet:')) return hostPort(text.slice(5), text);
  if (text.startsWith('[')) return bracketed(text, text);
  if (text.indexOf(':') !== text.lastIndexOf(':') && net.isIPv6(text)) return tcpEndpoint(text, DEFAULT_PORT, text);
  return hostPort(text, text);
}

/** `[addr]` or `[addr]:port`. */
function bracketed(text: string, spec: unknown): Endpoint {
  const close = text.indexOf(']');
  const host = text.slice(1, close);
  const rest = text.slice(close + 1);
  if (close < 0 || !net.isIPv6(host)) throw new ServerSpecError(`not an IPv6 address in brackets: ${show(spec)}`);
  if (rest === '') return tcpEndpoint(host, DEFAULT_PORT, spec);
  if (!rest.startsWith(':')) throw new ServerSpecError(`expected :port after the address: ${show(spec)}`);
  return tcpEndpoint(host, parsePort(rest.slice(1), spec), spec);
}

/** `host` or `host:port`, host an IPv4 address or a name. */
function hostPort(text: string, spec: unknown): Endpoint {
  const colon = text.indexOf(':');
  if (colon < 0) return tcpEndpoint(text, DEFAULT_PORT, spec);
  if (text.indexOf(':', colon + 1) >= 0) throw new ServerSpecError(`IPv6 addresses are written in brackets, as [::1]:11211: ${show(spec)}`);
  return tcpEndpoint(text.slice(0, colon), parsePort(text.slice(colon + 1), spec), spec);
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

/** The client's `servers` argument as a list: one spec, one `[spec, weight]` pair, or a list of specs. */
export function serverList(servers: ServerSpec | readonly ServerSpec[]): readonly ServerSpec[] {
  const list = typeof servers === 'string' || !Array.isArray(servers) || isWeightedPair(servers) ? [servers as ServerSpec] : servers;
  if (list.length === 0) throw new ServerSpecError('at least one server is needed');
  return list;
}

/** `[spec, weight]` (one weighted server) as opposed to a list of specs. */
function isWeightedPair(value: readonly unknown[]): boolean {
  return value.length === 2 && typeof value[1] === 'number' && (typeof value[0] === 'string' || typeof value[0] === 'object');
}
