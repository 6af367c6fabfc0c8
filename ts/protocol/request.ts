/**
 * A request: the commands it writes, how it reads its replies, and the promise of its result.
 * The connection queues requests, writes them in order and feeds each reply record to the oldest
 * request still waiting, so requests never need to know about sockets or each other.
 */
import { listenForAbort, stopListening, type AbortListener } from '../abort-listeners.js';
import { AbortError, type MemcacheError } from '../errors.js';
import { commandEnded, commandFailed, commandStarted, tracingCommands, type CommandMessage } from '../observability/channels.js';
import { countFailure, UNCOUNTED, type CommandId, type ServerMetrics } from '../observability/metrics.js';
import type { CommandWriter } from './command-writer.js';
import type { Payload } from './text-commands.js';
import { errorReply, unexpectedReply } from './replies.js';

/** Turns a stored item's bytes into a value; provided by the client (the codec). May throw a MemcacheError. */
export interface ValueDecoder {
  /**
   * Reads `buf[start .. end)`; the result must not alias `buf`, which is reused after the call.
   * A Promise stands for a value still being decoded off the main thread (a large compressed
   * one): the request settles when it does (Request.resolveLater), its failure that key's.
   */
  decode(buf: Buffer, start: number, end: number, flags: number): unknown;
}

/**
 * When the server answers a request:
 * - ALWAYS: every request gets its reply;
 * - NEVER: text `noreply`: nothing comes back, and `onSent` settles the request once written;
 * - ON_FAILURE: meta quiet mode (`q`): only a failure is answered. The request stays queued until
 *   a reply to a later request (or the `MN` of the `mn` that ends its batch) proves it succeeded:
 *   replies come in order, so one that passes it over means it had nothing to report.
 */
export enum ReplyMode {
  ALWAYS = 0,
  NEVER = 1,
  ON_FAILURE = 2,
}

/**
 * The connection holding a request (see Request.watcher): told when its caller gives up (its
 * signal aborted), able to take a follow-up that a reply calls for (a text get's 0-byte
 * value that may be a lease placeholder is asked about again with `mg`, see meta/lease.ts), and
 * to let a request still unwritten take in more callers (meta/lease-batch.ts).
 */
export interface AbortWatcher {
  onAbort(request: Request): void;
  /** Queues `request` behind what is already queued on this connection. */
  send(request: Request): void;
  /** Whether the server speaks meta (known once the connection is ready, false with protocol 'text'). */
  readonly speaksMeta: boolean;
  /** Whether `request` is the last request queued and not yet written, with room for one more caller (maxPending). */
  canGrow(request: Request): boolean;
  /** `request` (canGrow said so) took in one more caller: it counts in the queue; a burst of them is written at once. */
  grew(request: Request): void;
  /**
   * One of `request`'s callers has its answer while the rest still wait (a lease batch answers ask
   * by ask): it stops counting against maxPending, so what it does next (a winner's store) finds room.
   */
  answeredOne(request: Request): void;
}

export abstract class Request<T = unknown> implements AbortListener {
  /** The next request in its connection's reply queue. */
  next: Request | undefined = undefined;
  /** When the request times out (performance.now() ms); set when first queued, kept by a retry. */
  deadline = 0;
  /** Display name of the server, for errors; set when queued. */
  server = '';
  /** Callers waiting on this request: 1, plus every request it absorbed (maxPending counts them all). */
  weight = 1;
  /** Times it was sent again on a fresh connection after its connection broke (see `idempotent`). */
  attempt = 0;
  /** The connection holding it, told when the caller aborts. */
  watcher: AbortWatcher | undefined = undefined;
  /**
   * The meta opaque (`O<n>`) it was written with, which its reply must echo; 0 for requests whose
   * replies carry none (text commands, `mn`). Set by `encode`.
   */
  opaque = 0;
  /** How many consecutive opaques from `opaque` are its own (a quiet batch writes one per command). */
  opaqueCount = 1;
  /** Counters of the server it was handed to (see `dispatched`). */
  metrics: ServerMetrics = UNCOUNTED;
  /** Its diagnostics message, when somebody listened as it started. */
  trace: CommandMessage | undefined = undefined;
  /** Set while its bytes are not made yet (see holdFor): the connection holds it, and what follows, unsent. */
  pending: Promise<void> | undefined = undefined;
  readonly timeout: number;
  readonly promise: Promise<T>;
  #settled = false;
  /**
   * Settled for the connection (its reply is in), while its value is still being made (see
   * resolveLater): the caller may still give up until then.
   */
  #later = false;
  // Typed loosely so a Request<T> can stand where a Request<unknown> is queued; resolve() is typed.
  #resolve!: (value: unknown) => void;
  #reject!: (error: MemcacheError) => void;
  #signal: AbortSignal | undefined;

