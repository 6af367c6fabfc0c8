/** getItem: one `mg` asking for the value and everything memcached knows about the item. */
import { F_B_LEN, F_FLAGS } from '../../core/index.js';
import { Command, type CommandId } from '../../observability/metrics.js';
import type { CommandWriter } from '../command-writer.js';
import { errorReply, ReplyKind, unexpectedReply } from '../replies.js';
import { Request, type ValueDecoder } from '../request.js';
import { decodeFailure, decodeRecordValue } from '../value-decoding.js';
import { encodeMetaItem, type KeyEncoding } from './commands.js';
import { returnedFlags } from './replies.js';
import { isLeasePlaceholder } from './lease.js';

/** What getItem resolves with. */
export interface ItemInfo<T = unknown> {
  value: T;
  /** The cas unique, for cas(). */
  cas: bigint;
  /** The client flags stored with the value. */
  flags: number;
  /** Seconds left to live; -1 never expires. */
  ttl: number;
  /** Seconds since the item was last accessed, before this request. */
  lastAccess: number;
  /** Whether the item had been read before this request. */
  hitBefore: boolean;
  /** Bytes stored (after serialization and compression). */
  size: number;
}

export class MetaItemRequest extends Request<ItemInfo | undefined> {
  readonly #key: string;
  readonly #encoding: KeyEncoding;
  readonly #touch: number | undefined;
  readonly #decoder: ValueDecoder;

  /** `touch`: a new ttl set in the same request. */
  constructor(key: string, encoding: KeyEncoding, touch: number | undefined, decoder: ValueDecoder, timeout: number, signal: AbortSignal | undefined) {
    super(timeout, signal);
    this.#key = key;
    this.#encoding = encoding;
    this.#touch = touch;
    this.#decoder = decoder;
  }

  get command(): CommandId {
    return Command.getItem;
  }

  override get idempotent(): boolean {
    return this.#touch === undefined;
  }

  encode(w: CommandWriter): void {
    this.opaque = w.opaques(1);
    encodeMetaItem(w, this.#key, this.#encoding, this.#touch, this.opaque);
  }

  onReply(kind: number, buf: Buffer, rec: Uint32Array, off: number): boolean {
    if (kind === ReplyKind.META_EN) {
      this.metrics.misses++;
      this.resolve(undefined);
      return true;
    }
    if (kind !== ReplyKind.META_VA) {
      const error = errorReply(kind, buf, rec, off, this.server);
      if (error === undefined) throw unexpectedReply(kind, 'getItem', this.server);
      this.reject(error);
      return true;
    }
    // Aborted or timed out: not decoded (a value decoded off the main thread would fail with nobody waiting).
    if (this.settled) return true;
    // A lease placeholder (0 bytes, client flags 0, someone is loading it: W or Z) is no value yet.
    if (isLeasePlaceholder(buf, rec, off)) {
      this.metrics.misses++;
      this.resolve(undefined);
      return true;
    }
    this.metrics.hits++;
    const flags = returnedFlags(buf, rec, off);
    try {
      const item = this.#item(buf, rec, off, flags);
      this.resolveDecoded(item.value, (value) => ({ ...item, value }));
    } catch (error) {
      this.reject(decodeFailure(error, this.server));
    }
    return true;
  }

  #item(buf: Buffer, rec: Uint32Array, off: number, flags: Map<string, string>): ItemInfo {
    const clientFlags = rec[off + F_FLAGS];
    return {
      value: decodeRecordValue(this.#decoder, buf, rec, off, this.server),
      cas: BigInt(flags.get('c') ?? '0'),
      flags: clientFlags,
      ttl: Number(flags.get('t') ?? -1),
      lastAccess: Number(flags.get('l') ?? 0),
      hitBefore: flags.get('h') === '1',
      size: Number(flags.get('s') ?? rec[off + F_B_LEN]),
    };
  }
}
