/**
 * A request: the commands it writes, how it reads its replies, and the promise of its result.
 * The connection queues requests, writes them in order and feeds each reply record to the oldest
 * request still waiting, so requests never need to know about sockets or each other.
 */
import { AbortError, type MemcacheError } from '../errors.js';
import type { CommandWriter } from './command-writer.js';
import { errorReply, unexpectedReply } from './replies.js';

/** Turns a stored item's bytes into a value; provided by the client (the codec). May throw a MemcacheError. */
export interface ValueDecoder {
  /** Reads `buf[start .. end)`; the result must not alias `buf`, which is reused after the call. */
  decode(buf: Buffer, start: number, end: number, flags: number): unknown;
}

export abstract class Request<T = unknown> {
  /** The next request in its connection's reply queue. */
  next: Request | undefined = undefined;
  /** When the request times out (performance.now() ms); set when queued. */
  deadline = 0;
  /** Display name of the server, for errors; set when queued. */
  server = '';
  readonly timeout: number;
  readonly promise: Promise<T>;
  #settled = false;
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
      signal.addEventListener('abort', this);
    }
  }

  /** What to write. Called once, when the connection flushes. */
  abstract encode(w: CommandWriter): void;

  /**
   * One reply record (kind and fields at `rec[off ..]`, see core/contract.ts). Returns true once the
   * request has all its replies. Throws a ProtocolError when the record cannot be a reply to it.
   */
  abstract onReply(kind: number, buf: Buffer, rec: Uint32Array, off: number): boolean;

  /** False for `noreply` commands: nothing will come back, and `onSent` settles them. */
  get expectsReply(): boolean {
    return true;
  }

  /** Settles a request that expects no reply, once written. */
  onSent(): void {}

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
    this.#resolve(value);
  }

  reject(error: MemcacheError): void {
    if (this.#settled) return;
    this.#settle();
    this.#reject(error);
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

  /** The abort listener: rejects at once; if already sent, the reply is still read and dropped. */
  handleEvent(): void {
    this.reject(new AbortError(undefined, { server: this.server || undefined }));
  }

  #settle(): void {
    this.#settled = true;
    if (this.#signal !== undefined) {
      this.#signal.removeEventListener('abort', this);
      this.#signal = undefined;
    }
  }
}
