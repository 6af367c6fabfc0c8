/**
 * Many commands of one verb in one request (setMulti, deleteMulti: one per server), each answered
 * by one status line. Resolves with the result keys of the commands that did not succeed, a server
 * error line counting as not succeeded; with noreply, with none once sent.
 */
import { errorReply, unexpectedReply } from '../replies.js';
import { NoreplyRequest } from './noreply.js';

export abstract class BatchRequest extends NoreplyRequest<unknown[]> {
  readonly #resultKeys: readonly unknown[];
  #answered = 0;
  readonly #failed: unknown[] = [];

  /** Command i is reported as `resultKeys[i]`. */
  constructor(resultKeys: readonly unknown[], noreply: boolean, timeout: number, signal: AbortSignal | undefined) {
    super(noreply, timeout, signal);
    this.#resultKeys = resultKeys;
  }

  /** The command verb, for errors. */
  protected abstract get verb(): string;

  override get keyCount(): number {
    return this.#resultKeys.length;
  }

  /** Whether a status reply means success; undefined when it is no status reply to this verb. */
  protected abstract succeeded(kind: number): boolean | undefined;

  override onSent(): void {
    this.resolve([]);
  }

  onReply(kind: number, buf: Buffer, rec: Uint32Array, off: number): boolean {
    const ok = this.succeeded(kind);
    if (ok === undefined && errorReply(kind, buf, rec, off, this.server) === undefined) {
      throw unexpectedReply(kind, this.verb, this.server);
    }
    if (ok !== true) this.#failed.push(this.#resultKeys[this.#answered]);
    if (++this.#answered < this.#resultKeys.length) return false;
    this.resolve(this.#failed);
    return true;
  }
}
