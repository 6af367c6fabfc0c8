/**
 * The default serializer: python-memcached's flags for bytes, text and integers, msgpackr for
 * everything else (see flags.ts). Pluggable: any object with `serialize` and `deserialize` will do.
 */
import { C1, Packr } from 'msgpackr';
import { DeserializeError, FlagsError, SerializeError } from '../errors.js';
import { FLAG_BYTES, FLAG_COMPRESSED, FLAG_INTEGER, FLAG_LONG, FLAG_MSGPACK, FLAG_PICKLE, FLAG_TEXT, FLAG_ZSTD } from './flags.js';
import { utf8Text } from './text.js';

/** A value turned into bytes. A string stands for its UTF-8 bytes (saves a copy on the way out). */
export interface SerializedValue {
  bytes: Uint8Array | string;
  /** 32-bit flags stored with the item; bits 3 and 5 (8 zlib, 32 zstd: compressed) are the client's and must be clear. */
  flags: number;
}

export interface Serializer {
  serialize(value: unknown): SerializedValue;
  /** `bytes` belongs to the callee (already decompressed when bit 3 or 5 was set, which is cleared in `flags`). */
  deserialize(bytes: Buffer, flags: number): unknown;
}

/** Decimal text of at most this many characters always fits a safe integer. */
const SAFE_DIGITS = 15;

/**
 * The python-memcached compatible serializer. `deserializeRange` reads straight from the socket's
 * buffer, which is reused afterwards: whatever it returns must not alias `buf`.
 */
export class PythonCompatibleSerializer implements Serializer {
  // Records keep Map and class shapes; every message is self-contained (no shared structures).
  readonly #packr = new Packr({ moreTypes: true, copyBuffers: true, useBigIntExtension: true });

  serialize(value: unknown): SerializedValue {
    switch (typeof value) {
      case 'string':
        return { bytes: value, flags: FLAG_TEXT };
      case 'number':
        if (Number.isSafeInteger(value)) return { bytes: String(value), flags: FLAG_INTEGER };
        break;
      case 'bigint':
        // python's long: read back as a bigint whatever its size, so `get<bigint>` holds.
        return { bytes: value.toString(), flags: FLAG_LONG };
      case 'undefined':
        throw new SerializeError('undefined cannot be stored: get() could not tell it from a miss');
      case 'function':
      case 'symbol':
        throw new SerializeError(`a ${typeof value} cannot be stored`);
      default:
        if (value instanceof Uint8Array) return { bytes: value, flags: FLAG_BYTES };
    }
    try {
      return { bytes: this.#packr.pack(value), flags: FLAG_MSGPACK };
    } catch (cause) {
      throw new SerializeError(`msgpackr could not serialize the value: ${String(cause)}`, { cause });
    }
  }

  deserialize(bytes: Buffer, flags: number): unknown {
    return this.deserializeRange(bytes, 0, bytes.length, flags, true);
  }

  /** Whether `deserializeRange` reads `flags` (compression bits clear): the codec asks before decompressing. */
  reads(flags: number): boolean {
    return flags === FLAG_TEXT || flags === FLAG_BYTES || flags === FLAG_INTEGER || flags === FLAG_LONG || flags === FLAG_MSGPACK;
  }

  /** Reads `buf[start .. end)`; `owned` says whether the result may keep a view of `buf`. */
  deserializeRange(buf: Buffer, start: number, end: number, flags: number, owned: boolean): unknown {
    switch (flags) {
      case FLAG_TEXT:
        return utf8Text(buf, start, end);
      case FLAG_BYTES:
        return owned && start === 0 && end === buf.length ? buf : Buffer.from(buf.subarray(start, end));
      case FLAG_INTEGER:
        return parseInteger(buf, start, end);
      case FLAG_LONG:
        return BigInt(integerText(buf, start, end));
      case FLAG_MSGPACK:
        return this.#unpack(buf.subarray(start, end));
      default:
        throw unreadableFlags(flags);
    }
  }

  /** Exactly one msgpack value: msgpackr itself refuses trailing bytes, a truncated value and none. */
  #unpack(bytes: Buffer): unknown {
    let value: unknown;
    try {
      value = this.#packr.unpack(bytes);
    } catch (cause) {
      throw new DeserializeError(`corrupt msgpack value: ${String(cause)}`, { cause });
    }
    // msgpackr reads 0xc1, the byte msgpack never uses, as a marker object instead of failing.
    // Without that byte anywhere (a memchr) there is nothing to look for.
    if (bytes.includes(0xc1) && holdsC1(value)) throw new DeserializeError('corrupt msgpack value: byte 0xc1, which msgpack never uses');
    return value;
  }
}

/** The bits python-memcached's flags and ours give a meaning to. */
const KNOWN_BITS = FLAG_PICKLE | FLAG_INTEGER | FLAG_LONG | FLAG_COMPRESSED | FLAG_TEXT | FLAG_ZSTD | FLAG_MSGPACK;

/** The FlagsError for an item stored with `flags` (as stored, compression bits included) that cannot be read. */
export function unreadableFlags(flags: number): FlagsError {
  const unknown = (flags & ~KNOWN_BITS) >>> 0;
  if (unknown !== 0) return new FlagsError(flags, `flags ${flags}: unknown flag bits 0x${unknown.toString(16)}`);
  if (flags & FLAG_PICKLE) return new FlagsError(flags, `flags ${flags}: a Python pickle cannot be read`);
  return new FlagsError(flags, `flags ${flags}: a combination of flags no serializer here writes`);
}

/** Whether msgpackr's 0xc1 marker is anywhere in a decoded value (each object visited once). */
function holdsC1(value: unknown): boolean {
  const stack: unknown[] = [value];
  const seen = new Set<object>();
  while (stack.length > 0) {
    const item = stack.pop();
    if (item === C1) return true;
    if (typeof item !== 'object' || item === null || ArrayBuffer.isView(item) || seen.has(item)) continue;
    seen.add(item);
    if (item instanceof Map) for (const [k, v] of item) stack.push(k, v);
    else if (item instanceof Set) for (const v of item) stack.push(v);
    else for (const v of Object.values(item)) stack.push(v);
  }
  return false;
}

/** Flag 2 (python's int): a number when it is a safe integer, else a bigint (python 3 ints are unbounded). */
function parseInteger(buf: Buffer, start: number, end: number): number | bigint {
  const text = integerText(buf, start, end);
  if (text.length <= SAFE_DIGITS) return Number(text);
  const big = BigInt(text);
  return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
}

/** Decimal text (python's `%d`); memcached pads a shrunken incr/decr result with spaces, so they are trimmed. */
function integerText(buf: Buffer, start: number, end: number): string {
  while (end > start && buf[end - 1] === 0x20) end--;
  const text = buf.toString('latin1', start, end);
  if (!/^-?\d+$/.test(text)) throw new DeserializeError(`integer value is not decimal text: ${JSON.stringify(text.slice(0, 40))}`);
  return text;
}
