/**
 * Values to stored bytes and back: serializer, then compression when it pays, then the size limit.
 * The client encodes before anything is queued, so a value that cannot be stored is never sent
 * (one compressed off the main thread fails its requests instead, before any byte of it is sent).
 */
import type { CompressionAlgorithm } from '../core/index.js';
import { describeThrown } from '../error-composition.js';
import { ArgumentError, MemcacheError, SerializeError, ValueTooLargeError } from '../errors.js';
import { decompressTextValue, decompressValue, zlibCompressor, zstdCompressor, type Compressor, type WriteCompression } from './compression.js';
import { COMPRESSED_BITS, FLAG_COMPRESSED, FLAG_TEXT, FLAG_ZSTD, MAX_FLAGS } from './flags.js';
import { DeferredValue, decompressOffThread } from './off-thread.js';
import { PythonCompatibleSerializer, unreadableFlags, type SerializedValue, type Serializer } from './serializer.js';
import { utf8Text } from './text.js';

/**
 * Bytes ready for a storage command; a string stands for its UTF-8 bytes, `length` is the byte
 * count. While `pending` (a value compressing off the main thread), the fields are not final.
 */
export interface EncodedValue {
  readonly data: Uint8Array | string;
  readonly length: number;
  readonly flags: number;
  readonly pending?: Promise<void> | undefined;
  readonly error?: MemcacheError | undefined;
}

export interface ValueCodecConfig {
  serializer: Serializer;
  /** How values are compressed when written (and how flag-8 values are read: see #zlibReader). */
  compression: WriteCompression;
  /** Compress values longer than this many bytes; 0 = only when a call asks for it. */
  compressionThreshold: number;
  /** Values of at least this many bytes (serialized to write, compressed to read) are compressed off the main thread; 0 = never. */
  offloadThreshold: number;
  maxValueLength: number;
  maxDecompressedLength: number;
}

/** Reads values stored with flag 32, whatever the client writes with. */
const ZSTD_READER = zstdCompressor(0);

export class ValueCodec {
  readonly #config: ValueCodecConfig;
  /** Set when the serializer is ours: it may read straight from the socket buffer. */
  readonly #fast: PythonCompatibleSerializer | undefined;
  /** Reads flag-8 values: the writer when it writes them (zlib, or the caller's own compressor), else zlib. */
  readonly #zlibReader: Compressor;
  /** Runs #zlibReader off the main thread: 'zlib', or undefined for the caller's compressor. */
  readonly #zlibAlgorithm: CompressionAlgorithm | undefined;

  constructor(config: ValueCodecConfig) {
    this.#config = config;
    this.#fast = config.serializer instanceof PythonCompatibleSerializer ? config.serializer : undefined;
    const { compressor, flag, algorithm } = config.compression;
    this.#zlibReader = flag === FLAG_COMPRESSED ? compressor : zlibCompressor(-1);
    this.#zlibAlgorithm = flag === FLAG_COMPRESSED ? algorithm : 'zlib';
  }

  /** `compress`: true = try whatever the size, false = never, undefined = above the threshold. */
  encode(value: unknown, compress: boolean | undefined): EncodedValue {
    const serialized = this.#serialize(value);
    const { bytes, flags } = serialized ?? {};
    if (typeof bytes !== 'string' && !(bytes instanceof Uint8Array)) {
      throw new SerializeError('serializer returned no bytes (expected a Uint8Array or string)');
    }
    if (!Number.isInteger(flags) || flags < 0 || flags > MAX_FLAGS || (flags & COMPRESSED_BITS) !== 0) {
      throw new SerializeError(`serializer returned flags ${String(flags)}: need a u32 without bits 3 and 5 (compressed)`);
    }
    if (typeof bytes === 'string') return this.#encodeText(bytes, flags, compress);
    const threshold = this.#config.compressionThreshold;
    if (compress === true || (compress === undefined && threshold > 0 && bytes.length > threshold)) {
      // A copy: the caller may change its bytes once the call returns, before the thread has read them.
      if (this.#offloads(bytes.length)) return this.#compressLater(Buffer.from(bytes), bytes.length, flags);
      const { compressor, flag } = this.#config.compression;
      const packed = compressor.compress(bytes);
      if (packed.length < bytes.length) return this.#checked({ data: packed, length: packed.length, flags: flags | flag });
    }
    return this.#checked({ data: bytes, length: bytes.length, flags });
  }

  /** The serializer's output; a caller's serializer that throws something not coded is a SerializeError (its cause, the throw). */
  #serialize(value: unknown): SerializedValue {
    try {
      return this.#config.serializer.serialize(value);
    } catch (cause) {
      if (cause instanceof MemcacheError) throw cause;
      throw new SerializeError(`the serializer could not write the value: ${describeThrown(cause)}`, { cause });
    }
  }

