/** `mn`: the end of a batch of quiet commands; its `MN` proves every command before it that got no failure reply succeeded. */
import { Command, type CommandId } from '../../observability/metrics.js';
import type { CommandWriter } from '../command-writer.js';
import { ReplyKind, unexpectedReply } from '../replies.js';
import { Request } from '../request.js';
import { encodeMetaNoop } from './commands.js';

/** Written by the connection itself after quiet commands; no caller waits on it, so it weighs nothing. */
export class NoopRequest extends Request<void> {
  constructor() {
    super(Infinity, undefined);
    this.weight = 0;
    this.deadline = Infinity; // the quiet commands before it carry the deadlines
    this.promise.catch(() => {}); // nobody awaits it: failing with its connection is no unhandled rejection
  }

  get command(): CommandId {
    return Command.version;
  }

  override get keyCount(): number {
    return 0;
  }

  encode(w: CommandWriter): void {
    encodeMetaNoop(w);
  }

  onReply(kind: number): boolean {
    if (kind !== ReplyKind.META_MN) throw unexpectedReply(kind, 'mn', this.server);
    this.resolve();
    return true;
  }
}
