/**
 * One socket to one server, for its whole life: connecting -> ready -> closing -> closed, never back
 * (a broken connection is replaced by a new one, so a late event of an old socket cannot touch new
 * requests). Requests are written in order, one socket write per tick, and each reply record goes
 * to the oldest request still waiting. A timeout, a malformed reply or a socket error destroys the
 * connection and fails every request on it: no reply can ever reach the wrong request.
 */
import type net from 'node:net';
import type tls from 'node:tls';
import { ReplyKind, SCAN_STRIDE } from '../core/index.js';
import {
  ConnectionError,
  ConnectTimeoutError,
  MemcacheError,
  ProtocolError,
  QueueFullError,
  TimeoutError,
} from '../errors.js';
import { CommandWriter } from '../protocol/command-writer.js';
import { fieldA } from '../protocol/replies.js';
import type { Request } from '../protocol/request.js';
import { AuthRequest, type AuthCredentials } from './auth.js';
import { ReplyReader, type ReplySink } from './reply-reader.js';
import { RequestQueue } from './request-queue.js';
import { openSocket, type Endpoint } from './transport.js';

export type ConnectionStatus = 'connecting' | 'ready' | 'closing' | 'closed';

export interface ConnectionConfig {
  /** Display name, e.g. `'127.0.0.1:11211 (1)'`; errors carry it. */
  readonly name: string;
  readonly endpoint: Endpoint;
  /** Set: connect with TLS using these options. */
  readonly tls: tls.ConnectionOptions | undefined;
  /** Set: authenticate (memcached `-Y`) before the first command. */
  readonly auth: AuthCredentials | undefined;
  /** ms for TCP connect + TLS handshake + authentication. */
  readonly connectTimeout: number;
  /** Most requests queued or in flight; past it, requests fail with QueueFullError. */
  readonly maxPending: number;
  /** Most bytes of one unfinished reply held; past it, the reply counts as malformed. */
  readonly maxReplyBuffer: number;
  /** Let a request queued this tick absorb the next one (single-key gets become one multi-key get). */
  readonly mergeGets: boolean;
}

/** Told, on the next tick, when a connection fails (not when it is closed on purpose). */
export interface ConnectionObserver {
  onConnectionFailure(connection: Connection, error: MemcacheError): void;
}

export class Connection implements ReplySink {
  readonly #config: ConnectionConfig;
  readonly #observer: ConnectionObserver | undefined;
  readonly #socket: net.Socket;
  readonly #writer = new CommandWriter();
  readonly #reader = new ReplyReader();
  readonly #queue = new RequestQueue();
  #status: ConnectionStatus = 'connecting';
  #flushScheduled = false;
  #closeRequested = false;
  #connectTimer: NodeJS.Timeout | undefined;
  #timer: NodeJS.Timeout | undefined;
  #timerAt = 0;
  readonly #closed: Promise<void>;
  #resolveClosed!: () => void;

