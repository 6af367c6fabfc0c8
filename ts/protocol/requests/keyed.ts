/** delete / touch / incr / decr: one key, one status or number line per command. */
import type { CommandWriter } from '../command-writer.js';
import { numberReply, ReplyKind } from '../replies.js';
import { Command, type CommandId } from '../../observability/metrics.js';
import { Request } from '../request.js';
import { BatchRequest } from './batch.js';
import { NoreplyRequest } from './noreply.js';
import { encodeArith, encodeDelete, encodeTouch, type ArithVerb } from '../text-commands.js';

/** delete: resolves with whether the key existed (true once sent, with noreply). */
export class DeleteRequest extends NoreplyRequest<boolean> {
  readonly #key: string;

  constructor(key: string, noreply: boolean, timeout: number, signal: AbortSignal | undefined) {
    super(noreply, timeout, signal);
    this.#key = key;
  }

  get command(): CommandId {
    return Command.delete;
  }

  override get idempotent(): boolean {
    return true;
  }

  encode(w: CommandWriter): void {
    encodeDelete(w, this.#key, this.noreply);
  }

  override onSent(): void {
    this.resolve(true);
  }

  onReply(kind: number, buf: Buffer, rec: Uint32Array, off: number): boolean {
    if (kind !== ReplyKind.DELETED && kind !== ReplyKind.NOT_FOUND) return this.rejectWithErrorReply('delete', kind, buf, rec, off);
    this.resolve(kind === ReplyKind.DELETED);
    return true;
  }
}

/** Many deletes (deleteMulti, one per server); resolves with the result keys of those not deleted. */
export class DeleteManyRequest extends BatchRequest {
  readonly #keys: readonly string[];

  constructor(keys: readonly string[], resultKeys: readonly unknown[], noreply: boolean, timeout: number, signal: AbortSignal | undefined) {
    super(resultKeys, noreply, timeout, signal);
    this.#keys = keys;
  }

  protected get verb(): string {
    return 'delete';
  }

  get command(): CommandId {
    return Command.deleteMulti;
  }

  override get idempotent(): boolean {
    return true;
  }

  protected succeeded(kind: number): boolean | undefined {
    if (kind === ReplyKind.DELETED) return true;
    return kind === ReplyKind.NOT_FOUND ? false : undefined;
  }

  encode(w: CommandWriter): void {
    for (const key of this.#keys) encodeDelete(w, key, this.noreply);
  }
}

/** touch: resolves with whether the key existed. */
export class TouchRequest extends Request<boolean> {
  readonly #key: string;
  readonly #exptime: number;

  constructor(key: string, exptime: number, timeout: number, signal: AbortSignal | undefined) {
    super(timeout, signal);
    this.#key = key;
    this.#exptime = exptime;
  }

  get command(): CommandId {
    return Command.touch;
  }

  override get idempotent(): boolean {
    return true;
  }

  encode(w: CommandWriter): void {
    encodeTouch(w, this.#key, this.#exptime, false);
  }

  onReply(kind: number, buf: Buffer, rec: Uint32Array, off: number): boolean {
    if (kind === ReplyKind.TOUCHED || kind === ReplyKind.NOT_FOUND) {
      this.resolve(kind === ReplyKind.TOUCHED);
      return true;
    }
    return this.rejectWithErrorReply('touch', kind, buf, rec, off);
  }
}

/** incr / decr: resolves with the new value (bigint past 2^53), undefined when the key is missing (or with noreply). */
export class ArithRequest extends NoreplyRequest<number | bigint | undefined> {
  readonly #verb: ArithVerb;
  readonly #key: string;
  readonly #delta: string;

  constructor(verb: ArithVerb, key: string, delta: string, noreply: boolean, timeout: number, signal: AbortSignal | undefined) {
    super(noreply, timeout, signal);
    this.#verb = verb;
    this.#key = key;
    this.#delta = delta;
  }

  get command(): CommandId {
    return Command[this.#verb];
  }

  encode(w: CommandWriter): void {
    encodeArith(w, this.#verb, this.#key, this.#delta, this.noreply);
  }

  override onSent(): void {
    this.resolve(undefined);
  }

  onReply(kind: number, buf: Buffer, rec: Uint32Array, off: number): boolean {
    if (kind === ReplyKind.NUMBER) {
      this.resolve(numberReply(buf, rec, off));
      return true;
    }
    if (kind === ReplyKind.NOT_FOUND) {
      this.resolve(undefined);
      return true;
    }
    return this.rejectWithErrorReply(this.#verb, kind, buf, rec, off);
  }
}
