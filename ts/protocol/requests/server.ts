/** Commands about the server rather than a key: stats, flush_all, version. */
import type { CommandWriter } from '../command-writer.js';
import { fieldA, fieldB, ReplyKind } from '../replies.js';
import { Command, type CommandId } from '../../observability/metrics.js';
import { Request } from '../request.js';
import { encodeFlushAll, encodeStats, encodeVersion } from '../text-commands.js';

/**
 * A command about the server: it carries no key. Idempotent is left to each command: stats and
 * version only read, while a repeated flush_all would also drop what was stored in between.
 */
abstract class ServerRequest<T> extends Request<T> {
  override get keyCount(): number {
    return 0;
  }
}

/** `stats [args]`: STAT lines until END; resolves with name -> value (text, as the server sent it). */
export class StatsRequest extends ServerRequest<Record<string, string>> {
  readonly #args: string;
  readonly #stats: Record<string, string> = {};

  constructor(args: string, timeout: number, signal: AbortSignal | undefined) {
    super(timeout, signal);
    this.#args = args;
  }

  get command(): CommandId {
    return Command.stats;
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
export class FlushAllRequest extends ServerRequest<void> {
  readonly #delay: number;

  constructor(delay: number, timeout: number, signal: AbortSignal | undefined) {
    super(timeout, signal);
    this.#delay = delay;
  }

  get command(): CommandId {
    return Command.flushAll;
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
export class VersionRequest extends ServerRequest<string> {
  get command(): CommandId {
    return Command.version;
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
