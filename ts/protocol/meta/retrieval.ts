/**
 * get / gets / gat / gats, getMulti and touch as `mg`, for keys only meta can carry (binaryKeys:
 * base64 with `b`). A hit is `VA` with the client flags (`f`), decoded as a text VALUE is; a miss
 * is `EN`. Each key is its own `mg`, so these never merge with text gets.
 */
import type { MemcacheError } from '../../errors.js';
import { Command, type CommandId } from '../../observability/metrics.js';
import type { CommandWriter } from '../command-writer.js';
import { ReplyKind } from '../replies.js';
import { asDecoded, putDecoded, Request, type ValueDecoder } from '../request.js';
import type { RetrievalVerb } from '../text-commands.js';
import { decodeRecordValue } from '../value-decoding.js';
import { encodeMetaGet, encodeMetaTouch, type KeyEncoding } from './commands.js';
import { QuietRequest } from './quiet.js';
import { isLeasePlaceholder } from './lease.js';
import { handBackReadLease } from './placeholder.js';
import { replyOpaque, returnedFlags } from './replies.js';

/** The cas unique a VA returned (`c`), as a text VALUE's: undefined without one. */
function casFlag(buf: Buffer, rec: Uint32Array, off: number): bigint | undefined {
  const cas = returnedFlags(buf, rec, off).get('c');
  return cas === undefined ? undefined : BigInt(cas);
}

/** One key's get / gets / gat / gats: the value (gets, gats: `{ value, cas }`), undefined on a miss. */
export class MetaGetRequest extends Request<unknown> {
  readonly #verb: RetrievalVerb;
  readonly #exptime: number;
  readonly #key: string;
  readonly #encoding: KeyEncoding;
  readonly #decoder: ValueDecoder;

  /** `exptime`: only for gat / gats. */
  constructor(
    verb: RetrievalVerb,
    exptime: number,
    key: string,
    encoding: KeyEncoding,
    decoder: ValueDecoder,
    timeout: number,
    signal: AbortSignal | undefined,
  ) {
    super(timeout, signal);
    this.#verb = verb;
    this.#exptime = exptime;
    this.#key = key;
    this.#encoding = encoding;
    this.#decoder = decoder;
  }

  get command(): CommandId {
    return Command[this.#verb];
  }

  override get idempotent(): boolean {
    return true;
  }

  get #withCas(): boolean {
    return this.#verb === 'gets' || this.#verb === 'gats';
  }

