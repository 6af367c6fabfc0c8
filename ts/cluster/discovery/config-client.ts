/**
 * One exchange with a configuration endpoint: connect (TLS when the client uses it), log in (when
 * the client does: memcached's ASCII authentication, asked for as the connection floor does it),
 * send `config get cluster`, read the whole reply, close. A connection per poll: polls are a minute
 * apart, and a fresh connection finds a replaced endpoint node behind its DNS name.
 *
 * A socket of its own rather than a Connection: the core's reply scanner, which every Connection
 * reads through, knows no `CONFIG` line, and teaching it one (in Rust and in its TS twin) for a
 * reply read once a minute would cost the hot path a kind it never sees. The transport floor's
 * openSocket still makes the socket, so TLS is the same.
 */
import type net from 'node:net';
import type tls from 'node:tls';
import type { Endpoint } from '../../connection/transport.js';
import { openSocket } from '../../connection/transport.js';
import { AuthError, ConnectionError, ConnectTimeoutError, DiscoveryError, TimeoutError, type MemcacheError } from '../../errors.js';
import { scanConfigReply, type ClusterConfig } from './config-reply.js';

export interface EndpointSettings {
  /** The endpoint as given (`host:port`), naming it in errors and events. */
  readonly name: string;
  readonly endpoint: Endpoint;
  readonly tls: tls.ConnectionOptions | undefined;
  readonly auth: { readonly username: string; readonly password: string } | undefined;
  /** ms for connect, TLS handshake and login. */
  readonly connectTimeout: number;
  /** ms for the reply to `config get cluster`. */
  readonly timeout: number;
}

/** Asks the endpoint once. Rejects with a DiscoveryError: 'unreachable' (cause: what failed), 'unsupported', 'malformed'. */
export async function fetchClusterConfig(settings: EndpointSettings): Promise<ClusterConfig> {
  const { name } = settings;
  const { socket, readyEvent } = openSocket(settings.endpoint, settings.tls);
  const reader = new SocketReader(socket, name);
  try {
    await within(settings.connectTimeout, reader.opened(socket, readyEvent), () => new ConnectTimeoutError(`no connection to ${name} within ${settings.connectTimeout} ms`, { server: name }));
    if (settings.auth !== undefined) {
      await within(settings.connectTimeout, logIn(socket, reader, settings.auth, name), () => new ConnectTimeoutError(`no login to ${name} within ${settings.connectTimeout} ms`, { server: name }));
    }
    socket.write('config get cluster\r\n');
    const reply = reader.read((bytes) => {
      const scan = scanConfigReply(bytes, name);
      return scan.complete ? { value: scan.config, used: bytes.length } : undefined;
    });
    return await within(settings.timeout, reply, () => new TimeoutError(`no reply to config get cluster from ${name} within ${settings.timeout} ms`, { server: name }));
  } catch (error) {
    if (error instanceof DiscoveryError) throw error;
    throw new DiscoveryError('unreachable', `${name}: ${(error as Error).message}`, { server: name, cause: error });
  } finally {
    socket.destroy();
  }
}

/** `version` first: a server with `-Y` refuses it, and only then are the credentials sent (never to one that did not ask). */
async function logIn(socket: net.Socket, reader: SocketReader, auth: { username: string; password: string }, name: string): Promise<void> {
  socket.write('version\r\n');
  const asked = await reader.line();
  if (asked.startsWith('VERSION')) {
    throw new AuthError(`${name} does not require authentication (it answered version before any login), so the credentials were not sent`, { server: name });
  }
  if (asked !== 'CLIENT_ERROR unauthenticated') throw new AuthError(`${name}: unexpected reply to version before login`, { server: name });
  const credentials = `${auth.username} ${auth.password}`;
  socket.write(`set auth 0 0 ${Buffer.byteLength(credentials)}\r\n${credentials}\r\n`);
  const answer = await reader.line();
  if (answer !== 'STORED') throw new AuthError(`${name} refused the login`, { server: name });
}

/** `promise`, or `timedOut()` after `ms`. */
function within<T>(ms: number, promise: Promise<T>, timedOut: () => MemcacheError): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(timedOut()), ms)));
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

type Scan<T> = (bytes: Buffer) => { readonly value: T; readonly used: number } | undefined;

/** The socket's bytes, read by one scan at a time; a socket error or close fails the scan waiting. */
class SocketReader {
  #bytes: Buffer = Buffer.alloc(0);
  #failure: MemcacheError | undefined;
  #waiting: { scan: Scan<unknown>; resolve: (value: unknown) => void; reject: (error: unknown) => void } | undefined;

  constructor(socket: net.Socket, name: string) {
    socket.on('data', (chunk: Buffer) => {
      this.#bytes = this.#bytes.length === 0 ? chunk : Buffer.concat([this.#bytes, chunk]);
      this.#check();
    });
    socket.on('error', (cause: Error) => this.#fail(new ConnectionError(`connection to ${name} failed: ${cause.message}`, { server: name, cause })));
    socket.on('close', () => this.#fail(new ConnectionError(`${name} closed the connection`, { server: name })));
  }

  /** Resolves on the socket's ready event (connected; TLS handshake done), rejects if it fails first. */
  opened(socket: net.Socket, readyEvent: 'connect' | 'secureConnect'): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.#failure !== undefined) return reject(this.#failure);
      this.#waiting = { scan: () => undefined, resolve: () => {}, reject };
      socket.once(readyEvent, () => {
        this.#waiting = undefined;
        resolve();
      });
    });
  }

  read<T>(scan: Scan<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#waiting = { scan, resolve: resolve as (value: unknown) => void, reject };
      this.#check();
    });
  }

  /** One reply line, without its `\r\n`. */
  line(): Promise<string> {
    return this.read((bytes) => {
      const end = bytes.indexOf('\r\n');
      if (end < 0) return bytes.length > 1024 ? { value: bytes.toString('latin1', 0, 64), used: bytes.length } : undefined;
      return { value: bytes.toString('latin1', 0, end), used: end + 2 };
    });
  }

  #check(): void {
    const waiting = this.#waiting;
    if (waiting === undefined) return;
    if (this.#failure !== undefined) {
      this.#waiting = undefined;
      waiting.reject(this.#failure);
      return;
    }
    let found;
    try {
      found = waiting.scan(this.#bytes);
    } catch (error) {
      this.#waiting = undefined;
      waiting.reject(error);
      return;
    }
    if (found === undefined) return;
    this.#waiting = undefined;
    this.#bytes = this.#bytes.subarray(found.used);
    waiting.resolve(found.value);
  }

  #fail(error: MemcacheError): void {
    this.#failure ??= error;
    this.#check();
  }
}
