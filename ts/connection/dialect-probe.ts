/**
 * Whether a server speaks the meta protocol, asked once per server by its first connection: `mn`
 * alone, before anything else. memcached 1.6 answers `MN`; older memcached and proxies without
 * meta answer `ERROR` (twemproxy hangs up instead, which the connection takes as a no).
 */
import { Command, type CommandId } from '../observability/metrics.js';
import type { CommandWriter } from '../protocol/command-writer.js';
import { encodeMetaNoop } from '../protocol/meta/commands.js';
import { ReplyKind, unexpectedReply } from '../protocol/replies.js';
import { Request } from '../protocol/request.js';

export class DialectProbeRequest extends Request<boolean> {
  constructor(timeout: number) {
    super(timeout, undefined);
  }

  get command(): CommandId {
    return Command.version;
  }

  encode(w: CommandWriter): void {
    encodeMetaNoop(w);
  }

  onReply(kind: number): boolean {
    if (kind === ReplyKind.META_MN) this.resolve(true);
    else if (kind === ReplyKind.ERROR || kind === ReplyKind.CLIENT_ERROR) this.resolve(false);
    else throw unexpectedReply(kind, 'mn (does the server speak meta?)', this.server);
    return true;
  }
}