  constructor(timeout: number, signal: AbortSignal | undefined) {
    this.timeout = timeout;
    this.promise = new Promise<T>((resolve, reject) => {
      this.#resolve = resolve as (value: unknown) => void;
      this.#reject = reject;
    });
    if (signal !== undefined) {
      this.#signal = signal;
      listenForAbort(signal, this);
    }
  }

  // What the command is, for metrics, the connection and retries. Read for every request, so a
  // subclass answers with a constant or a field; the defaults are the common case: one key, a
  // reply to wait for, never sent twice.

  /** The client method it serves (`Command.get`...), for metrics and diagnostics. */
  abstract get command(): CommandId;

  /** How many keys it carries (diagnostics; the connection writes a request of many keys at once). */
  get keyCount(): number {
    return 1;
  }

  /** When the server answers it (see ReplyMode). */
  get replyMode(): ReplyMode {
    return ReplyMode.ALWAYS;
  }

  /** Whether its command stores a value (a CLIENT_ERROR to it may mean its data ran as commands). */
  get stores(): boolean {
    return false;
  }

  /**
   * Whether running the command twice has the effect of running it once, so that a request whose
   * connection broke before any byte of its reply arrived may be sent again (get, gets, gat, gats,
   * getMulti, touch, delete, deleteMulti, version, stats). Storage commands, counters and flush_all
   * never are.
   */
  get idempotent(): boolean {
    return false;
  }

  /** Handed to a server's pool: counted there, once (a retry is not another op), and traced if anybody listens. */
  dispatched(metrics: ServerMetrics, server: string): void {
    if (this.metrics !== UNCOUNTED) return;
    this.metrics = metrics;
    const command = this.command;
    metrics.ops[command]++;
    if (tracingCommands()) this.trace = commandStarted(command, server, this.keyCount);
  }

  /** What to write. Called once, when the connection flushes. */
  abstract encode(w: CommandWriter): void;

  /**
   * One reply record (kind and fields at `rec[off ..]`, see core/contract.ts). Returns true once the
   * request has all its replies. Throws a ProtocolError when the record cannot be a reply to it.
   */
  abstract onReply(kind: number, buf: Buffer, rec: Uint32Array, off: number): boolean;

  /** Called once written, for requests whose reply mode is not ALWAYS: a `noreply` caller is answered now. */
  onSent(): void {}

  /** ON_FAILURE: a later reply proved it succeeded (the server had no failure to report). */
  onQuietSuccess(): void {}

  /**
   * Holds the request unsent until every payload's bytes are made (a value compressing off the
   * main thread); a payload that cannot be made fails it. Called by storage requests' constructors.
   */
  holdFor(payloads: readonly Payload[]): void {
    const waiting = payloads.filter((payload) => payload.pending !== undefined);
    if (waiting.length === 0) return;
    const pending = Promise.all(waiting.map((payload) => payload.pending)).then(() => {
      this.pending = undefined;
      const failed = waiting.find((payload) => payload.error !== undefined);
      if (failed !== undefined) this.fail(failed.error!);
    });
    this.pending = pending;
  }

  /** Whether anybody still waits for this request; one nobody waits for is not sent (but read if already sent). */
  get wanted(): boolean {
    return !this.#settled;
  }

  get settled(): boolean {
    return this.#settled;
  }

  /**
   * Takes `other`, queued right after this one and not yet sent, into this request so both go out
   * as one command. Returns false when it cannot.
   */
  absorb(_other: Request): boolean {
    return false;
  }

