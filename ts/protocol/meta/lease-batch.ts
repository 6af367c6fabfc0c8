/**
 * The first asks of many fetches as one request: the lease gets that callers start in one tick
 * for one connection go out together, as one line each (`mg <key> v f c N<lockTtl + 1> [R<s>] O<n>`,
 * opaques consecutive), and each reply is handed to its own asker. One request per fetch paid,
 * per key, for a Request and its promise, a place in the queue, a deadline and a `.then`; a run of
 * fetch hits pays them once (bench/PROFILE.md, "One request for a tick's asks").
 * A batch only grows while it is the last request queued on its connection and unwritten, so
 * nothing queued after it goes out before it. Polls and the other steps of a fetch stay single
 * requests (lease.ts).
 */
import type { MemcacheError } from '../../errors.js';
import { Command, countFailure, type CommandId } from '../../observability/metrics.js';
import type { CommandWriter } from '../command-writer.js';
import { errorReply, ReplyKind, unexpectedReply } from '../replies.js';
import { Request, type ValueDecoder } from '../request.js';
import { KEY_FLAG, keyToken, type KeyEncoding } from './commands.js';
import { countLease, leaseToken, MISS_REPLY, readLease, recacheToken, type LeaseReply } from './lease.js';
import { opaqueDigits } from './opaque-digits.js';

/** One fetch's first ask, told its reply. */
export interface LeaseAsker {
  /** The key in wire form. */
  readonly wire: string;
  /** The reply (a value being decoded off the main thread is a Promise in `value`: see decodedLease). */
  answered(reply: LeaseReply): void;
  /** No reply will come: the batch failed (timeout, broken connection) or the server refused this ask. */
  failed(error: MemcacheError): void;
}

/** The settings every ask in a batch shares: a fetch asking otherwise starts its own batch. */
export interface LeaseAskSettings {
  readonly lockTtl: number;
  readonly recacheBefore: number | undefined;
  readonly timeout: number;
}

export class MetaLeaseBatchRequest extends Request<void> {
  readonly #encoding: KeyEncoding;
  readonly #settings: LeaseAskSettings;
  readonly #decoder: ValueDecoder;
  #askers: LeaseAsker[] = [];
  /** Asks answered so far: the next reply is `#askers[#answered]`'s, with opaque `opaque + #answered`. */
  #answered = 0;
  #written = false;

  constructor(encoding: KeyEncoding, settings: LeaseAskSettings, decoder: ValueDecoder) {
    super(settings.timeout, undefined);
    this.#encoding = encoding;
    this.#settings = settings;
    this.#decoder = decoder;
  }

  get command(): CommandId {
    return Command.fetch;
  }

  override get keyCount(): number {
    return this.#askers.length;
  }

  /**
   * Whether an ask with `settings` and `decoder` can join: the batch is not written yet, is still
   * the last request queued on its connection (which has room for it), and asks the same way.
   */
  accepts(settings: LeaseAskSettings, decoder: ValueDecoder): boolean {
    const mine = this.#settings;
    return (
      !this.#written &&
      !this.settled &&
      decoder === this.#decoder &&
      (settings === mine ||
        (settings.lockTtl === mine.lockTtl && settings.recacheBefore === mine.recacheBefore && settings.timeout === mine.timeout)) &&
      this.watcher !== undefined &&
      this.watcher.canGrow(this)
    );
  }

  /** Adds an ask: the first before the batch is queued, the others once `accepts` said yes. */
  add(asker: LeaseAsker): void {
    this.#askers.push(asker);
    if (this.#askers.length > 1) {
      this.metrics.ops[Command.fetch]++; // each ask is a fetch op, as a single request's is
      this.watcher?.grew(this);
    }
  }

  encode(w: CommandWriter): void {
    this.#written = true;
    const askers = this.#askers;
    this.opaqueCount = askers.length;
    this.opaque = w.opaques(askers.length);
    const { lockTtl, recacheBefore } = this.#settings;
    const flags = `${KEY_FLAG[this.#encoding]} v f c${leaseToken(lockTtl)}${recacheToken(recacheBefore)} O`;
    let lines = '';
    for (let i = 0; i < askers.length; i++) lines += `mg ${keyToken(askers[i].wire, this.#encoding)}${flags}${opaqueDigits(this.opaque + i)}\r\n`;
    w.latin1(lines);
  }

  /** Replies come in the order of the asks: the next must echo the opaque of the ask it answers, no other of the batch's. */
  override ownsOpaque(opaque: number): boolean {
    return opaque === this.opaque + this.#answered && this.opaque !== 0;
  }

  /** One ask's reply (the connection checked its opaque with ownsOpaque). */
  onReply(kind: number, buf: Buffer, rec: Uint32Array, off: number): boolean {
    const asker = this.#askers[this.#answered];
    if (kind === ReplyKind.META_VA || kind === ReplyKind.META_EN) {
      const reply = kind === ReplyKind.META_EN ? MISS_REPLY : readLease(this.#decoder, buf, rec, off, this.server);
      this.#answer();
      countLease(this.metrics, reply);
      asker.answered(reply);
    } else {
      const error = errorReply(kind, buf, rec, off, this.server);
      if (error === undefined) throw unexpectedReply(kind, 'fetch', this.server);
      this.#answer();
      countFailure(this.metrics, error.code);
      asker.failed(error);
    }
    if (this.#answered < this.#askers.length) return false;
    this.#askers = [];
    this.resolve();
    return true;
  }

  /**
   * The next ask has its answer. Only once its reply is read: a reply that cannot be read (or
   * answers no lease ask) throws, the connection fails, and reject() fails this ask with the rest.
   */
  #answer(): void {
    this.#answered++;
    // Counted out before its fetch goes on: a winner's store must find the room its ask held.
    if (this.#answered < this.#askers.length) this.watcher?.answeredOne(this);
  }

  /** Every ask not answered yet fails with `error` (each counted, as a single request's failure is). */
  override reject(error: MemcacheError): void {
    if (this.settled) return;
    const askers = this.#askers;
    for (let i = this.#answered; i < askers.length; i++) {
      countFailure(this.metrics, error.code);
      askers[i].failed(error);
    }
    this.#askers = [];
    this.resolve(); // the batch's own promise is nobody's: its askers were told
  }
}
