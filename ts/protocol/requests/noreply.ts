/**
 * Commands that may be sent with `noreply` (storage, delete, incr / decr and their batches): then
 * the server sends nothing back, so the connection does not wait for a reply and `onSent` settles
 * the request once it is written.
 */
import { ReplyMode, Request } from '../request.js';

export abstract class NoreplyRequest<T> extends Request<T> {
  /** Sent with `noreply`: no reply will come. */
  protected readonly noreply: boolean;

  constructor(noreply: boolean, timeout: number, signal: AbortSignal | undefined) {
    super(timeout, signal);
    this.noreply = noreply;
  }

  override get replyMode(): ReplyMode {
    return this.noreply ? ReplyMode.NEVER : ReplyMode.ALWAYS;
  }

  /** With `noreply`: resolves with what the caller gets when the server says nothing. */
  abstract override onSent(): void;
}
