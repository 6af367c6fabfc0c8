/**
 * Leases (memcached's W / X / Z flags; doc/protocol.txt "Meta Commands"), what `fetch` and
 * `invalidate` are made of:
 * - the lease get `mg <key> v f c N<lockTtl + 1> [R<recacheBefore + 1>] O<n>`: on a miss memcached creates
 *   an empty placeholder (0 bytes, client flags 0, living at least lockTtl) and answers the first caller W
 *   ("you won: load it") and every later one Z ("someone is loading"); a stale item (see
 *   invalidate) comes with X, and W for the first reader; R hands one reader a W when the ttl
 *   left drops below it;
 * - invalidate `md <key> I T<staleTtl> O<n>`: the item stays, stale, for staleTtl seconds;
 * - release `md <key> C<cas> [I T<ttl>] O<n>`: a winner that will store nothing deletes its
 *   placeholder, or hands a stale value's win back by marking it stale again (either only while
 *   the item is the one it won: the cas guards against deleting a newer value).
 * - the store `ms <key> <n> F<flags> T<ttl> C<cas>` with the cas won, so a winner whose item
 *   changed since (invalidated again, stored by another) stores nothing. Never with `I`:
 *   memcached 1.6.18 stores a lower cas with `I` as a stale value over a newer one and bumps the
 *   cas, which then makes the newer writer's store fail.
 */
import { F_A_LEN, F_A_START, F_B_LEN, F_FLAGS } from '../../core/index.js';
import type { MemcacheError } from '../../errors.js';
import { Command, type CommandId, type ServerMetrics } from '../../observability/metrics.js';
import type { CommandWriter } from '../command-writer.js';
import { MAX_RELATIVE_EXPTIME } from '../exptime.js';
import { ReplyKind } from '../replies.js';
import { Request, type ValueDecoder } from '../request.js';
import type { Payload } from '../text-commands.js';
import { decodeRecordValue } from '../value-decoding.js';
import { KEY_FLAG, keyToken, type KeyEncoding } from './commands.js';
import { MetaStoreRequest } from './storage.js';
import { opaqueDigits } from './opaque-digits.js';
import { returnedFlags } from './replies.js';

/** What a lease get found. */
export interface LeaseReply {
  /** W: this caller won the lease: it loads the value and stores it with `cas`. */
  readonly won: boolean;
  /** Z: another caller holds the lease (it is loading the value, or reloading the one served). */
  readonly busy: boolean;
  /** X: the value is stale (invalidated), served while one caller reloads it. */
  readonly stale: boolean;
  /** Whether `value` is the item's value: false on a miss, for a placeholder, and when unreadable (`error`). */
  readonly found: boolean;
  readonly value: unknown;
  /** The item's cas unique in decimal, what the winner stores or releases with; '' unless won. */
  readonly cas: string;
  /** Why a value that was there could not be read. */
  readonly error: MemcacheError | undefined;
}

const WON = 1;
const BUSY = 2;
const STALE = 4;
const SPACE = 0x20;

/**
 * The lease flags (W, Z, X) among a meta record's returned flags (field A: `f0 c42 t30 O7 W`), as
 * bits: all most replies need. The rare reply that needs a token's value (a winner's `c`, the
 * placeholder probe's `t`) reads it with returnedFlags.
 */
export function leaseBits(buf: Buffer, rec: Uint32Array, off: number): number {
  const end = rec[off + F_A_START] + rec[off + F_A_LEN];
  let bits = 0;
  for (let i = rec[off + F_A_START]; i < end; ) {
    let j = i + 1;
    while (j < end && buf[j] !== SPACE) j++;
    if (j === i + 1) bits |= leaseBit(buf[i]);
    i = j + 1;
  }
  return bits;
}

/** The bit of a one-letter returned flag: W, Z, X; 0 for any other. */
function leaseBit(letter: number): number {
  return letter === 0x57 ? WON : letter === 0x5a ? BUSY : letter === 0x58 ? STALE : 0;
}

/**
 * Whether a VA record is a lease placeholder: no bytes, client flags 0, and a lease on it (W or
 * Z). An empty Buffer stored by `set` has no lease flag unless a lease was handed out on it (R,
 * invalidate); then it is being reloaded and taking it for no value only makes a caller wait.
 * Only an empty, flagless record has its flags read: an ordinary value pays two comparisons.
 */
export function isLeasePlaceholder(buf: Buffer, rec: Uint32Array, off: number): boolean {
  return rec[off + F_B_LEN] === 0 && rec[off + F_FLAGS] === 0 && (leaseBits(buf, rec, off) & (WON | BUSY)) !== 0;
}

