/**
 * One socket to one server, for its whole life: [waiting ->] connecting -> ready -> closing ->
 * closed, never back (a broken connection is replaced by a new one, so a late event of an old
 * socket cannot touch new requests; `waiting` is a reconnect backoff before the socket is opened).
 * Requests are written in order, one socket write per tick, and each reply record goes to the
 * oldest request still waiting. A timeout, a malformed reply or a socket error destroys the
 * connection and fails every request on it: no reply can ever reach the wrong request. When the
 * socket broke (not a timeout, not a malformed reply), a request no byte of whose reply was read
 * is offered to the observer to send again instead (see ConnectionObserver.retry).
 */
import type net from 'node:net';
import type tls from 'node:tls';
import { ReplyKind, SCAN_STRIDE } from '../core/index.js';
import {
  AuthError,
  ConnectionError,
  ConnectTimeoutError,
  MemcacheError,
  ProtocolError,
  QueueFullError,
  TimeoutError,
} from '../errors.js';
import { connectionClosed, connectionFailed, connectionOpened, connectionReady } from '../observability/lifecycle.js';
import type { ServerMetrics } from '../observability/metrics.js';
import { CommandWriter } from '../protocol/command-writer.js';
import { fieldA, isUnauthenticated, ReplyKind as Kind } from '../protocol/replies.js';
import { ReplyMode, type AbortWatcher, type Request } from '../protocol/request.js';
import { authenticate, type AuthCredentials } from './auth.js';
import { DialectProbeRequest } from './dialect-probe.js';
import { fateOf, type FailurePlan } from './failure-fate.js';
import { DeadlineTimer } from './deadline-timer.js';
import { matchReply } from './reply-matcher.js';
import { ReplyReader, type ReplySink } from './reply-reader.js';
import { RequestQueue } from './request-queue.js';
import { openSocket, type Endpoint } from './transport.js';

/**
 * Requests queued in one tick that are written at once rather than at the tick's end: memcached
 * starts on them while the caller is still queueing the rest. Fewer, larger bursts pay where a
 * write call is dear (tens of µs on a VM, memcached's wake-up included); smaller ones overlap
 * more. 64 measured best for quiet meta sets and fetch, level with 32 for text sets
 * (bench/PROFILE.md, "Concurrent sets: bursts written as they are queued").
 *
 * A request of this many keys or more (a getMulti, a quiet setMulti) is written at once too when
 * nothing is awaiting a reply here: memcached would sit idle until the tick's end. While it is busy,
 * the request waits to be written with the rest of the tick (bench/PROFILE.md, "Keyv adapter").
 */
const BURST_WRITE = 64;

/** `waiting`: backing off before opening the socket (see ReconnectBackoff); requests queue meanwhile. */
export type ConnectionStatus = 'waiting' | 'connecting' | 'ready' | 'closing' | 'closed';

/** The moves the status may make (see #moveTo); it never goes back. */
const NEXT: Readonly<Record<ConnectionStatus, readonly ConnectionStatus[]>> = {
  waiting: ['connecting', 'closed'],
  connecting: ['ready', 'closing', 'closed'],
  ready: ['closing', 'closed'],
  closing: ['closed'],
  closed: [],
};

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
  /** The server's counters (bytes in and out here; the pool and requests count the rest). */
  readonly metrics: ServerMetrics;
  /** Let an idle connection not hold the process open: its socket is ref'd only while requests wait. */
  readonly unref: boolean;
}

export interface ConnectionObserver {
  /** Told, on the next tick, when a connection fails (not when it is closed on purpose). */
  onConnectionFailure(connection: Connection, error: MemcacheError): void;
  /**
   * Asked, while a connection that was ready is torn down because its socket broke (a
   * ConnectionError: reset, closed by the server), about each request still wanted of which no
   * reply byte was read: true when it took the request (to send it again elsewhere), false to let
   * it fail. Never asked after a timeout or a malformed reply, or when the connect itself failed.
   */
  retry?(request: Request, error: MemcacheError): boolean;
  /** Asked as a connection opens: whether to ask the server if it speaks meta (not known yet). */
  wantsDialect?(): boolean;
  /** The server's answer; an error returned fails the connection (meta was required). */
  onDialect?(meta: boolean): MemcacheError | undefined;
  /**
   * The server hung up while asked about meta: true to take that as its answer (it speaks text
   * only), false to ask again on the next connection.
   */
  onProbeHangUp?(connection: Connection): boolean;
  /** A request never written, off a connection the server hung up on while asked about meta: to send elsewhere. */
  resend?(request: Request): void;
  /** Whether the server is known to speak meta. */
  speaksMeta?(): boolean;
}

