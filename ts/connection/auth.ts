/**
 * memcached ASCII authentication (`-Y`): every new connection first sends a `set` whose data is
 * `<username> <password>` and waits for STORED before any other command. Any error line is an
 * AuthError, which fails everything queued on that connection.
 */
import { AuthError } from '../errors.js';
import { Command, type CommandId } from '../observability/metrics.js';
import type { CommandWriter } from '../protocol/command-writer.js';
import { errorReply, ReplyKind, unexpectedReply } from '../protocol/replies.js';
import { Request } from '../protocol/request.js';
import { encodeAuth } from '../protocol/text-commands.js';

export interface AuthCredentials {
  readonly username: string;
  readonly password: string;
}

/** The handshake request; the connection writes it before anything else. */
export class AuthRequest extends Request<void> {
  readonly #username: string;
  readonly #password: string;

  constructor(credentials: AuthCredentials, timeout: number) {
    super(timeout, undefined);
    this.#username = credentials.username;
    this.#password = credentials.password;
  }

  /** On the wire it is a `set`; written by the connection itself, it is never counted or traced. */
  get command(): CommandId {
    return Command.set;
  }

  encode(w: CommandWriter): void {
    encodeAuth(w, this.#username, this.#password);
  }

  onReply(kind: number, buf: Buffer, rec: Uint32Array, off: number): boolean {
    if (kind === ReplyKind.STORED) {
      this.resolve();
      return true;
    }
    const error = errorReply(kind, buf, rec, off, this.server);
    if (error === undefined) throw unexpectedReply(kind, 'authentication', this.server);
    this.reject(new AuthError(`authentication refused: ${error.message}`, { server: this.server, cause: error }));
    return true;
  }
}
