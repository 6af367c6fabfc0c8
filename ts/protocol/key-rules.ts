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
  return withPrefix(wireForm(key), key, prefix, maxKeyLength, MEMCACHED_MAX_KEY_LENGTH, "memcached's key limit");
}

/** Wire form of a key prefix (may be empty); same byte rules as keys. */
export function wirePrefix(prefix: unknown): string {
  return wireForm(prefix);
}

/**
 * Longest binary key, prefix included: sent base64 (4 characters per 3 bytes, padded), and
 * 4 * ceil(186 / 3) = 248 fits memcached's 250 where 187 bytes (252) would not.
 */
export const BINARY_MAX_KEY_LENGTH = 186;

/**
 * The binaryKeys rule: `prefix + key` may hold any bytes (the meta protocol sends it base64 with
 * the `b` flag, so no byte can end or split the command line). Its wire form is still one
 * character per byte, so it is hashed and routed as its bytes. Rejected: a key that is not a
 * string or bytes, an empty key, a string that is not well-formed UTF-16, and more than
 * `maxKeyLength` or BINARY_MAX_KEY_LENGTH bytes with the prefix.
 */
export function binaryWireKey(key: unknown, prefix: string, maxKeyLength: number): string {
  return withPrefix(binaryWireForm(key), key, prefix, maxKeyLength, BINARY_MAX_KEY_LENGTH, "memcached's key limit for a binary key (250 in base64)");
}

/** Wire form of a key prefix under the binaryKeys rule (may be empty): any bytes. */
export function binaryWirePrefix(prefix: unknown): string {
  return binaryWireForm(prefix);
}

/** How keys are checked and put in wire form: the text rule, or binaryKeys' any bytes. */
export interface KeyRules {
  wireKey(key: unknown, prefix: string, maxKeyLength: number): string;
  wirePrefix(prefix: unknown): string;
  /** Longest wire key (prefix included) whatever maxKeyLength says. */
  readonly maxLength: number;
}

export const TEXT_KEY_RULES: KeyRules = Object.freeze({ wireKey, wirePrefix, maxLength: MEMCACHED_MAX_KEY_LENGTH });
export const BINARY_KEY_RULES: KeyRules = Object.freeze({ wireKey: binaryWireKey, wirePrefix: binaryWirePrefix, maxLength: BINARY_MAX_KEY_LENGTH });

/** `prefix + body`, refused when empty or past `maxKeyLength` or the server's `serverLimit`. */
function withPrefix(body: string, key: unknown, prefix: string, maxKeyLength: number, serverLimit: number, serverLimitName: string): string {
  if (body.length === 0) throw new KeyError('key is empty');
  const wire = prefix.length === 0 ? body : prefix + body;
  // memcached's limit holds whatever the caller allows: past it, the server refuses a storage
  // command line without reading its data block, and runs the value's bytes as commands.
  if (wire.length > maxKeyLength || wire.length > serverLimit) {
    const limit = Math.min(maxKeyLength, serverLimit);
    const name = limit === maxKeyLength ? 'maxKeyLength' : serverLimitName;
    throw new KeyError(`key is ${wire.length} bytes with its prefix; ${name} is ${limit}: ${describe(key)}`);
  }
  return wire;
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

/** Any character past ASCII: such a string's wire form is its UTF-8 bytes, not its characters. */
const NOT_ASCII = /[^\x00-\x7f]/;

/** Wire form under the binaryKeys rule: a string's UTF-8 bytes, or the bytes given; any byte allowed. */
function binaryWireForm(key: unknown): string {
  if (typeof key === 'string') return NOT_ASCII.test(key) ? utf8Key(key).toString('latin1') : key;
  if (key instanceof Uint8Array) return Buffer.from(key.buffer, key.byteOffset, key.length).toString('latin1');
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
