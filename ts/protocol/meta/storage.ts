/**
 * set / add / replace / append / prepend / cas as quiet `ms`: a stored item is answered by
 * nothing, so a burst of sets costs the server one reply line (see quiet.ts). A value past
 * QUIET_MAX_VALUE goes answered instead (no `q`).
 */
import { Command, type CommandId } from '../../observability/metrics.js';
import type { CommandWriter } from '../command-writer.js';
import { errorReply, ReplyKind, unexpectedReply } from '../replies.js';
import { ReplyMode } from '../request.js';
import { replyOpaque } from './replies.js';
import { holdForItems, refusedCommandLine, type StoreItem } from '../requests/storage.js';
import type { Payload, StorageVerb } from '../text-commands.js';
import { encodeMetaStore, type KeyEncoding } from './commands.js';
import { QuietRequest } from './quiet.js';

/**
 * Values longer than this are stored by commands that answer every one: memcached refuses a value
 * past its item size (1 MiB by default) with a SERVER_ERROR that carries no opaque, and in a
 * quiet batch that error could be any command's (every one would fail with it). A reply line
 * costs nothing next to such a value.
 */
export const QUIET_MAX_VALUE = 64 * 1024;

/** HD -> true; NS (add, replace, append, prepend), EX (cas changed), NF (cas on a missing key) -> false. */
function storeOutcome(kind: number): boolean | undefined {
  switch (kind) {
    case ReplyKind.META_HD:
      return true;
    case ReplyKind.META_NS:
    case ReplyKind.META_EX:
    case ReplyKind.META_NF:
      return false;
    default:
      return undefined;
  }
}

/**
 * One storage command; resolves with whether the item was stored (true once sent, with noreply).
 * Answered (no `q`) past QUIET_MAX_VALUE: then a noreply caller waits for the reply too, and
 * gets true from it, a failure being reported late as a quiet one's is.
 */
export class MetaStoreRequest extends QuietRequest<boolean> {
  readonly #verb: StorageVerb;
  readonly #key: string;
  readonly #encoding: KeyEncoding;
  readonly #value: Payload;
  readonly #exptime: number;
  readonly #cas: string | undefined;
  readonly #quiet: boolean;

  constructor(
    verb: StorageVerb,
    key: string,
    encoding: KeyEncoding,
    value: Payload,
    exptime: number,
    cas: string | undefined,
    noreply: boolean,
    timeout: number,
    signal: AbortSignal | undefined,
  ) {
    super(noreply, timeout, signal);
    this.#verb = verb;
    this.#key = key;
    this.#encoding = encoding;
    this.#value = value;
    this.#exptime = exptime;
    this.#cas = cas;
    // While its bytes are being made, `length` is the uncompressed size: never less than the final one.
    this.#quiet = this.mayBeQuiet && value.length <= QUIET_MAX_VALUE;
    if (value.pending !== undefined) this.holdFor([value]);
  }

  override get replyMode(): ReplyMode {
    return this.#quiet ? ReplyMode.ON_FAILURE : ReplyMode.ALWAYS;
  }

  /** Whether a value up to QUIET_MAX_VALUE goes quiet: a subclass whose every outcome matters says no (read in the constructor). */
  protected get mayBeQuiet(): boolean {
    return true;
  }

  get command(): CommandId {
    return Command[this.#verb];
  }

  override get stores(): boolean {
    return true;
  }

  protected get succeededWith(): boolean {
    return true;
  }

  protected get verb(): string {
    return this.#verb;
  }

  encode(w: CommandWriter): void {
    this.opaque = w.opaques(1);
    encodeMetaStore(w, this.#verb, this.#key, this.#encoding, this.#value, this.#exptime, this.#cas, this.#quiet, this.opaque);
  }

  onReply(kind: number, buf: Buffer, rec: Uint32Array, off: number): boolean {
    if (this.noreply) this.resolve(this.succeededWith); // answered: what noreply promises, before any failure
    const outcome = storeOutcome(kind);
    return outcome === undefined ? this.failWith(kind, buf, rec, off) : this.settleWith(outcome);
  }
}

/**
 * Many storage commands of one verb (setMulti, one per server), each quiet with its own opaque:
 * the replies that come are the failures, told apart by opaque. Resolves with the result keys of
 * the items not stored once a later reply (the batch's `MN`) shows the rest were. With a value
 * past QUIET_MAX_VALUE every command is answered instead, in order, an error line failing its own
 * item only (as a text batch's does).
 */
export class MetaStoreManyRequest extends QuietRequest<unknown[]> {
  readonly #verb: StorageVerb;
  readonly #items: readonly StoreItem[];
  readonly #encoding: KeyEncoding;
  readonly #resultKeys: readonly unknown[];
  readonly #failed: unknown[] = [];
  readonly #quiet: boolean;
  /** Replies read, when answered. */
  #answered = 0;

  constructor(
    verb: StorageVerb,
    items: readonly StoreItem[],
    encoding: KeyEncoding,
    resultKeys: readonly unknown[],
    noreply: boolean,
    timeout: number,
    signal: AbortSignal | undefined,
  ) {
    super(noreply, timeout, signal);
    this.#verb = verb;
    this.#items = items;
    this.#encoding = encoding;
    this.#resultKeys = resultKeys;
    this.#quiet = items.every((item) => item.value.length <= QUIET_MAX_VALUE);
    holdForItems(this, items);
  }

  override get replyMode(): ReplyMode {
    return this.#quiet ? ReplyMode.ON_FAILURE : ReplyMode.ALWAYS;
  }

  get command(): CommandId {
    return Command.setMulti;
  }

  override get keyCount(): number {
    return this.#items.length;
  }

  override get stores(): boolean {
    return true;
  }

  protected get succeededWith(): unknown[] {
    return this.noreply ? [] : this.#failed;
  }

  protected get verb(): string {
    return this.#verb;
  }

  encode(w: CommandWriter): void {
    const items = this.#items;
    this.opaqueCount = items.length;
    this.opaque = w.opaques(items.length);
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      encodeMetaStore(w, this.#verb, item.key, this.#encoding, item.value, item.exptime, undefined, this.#quiet, this.opaque + i);
    }
  }

  /** One command's failure (or an HD from a server that ignored `q`); the batch waits for proof of the rest. */
  onReply(kind: number, buf: Buffer, rec: Uint32Array, off: number): boolean {
    if (!this.#quiet) return this.#onAnswer(kind, buf, rec, off);
    const outcome = storeOutcome(kind);
    if (outcome === undefined) return this.failWith(kind, buf, rec, off);
    if (!outcome) this.#failed.push(this.#resultKeys[replyOpaque(buf, rec, off) - this.opaque]);
    return false;
  }

  /** Answered: the reply of the next command in order, which an error line counts as not stored. */
  #onAnswer(kind: number, buf: Buffer, rec: Uint32Array, off: number): boolean {
    if (kind === ReplyKind.CLIENT_ERROR) refusedCommandLine(this, this.#verb, buf, rec, off);
    const outcome = storeOutcome(kind);
    if (outcome === undefined && errorReply(kind, buf, rec, off, this.server) === undefined) throw unexpectedReply(kind, this.#verb, this.server);
    if (outcome !== true) this.#failed.push(this.#resultKeys[this.#answered]);
    if (++this.#answered < this.#items.length) return false;
    this.resolve(this.succeededWith);
    return true;
  }
}