/** Set on a connection opened after a backoff: how long it waits, and the failure that caused it. */
export interface Backoff {
  readonly delay: number;
  readonly cause: MemcacheError | undefined;
}

export class Connection implements ReplySink, AbortWatcher {
  readonly #config: ConnectionConfig;
  readonly #observer: ConnectionObserver | undefined;
  /** Undefined while waiting (backoff). */
  #socket: net.Socket | undefined;
  readonly #writer = new CommandWriter();
  readonly #reader = new ReplyReader();
  readonly #queue = new RequestQueue();
  #status: ConnectionStatus = 'connecting';
  #flushScheduled = false;
  /** performance.now() when the pending flush was scheduled (see send). */
  #tickNow = 0;
  #closeRequested = false;
  /** With `unref`: whether the socket holds the process now (it does while requests wait). */
  #holding = true;
  #connectTimer: NodeJS.Timeout | undefined;
  /** Fires by the earliest deadline of the requests queued (see #onDeadline). */
  readonly #deadlines = new DeadlineTimer((now) => this.#onDeadline(now));
  /** While waiting: the backoff, and when the socket opens (performance.now() ms). */
  #backoff: Backoff | undefined;
  #openAt = 0;
  #openTimer: NodeJS.Timeout | undefined;
  /** Whether a reply was ever read whole: the server works (see ReconnectBackoff). */
  #proven = false;
  /** Whether the head request got records of its reply already (it is partly answered). */
  #headStarted = false;
  /** What broke the connection; undefined while it lives or when it was closed on purpose. */
  #failure: MemcacheError | undefined;
  /** The `mn` asking whether the server speaks meta, while it waits for its answer. */
  #dialectProbe: DialectProbeRequest | undefined;
  readonly #closed: Promise<void>;
  #resolveClosed!: () => void;

  /**
   * Opens the socket at once (socket creation errors are thrown), or with `backoff`, after its
   * delay (they then fail the connection).
   */
  constructor(config: ConnectionConfig, observer?: ConnectionObserver, backoff?: Backoff) {
    this.#config = config;
    this.#observer = observer;
    this.#closed = new Promise((resolve) => (this.#resolveClosed = resolve));
    if (backoff === undefined || backoff.delay <= 0) {
      this.#open();
      return;
    }
    this.#status = 'waiting'; // the first status, before any move
    this.#backoff = backoff;
    this.#openAt = performance.now() + backoff.delay;
    this.#openTimer = setTimeout(this.#openAfterBackoff, backoff.delay).unref();
  }

  get status(): ConnectionStatus {
    return this.#status;
  }

  get name(): string {
    return this.#config.name;
  }

  /** Callers waiting on requests queued or awaiting replies. */
  get pending(): number {
    return this.#queue.size;
  }

  /** AbortWatcher: whether the server is known to speak meta (a request may then follow itself up with a meta command). */
  get speaksMeta(): boolean {
    return this.#observer?.speaksMeta?.() === true;
  }

  /** Whether a reply was ever read whole on this connection. */
  get proven(): boolean {
    return this.#proven;
  }

  /** What broke the connection; undefined while it lives, or when it was closed on purpose. */
  get failure(): MemcacheError | undefined {
    return this.#failure;
  }

