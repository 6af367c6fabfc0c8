/**
 * Values to stored bytes and back: serializer, then compression when it pays, then the size limit.
 * The client encodes before anything is queued, so a value that cannot be stored is never sent.
 */
import { ArgumentError, SerializeError, ValueTooLargeError } from '../errors.js';
import { decompressTextValue, decompressValue, type Compressor } from './compression.js';
import { FLAG_COMPRESSED, FLAG_TEXT, MAX_FLAGS } from './flags.js';
import { PythonCompatibleSerializer, unreadableFlags, type Serializer } from './serializer.js';
import { utf8Text } from './text.js';

/** Bytes ready for a storage command; a string stands for its UTF-8 bytes, `length` is the byte count. */
export interface EncodedValue {
  readonly data: Uint8Array | string;
  readonly length: number;
  readonly flags: number;
}

export interface ValueCodecConfig {
  serializer: Serializer;
  compressor: Compressor;
  /** Compress values longer than this many bytes; 0 = only when a call asks for it. */
  compressionThreshold: number;
  maxValueLength: number;
  maxDecompressedLength: number;
}

export class ValueCodec {
  readonly #config: ValueCodecConfig;
  /** Set when the serializer is ours: it may read straight from the socket buffer. */
  readonly #fast: PythonCompatibleSerializer | undefined;

  constructor(config: ValueCodecConfig) {
    this.#config = config;
    this.#fast = config.serializer instanceof PythonCompatibleSerializer ? config.serializer : undefined;
  }

  /** `compress`: true = try whatever the size, false = never, undefined = above the threshold. */
  encode(value: unknown, compress: boolean | undefined): EncodedValue {
    const serialized = this.#config.serializer.serialize(value);
    const { bytes, flags } = serialized ?? {};
    if (typeof bytes !== 'string' && !(bytes instanceof Uint8Array)) {
      throw new SerializeError('serializer returned no bytes (expected a Uint8Array or string)');
    }
    if (!Number.isInteger(flags) || flags < 0 || flags > MAX_FLAGS || (flags & FLAG_COMPRESSED) !== 0) {
      throw new SerializeError(`serializer returned flags ${String(flags)}: need a u32 without bit 3 (compressed)`);
    }
    if (typeof bytes === 'string') return this.#encodeText(bytes, flags, compress);
    const threshold = this.#config.compressionThreshold;
    if (compress === true || (compress === undefined && threshold > 0 && bytes.length > threshold)) {
      const packed = this.#config.compressor.compress(bytes);
      if (packed.length < bytes.length) return this.#checked({ data: packed, length: packed.length, flags: flags | FLAG_COMPRESSED });
    }
    return this.#checked({ data: bytes, length: bytes.length, flags });
  }

  /**
   * A string's bytes are its UTF-8 form, at least one per character: a string longer than the
   * threshold is over it without counting its bytes, and a compressed form shorter than the
   * string is shorter than its bytes. The compressor takes the string itself when it can.
   */
  #encodeText(text: string, flags: number, compress: boolean | undefined): EncodedValue {
    const { compressor, compressionThreshold: threshold } = this.#config;
    let length = text.length > threshold ? -1 : Buffer.byteLength(text); // -1: not counted yet
    if (compress === true || (compress === undefined && threshold > 0 && (length < 0 || length > threshold))) {
      const packed = compressor.compressText?.(text) ?? compressor.compress(Buffer.from(text));
      if (length < 0 && packed.length >= text.length) length = Buffer.byteLength(text);
      if (packed.length < (length < 0 ? text.length : length)) {
        return this.#checked({ data: packed, length: packed.length, flags: flags | FLAG_COMPRESSED });
      }
    }
    return this.#checked({ data: text, length: length < 0 ? Buffer.byteLength(text) : length, flags });
  }

  /** Bytes for append/prepend: no flags (the server keeps the item's), never compressed. */
  encodeRaw(value: unknown): EncodedValue {
    if (typeof value === 'string') return this.#checked({ data: value, length: Buffer.byteLength(value), flags: 0 });
    if (value instanceof Uint8Array) return this.#checked({ data: value, length: value.length, flags: 0 });
    throw new ArgumentError('append/prepend take a string or bytes');
  }

  /** Decodes `buf[start .. end)` stored with `flags`. The result never aliases `buf`. */
  decode(buf: Buffer, start: number, end: number, flags: number): unknown {
    const fast = this.#fast;
    // The common case first, small enough to inline into the reply loop.
    if (flags === FLAG_TEXT && fast !== undefined) return utf8Text(buf, start, end);
    if ((flags & FLAG_COMPRESSED) !== 0) {
      const { compressor, maxDecompressedLength } = this.#config;
      const data = buf.subarray(start, end);
      if (flags === (FLAG_TEXT | FLAG_COMPRESSED) && fast !== undefined && compressor.decompressText !== undefined) {
        return decompressTextValue(compressor, data, maxDecompressedLength);
      }
      const rest = flags & ~FLAG_COMPRESSED;
      // Unknown bits are a FlagsError, not whatever decompressing bytes of unknown meaning gives.
      if (fast !== undefined && !fast.reads(rest)) throw unreadableFlags(flags);
      const plain = decompressValue(compressor, data, maxDecompressedLength);
      return fast ? fast.deserializeRange(plain, 0, plain.length, rest, true) : this.#config.serializer.deserialize(plain, rest);
    }
    if (fast) return fast.deserializeRange(buf, start, end, flags, false);
    return this.#config.serializer.deserialize(Buffer.from(buf.subarray(start, end)), flags);
  }

  #checked(value: EncodedValue): EncodedValue {
    if (value.length > this.#config.maxValueLength) throw new ValueTooLargeError(value.length, this.#config.maxValueLength);
    return value;
  }
}
