/**
 * set / add / replace / append / prepend / cas as quiet `ms`: a stored item is answered by
 * nothing, so a burst of sets costs the server one reply line (see quiet.ts).
 */
import { Command, type CommandId } from '../../observability/metrics.js';
import type { CommandWriter } from '../command-writer.js';
import { ReplyKind } from '../replies.js';
import { replyOpaque } from './replies.js';
import type { StoreItem } from '../requests/storage.js';
import type { Payload, StorageVerb } from '../text-commands.js';
import { encodeMetaStore } from './commands.js';
import { QuietRequest } from './quiet.js';

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

/** One storage command; resolves with whether the item was stored (true once sent, with noreply). */
export class MetaStoreRequest extends QuietRequest<boolean> {
  readonly #verb: StorageVerb;
  readonly #key: string;
  readonly #value: Payload;
  readonly #exptime: number;
  readonly #cas: string | undefined;

  constructor(
    verb: StorageVerb,
    key: string,
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
    this.#value = value;
    this.#exptime = exptime;
    this.#cas = cas;
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
    encodeMetaStore(w, this.#verb, this.#key, this.#value, this.#exptime, this.#cas, true, this.opaque);
  }

  onReply(kind: number, buf: Buffer, rec: Uint32Array, off: number): boolean {
    const outcome = storeOutcome(kind);
    return outcome === undefined ? this.failWith(kind, buf, rec, off) : this.settleWith(outcome);
  }
}

/**
 * Many storage commands of one verb (setMulti, one per server), each quiet with its own opaque:
 * the replies that come are the failures, told apart by opaque. Resolves with the result keys of
 * the items not stored once a later reply (the batch's `MN`) shows the rest were.
 */
export class MetaStoreManyRequest extends QuietRequest<unknown[]> {
  readonly #verb: StorageVerb;
  readonly #items: readonly StoreItem[];
  readonly #resultKeys: readonly unknown[];
  readonly #failed: unknown[] = [];

  constructor(
    verb: StorageVerb,
    items: readonly StoreItem[],
    resultKeys: readonly unknown[],
    noreply: boolean,
    timeout: number,
    signal: AbortSignal | undefined,
  ) {
    super(noreply, timeout, signal);
    this.#verb = verb;
    this.#items = items;
    this.#resultKeys = resultKeys;
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
      encodeMetaStore(w, this.#verb, item.key, item.value, item.exptime, undefined, true, this.opaque + i);
    }
  }

  /** One command's failure (or an HD from a server that ignored `q`); the batch waits for proof of the rest. */
  onReply(kind: number, buf: Buffer, rec: Uint32Array, off: number): boolean {
    const outcome = storeOutcome(kind);
    if (outcome === undefined) return this.failWith(kind, buf, rec, off);
    if (!outcome) this.#failed.push(this.#resultKeys[replyOpaque(buf, rec, off) - this.opaque]);
    return false;
  }
}
