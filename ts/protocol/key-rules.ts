/**
 * The one place keys are checked. A key travels as its "wire form": a string holding one
 * character per byte (latin1), so it can be written, compared and hashed without re-encoding.
 */
import { KeyError } from '../errors.js';

/** memcached's own limit (KEY_MAX_LENGTH). */
export const MEMCACHED_MAX_KEY_LENGTH = 250;

/**
 * Validates `prefix + key` and returns its wire form. `prefix` is already in wire form (see
 * `wirePrefix`). Rejected, always: a key that is not a string or bytes, an empty key, and any byte
 * 0x00-0x20 or 0x7f (control characters, space: they would split or end the command line, so a key
 * could smuggle a second command), and a string that is not well-formed UTF-16. Rejected when longer than `maxKeyLength` bytes, prefix included,
 * and always past memcached's 250 bytes.
 */
export function wireKey(key: unknown, prefix: string, maxKeyLength: number): string {
  const body = wireForm(key);
  if (body.length === 0) throw new KeyError('key is empty');
  const wire = prefix.length === 0 ? body : prefix + body;
  // memcached's limit holds whatever the caller allows: past it, the server refuses a storage
  // command line without reading its data block, and runs the value's bytes as commands.
  if (wire.length > maxKeyLength || wire.length > MEMCACHED_MAX_KEY_LENGTH) {
    const limit = Math.min(maxKeyLength, MEMCACHED_MAX_KEY_LENGTH);
    const name = limit === maxKeyLength ? 'maxKeyLength' : "memcached's key limit";
    throw new KeyError(`key is ${wire.length} bytes with its prefix; ${name} is ${limit}: ${describe(key)}`);
  }
  return wire;
}

/** Wire form of a key prefix (may be empty); same byte rules as keys. */
export function wirePrefix(prefix: unknown): string {
  return wireForm(prefix);
}

/** Any character that is not a printable ASCII byte (0x21-0x7e): the slow path sorts it out. */
const NOT_PRINTABLE_ASCII = /[^\x21-\x7e]/;

function wireForm(key: unknown): string {
  if (typeof key === 'string') {
    // One regex test beats a charCodeAt loop on typical keys (measured: ~25 vs ~35-50 ns for 17 chars).
    if (!NOT_PRINTABLE_ASCII.test(key)) return key;
    for (let i = 0; i < key.length; i++) {
      const c = key.charCodeAt(i);
      if (c <= 0x20 || c === 0x7f) throw badByte(key, c);
      if (c >= 0x80) return bytesWireForm(utf8Key(key), key);
    }
    return key;
  }
  if (key instanceof Uint8Array) return bytesWireForm(key, key);
  throw new KeyError(`key must be a string or bytes, not ${key === null ? 'null' : typeof key}`);
}

/** `String#isWellFormed` (Node 20+; ES2024, past this project's `lib`). */
const isWellFormed = (String.prototype as unknown as { isWellFormed(this: string): boolean }).isWellFormed;

/**
 * A non-ASCII key's UTF-8 bytes. A lone surrogate would encode to U+FFFD, so 'a\uD800' and
 * 'a\uDBFF' would be one key: such a string is refused (only here, off the ASCII fast path).
 */
function utf8Key(key: string): Buffer {
  if (!isWellFormed.call(key)) throw new KeyError(`key is not well-formed UTF-16 (a lone surrogate): ${describe(key)}`);
  return Buffer.from(key, 'utf8');
}

function bytesWireForm(bytes: Uint8Array, key: unknown): string {
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b <= 0x20 || b === 0x7f) throw badByte(key, b);
  }
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');
}

function badByte(key: unknown, byte: number): KeyError {
  const name = byte === 0x20 ? 'a space' : `control byte 0x${byte.toString(16).padStart(2, '0')}`;
  return new KeyError(`key contains ${name}: ${describe(key)}`);
}

/** A printable, bounded rendering of a key for error messages. */
function describe(key: unknown): string {
  const text = typeof key === 'string' ? key : Buffer.from(key as Uint8Array).toString('latin1');
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}...` : text);
}
