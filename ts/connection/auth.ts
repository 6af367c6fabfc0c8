/**
 * memcached ASCII authentication (`-Y`). A new connection first asks `version`: a server started
 * with `-Y` refuses it (`CLIENT_ERROR unauthenticated`), and only then are the credentials sent,
 * as a `set` whose data is `<username> <password>`, waiting for STORED before any other command.
 * A server that answers `version` did not ask for a login: sending the credentials there would
 * store them as an ordinary item named `auth`, readable by anyone, so the connection fails with an
 * AuthError instead and nothing secret is written.
 */
import { AuthError } from '../errors.js';
import { Command, type CommandId } from '../observability/metrics.js';
import type { CommandWriter } from '../protocol/command-writer.js';
import { errorReply, isUnauthenticated, ReplyKind, unexpectedReply } from '../protocol/replies.js';
import { Request } from '../protocol/request.js';
import { encodeAuth, encodeVersion } from '../protocol/text-commands.js';

export interface AuthCredentials {
  readonly username: string;
  readonly password: string;
}

/** Writes a handshake request alone on the connection and resolves with its reply. */
export type HandshakeSender = <T>(request: Request<T>) => Promise<T>;

/** Logs in on a fresh connection; rejects with an AuthError when the server refused or never asked. */
export async function authenticate(credentials: AuthCredentials, timeout: number, server: string, send: HandshakeSender): Promise<void> {
  const asked = await send(new AuthProbeRequest(timeout));
  if (!asked) {
    throw new AuthError(
      `${server} does not require authentication (it answered version before any login), so the credentials were not sent; remove the auth option, or start memcached with -Y`,
      { server },
    );
  }
  await send(new AuthRequest(credentials, timeout));
}

/** `version` before login: true when the server refused it for want of one. */
class AuthProbeRequest extends Request<boolean> {
  constructor(timeout: number) {
    super(timeout, undefined);
  }

  get command(): CommandId {
    return Command.version;
  }

  encode(w: CommandWriter): void {
    encodeVersion(w);
  }

  onReply(kind: number, buf: Buffer, rec: Uint32Array, off: number): boolean {
    if (kind === ReplyKind.VERSION) this.resolve(false);
    else if (isUnauthenticated(kind, buf, rec, off)) this.resolve(true);
    else this.reject(refused(kind, buf, rec, off, this.server, 'version before login'));
    return true;
  }
}

/** The login itself; written by the connection, it is never counted or traced. */
class AuthRequest extends Request<void> {
  readonly #username: string;
  readonly #password: string;

  constructor(credentials: AuthCredentials, timeout: number) {
    super(timeout, undefined);
    this.#username = credentials.username;
    this.#password = credentials.password;
  }

  /** On the wire it is a `set`. */
  get command(): CommandId {
    return Command.set;
  }

  encode(w: CommandWriter): void {
    encodeAuth(w, this.#username, this.#password);
  }

  onReply(kind: number, buf: Buffer, rec: Uint32Array, off: number): boolean {
    if (kind === ReplyKind.STORED) this.resolve();
    else this.reject(refused(kind, buf, rec, off, this.server, 'authentication'));
    return true;
  }
}

function refused(kind: number, buf: Buffer, rec: Uint32Array, off: number, server: string, what: string): AuthError {
  const error = errorReply(kind, buf, rec, off, server);
  if (error === undefined) throw unexpectedReply(kind, what, server);
  return new AuthError(`authentication refused: ${error.message}`, { server, cause: error });
}