  resolve(value: T): void {
    if (this.#settled) return;
    this.#settle();
    if (this.trace !== undefined) commandEnded(this.trace);
    this.#resolve(value);
  }

  /**
   * Resolves with `shape(value)` for a value a ValueDecoder gave: at once, or, for one still being
   * decoded off the main thread (a Promise), once it is (its failure rejects).
   */
  resolveDecoded(value: unknown, shape: (decoded: unknown) => T): void {
    if (value instanceof Promise) this.resolveLater(value.then(shape));
    else this.resolve(shape(value));
  }

  /**
   * Resolves with what `later` settles to (a value decoded off the main thread, or what a follow-up
   * found); its failure rejects, counted in the metrics unless `failureCounted` (a follow-up request
   * counted it already). The connection is done with the request at once; its caller's signal still
   * counts until `later` settles.
   */
  resolveLater(later: Promise<T>, failureCounted = false): void {
    if (this.#settled) {
      later.catch(() => {}); // nobody waits for it any more (aborted, timed out): its failure is nobody's
      return;
    }
    this.#settled = true;
    this.#later = true;
    later.then(
      (value) => {
        if (!this.#endLater()) return;
        if (this.trace !== undefined) commandEnded(this.trace);
        this.#resolve(value);
      },
      (error: MemcacheError) => {
        if (this.#endLater()) this.#rejectCaller(error, !failureCounted);
      },
    );
  }

  /** A value made later is ready, or its caller gave up: false when that was done already. */
  #endLater(): boolean {
    if (!this.#later) return false;
    this.#later = false;
    this.#stopListening();
    return true;
  }

  /** Rejects the caller with `error`, counted in the metrics when `count`, and traced. */
  #rejectCaller(error: MemcacheError, count: boolean): void {
    if (count) countFailure(this.metrics, error.code);
    if (this.trace !== undefined) commandFailed(this.trace, error);
    this.#reject(error);
  }

  reject(error: MemcacheError): void {
    if (this.#settled) return;
    this.#settle();
    this.#rejectCaller(error, true);
  }

  /**
   * A failure the server reported after the caller had its answer (a quiet `noreply` command): it
   * is counted in the metrics' errors and published on the command-error channel, never lost.
   */
  reportLateFailure(error: MemcacheError): void {
    countFailure(this.metrics, error.code);
    if (this.trace !== undefined) commandFailed(this.trace, error);
  }

  /** Whether a meta reply's opaque is one of this request's. */
  ownsOpaque(opaque: number): boolean {
    return opaque >= this.opaque && opaque - this.opaque < this.opaqueCount && this.opaque !== 0;
  }

  /** Rejects this request and every request it absorbed. */
  fail(error: MemcacheError): void {
    this.reject(error);
  }

  /**
   * Rejects with the error an error line (CLIENT_ERROR, SERVER_ERROR, ERROR) stands for, which
   * completes the command; any other record cannot answer `command` and throws a ProtocolError.
   */
  protected rejectWithErrorReply(command: string, kind: number, buf: Buffer, rec: Uint32Array, off: number): true {
    const error = errorReply(kind, buf, rec, off, this.server);
    if (error === undefined) throw unexpectedReply(kind, command, this.server);
    this.reject(error);
    return true;
  }

  /**
   * The abort listener: rejects at once; if already sent, the reply is still read and dropped; if
   * read, the value still being made is dropped.
   */
  handleEvent(): void {
    const error = new AbortError(undefined, { server: this.server || undefined });
    if (this.#endLater()) {
      this.#rejectCaller(error, true);
      return;
    }
    this.reject(error);
    this.watcher?.onAbort(this);
  }

  #settle(): void {
    this.#settled = true;
    this.#stopListening();
  }

  #stopListening(): void {
    if (this.#signal !== undefined) {
      stopListening(this.#signal, this);
      this.#signal = undefined;
    }
  }
}

/** The value as it is: the shape of a plain get's result (see Request.resolveDecoded). */
export const asDecoded = (decoded: unknown): unknown => decoded;

/**
 * Puts a value a ValueDecoder gave into `hits` under `key`. One still being decoded off the main
 * thread (a Promise) goes in once it is, or its failure into `errors`; its settling joins `later`
 * (created when needed), which the caller waits for before it resolves. Returns `later`.
 */
export function putDecoded(
  key: unknown,
  value: unknown,
  hits: Map<unknown, unknown>,
  errors: Map<unknown, MemcacheError>,
  later: Promise<void>[] | undefined,
): Promise<void>[] | undefined {
  if (!(value instanceof Promise)) {
    hits.set(key, value);
    return later;
  }
  const settled = value.then(
    (decoded) => void hits.set(key, decoded),
    (error: MemcacheError) => void errors.set(key, error),
  );
  return later === undefined ? [settled] : (later.push(settled), later);
}
