/** delete as quiet `md`, incr / decr as `ma` (which can create a missing counter). */
import { F_B_LEN, F_B_START } from '../../core/index.js';
import { Command, type CommandId } from '../../observability/metrics.js';
import type { CommandWriter } from '../command-writer.js';
import { errorReply, ReplyKind, unexpectedReply } from '../replies.js';
import { ReplyMode, Request } from '../request.js';
import { encodeMetaArith, encodeMetaDelete, type CounterSeed, type KeyEncoding } from './commands.js';
import { QuietRequest } from './quiet.js';
import { replyOpaque } from './replies.js';

/** delete: resolves with whether the key existed (true once sent, with noreply). NF is answered even quiet. */
export class MetaDeleteRequest extends QuietRequest<boolean> {
  readonly #key: string;
  readonly #encoding: KeyEncoding;

  constructor(key: string, encoding: KeyEncoding, noreply: boolean, timeout: number, signal: AbortSignal | undefined) {
    super(noreply, timeout, signal);
    this.#key = key;
    this.#encoding = encoding;
  }

  get command(): CommandId {
    return Command.delete;
  }

  override get idempotent(): boolean {
    return true;
  }

  protected get succeededWith(): boolean {
    return true;
  }

  protected get verb(): string {
    return 'delete';
  }

  encode(w: CommandWriter): void {
    this.opaque = w.opaques(1);
    encodeMetaDelete(w, this.#key, this.#encoding, true, this.opaque);
  }

  onReply(kind: number, buf: Buffer, rec: Uint32Array, off: number): boolean {
    if (kind === ReplyKind.META_HD) return this.settleWith(true);
    if (kind === ReplyKind.META_NF) return this.settleWith(false);
    return this.failWith(kind, buf, rec, off);
  }
}

/** Many deletes (deleteMulti, one per server); resolves with the result keys of those that were not there. */
export class MetaDeleteManyRequest extends QuietRequest<unknown[]> {
  readonly #keys: readonly string[];
  readonly #encoding: KeyEncoding;
  readonly #resultKeys: readonly unknown[];
  readonly #missed: unknown[] = [];

  constructor(
    keys: readonly string[],
    encoding: KeyEncoding,
    resultKeys: readonly unknown[],
    noreply: boolean,
    timeout: number,
    signal: AbortSignal | undefined,
  ) {
    super(noreply, timeout, signal);
    this.#keys = keys;
    this.#encoding = encoding;
    this.#resultKeys = resultKeys;
  }

  get command(): CommandId {
    return Command.deleteMulti;
  }

  override get keyCount(): number {
    return this.#keys.length;
  }

  override get idempotent(): boolean {
    return true;
  }

  protected get succeededWith(): unknown[] {
    return this.noreply ? [] : this.#missed;
  }

  protected get verb(): string {
    return 'delete';
  }

  encode(w: CommandWriter): void {
    const keys = this.#keys;
    this.opaqueCount = keys.length;
    this.opaque = w.opaques(keys.length);
    for (let i = 0; i < keys.length; i++) encodeMetaDelete(w, keys[i], this.#encoding, true, this.opaque + i);
  }

  onReply(kind: number, buf: Buffer, rec: Uint32Array, off: number): boolean {
    if (kind === ReplyKind.META_NF) this.#missed.push(this.#resultKeys[replyOpaque(buf, rec, off) - this.opaque]);
    else if (kind !== ReplyKind.META_HD) return this.failWith(kind, buf, rec, off);
    return false;
  }
}

/**
 * incr / decr: resolves with the new value (a bigint past 2^53), undefined when the key is missing.
 * With a seed, a missing counter is created at its initial value, which the call resolves with.
 * With noreply it goes quiet and resolves undefined once written.
 */
export class MetaArithRequest extends Request<number | bigint | undefined> {
  readonly #decrement: boolean;
  readonly #key: string;
  readonly #encoding: KeyEncoding;
  readonly #delta: string;
  readonly #seed: CounterSeed | undefined;
  readonly #noreply: boolean;

  constructor(
    decrement: boolean,
    key: string,
    encoding: KeyEncoding,
    delta: string,
    seed: CounterSeed | undefined,
    noreply: boolean,
    timeout: number,
    signal: AbortSignal | undefined,
  ) {
    super(timeout, signal);
    this.#decrement = decrement;
    this.#key = key;
    this.#encoding = encoding;
    this.#delta = delta;
    this.#seed = seed;
    this.#noreply = noreply;
  }

  get command(): CommandId {
    return this.#decrement ? Command.decr : Command.incr;
  }

  override get replyMode(): ReplyMode {
    return this.#noreply ? ReplyMode.ON_FAILURE : ReplyMode.ALWAYS;
  }

  override onSent(): void {
    this.resolve(undefined);
  }

  override onQuietSuccess(): void {
    this.resolve(undefined);
  }

  encode(w: CommandWriter): void {
    this.opaque = w.opaques(1);
    encodeMetaArith(w, this.#decrement, this.#key, this.#encoding, this.#delta, this.#seed, this.#noreply, this.opaque);
  }

  onReply(kind: number, buf: Buffer, rec: Uint32Array, off: number): boolean {
    switch (kind) {
      case ReplyKind.META_VA:
        this.resolve(counterValue(buf, rec, off, this.server));
        return true;
      case ReplyKind.META_HD: // quiet, on a server that answers anyway (1.6.18 does when it creates the counter)
      case ReplyKind.META_NF:
        this.resolve(undefined);
        return true;
      default: {
        const error = errorReply(kind, buf, rec, off, this.server);
        if (error === undefined) throw unexpectedReply(kind, this.#decrement ? 'decr' : 'incr', this.server);
        if (this.settled) this.reportLateFailure(error);
        else this.reject(error);
        return true;
      }
    }
  }
}

/** A counter's decimal digits in a VA's data: a number while safe, a bigint past 2^53. */
function counterValue(buf: Buffer, rec: Uint32Array, off: number, server: string): number | bigint {
  const start = rec[off + F_B_START];
  const text = buf.toString('latin1', start, start + rec[off + F_B_LEN]);
  if (!/^\d{1,20}$/.test(text)) throw unexpectedReply(ReplyKind.META_VA, `incr (not a counter: ${JSON.stringify(text.slice(0, 24))})`, server);
  const value = BigInt(text);
  return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}
