/**
 * Keyv keys are any strings; a memcached key is at most 250 bytes, with no space or control byte.
 * The part of a key the adapter sends after `namespace:generation:` goes as it is when it can, else
 * in a form no part sent as it is takes: a part sent as it is never starts with '~' (one that does
 * is escaped too); an escaped part is '~' and the base64url of its UTF-8 bytes; one whose escape
 * would not fit, or that is not well-formed UTF-16, is '~~' and the base64url of the SHA-256 of its
 * UTF-16 code units (base64url has no '~', so the two escapes cannot meet either).
 */
import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';

/** memcached's key limit (KEY_MAX_LENGTH). */
const MEMCACHED_KEY_BYTES = 250;

/** Bytes a generation takes in a key with its ':' (a 64-bit counter in base 36 is 13 characters). */
const GENERATION_BYTES = 14;

/** Bytes a hashed part takes: '~~' and the base64url of a SHA-256. */
const HASHED_PART_BYTES = 45;

const TILDE = 0x7e;

/** Any character that is not a printable ASCII byte (0x21-0x7e): the slow path sorts it out. */
const NOT_PRINTABLE_ASCII = /[^\x21-\x7e]/;

const SPACE_OR_CONTROL = /[\x00-\x20\x7f]/;

/** `String#isWellFormed` (Node 20+; ES2024, past this project's `lib`). */
const isWellFormed = (String.prototype as unknown as { isWellFormed(this: string): boolean }).isWellFormed;

/**
 * Bytes left for the key's own part under the namespace `base` (`namespace:`, as sent), in keys
 * of at most `keyBytes` (what the client takes: memcached's 250, less its keyPrefix...).
 */
export function roomUnder(base: string, keyBytes: number = MEMCACHED_KEY_BYTES): number {
  return keyBytes - Buffer.byteLength(base) - GENERATION_BYTES;
}

/** Whether `room` bytes (roomUnder) take every key's part: a hashed one, the longest, fits. */
export function fitsEveryKey(room: number): boolean {
  return room >= HASHED_PART_BYTES;
}

/**
 * The longest key (in bytes) `accepts` takes, at most memcached's 250: found by halving, since a
 * client's own limit (its keyPrefix, maxKeyLength, binaryKeys) is not public.
 */
export function longestKey(accepts: (key: string) => boolean): number {
  let low = 0;
  let high = MEMCACHED_KEY_BYTES;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if (accepts('k'.repeat(mid))) low = mid;
    else high = mid - 1;
  }
  return low;
}

/**
 * A namespace as sent: escaped as a key's part is when it cannot go as it is, or when it is longer
 * than a hashed one and would not leave room, in keys of at most `keyBytes`, for its ':', a
 * generation and a hashed part (which any key fits in).
 */
export function sendableNamespace(namespace: string, keyBytes: number = MEMCACHED_KEY_BYTES): string {
  return sendablePart(namespace, Math.max(keyBytes - 1 - GENERATION_BYTES - HASHED_PART_BYTES, HASHED_PART_BYTES));
}

/**
 * `part` as sent (see the module comment), in at most `room` bytes when it goes as it is or
 * base64url-escaped; a hashed part takes 45 bytes whatever `room` says.
 */
export function sendablePart(part: string, room: number): string {
  // The common key: printable ASCII (one byte per character), short, not starting with '~'.
  if (part.length <= room && part.charCodeAt(0) !== TILDE && !NOT_PRINTABLE_ASCII.test(part)) return part;
  return escapedPart(part, room);
}

function escapedPart(part: string, room: number): string {
  if (isWellFormed.call(part)) {
    if (part.charCodeAt(0) !== TILDE && !SPACE_OR_CONTROL.test(part) && Buffer.byteLength(part) <= room) return part; // UTF-8 beyond ASCII
    const escaped = `~${Buffer.from(part, 'utf8').toString('base64url')}`;
    if (escaped.length <= room) return escaped;
  }
  return `~~${createHash('sha256').update(Buffer.from(part, 'utf16le')).digest('base64url')}`;
}
