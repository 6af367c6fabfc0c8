/**
 * The memcached text protocol, outbound: every command as bytes in a CommandWriter. Arguments
 * arrive validated (keys in wire form, integers in range); nothing here can fail.
 */
import type { MemcacheError } from '../errors.js';
import type { CommandWriter } from './command-writer.js';

export type StorageVerb = 'set' | 'add' | 'replace' | 'append' | 'prepend' | 'cas';
export type RetrievalVerb = 'get' | 'gets' | 'gat' | 'gats';
export type ArithVerb = 'incr' | 'decr';

/**
 * A value's bytes (a string stands for its UTF-8 bytes) and their count. While `pending` (the
 * bytes are being made off the main thread), the fields are not final; once it settles, either
 * they are or `error` says why the value cannot be stored (see Request.holdFor).
 */
export interface Payload {
  readonly data: Uint8Array | string;
  readonly length: number;
  readonly flags: number;
  readonly pending?: Promise<void> | undefined;
  readonly error?: MemcacheError | undefined;
}

/** Keys per retrieval line are capped by bytes, so no request line grows without bound. */
const MAX_RETRIEVAL_LINE = 8 * 1024;
/**
 * memcached closes a connection whose command line passes 2048 bytes before its \n has arrived,
 * unless it is a get/gets: so gat/gats lines stay under that, however the network splits them.
 */
const MAX_TOUCH_LINE = 2048;

/** `<verb> <key> <flags> <exptime> <bytes> [<cas>] [noreply]\r\n<data>\r\n` */
export function encodeStorage(
  w: CommandWriter,
  verb: StorageVerb,
  key: string,
  value: Payload,
  exptime: number,
  cas: string | undefined,
  noreply: boolean,
): void {
  let line = `${verb} ${key} ${value.flags} ${exptime} ${value.length}`;
  if (cas !== undefined) line += ` ${cas}`;
  w.latin1(noreply ? `${line} noreply\r\n` : `${line}\r\n`);
  if (typeof value.data === 'string') w.utf8(value.data, value.length);
  else w.bytes(value.data);
  w.latin1('\r\n');
}

/**
 * `get|gets <key>*\r\n` or `gat|gats <exptime> <key>*\r\n` for `keys`, split over as many lines as
 * needed. Returns the number of lines written: each is answered by its own `END`.
 */
export function encodeRetrieval(w: CommandWriter, verb: RetrievalVerb, exptime: number, keys: readonly string[]): number {
  const touch = verb === 'gat' || verb === 'gats';
  const head = touch ? `${verb} ${exptime}` : verb;
  const max = touch ? MAX_TOUCH_LINE : MAX_RETRIEVAL_LINE;
  let lines = 0;
  let from = 0;
  let length = head.length;
  for (let i = 0; i < keys.length; i++) {
    if (i > from && length + keys[i].length + 3 > max) {
      writeRetrievalLine(w, head, keys, from, i);
      lines++;
      from = i;
      length = head.length;
    }
    length += keys[i].length + 1;
  }
  writeRetrievalLine(w, head, keys, from, keys.length);
  return lines + 1;
}

/** `<head> keys[from] .. keys[to - 1]\r\n`; `join` builds one flat string, cheaper to write than a chain of `+=`. */
function writeRetrievalLine(w: CommandWriter, head: string, keys: readonly string[], from: number, to: number): void {
  if (to - from === 1) w.latin1(`${head} ${keys[from]}\r\n`);
  else w.latin1(`${head} ${(from === 0 && to === keys.length ? keys : keys.slice(from, to)).join(' ')}\r\n`);
}

export function encodeDelete(w: CommandWriter, key: string, noreply: boolean): void {
  w.latin1(noreply ? `delete ${key} noreply\r\n` : `delete ${key}\r\n`);
}

/** `delta` is decimal digits (validated, at most 2^64-1). */
export function encodeArith(w: CommandWriter, verb: ArithVerb, key: string, delta: string, noreply: boolean): void {
  w.latin1(noreply ? `${verb} ${key} ${delta} noreply\r\n` : `${verb} ${key} ${delta}\r\n`);
}

export function encodeTouch(w: CommandWriter, key: string, exptime: number, noreply: boolean): void {
  w.latin1(noreply ? `touch ${key} ${exptime} noreply\r\n` : `touch ${key} ${exptime}\r\n`);
}

/** `args`: '' or space-separated tokens (validated). */
export function encodeStats(w: CommandWriter, args: string): void {
  w.latin1(args === '' ? 'stats\r\n' : `stats ${args}\r\n`);
}

export function encodeFlushAll(w: CommandWriter, delay: number): void {
  w.latin1(delay === 0 ? 'flush_all\r\n' : `flush_all ${delay}\r\n`);
}

export function encodeVersion(w: CommandWriter): void {
  w.latin1('version\r\n');
}

/** memcached ASCII authentication (`-Y`): a `set` whose data is `<username> <password>`; the key is ignored. */
export function encodeAuth(w: CommandWriter, username: string, password: string): void {
  const data = `${username} ${password}`;
  encodeStorage(w, 'set', 'auth', { data, length: Buffer.byteLength(data), flags: 0 }, 0, undefined, false);
}