  /**
   * Queues a request; it is written with everything else queued in this tick, or at once when it
   * completes a burst of BURST_WRITE requests, or carries BURST_WRITE keys while nothing awaits a reply.
   */
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
    request.watcher = this;
    // One clock read per tick: requests queued behind the first of a tick (all sent by the same
    // flush) share its time; performance.now() costs ~40 ns, a tenth of a whole pipelined set.
    if (!this.#flushScheduled) this.#tickNow = performance.now();
    // A retried request keeps the deadline of its first attempt.
    if (request.deadline === 0) request.deadline = this.#tickNow + request.timeout;
    if (this.#status === 'waiting' && request.deadline < this.#openAt) {
      request.fail(this.#backingOff());
      return;
    }
    if (this.#config.mergeGets && this.#queue.absorbIntoLastUnsent(request)) return;
    if (!this.#holding) this.#hold(true);
    this.#queue.pushUnsent(request);
    // Held in its place until its bytes are made (a large value compressing off the main thread).
    if (request.pending !== undefined) void request.pending.then(this.#flushSoon);
    this.#deadlines.arm(request.deadline);
    // Timers never hold the process, sockets do; while no socket is open yet, a caller's wait must.
    if (this.#status === 'waiting') this.#openTimer?.ref();
    if (this.#status !== 'ready') return;
    if (this.#queue.unsentCount >= BURST_WRITE || (request.keyCount >= BURST_WRITE && this.#queue.head === undefined)) {
      this.#flush();
      return;
    }
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      process.nextTick(this.#flush);
    }
  }

  /** AbortWatcher: whether `request` is the last queued here, unwritten, with room for one more caller. */
  canGrow(request: Request): boolean {
    return this.#status !== 'closed' && !this.#closeRequested && this.#queue.isLastUnsent(request) && this.#queue.size < this.#config.maxPending;
  }

  /** AbortWatcher: `request` took in one more caller; at BURST_WRITE callers it is written, as a burst of requests is. */
  grew(request: Request): void {
    this.#queue.grew(request);
    if (this.#status === 'ready' && request.weight >= BURST_WRITE) this.#flush();
  }

  /** AbortWatcher: one of `request`'s callers was answered; the request stays queued for the others. */
  answeredOne(request: Request): void {
    this.#queue.answeredOne(request);
  }

  #flushSoon = (): void => {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    process.nextTick(this.#flush);
  };

  /** Lets queued requests finish (each within its timeout), then closes the socket. */
  close(): Promise<void> {
    if (this.#status === 'closed') return this.#closed;
    this.#closeRequested = true;
    if (this.#status === 'waiting' && this.#queue.size === 0) {
      // Never opened and nothing to send: nothing to wait for.
      this.#moveTo('closed');
      this.#clearTimers();
      this.#resolveClosed();
    }
    if (this.#status === 'ready') {
      this.#moveTo('closing');
      this.#closeIfDrained();
    }
    return this.#closed;
  }

  /** ReplySink: the records of one socket read, in order. */
  onRecords(buf: Buffer, records: Uint32Array, count: number): boolean {
    for (let i = 0; i < count; i++) {
      const off = i * SCAN_STRIDE;
      const kind = records[off];
      const head = this.#queue.head;
      if (kind === ReplyKind.MALFORMED || head === undefined) {
        const what = kind === ReplyKind.MALFORMED ? 'malformed reply' : 'reply with no request waiting for it';
        const bytes = JSON.stringify(fieldA(buf, records, off).slice(0, 64));
        this.#fail(new ProtocolError(`${what} from the server: ${bytes}`, { server: this.#config.name }));
        return false;
      }
      // While connecting, the login handshake reads that refusal itself.
      if (kind === Kind.CLIENT_ERROR && this.#status !== 'connecting' && isUnauthenticated(kind, buf, records, off)) {
        this.#fail(unauthenticated(this.#config.name));
        return false;
      }
      let request: Request | undefined = head;
      let done: boolean;
      try {
        // A text request at the head and a text reply: the reply is its own (no opaque to check).
        if (head.replyMode !== ReplyMode.ALWAYS || head.opaque !== 0 || kind >= ReplyKind.META_HD) {
          request = matchReply(this.#queue, kind, buf, records, off, this.#config.name);
          if (request !== head) this.#headStarted = false;
          if (request === undefined) continue;
        }
        done = request.onReply(kind, buf, records, off);
      } catch (error) {
        this.#fail(asMemcacheError(error, this.#config.name));
        return false;
      }
      if (done) {
        this.#queue.shift();
        this.#headStarted = false;
      } else {
        this.#headStarted = true;
      }
    }
    this.#proven = true;
    if (this.#config.unref && this.#queue.size === 0) this.#hold(false);
    if (this.#status === 'closing') this.#closeIfDrained();
    return this.#status !== 'closed';
  }

  /**
   * Closes at once: the socket is destroyed and every request on it fails with `error` (the
   * client's force close), never retried, and the server is not marked down for it.
   */
  destroy(error: MemcacheError): Promise<void> {
    if (this.#status === 'closed') return this.#closed;
    connectionClosed(this.#config.name, 'destroyed by the client');
    this.#tearDown((request) => request.fail(error));
    return this.#closed;
  }

  /**
   * AbortWatcher: a caller gave up. Its request stays queued (a reply already asked for must still
   * be read, to keep the stream in step) and its reply is dropped when it comes, unless that reply
   * is half read and nobody else waits on this connection: then the rest is not worth reading,
   * and the connection is closed instead.
   */
  onAbort(): void {
    const head = this.#queue.head;
    if (this.#status !== 'ready' && this.#status !== 'closing') return;
    if (head === undefined || head.wanted || head.next !== undefined || this.#queue.size !== head.weight) return;
    if (!this.#headStarted && this.#reader.buffered === 0) return;
    connectionClosed(this.#config.name, 'dropped with a half-read reply nobody waits for (aborted)');
    this.#tearDown(() => {}); // the head, settled already
  }

  #openAfterBackoff = (): void => {
    this.#openTimer = undefined;
    if (this.#status !== 'waiting') return;
    try {
      this.#open();
    } catch (cause) {
      const server = this.#config.name;
      this.#fail(new ConnectionError(`cannot open a connection to ${server}: ${String(cause)}`, { server, cause }));
    }
  };

  /** Starts connecting; throws when the socket cannot even be created. */
  #open(): void {
    const { socket, readyEvent } = openSocket(this.#config.endpoint, this.#config.tls);
    if (this.#status === 'waiting') this.#moveTo('connecting'); // else connecting from the start
    this.#socket = socket;
    socket.once(readyEvent, this.#onConnected);
    socket.on('data', this.#onData);
    socket.on('end', this.#onEnd);
    socket.on('error', this.#onError);
    socket.on('close', this.#onClose);
    this.#connectTimer = setTimeout(this.#onConnectTimeout, this.#config.connectTimeout).unref();
    if (this.#config.unref && this.#queue.size === 0) this.#hold(false);
  }

  /** With `unref`: the socket holds the process open only while requests wait on it. */
  #hold(hold: boolean): void {
    this.#holding = hold || !this.#config.unref;
    if (this.#socket === undefined) return;
    if (this.#holding) this.#socket.ref();
    else this.#socket.unref();
  }

  /** The error of a request that would time out before a backing-off connection even opens. */
  #backingOff(): ConnectionError {
    const { name } = this.#config;
    const wait = Math.max(0, Math.ceil(this.#openAt - performance.now()));
    const cause = this.#backoff?.cause;
    const after = cause === undefined ? '' : ` after: ${cause.message}`;
    return new ConnectionError(`reconnecting to ${name} backs off for another ${wait} ms${after}`, { server: name, cause });
  }

  #onConnected = (): void => {
    if (this.#status !== 'connecting') return;
    connectionOpened(this.#config.name, this.#config.auth !== undefined);
    if (this.#config.auth === undefined && this.#observer?.wantsDialect?.() !== true) {
      this.#onReady();
      return;
    }
    this.#greet().then(this.#onReady, this.#onGreetingFailed);
  };

  /** What a connection says before anything queued: the login (-Y), then, once per server, whether it speaks meta. */
  async #greet(): Promise<void> {
    const { auth, connectTimeout, name } = this.#config;
    if (auth !== undefined) await authenticate(auth, connectTimeout, name, this.#handshake);
    const observer = this.#observer;
    if (observer?.wantsDialect?.() !== true) return;
    const probe = (this.#dialectProbe = new DialectProbeRequest(connectTimeout));
    let meta: boolean;
    try {
      meta = await this.#handshake(probe);
    } finally {
      this.#dialectProbe = undefined;
    }
    const refusal = observer.onDialect?.(meta);
    if (refusal !== undefined) throw refusal;
  }

  /** Writes one request of the login handshake, alone, ahead of anything queued. */
  #handshake = <T>(request: Request<T>): Promise<T> => {
    request.server = this.#config.name;
    request.deadline = Infinity; // the connect timer covers it
    request.encode(this.#writer);
    this.#queue.pushSent(request);
    this.#write();
    return request.promise;
  };

  #onReady = (): void => {
    if (this.#status !== 'connecting') return;
    clearTimeout(this.#connectTimer);
    this.#connectTimer = undefined;
    this.#moveTo(this.#closeRequested ? 'closing' : 'ready');
    connectionReady(this.#config.name, this.#config.auth !== undefined);
    this.#flush();
  };

  #onGreetingFailed = (error: MemcacheError): void => {
    this.#fail(error);
  };

  #flush = (): void => {
    this.#flushScheduled = false;
    if (this.#status !== 'ready' && this.#status !== 'closing') return;
    const unreplied = this.#queue.sendUnsent(this.#writer, this.#config.name);
    this.#write();
    if (unreplied !== undefined) for (const request of unreplied) request.onSent();
    if (this.#status === 'closing') this.#closeIfDrained();
  };

  /** One socket write for everything encoded (cork/uncork makes several chunks one writev). */
  #write(): void {
    const chunks = this.#writer.take();
    const socket = this.#socket as net.Socket; // written only once connected
    const metrics = this.#config.metrics;
    if (chunks.length === 1) {
      socket.write(chunks[0]);
      metrics.bytesOut += chunks[0].length;
    } else if (chunks.length > 1) {
      socket.cork();
      for (const chunk of chunks) {
        socket.write(chunk);
        metrics.bytesOut += chunk.length;
      }
      socket.uncork();
    }
  }

  #onData = (chunk: Buffer): void => {
    if (this.#status === 'closed') return;
    this.#config.metrics.bytesIn += chunk.length;
    this.#reader.push(chunk, this);
    if (this.#reader.buffered > this.#config.maxReplyBuffer) {
      const limit = this.#config.maxReplyBuffer;
      this.#fail(new ProtocolError(`a reply grew past ${limit} bytes unfinished`, { server: this.#config.name }));
    }
  };

  /** The server sent FIN: nothing more will come, so whatever waits fails now, not at 'close'. */
  #onEnd = (): void => {
    this.#fail(new ConnectionError(`connection to ${this.#config.name} closed by the server`, { server: this.#config.name }));
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

  /**
   * The deadline timer fired. Nothing expired (the requests it was armed for were answered or
   * dropped meanwhile): arm it for the next deadline. Otherwise the expired requests fail with a
   * TimeoutError and the connection is destroyed with the rest: a late reply would be read as the
   * next request's.
   */
  #onDeadline(now: number): void {
    const expired = this.#queue.expired(now);
    if (expired.length === 0) {
      const next = this.#queue.nextDeadline();
      if (next !== Infinity) this.#deadlines.arm(next);
      return;
    }
    const server = this.#config.name;
    const timeouts = new Map<Request, MemcacheError>(
      expired.map((r) => [r, new TimeoutError(`no reply from ${server} within ${r.timeout} ms`, { server })]),
    );
    this.#fail(timeouts.values().next().value as MemcacheError, timeouts);
  }

  #closeIfDrained(): void {
    if (this.#queue.size > 0 || this.#status === 'closed') return;
    this.#moveTo('closed');
    this.#clearTimers();
    const socket = this.#socket;
    if (socket === undefined) {
      this.#resolveClosed();
      return;
    }
    connectionClosed(this.#config.name, 'closed by the client');
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
   * When the socket broke, the observer may take requests with no reply byte read to retry them.
   */
  #fail(error: MemcacheError, culprits?: Map<Request, MemcacheError>): void {
    if (this.#status === 'closed') return;
    // A hang-up after the probe was answered (a refusal: see DialectProbeRequest) says nothing about meta.
    if (this.#dialectProbe !== undefined && !this.#dialectProbe.settled && hungUp(error)) {
      const taken = this.#observer?.onProbeHangUp?.(this) ?? true;
      const refusal = taken ? this.#observer?.onDialect?.(false) : undefined;
      if (refusal === undefined) {
        this.#handOver(error, taken);
        return;
      }
      error = refusal;
    }
    const observer = this.#observer;
    const plan: FailurePlan = {
      culprits,
      broke: culprits === undefined && error instanceof ConnectionError && (this.#status === 'ready' || this.#status === 'closing') && observer?.retry !== undefined,
      // Bytes held by the reader, or records already read, belong to the head's reply.
      partlyAnswered: this.#headStarted || this.#reader.buffered > 0 ? this.#queue.head : undefined,
    };
    this.#failure = error;
    connectionFailed(this.#config.name, error, this.#queue.size, culprits?.size ?? 0);
    const others =
      culprits === undefined
        ? error
        : new ConnectionError(`connection to ${this.#config.name} destroyed after a request timed out`, {
            server: this.#config.name,
            cause: error,
          });
    this.#tearDown((request) => {
      const fate = fateOf(request, plan);
      if (fate.kind === 'own') request.fail(fate.error);
      else if (fate.kind === 'fail' || !observer!.retry!(request, error)) request.fail(others);
    });
    if (observer !== undefined) process.nextTick(() => observer.onConnectionFailure(this, error));
  }

  /**
   * Closes at once: status closed, timers stopped, socket destroyed, buffered bytes dropped, and
   * every request handed to `fate`, oldest first.
   */
  #tearDown(fate: (request: Request) => void): void {
    this.#moveTo('closed');
    this.#clearTimers();
    const socket = this.#socket;
    socket?.destroy();
    this.#reader.reset();
    this.#queue.drain(fate);
    if (socket === undefined) this.#resolveClosed(); // never opened: no 'close' event will come
  }

  /** The one place the status changes; a move NEXT does not allow is a bug in this class. */
  #moveTo(next: ConnectionStatus): void {
    if (!NEXT[this.#status].includes(next)) throw new Error(`connection status cannot go from ${this.#status} to ${next}`);
    this.#status = next;
  }

  /**
   * The server hung up on the dialect probe (twemproxy does on any command it does not know):
   * `taken` as its answer, it speaks text only; else the next connection asks again. Nothing but
   * the probe was written, so every queued request goes to another connection, whatever its
   * command; and this is no outage of the server: no failure for the reconnect backoff to count,
   * so the next connection opens at once.
   */
  #handOver(error: MemcacheError, taken: boolean): void {
    const probe = this.#dialectProbe;
    this.#dialectProbe = undefined;
    connectionClosed(this.#config.name, taken ? 'hung up on mn: the server speaks text only' : 'hung up on mn: the next connection asks again');
    const observer = this.#observer;
    this.#tearDown((request) => {
      if (request === probe || observer?.resend === undefined) request.fail(error);
      else observer.resend(request);
    });
  }

  #clearTimers(): void {
    clearTimeout(this.#connectTimer);
    clearTimeout(this.#openTimer);
    this.#connectTimer = undefined;
    this.#openTimer = undefined;
    this.#deadlines.clear();
  }
}

/** Without a login, every command to a `-Y` server is refused, and what was pipelined behind it is dropped. */
function unauthenticated(server: string): AuthError {
  return new AuthError(`${server} requires authentication (it answered CLIENT_ERROR unauthenticated); set the auth option`, { server });
}

/** The socket closed or reset: the server hung up (a timeout is no such answer). */
function hungUp(error: MemcacheError): boolean {
  return error.code === 'MEMCACHE_CONNECTION';
}

function asMemcacheError(error: unknown, server: string): MemcacheError {
  if (error instanceof MemcacheError) return error;
  return new ProtocolError(`reply handling failed: ${String(error)}`, { server, cause: error });
}