/** Whether the reply handed this caller a lease (W), from its leaseBits. */
export function wonLease(bits: number): boolean {
  return (bits & WON) !== 0;
}

/** Whether the item is stale (X: invalidated), from its leaseBits. */
export function staleLease(bits: number): boolean {
  return (bits & STALE) !== 0;
}

/**
 * The `N` token for a lease of `lockTtl` seconds. memcached's clock ticks once a second, so an item
 * given N seconds lives between N - 1 and N: one more, so the winner holds the lease at least
 * lockTtl seconds (its loader is stopped then), and no second caller wins while it loads.
 */
export function leaseToken(lockTtl: number): string {
  return ` N${Math.min(lockTtl + 1, MAX_RELATIVE_EXPTIME)}`;
}

/**
 * The `R` token for `recacheBefore` (seconds, or none): memcached hands the early W once strictly
 * fewer than R seconds are left, and recacheBefore means "at most this many".
 */
export function recacheToken(recacheBefore: number | undefined): string {
  return recacheBefore === undefined ? '' : ` R${Math.min(recacheBefore + 1, MAX_RELATIVE_EXPTIME)}`;
}

/** A lease get's EN: no item, and no lease handed out. */
export const MISS_REPLY: LeaseReply = Object.freeze({ won: false, busy: false, stale: false, found: false, value: undefined, cas: '', error: undefined });

/**
 * fetch's lease get. `counted`: the first ask of a fetch counts a hit or a miss; its polls do not.
 * Never resent after a broken connection: a first attempt may have won the lease.
 */
export class MetaLeaseGetRequest extends Request<LeaseReply> {
  readonly #key: string;
  readonly #encoding: KeyEncoding;
  readonly #lockTtl: number;
  readonly #recacheBefore: number | undefined;
  readonly #counted: boolean;
  readonly #decoder: ValueDecoder;

  constructor(
    key: string,
    encoding: KeyEncoding,
    lockTtl: number,
    recacheBefore: number | undefined,
    counted: boolean,
    decoder: ValueDecoder,
    timeout: number,
  ) {
    super(timeout, undefined);
    this.#key = key;
    this.#encoding = encoding;
    this.#lockTtl = lockTtl;
    this.#recacheBefore = recacheBefore;
    this.#counted = counted;
    this.#decoder = decoder;
  }

  get command(): CommandId {
    return Command.fetch;
  }

  encode(w: CommandWriter): void {
    this.opaque = w.opaques(1);
    w.latin1(`mg ${keyToken(this.#key, this.#encoding)}${KEY_FLAG[this.#encoding]} v f c${leaseToken(this.#lockTtl)}${recacheToken(this.#recacheBefore)} O${opaqueDigits(this.opaque)}\r\n`);
  }