  /** Whether `length` bytes are compressed off the main thread. */
  #offloads(length: number): boolean {
    const { offloadThreshold, compression } = this.#config;
    return offloadThreshold > 0 && length >= offloadThreshold && compression.algorithm !== undefined;
  }

  #compressLater(data: Uint8Array | string, length: number, flags: number): DeferredValue {
    const { compression, maxValueLength } = this.#config;
    return new DeferredValue(data, length, flags, compression.flag, compression.algorithm!, compression.level, maxValueLength);
  }

  /**
   * A string's bytes are its UTF-8 form, at least one per character: a string longer than the
   * threshold is over it without counting its bytes, and a compressed form shorter than the
   * string is shorter than its bytes. The compressor takes the string itself when it can.
   */
  #encodeText(text: string, flags: number, compress: boolean | undefined): EncodedValue {
    const { compression, compressionThreshold: threshold } = this.#config;
    let length = text.length > threshold ? -1 : Buffer.byteLength(text); // -1: not counted yet
    if (compress === true || (compress === undefined && threshold > 0 && (length < 0 || length > threshold))) {
      // Up to 3 bytes a character (a UTF-16 unit): a string that short of the threshold is counted.
      if (this.#offloads(text.length * 3)) {
        const bytes = length < 0 ? Buffer.byteLength(text) : length;
        if (this.#offloads(bytes)) return this.#compressLater(text, bytes, flags);
      }
      const { compressor, flag } = compression;
      const packed = compressor.compressText?.(text) ?? compressor.compress(Buffer.from(text));
      if (length < 0 && packed.length >= text.length) length = Buffer.byteLength(text);
      if (packed.length < (length < 0 ? text.length : length)) {
        return this.#checked({ data: packed, length: packed.length, flags: flags | flag });
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

  /**
   * Decodes `buf[start .. end)` stored with `flags`. The result never aliases `buf`. A compressed
   * value of at least offloadThreshold bytes comes back as a Promise of the value, decompressed off
   * the main thread (see ValueDecoder).
   */
  decode(buf: Buffer, start: number, end: number, flags: number): unknown {
    const fast = this.#fast;
    // The common case first, small enough to inline into the reply loop.
    if (flags === FLAG_TEXT && fast !== undefined) return utf8Text(buf, start, end);
    if ((flags & COMPRESSED_BITS) !== 0) return this.#decodeCompressed(buf, start, end, flags);
    if (fast) return fast.deserializeRange(buf, start, end, flags, false);
    return this.#config.serializer.deserialize(Buffer.from(buf.subarray(start, end)), flags);
  }

  #decodeCompressed(buf: Buffer, start: number, end: number, flags: number): unknown {
    const fast = this.#fast;
    const rest = flags & ~COMPRESSED_BITS;
    const zstd = (flags & FLAG_ZSTD) !== 0;
    // Unknown bits, or both compressions, are a FlagsError, not whatever decompressing bytes of unknown meaning gives.
    if ((zstd && (flags & FLAG_COMPRESSED) !== 0) || (fast !== undefined && !fast.reads(rest))) throw unreadableFlags(flags);
    const { maxDecompressedLength, offloadThreshold } = this.#config;
    const algorithm = zstd ? 'zstd' : this.#zlibAlgorithm;
    if (offloadThreshold > 0 && end - start >= offloadThreshold && algorithm !== undefined) {
      // A copy: the reply buffer is reused once this call returns.
      return decompressOffThread(algorithm, Buffer.from(buf.subarray(start, end)), maxDecompressedLength).then((plain) => this.#deserialize(plain, rest));
    }
    const reader = zstd ? ZSTD_READER : this.#zlibReader;
    const data = buf.subarray(start, end);
    if (rest === FLAG_TEXT && fast !== undefined && reader.decompressText !== undefined) {
      return decompressTextValue(reader, data, maxDecompressedLength);
    }
    return this.#deserialize(decompressValue(reader, data, maxDecompressedLength), rest);
  }

  /** A decompressed value (owned: it may be kept as is). */
  #deserialize(plain: Buffer, flags: number): unknown {
    const fast = this.#fast;
    return fast ? fast.deserializeRange(plain, 0, plain.length, flags, true) : this.#config.serializer.deserialize(plain, flags);
  }

  #checked(value: EncodedValue): EncodedValue {
    if (value.length > this.#config.maxValueLength) throw new ValueTooLargeError(value.length, this.#config.maxValueLength);
    return value;
  }
}
