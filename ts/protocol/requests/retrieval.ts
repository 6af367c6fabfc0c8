/**
 * get / gets / gat / gats. A reply is any number of VALUE records, in the order the keys were
 * asked, then one END per request line. Single-key gets queued back to back on one connection
 * merge into one multi-key command; each caller still gets its own result.
 */
import { F_A_LEN, F_A_START, F_B_LEN, F_FLAGS } from '../../core/index.js';
import type { MemcacheError } from '../../errors.js';
import { Command, type CommandId } from '../../observability/metrics.js';
import type { CommandWriter } from '../command-writer.js';
import { casReply, errorReply, ReplyKind, unexpectedReply } from '../replies.js';
import { askAboutEmptyValue } from '../meta/placeholder.js';
import { asDecoded, putDecoded, Request, type ValueDecoder } from '../request.js';
import { encodeRetrieval, type RetrievalVerb } from '../text-commands.js';
import { decodeRecordValue } from '../value-decoding.js';

/** What `gets` / `gats` resolve with. */
export interface CasItem {
  value: unknown;
  cas: bigint;
}

/** Most distinct keys one merged get carries. */
const MAX_MERGED_KEYS = 1024;

abstract class RetrievalRequest<T> extends Request<T> {
  readonly verb: RetrievalVerb;
  /** Only for gat / gats. */
  readonly exptime: number;
  /** Distinct keys in wire form, in the order asked. */
  readonly keys: string[];
  protected readonly decoder: ValueDecoder;
  #endsLeft = 0;
  /** Keys before this index were answered or skipped (VALUE replies come in key order). */
  #cursor = 0;

  constructor(verb: RetrievalVerb, exptime: number, keys: string[], decoder: ValueDecoder, timeout: number, signal: AbortSignal | undefined) {
    super(timeout, signal);
    this.verb = verb;
    this.exptime = exptime;
    this.keys = keys;
    this.decoder = decoder;
  }

  override get idempotent(): boolean {
    return true;
  }

  get command(): CommandId {
    return Command[this.verb];
  }

  override get keyCount(): number {
    return this.keys.length;
  }

  encode(w: CommandWriter): void {
    this.#endsLeft = encodeRetrieval(w, this.verb, this.exptime, this.keys);
  }

  onReply(kind: number, buf: Buffer, rec: Uint32Array, off: number): boolean {
    if (kind === ReplyKind.VALUE) {
      const index = this.#keyIndex(buf, rec, off);
      if (index < 0) throw unexpectedReply(kind, `${this.verb} (a key that was not asked)`, this.server);
      this.onHit(index, buf, rec, off);
      return false;
    }
    if (kind !== ReplyKind.END) {
      const error = errorReply(kind, buf, rec, off, this.server);
      if (error === undefined) throw unexpectedReply(kind, this.verb, this.server);
      this.fail(error);
    }
    if (--this.#endsLeft > 0) return false;
    this.onEnd();
    return true;
  }

  /** A VALUE record for `keys[index]`. */
  protected abstract onHit(index: number, buf: Buffer, rec: Uint32Array, off: number): void;
  /** Every line answered: whoever got no VALUE missed. */
  protected abstract onEnd(): void;

  /**
   * For a VALUE of 0 bytes (callers check the length first: one read is all other values pay)
   * with flags 0, which a lease placeholder looks like too: on a meta server, a promise of what
   * `mg` says the key holds (see meta/placeholder.ts); else undefined, the value being what it looks like.
   */
  protected askedAgain(index: number, buf: Buffer, rec: Uint32Array, off: number): Promise<CasItem | undefined> | undefined {
    if (rec[off + F_FLAGS] !== 0) return undefined;
    return askAboutEmptyValue(this.keys[index], this.decoder, this);
  }

  /** Decodes a VALUE record's data; a failure is that key's error, never the connection's (value-decoding.ts). */
  protected decodeValue(buf: Buffer, rec: Uint32Array, off: number): unknown {
    return decodeRecordValue(this.decoder, buf, rec, off, this.server);
  }

  #keyIndex(buf: Buffer, rec: Uint32Array, off: number): number {
    const keys = this.keys;
    const start = rec[off + F_A_START];
    const length = rec[off + F_A_LEN];
    // Usually the key at the cursor (a hit): one full comparison. Compared from the end, where
    // keys sharing a prefix differ, so a miss in between is passed over after a byte or two.
    next: for (let i = this.#cursor; i < keys.length; i++) {
      const key = keys[i];
      if (key.length !== length) continue;
      for (let j = length - 1; j >= 0; j--) if (buf[start + j] !== key.charCodeAt(j)) continue next;
      this.#cursor = i + 1;
      return i;
    }
    return -1;
  }
}

/** One key's get/gets/gat/gats: resolves with the value (or CasItem), undefined on a miss. */
export class GetRequest extends RetrievalRequest<unknown> {
  /** When merged: the first waiter for each key; a waiter's `#sameKey` chains duplicates. */
  #waiters: GetRequest[] | undefined;
  #slots: Map<string, number> | undefined;
  #sameKey: GetRequest | undefined;

  constructor(verb: RetrievalVerb, exptime: number, key: string, decoder: ValueDecoder, timeout: number, signal: AbortSignal | undefined) {
    super(verb, exptime, [key], decoder, timeout, signal);
  }

