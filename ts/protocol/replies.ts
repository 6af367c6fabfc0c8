/**
 * The memcached text protocol, inbound: reading the scanner's records (see core/contract.ts).
 * Requests use these to turn records into results; nothing here keeps state.
 */
import { F_A_LEN, F_A_START, F_B_LEN, F_B_START, F_C_LEN, F_C_START, ReplyKind } from '../core/index.js';
import { ClientError, ProtocolError, ServerError, UnknownCommandError, type MemcacheError } from '../errors.js';

export { ReplyKind };

/** The error a CLIENT_ERROR / SERVER_ERROR / ERROR record stands for; undefined for other kinds. */
export function errorReply(kind: number, buf: Buffer, rec: Uint32Array, off: number, server: string): MemcacheError | undefined {
  switch (kind) {
    case ReplyKind.CLIENT_ERROR:
      return new ClientError(`CLIENT_ERROR ${fieldA(buf, rec, off)}`, { server });
    case ReplyKind.SERVER_ERROR:
      return new ServerError(`SERVER_ERROR ${fieldA(buf, rec, off)}`, { server });
    case ReplyKind.ERROR:
      return new UnknownCommandError('ERROR: the server does not know the command', { server });
    default:
      return undefined;
  }
}

const UNAUTHENTICATED = 'unauthenticated';

/**
 * `CLIENT_ERROR unauthenticated`: a server started with `-Y` refused a command before login. It
 * answers one such line for a whole read of pipelined commands, so the stream is out of step.
 */
export function isUnauthenticated(kind: number, buf: Buffer, rec: Uint32Array, off: number): boolean {
  if (kind !== ReplyKind.CLIENT_ERROR || rec[off + F_A_LEN] !== UNAUTHENTICATED.length) return false;
  return fieldA(buf, rec, off) === UNAUTHENTICATED;
}

const CONNECTION_LIMIT = 'Too many open connections';

/**
 * `ERROR Too many open connections`: memcached at its connection limit (`-c`) writes it to a
 * connection it accepted only to refuse, and closes it: no answer to what was sent.
 */
export function isConnectionLimit(kind: number, buf: Buffer, rec: Uint32Array, off: number): boolean {
  if (kind !== ReplyKind.ERROR || rec[off + F_A_LEN] !== CONNECTION_LIMIT.length) return false;
  return fieldA(buf, rec, off) === CONNECTION_LIMIT;
}

/** A reply that cannot answer the request it arrived for. The connection must be closed. */
export function unexpectedReply(kind: number, request: string, server: string): ProtocolError {
  const name = ReplyKind[kind] ?? `kind ${kind}`;
  return new ProtocolError(`unexpected ${name} reply to ${request}`, { server });
}

/** Field A as text (an error message, a STAT name, a version). */
export function fieldA(buf: Buffer, rec: Uint32Array, off: number): string {
  const start = rec[off + F_A_START];
  return buf.toString('latin1', start, start + rec[off + F_A_LEN]);
}

/** Field B as text (a STAT value). */
export function fieldB(buf: Buffer, rec: Uint32Array, off: number): string {
  const start = rec[off + F_B_START];
  return buf.toString('latin1', start, start + rec[off + F_B_LEN]);
}

/** A NUMBER record's value: a number while it is a safe integer, a bigint past 2^53. */
export function numberReply(buf: Buffer, rec: Uint32Array, off: number): number | bigint {
  const start = rec[off + F_A_START];
  const len = rec[off + F_A_LEN];
  if (len <= 15) {
    let n = 0;
    for (let i = start; i < start + len; i++) n = n * 10 + (buf[i] - 0x30);
    return n;
  }
  const big = BigInt(buf.toString('latin1', start, start + len));
  return big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
}

/** A VALUE record's cas unique as a bigint; undefined when the reply carried none. */
export function casReply(buf: Buffer, rec: Uint32Array, off: number): bigint | undefined {
  const len = rec[off + F_C_LEN];
  if (len === 0) return undefined;
  const start = rec[off + F_C_START];
  return BigInt(buf.toString('latin1', start, start + len));
}