  encode(w: CommandWriter): void {
    this.opaque = w.opaques(1);
    const touch = this.#verb === 'gat' || this.#verb === 'gats' ? this.#exptime : undefined;
    encodeMetaGet(w, this.#key, this.#encoding, this.#withCas, touch, false, this.opaque);
  }

  onReply(kind: number, buf: Buffer, rec: Uint32Array, off: number): boolean {
    if (kind !== ReplyKind.META_VA && kind !== ReplyKind.META_EN) return this.rejectWithErrorReply(this.#verb, kind, buf, rec, off);
    if (kind === ReplyKind.META_VA) handBackReadLease(this, this.#key, this.#encoding, buf, rec, off, this.#withCas);
    if (this.settled) return true; // aborted or timed out: read, not counted
    // A lease placeholder (someone is loading the key with fetch) is no value: a miss.
    if (kind === ReplyKind.META_EN || isLeasePlaceholder(buf, rec, off)) {
      this.metrics.misses++;
      this.resolve(undefined);
      return true;
    }
    this.metrics.hits++;
    try {
      const value = decodeRecordValue(this.#decoder, buf, rec, off, this.server);
      if (this.#withCas) {
        const cas = casFlag(buf, rec, off);
        this.resolveDecoded(value, (decoded) => ({ value: decoded, cas }));
      } else {
        this.resolveDecoded(value, asDecoded);
      }
    } catch (error) {
      this.reject(error as MemcacheError);
    }
    return true;
  }
}

/**
 * Many keys (getMulti, one request per server) as quiet `mg`s, each with its own opaque: `q`
 * silences only the misses, so the replies that come are the hits, told apart by opaque. The
 * `MN` ending the batch settles it. Hits go into a shared map under the caller's keys; a value
 * that cannot be read goes into `errors`.
 */
export class MetaGetManyRequest extends QuietRequest<void> {
  readonly #keys: readonly string[];
  readonly #encoding: KeyEncoding;
  readonly #resultKeys: readonly unknown[];
  readonly #hits: Map<unknown, unknown>;
  readonly #errors: Map<unknown, MemcacheError>;
  readonly #decoder: ValueDecoder;
  /** Keys answered with a VA (readable or not). */
  #found = 0;
  /** Values being decoded off the main thread (see ValueDecoder), each settling into hits / errors. */
  #decoding: Promise<void>[] | undefined;

  /** `keys[i]` (distinct, wire form) is reported as `resultKeys[i]`. */
  constructor(
    keys: readonly string[],
    encoding: KeyEncoding,
    resultKeys: readonly unknown[],
    hits: Map<unknown, unknown>,
    errors: Map<unknown, MemcacheError>,
    decoder: ValueDecoder,
    timeout: number,
    signal: AbortSignal | undefined,
  ) {
    super(false, timeout, signal);
    this.#keys = keys;
    this.#encoding = encoding;
    this.#resultKeys = resultKeys;
    this.#hits = hits;
    this.#errors = errors;
    this.#decoder = decoder;
  }

  get command(): CommandId {
    return Command.getMulti;
  }

  override get keyCount(): number {
    return this.#keys.length;
  }

  override get idempotent(): boolean {
    return true;
  }

  protected get succeededWith(): void {
    return undefined;
  }

  protected get verb(): string {
    return 'get';
  }

  encode(w: CommandWriter): void {
    const keys = this.#keys;
    this.opaqueCount = keys.length;
    this.opaque = w.opaques(keys.length);
    for (let i = 0; i < keys.length; i++) encodeMetaGet(w, keys[i], this.#encoding, false, undefined, true, this.opaque + i);
  }

  /** A hit (or an EN from a server that ignored `q`); the batch waits for its `MN`. */
  onReply(kind: number, buf: Buffer, rec: Uint32Array, off: number): boolean {
    if (kind === ReplyKind.META_EN) return false;
    if (kind !== ReplyKind.META_VA) return this.failWith(kind, buf, rec, off);
    const index = replyOpaque(buf, rec, off) - this.opaque;
    handBackReadLease(this, this.#keys[index], this.#encoding, buf, rec, off, false);
    if (this.settled || isLeasePlaceholder(buf, rec, off)) return false;
    const key = this.#resultKeys[index];
    this.#found++;
    try {
      this.#decoding = putDecoded(key, decodeRecordValue(this.#decoder, buf, rec, off, this.server), this.#hits, this.#errors, this.#decoding);
    } catch (error) {
      this.#errors.set(key, error as MemcacheError);
    }
    return false;
  }

  override onQuietSuccess(): void {
    if (!this.settled) {
      this.metrics.hits += this.#found;
      this.metrics.misses += this.#keys.length - this.#found;
    }
    if (this.#decoding === undefined) this.resolve();
    else void Promise.all(this.#decoding).then(() => this.resolve());
  }
}

/** touch as `mg <key> T<ttl>`: resolves with whether the key existed (HD) or not (EN). */
export class MetaTouchRequest extends Request<boolean> {
  readonly #key: string;
  readonly #encoding: KeyEncoding;
  readonly #exptime: number;

  constructor(key: string, encoding: KeyEncoding, exptime: number, timeout: number, signal: AbortSignal | undefined) {
    super(timeout, signal);
    this.#key = key;
    this.#encoding = encoding;
    this.#exptime = exptime;
  }

  get command(): CommandId {
    return Command.touch;
  }

  override get idempotent(): boolean {
    return true;
  }

  encode(w: CommandWriter): void {
    this.opaque = w.opaques(1);
    encodeMetaTouch(w, this.#key, this.#encoding, this.#exptime, this.opaque);
  }

  onReply(kind: number, buf: Buffer, rec: Uint32Array, off: number): boolean {
    if (kind !== ReplyKind.META_HD && kind !== ReplyKind.META_EN) return this.rejectWithErrorReply('touch', kind, buf, rec, off);
    if (kind === ReplyKind.META_HD) handBackReadLease(this, this.#key, this.#encoding, buf, rec, off, false);
    this.resolve(kind === ReplyKind.META_HD);
    return true;
  }
}