  override absorb(other: Request): boolean {
    if (
      !(other instanceof GetRequest) ||
      other.verb !== this.verb ||
      other.exptime !== this.exptime ||
      other.timeout !== this.timeout ||
      other.decoder !== this.decoder ||
      other.#waiters !== undefined ||
      this.keys.length >= MAX_MERGED_KEYS
    ) {
      return false;
    }
    const waiters = (this.#waiters ??= [this]);
    const slots = (this.#slots ??= new Map([[this.keys[0], 0]]));
    const key = other.keys[0];
    const slot = slots.get(key);
    if (slot === undefined) {
      slots.set(key, this.keys.length);
      this.keys.push(key);
      waiters.push(other);
    } else {
      let last = waiters[slot];
      while (last.#sameKey !== undefined) last = last.#sameKey;
      last.#sameKey = other;
    }
    return true;
  }

  override get wanted(): boolean {
    if (this.#waiters === undefined) return !this.settled;
    return this.#waiters.some((first) => {
      for (let w: GetRequest | undefined = first; w !== undefined; w = w.#sameKey) if (!w.settled) return true;
      return false;
    });
  }

  override fail(error: MemcacheError): void {
    this.#each((w) => w.reject(error));
  }

  protected onHit(index: number, buf: Buffer, rec: Uint32Array, off: number): void {
    const first = this.#waiters === undefined ? this : this.#waiters[index];
    const again = rec[off + F_B_LEN] === 0 ? this.askedAgain(index, buf, rec, off) : undefined;
    if (again !== undefined) {
      // Each waiter follows the answer; the follow-up counts its own failure (once, however many waiters).
      for (let w: GetRequest | undefined = first; w !== undefined; w = w.#sameKey) if (!w.settled) w.resolveLater(again.then((item) => w.#found(item)), true);
      return;
    }
    for (let w: GetRequest | undefined = first; w !== undefined; w = w.#sameKey) {
      if (w.settled) continue;
      w.metrics.hits++;
      try {
        const value = w.decodeValue(buf, rec, off);
        if (w.verb === 'gets' || w.verb === 'gats') {
          const cas = casReply(buf, rec, off);
          w.resolveDecoded(value, (decoded) => ({ value: decoded, cas }));
        } else {
          w.resolveDecoded(value, asDecoded);
        }
      } catch (error) {
        w.reject(error as MemcacheError);
      }
    }
  }

  protected onEnd(): void {
    if (this.#waiters === undefined) this.#miss();
    else this.#each((w) => w.#miss());
  }

  /** What `mg` said the key holds, counted and shaped for this waiter. */
  #found(item: CasItem | undefined): unknown {
    if (item === undefined) {
      this.metrics.misses++;
      return undefined;
    }
    this.metrics.hits++;
    return this.verb === 'gets' || this.verb === 'gats' ? item : item.value;
  }

  #miss(): void {
    if (this.settled) return;
    this.metrics.misses++;
    this.resolve(undefined);
  }

  /** Every waiter of a merged request, this one included. */
  #each(action: (waiter: GetRequest) => void): void {
    for (const first of this.#waiters ?? [this]) {
      for (let w: GetRequest | undefined = first; w !== undefined; w = w.#sameKey) action(w);
    }
  }
}

/**
 * Many keys in one request (getMulti, one per server). Hits go into a shared map under the
 * caller's keys; a key whose value cannot be read goes into `errors` instead.
 */
export class GetMultiRequest extends RetrievalRequest<void> {
  readonly #resultKeys: readonly unknown[];
  readonly #hits: Map<unknown, unknown>;
  readonly #errors: Map<unknown, MemcacheError>;
  /** Keys answered with a VALUE (readable or not), not counting those asked again. */
  #found = 0;
  /** Keys of 0-byte values being asked about again (see askedAgain), each settling into hits / errors. */
  #askedAgain: Promise<void>[] | undefined;
  /** Values being decoded off the main thread (see ValueDecoder), each settling into hits / errors. */
  #decoding: Promise<void>[] | undefined;

  /** `keys[i]` (distinct, wire form) is reported as `resultKeys[i]`. */
  constructor(
    keys: string[],
    resultKeys: readonly unknown[],
    hits: Map<unknown, unknown>,
    errors: Map<unknown, MemcacheError>,
    decoder: ValueDecoder,
    timeout: number,
    signal: AbortSignal | undefined,
  ) {
    super('get', 0, keys, decoder, timeout, signal);
    this.#resultKeys = resultKeys;
    this.#hits = hits;
    this.#errors = errors;
  }

  override get command(): CommandId {
    return Command.getMulti;
  }

  protected onHit(index: number, buf: Buffer, rec: Uint32Array, off: number): void {
    if (this.settled) return;
    const again = rec[off + F_B_LEN] === 0 ? this.askedAgain(index, buf, rec, off) : undefined;
    if (again !== undefined) {
      (this.#askedAgain ??= []).push(this.#settleLater(this.#resultKeys[index], again));
      return;
    }
    this.#found++;
    const key = this.#resultKeys[index];
    try {
      this.#decoding = putDecoded(key, this.decodeValue(buf, rec, off), this.#hits, this.#errors, this.#decoding);
    } catch (error) {
      this.#errors.set(key, error as MemcacheError);
    }
  }

  protected onEnd(): void {
    const askedAgain = this.#askedAgain;
    if (!this.settled) {
      this.metrics.hits += this.#found;
      this.metrics.misses += this.keys.length - this.#found - (askedAgain?.length ?? 0);
    }
    const later = askedAgain === undefined ? this.#decoding : this.#decoding === undefined ? askedAgain : [...askedAgain, ...this.#decoding];
    if (later === undefined) this.resolve();
    else void Promise.all(later).then(() => this.resolve());
  }

  /** A key asked about again: a hit, a miss or an error once answered. */
  #settleLater(resultKey: unknown, again: Promise<CasItem | undefined>): Promise<void> {
    return again.then(
      (item) => {
        if (item === undefined) {
          this.metrics.misses++;
          return;
        }
        this.metrics.hits++;
        this.#hits.set(resultKey, item.value);
      },
      (error: MemcacheError) => void this.#errors.set(resultKey, error),
    );
  }
}

