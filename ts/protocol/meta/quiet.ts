/**
 * Meta commands sent quiet (`q`): the server answers only a failure, so a batch of them costs one
 * reply line (the `MN` of the `mn` after it) instead of one per command. With `noreply` the caller
 * is answered once the command is written; a failure the server reports later is still counted
 * and published (Request.reportLateFailure) instead of being lost as text `noreply` loses it.
 */
import type { MemcacheError } from '../../errors.js';
import { errorReply, ReplyKind, unexpectedReply } from '../replies.js';
import { ReplyMode, Request } from '../request.js';
import { refusedCommandLine } from '../requests/storage.js';

export abstract class QuietRequest<T> extends Request<T> {
  protected readonly noreply: boolean;

  constructor(noreply: boolean, timeout: number, signal: AbortSignal | undefined) {
    super(timeout, signal);
    this.noreply = noreply;
  }

  override get replyMode(): ReplyMode {
    return ReplyMode.ON_FAILURE;
  }

  /** What the caller gets: on success, and at once with noreply. */
  protected abstract get succeededWith(): T;

  /** The command's name, for errors. */
  protected abstract get verb(): string;

  override onSent(): void {
    if (this.noreply) this.resolve(this.succeededWith);
  }

  override onQuietSuccess(): void {
    this.resolve(this.succeededWith);
  }

  /** Settles with an outcome the server reported (a miss, not stored): no error either way. */
  protected settleWith(value: T): true {
    this.resolve(value);
    return true;
  }

  /**
   * An error line (CLIENT_ERROR, SERVER_ERROR, ERROR): rejects, or reports it when the caller was
   * answered already. A CLIENT_ERROR to a command that stores ends the connection (its data may
   * have run as commands). Any other record cannot answer the command: a ProtocolError.
   */
  protected failWith(kind: number, buf: Buffer, rec: Uint32Array, off: number): true {
    if (kind === ReplyKind.CLIENT_ERROR && this.stores) refusedCommandLine(this, this.verb, buf, rec, off);
    const error = errorReply(kind, buf, rec, off, this.server);
    if (error === undefined) throw unexpectedReply(kind, this.verb, this.server);
    this.failQuietly(error);
    return true;
  }

  /** Fails the call, or, when the caller was answered already (noreply), reports the failure. */
  failQuietly(error: MemcacheError): void {
    if (this.settled) this.reportLateFailure(error);
    else this.reject(error);
  }
}
