/** Commands about the server rather than a key: stats, flush_all, version. */
import type { CommandWriter } from '../command-writer.js';
import { fieldA, fieldB, ReplyKind } from '../replies.js';
import { Command, type CommandId } from '../../observability/metrics.js';
import { Request } from '../request.js';
import { encodeFlushAll, encodeStats, encodeVersion } from '../text-commands.js';

/** `stats [args]`: STAT lines until END; resolves with name -> value (text, as the server sent it). */
export class StatsRequest extends Request<Record<string, string>> {
  readonly #args: string;
  readonly #stats: Record<string, string> = {};

  constructor(args: string, timeout: number, signal: AbortSignal | undefined) {
    super(timeout, signal);
    this.#args = args;
  }

  get command(): CommandId {
    return Command.stats;
  }

  override get keyCount(): number {
    return 0;
  }

  override get idempotent(): boolean {
    return true;
  }

  encode(w: CommandWriter): void {
    encodeStats(w, this.#args);
  }

  onReply(kind: number, buf: Buffer, rec: Uint32Array, off: number): boolean {
    switch (kind) {
      case ReplyKind.STAT:
        this.#stats[fieldA(buf, rec, off)] = fieldB(buf, rec, off);
        return false;
      case ReplyKind.END:
      case ReplyKind.RESET: // `stats reset`
      case ReplyKind.OK: // `stats detail on|off`
        this.resolve(this.#stats);
        return true;
      default:
        return this.rejectWithErrorReply('stats', kind, buf, rec, off);
    }
  }
}

/** `flush_all [delay]`: resolves once the server said OK. */
export class FlushAllRequest extends Request<void> {
  readonly #delay: number;

  constructor(delay: number, timeout: number, signal: AbortSignal | undefined) {
    super(timeout, signal);
    this.#delay = delay;
  }

  get command(): CommandId {
    return Command.flushAll;
  }

  override get keyCount(): number {
    return 0;
  }

  encode(w: CommandWriter): void {
    encodeFlushAll(w, this.#delay);
  }

  onReply(kind: number, buf: Buffer, rec: Uint32Array, off: number): boolean {
    if (kind !== ReplyKind.OK) return this.rejectWithErrorReply('flush_all', kind, buf, rec, off);
    this.resolve();
    return true;
  }
}

/** `version`: resolves with the server's version text. */
export class VersionRequest extends Request<string> {
  get command(): CommandId {
    return Command.version;
  }

  override get keyCount(): number {
    return 0;
  }

  override get idempotent(): boolean {
    return true;
  }

  encode(w: CommandWriter): void {
    encodeVersion(w);
  }

  onReply(kind: number, buf: Buffer, rec: Uint32Array, off: number): boolean {
    if (kind !== ReplyKind.VERSION) return this.rejectWithErrorReply('version', kind, buf, rec, off);
    this.resolve(fieldA(buf, rec, off));
    return true;
  }
}