  constructor(config: ConnectionConfig, observer?: ConnectionObserver) {
    this.#config = config;
    this.#observer = observer;
    this.#closed = new Promise((resolve) => (this.#resolveClosed = resolve));
    const { socket, readyEvent } = openSocket(config.endpoint, config.tls);
    this.#socket = socket;
    socket.once(readyEvent, this.#onConnected);
    socket.on('data', this.#onData);
    socket.on('error', this.#onError);
    socket.on('close', this.#onClose);
    this.#connectTimer = setTimeout(this.#onConnectTimeout, config.connectTimeout).unref();
  }

  get status(): ConnectionStatus {
    return this.#status;
  }

  get name(): string {
    return this.#config.name;
  }

  /** Requests queued or awaiting replies. */
  get pending(): number {
    return this.#queue.size;
  }

  /** Queues a request; it is written with everything else queued in this tick. */
  send(request: Request): void {
    if (this.#status === 'closed' || this.#closeRequested) {
      request.fail(new ConnectionError('the connection is closed', { server: this.#config.name }));
      return;
    }
    if (this.#queue.size >= this.#config.maxPending) {
      request.fail(new QueueFullError(`${this.#queue.size} requests pending (maxPending)`, { server: this.#config.name }));
      return;
    }
    request.server = this.#config.name;
    request.deadline = performance.now() + request.timeout;
    if (this.#config.mergeGets && this.#queue.absorbIntoLastUnsent(request)) return;
    this.#queue.pushUnsent(request);
    this.#armTimer(request.deadline);
    if (!this.#flushScheduled && this.#status === 'ready') {
      this.#flushScheduled = true;
      process.nextTick(this.#flush);
    }
  }

  /** Lets queued requests finish (each within its timeout), then closes the socket. */
  close(): Promise<void> {
    if (this.#status === 'closed') return this.#closed;
    this.#closeRequested = true;
    if (this.#status === 'ready') {
      this.#status = 'closing';
      this.#closeIfDrained();
    }
    return this.#closed;
  }

  /** ReplySink: the records of one socket read, in order. */
  onRecords(buf: Buffer, records: Uint32Array, count: number): boolean {
    for (let i = 0; i < count; i++) {
      const off = i * SCAN_STRIDE;
      const kind = records[off];
      const request = this.#queue.head;
      if (kind === ReplyKind.MALFORMED || request === undefined) {
        const what = kind === ReplyKind.MALFORMED ? 'malformed reply' : 'reply with no request waiting for it';
        const bytes = JSON.stringify(fieldA(buf, records, off).slice(0, 64));
        this.#fail(new ProtocolError(`${what} from the server: ${bytes}`, { server: this.#config.name }));
        return false;
      }
      let done: boolean;
      try {
        done = request.onReply(kind, buf, records, off);
      } catch (error) {
        this.#fail(asMemcacheError(error, this.#config.name));
        return false;
      }
      if (done) this.#queue.shift();
    }
    if (this.#status === 'closing') this.#closeIfDrained();
    return this.#status !== 'closed';
  }

  #onConnected = (): void => {
    if (this.#status !== 'connecting') return;
    const { auth, connectTimeout, name } = this.#config;
    if (auth === undefined) {
      this.#onReady();
      return;
    }
    const request = new AuthRequest(auth, connectTimeout);
    request.server = name;
    request.deadline = Infinity; // the connect timer covers it
    request.encode(this.#writer);
    this.#queue.pushSent(request);
    this.#write();
    request.promise.then(this.#onReady, this.#onAuthFailed);
  };

  #onReady = (): void => {
    if (this.#status !== 'connecting') return;
    clearTimeout(this.#connectTimer);
    this.#connectTimer = undefined;
    this.#status = this.#closeRequested ? 'closing' : 'ready';
    this.#flush();
  };

  #onAuthFailed = (error: MemcacheError): void => {
    this.#fail(error);
  };

  #flush = (): void => {
    this.#flushScheduled = false;
    if (this.#status !== 'ready' && this.#status !== 'closing') return;
    const unreplied = this.#queue.sendUnsent(this.#writer);
    this.#write();
    if (unreplied !== undefined) for (const request of unreplied) request.onSent();
    if (this.#status === 'closing') this.#closeIfDrained();
  };

  /** One socket write for everything encoded (cork/uncork makes several chunks one writev). */
  #write(): void {
    const chunks = this.#writer.take();
    if (chunks.length === 1) {
      this.#socket.write(chunks[0]);
    } else if (chunks.length > 1) {
      this.#socket.cork();
      for (const chunk of chunks) this.#socket.write(chunk);
      this.#socket.uncork();
    }
  }

  #onData = (chunk: Buffer): void => {
    if (this.#status === 'closed') return;
    this.#reader.push(chunk, this);
    if (this.#reader.buffered > this.#config.maxReplyBuffer) {
      const limit = this.#config.maxReplyBuffer;
      this.#fail(new ProtocolError(`a reply grew past ${limit} bytes unfinished`, { server: this.#config.name }));
    }
  };

  #onError = (error: Error): void => {
    this.#fail(new ConnectionError(`connection to ${this.#config.name} failed: ${error.message}`, { server: this.#config.name, cause: error }));
  };

  #onClose = (): void => {
    this.#fail(new ConnectionError(`connection to ${this.#config.name} closed by the server`, { server: this.#config.name }));
    this.#resolveClosed();
  };

  #onConnectTimeout = (): void => {
    const { name, connectTimeout } = this.#config;
    this.#fail(new ConnectTimeoutError(`could not connect to ${name} within ${connectTimeout} ms`, { server: name }));
  };

  #armTimer(deadline: number): void {
    if (this.#timer !== undefined) {
      if (this.#timerAt <= deadline) return;
      clearTimeout(this.#timer);
    }
    this.#timerAt = deadline;
    this.#timer = setTimeout(this.#onTimer, Math.max(1, Math.ceil(deadline - performance.now()))).unref();
  }

  #onTimer = (): void => {
    this.#timer = undefined;
    const now = performance.now();
    const expired = this.#queue.expired(now);
    if (expired.length === 0) {
      const next = this.#queue.nextDeadline();
      if (next !== Infinity) this.#armTimer(next);
      return;
    }
    const server = this.#config.name;
    const timeouts = new Map<Request, MemcacheError>(
      expired.map((r) => [r, new TimeoutError(`no reply from ${server} within ${r.timeout} ms`, { server })]),
    );
    this.#fail(timeouts.values().next().value as MemcacheError, timeouts);
  };

  #closeIfDrained(): void {
    if (this.#queue.size > 0 || this.#status === 'closed') return;
    this.#status = 'closed';
    this.#clearTimers();
    const socket = this.#socket;
    // Nothing left to read: send FIN, then let go; a peer that never reads cannot hold us.
    const force = setTimeout(() => socket.destroy(), this.#config.connectTimeout).unref();
    socket.end(() => {
      clearTimeout(force);
      socket.destroy();
    });
  }

  /**
   * Destroys the connection and fails every request on it: the ones in `culprits` with their own
   * error, the others with `error` (or, after a timeout, a ConnectionError that names it as cause).
   */
  #fail(error: MemcacheError, culprits?: Map<Request, MemcacheError>): void {
    if (this.#status === 'closed') return;
    this.#status = 'closed';
    this.#clearTimers();
    this.#socket.destroy();
    this.#reader.reset();
    const others =
      culprits === undefined
        ? error
        : new ConnectionError(`connection to ${this.#config.name} destroyed after a request timed out`, {
            server: this.#config.name,
            cause: error,
          });
    this.#queue.drain((request) => request.fail(culprits?.get(request) ?? others));
    const observer = this.#observer;
    if (observer !== undefined) process.nextTick(() => observer.onConnectionFailure(this, error));
  }

  #clearTimers(): void {
    clearTimeout(this.#connectTimer);
    clearTimeout(this.#timer);
    this.#connectTimer = undefined;
    this.#timer = undefined;
  }
}

function asMemcacheError(error: unknown, server: string): MemcacheError {
  if (error instanceof MemcacheError) return error;
  return new ProtocolError(`reply handling failed: ${String(error)}`, { server, cause: error });
}
