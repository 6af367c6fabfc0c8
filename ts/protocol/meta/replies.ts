/**
 * memcached's meta protocol, inbound: reading the scanner's meta records (layout in
 * core/contract.ts). A = the returned flags, C = the opaque, FLAGS = the client flags, B = data.
 */
import { F_A_LEN, F_A_START, F_C_LEN, F_C_START, ReplyKind } from '../../core/index.js';

/** Whether a record is a meta reply (which carries the opaque of the request it answers). */
export function isMetaReply(kind: number): boolean {
  return kind >= ReplyKind.META_HD;
}

/** Error lines carry no opaque: CLIENT_ERROR, SERVER_ERROR, ERROR. */
export function isErrorLine(kind: number): boolean {
  return kind === ReplyKind.CLIENT_ERROR || kind === ReplyKind.SERVER_ERROR || kind === ReplyKind.ERROR;
}

/** The opaque a meta reply echoes, as the number it was sent as; -1 when it has none (or not one of ours). */
export function replyOpaque(buf: Buffer, rec: Uint32Array, off: number): number {
  const len = rec[off + F_C_LEN];
  if (len === 0 || len > 10) return -1;
  const start = rec[off + F_C_START];
  let n = 0;
  for (let i = start; i < start + len; i++) {
    const digit = buf[i] - 0x30;
    if (digit < 0 || digit > 9) return -1;
    n = n * 10 + digit;
  }
  return n;
}

/** The returned flags of a meta reply as letter -> token (`t-1` -> t: '-1', `W` -> W: ''). */
export function returnedFlags(buf: Buffer, rec: Uint32Array, off: number): Map<string, string> {
  const flags = new Map<string, string>();
  const start = rec[off + F_A_START];
  const text = buf.toString('latin1', start, start + rec[off + F_A_LEN]);
  if (text === '') return flags;
  for (const token of text.split(' ')) flags.set(token[0], token.slice(1));
  return flags;
}
