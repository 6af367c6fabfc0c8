/**
 * Keyv 5's default deserializer (@keyv/serialize's `defaultDeserialize`) without its reviver: V8's
 * reviver path costs ~3x a plain JSON.parse on Keyv's `{"value":...,"expires":...}`, so this parses
 * plainly and then walks the result once, doing to each string value what the reviver does.
 */
import { Buffer } from 'node:buffer';

const COLON = 0x3a;
const BASE64 = ':base64:';

/**
 * What @keyv/serialize's `defaultDeserialize(data)` returns, value for value: at any depth (the
 * root too), a string value starting with ':base64:' becomes the Buffer it encodes, and any other
 * starting with ':' loses that one ':'. Keys are left as they are. Throws JSON.parse's SyntaxError.
 */
export function deserializeKeyv(data: string): unknown {
  return revived(JSON.parse(data));
}

/** `value` with Keyv's escapes undone: containers in place, strings as new strings. */
function revived(value: unknown): unknown {
  if (typeof value === 'string') return value.charCodeAt(0) === COLON ? unescaped(value) : value;
  if (typeof value === 'object' && value !== null) {
    if (Array.isArray(value)) reviveItems(value);
    else reviveProperties(value as Record<string, unknown>);
  }
  return value;
}

/** A string Keyv's serializer escaped (it starts with ':'): a Buffer, or the string without its first ':'. */
function unescaped(text: string): string | Buffer {
  return text.startsWith(BASE64) ? Buffer.from(text.slice(BASE64.length), 'base64') : text.slice(1);
}

function reviveItems(items: unknown[]): void {
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    const next = revived(item);
    if (next !== item) items[i] = next;
  }
}

/**
 * Own keys only (Object.keys, not for-in: an enumerable property added to Object.prototype is not
 * the data's), and only the values that changed are written.
 */
function reviveProperties(record: Record<string, unknown>): void {
  const keys = Object.keys(record);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    const item = record[key];
    const next = revived(item);
    if (next !== item) write(record, key, next);
  }
}

/**
 * Replaces an own property's value. JSON.parse makes "__proto__" an own data property, which an
 * assignment would also hit, but one slip (a property not own) would set the prototype: define it.
 */
function write(record: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(record, key, { value, writable: true, enumerable: true, configurable: true });
  else record[key] = value;
}
