/**
 * Whether a server speaks the meta protocol, asked once per server by its first connection: `mn`
 * alone, before anything else. memcached 1.6 answers `MN`; older memcached and proxies without
 * meta answer `ERROR` (twemproxy hangs up instead, which the connection takes as a no). A memcached
 * at its connection limit answers nothing about meta: the connection fails, and the next asks.
 */
import { ConnectionError } from '../errors.js';
import { Command, type CommandId } from '../observability/metrics.js';
import type { CommandWriter } from '../protocol/command-writer.js';
import { encodeMetaNoop } from '../protocol/meta/commands.js';
import { isConnectionLimit, ReplyKind, unexpectedReply } from '../protocol/replies.js';
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

  onReply(kind: number, buf: Buffer, rec: Uint32Array, off: number): boolean {
    if (kind === ReplyKind.META_MN) this.resolve(true);
    else if (isConnectionLimit(kind, buf, rec, off)) this.reject(new ConnectionError(`${this.server} refused the connection: it is at its connection limit (ERROR Too many open connections)`, { server: this.server }));
    else if (kind === ReplyKind.ERROR || kind === ReplyKind.CLIENT_ERROR) this.resolve(false);
    else throw unexpectedReply(kind, 'mn (does the server speak meta?)', this.server);
    return true;
  }
}