  onReply(kind: number, buf: Buffer, rec: Uint32Array, off: number): boolean {
    if (kind !== ReplyKind.META_VA && kind !== ReplyKind.META_EN) return this.rejectWithErrorReply('fetch', kind, buf, rec, off);
    const reply = kind === ReplyKind.META_EN ? MISS_REPLY : readLease(this.#decoder, buf, rec, off, this.server);
    if (this.#counted && !this.settled) countLease(this.metrics, reply);
    if (reply.value instanceof Promise) this.resolveLater(decodedLease(reply));
    else this.resolve(reply);
    return true;
  }
}

/** A VA record as a lease get's reply; a value being decoded off the main thread is a Promise in `value` (see decodedLease). */
export function readLease(decoder: ValueDecoder, buf: Buffer, rec: Uint32Array, off: number, server: string): LeaseReply {
  const bits = leaseBits(buf, rec, off);
  // Only a winner stores or releases with the cas.
  const cas = wonLease(bits) ? leaseCas(buf, rec, off) : '';
  if (isLeasePlaceholder(buf, rec, off)) return leaseReply(bits, cas, false, undefined, undefined);
  try {
    return leaseReply(bits, cas, true, decodeRecordValue(decoder, buf, rec, off, server), undefined);
  } catch (unreadable) {
    return leaseReply(bits, cas, false, undefined, unreadable as MemcacheError);
  }
}

/** The item's cas unique in decimal, as the reply returned it (`c`); '' when it had none. */
function leaseCas(buf: Buffer, rec: Uint32Array, off: number): string {
  return returnedFlags(buf, rec, off).get('c') ?? '';
}

/** A reply with the lease flags `bits`. */
function leaseReply(bits: number, cas: string, found: boolean, value: unknown, error: MemcacheError | undefined): LeaseReply {
  return { won: (bits & WON) !== 0, busy: (bits & BUSY) !== 0, stale: (bits & STALE) !== 0, found, value, cas, error };
}

/** `reply` once its value, decoded off the main thread, is there: unreadable if that failed, as a value that failed at once is. */
export function decodedLease(reply: LeaseReply): Promise<LeaseReply> {
  return (reply.value as Promise<unknown>).then(
    (decoded) => ({ ...reply, value: decoded }),
    (failure: MemcacheError) => ({ ...reply, found: false, value: undefined, error: failure }),
  );
}

/** A first ask's hit or miss (polls are not counted): a hit is a value found, stale or not. */
export function countLease(metrics: ServerMetrics, reply: LeaseReply): void {
  if (reply.found) metrics.hits++;
  else metrics.misses++;
}

/**
 * The winner's store, counted as fetch's: whether it was stored (false: the item changed since the
 * lease was won). Answered, never quiet: an error line (a value past memcached's item size) then
 * fails this store alone, where in a run of quiet stores it would fail them all, and each of
 * those winners would count an error and give back a lease it no longer held. A win is a miss,
 * so the reply line costs nothing on the hit path.
 */
export class LeaseStoreRequest extends MetaStoreRequest {
  constructor(key: string, encoding: KeyEncoding, value: Payload, exptime: number, cas: string, timeout: number) {
    super('cas', key, encoding, value, exptime, cas, false, timeout, undefined);
  }

  override get command(): CommandId {
    return Command.fetch;
  }

  protected override get mayBeQuiet(): boolean {
    return false;
  }
}

/** invalidate: `md <key> I T<staleTtl>`; whether the key existed (it stays, stale). */
export class MetaInvalidateRequest extends Request<boolean> {
  readonly #key: string;
  readonly #encoding: KeyEncoding;
  readonly #staleTtl: number;

  constructor(key: string, encoding: KeyEncoding, staleTtl: number, timeout: number, signal: AbortSignal | undefined) {
    super(timeout, signal);
    this.#key = key;
    this.#encoding = encoding;
    this.#staleTtl = staleTtl;
  }

  get command(): CommandId {
    return Command.invalidate;
  }

  /** Twice is as once: the item is stale either way (its cas moves on again, which any holder of the older one must lose to). */
  override get idempotent(): boolean {
    return true;
  }

  encode(w: CommandWriter): void {
    this.opaque = w.opaques(1);
    w.latin1(`md ${keyToken(this.#key, this.#encoding)}${KEY_FLAG[this.#encoding]} I T${this.#staleTtl} O${opaqueDigits(this.opaque)}\r\n`);
  }

  onReply(kind: number, buf: Buffer, rec: Uint32Array, off: number): boolean {
    if (kind !== ReplyKind.META_HD && kind !== ReplyKind.META_NF) return this.rejectWithErrorReply('invalidate', kind, buf, rec, off);
    this.resolve(kind === ReplyKind.META_HD);
    return true;
  }
}

/**
 * Gives a lease back: `md <key> C<cas>` deletes the item (a placeholder, or a value the loader
 * says is gone); with `restale`, `md <key> C<cas> I T<restale>` keeps a value but marks it stale
 * again, which clears the lease so the next reader wins it. Resolves whether the item was still
 * the one won (else it changed: nothing was done).
 */
export class MetaReleaseRequest extends Request<boolean> {
  readonly #key: string;
  readonly #encoding: KeyEncoding;
  readonly #cas: string;
  readonly #restale: number | 'keep' | undefined;

  /**
   * `cas`: only while the item is that one ('': whatever it is now). `restale`: mark it stale again
   * for that many seconds, or with the ttl it has ('keep'); undefined deletes it.
   */
  constructor(key: string, encoding: KeyEncoding, cas: string, restale: number | 'keep' | undefined, timeout: number) {
    super(timeout, undefined);
    this.#key = key;
    this.#encoding = encoding;
    this.#cas = cas;
    this.#restale = restale;
  }

  get command(): CommandId {
    return Command.fetch;
  }

  encode(w: CommandWriter): void {
    this.opaque = w.opaques(1);
    const restale = this.#restale;
    const stale = restale === undefined ? '' : restale === 'keep' ? ' I' : ` I T${restale}`;
    const cas = this.#cas === '' ? '' : ` C${this.#cas}`;
    w.latin1(`md ${keyToken(this.#key, this.#encoding)}${KEY_FLAG[this.#encoding]}${cas}${stale} O${opaqueDigits(this.opaque)}\r\n`);
  }

  onReply(kind: number, buf: Buffer, rec: Uint32Array, off: number): boolean {
    if (kind === ReplyKind.META_HD || kind === ReplyKind.META_NF || kind === ReplyKind.META_EX) {
      this.resolve(kind === ReplyKind.META_HD);
      return true;
    }
    return this.rejectWithErrorReply('fetch (releasing a lease)', kind, buf, rec, off);
  }
}
