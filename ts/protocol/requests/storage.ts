/** set / add / replace / append / prepend / cas: one status line per command. */
import { ProtocolError } from '../../errors.js';
import type { CommandWriter } from '../command-writer.js';
import { errorReply, ReplyKind } from '../replies.js';
import type { Request } from '../request.js';
import { Command, type CommandId } from '../../observability/metrics.js';
import { BatchRequest } from './batch.js';
import { NoreplyRequest } from './noreply.js';
import { encodeStorage, type Payload, type StorageVerb } from '../text-commands.js';

/** One item of a storage batch. */
export interface StoreItem {
  readonly key: string;
  readonly value: Payload;
  readonly exptime: number;
}

/** Holds a batch until every value's bytes are made (Request.holdFor); one that cannot be made fails the batch. */
export function holdForItems(request: Request, items: readonly StoreItem[]): void {
  if (items.some((item) => item.value.pending !== undefined)) request.holdFor(items.map((item) => item.value));
}

/** STORED -> true; NOT_STORED, EXISTS (cas changed), NOT_FOUND (cas on a missing key) -> false. */
function stored(kind: number): boolean | undefined {
  switch (kind) {
    case ReplyKind.STORED:
      return true;
    case ReplyKind.NOT_STORED:
    case ReplyKind.EXISTS:
    case ReplyKind.NOT_FOUND:
      return false;
    default:
      return undefined;
  }
}

/**
 * memcached answers CLIENT_ERROR to a storage command line it cannot parse (a key past its
 * 250-byte limit, a bad length) without reading the data block that follows, and runs those bytes
 * as commands: their replies would answer later requests. So `request` fails with the server's
 * error and the thrown ProtocolError destroys the connection, failing what was in flight on it.
 */
export function refusedCommandLine(request: Request, verb: string, buf: Buffer, rec: Uint32Array, off: number): never {
  const error = errorReply(ReplyKind.CLIENT_ERROR, buf, rec, off, request.server)!;
  request.reject(error);
  throw new ProtocolError(`${verb} refused with ${error.message}; its value bytes may have been read as commands, so the connection was closed`, {
    server: request.server,
    cause: error,
  });
}

/** One storage command; resolves with whether the item was stored (true once sent, with noreply). */
export class StoreRequest extends NoreplyRequest<boolean> {
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
    if (value.pending !== undefined) this.holdFor([value]);
    this.#exptime = exptime;
    this.#cas = cas;
  }

  get command(): CommandId {
    return Command[this.#verb];
  }

  encode(w: CommandWriter): void {
    encodeStorage(w, this.#verb, this.#key, this.#value, this.#exptime, this.#cas, this.noreply);
  }

  override get stores(): boolean {
    return true;
  }

  override onSent(): void {
    this.resolve(true);
  }

  onReply(kind: number, buf: Buffer, rec: Uint32Array, off: number): boolean {
    const ok = stored(kind);
    if (ok !== undefined) {
      this.resolve(ok);
      return true;
    }
    if (kind === ReplyKind.CLIENT_ERROR) refusedCommandLine(this, this.#verb, buf, rec, off);
    return this.rejectWithErrorReply(this.#verb, kind, buf, rec, off);
  }
}

/** Many storage commands of one verb (setMulti, one per server); resolves with the result keys of the items not stored. */
export class StoreManyRequest extends BatchRequest {
  readonly #verb: StorageVerb;
  readonly #items: readonly StoreItem[];

  constructor(
    verb: StorageVerb,
    items: readonly StoreItem[],
    resultKeys: readonly unknown[],
    noreply: boolean,
    timeout: number,
    signal: AbortSignal | undefined,
  ) {
    super(resultKeys, noreply, timeout, signal);
    this.#verb = verb;
    this.#items = items;
    holdForItems(this, items);
  }

  protected get verb(): string {
    return this.#verb;
  }

  get command(): CommandId {
    return Command.setMulti;
  }

  protected succeeded(kind: number): boolean | undefined {
    return stored(kind);
  }

  override get stores(): boolean {
    return true;
  }

  override onReply(kind: number, buf: Buffer, rec: Uint32Array, off: number): boolean {
    if (kind === ReplyKind.CLIENT_ERROR) refusedCommandLine(this, this.#verb, buf, rec, off);
    return super.onReply(kind, buf, rec, off);
  }

  encode(w: CommandWriter): void {
    for (const item of this.#items) encodeStorage(w, this.#verb, item.key, item.value, item.exptime, undefined, this.noreply);
  }
}
