/**
 * Compression of large values off the main thread (the native core on the libuv thread pool, the
 * pure-TS core through node:zlib's asynchronous API), so a 256 KB value does not stall every other
 * request behind it. A value written this way is a DeferredValue: its request takes its place in
 * the connection's queue at once and is held there until its bytes are made (see Payload.pending),
 * so requests are still written in the order they were made.
 */
import { core, type CompressionAlgorithm } from '../core/index.js';
import { DeserializeError, SerializeError, ValueTooLargeError, type MemcacheError } from '../errors.js';
import { decompressError } from './compression.js';

/** A value whose compressed bytes are being made: data, length and flags are final once `pending` is undefined. */
export class DeferredValue {
  data: Uint8Array | string;
  length: number;
  flags: number;
  /** Settles (never rejects) when the bytes are made or `error` is set. */
  pending: Promise<void> | undefined;
  /** Why the value cannot be stored (too large even compressed, the compressor failed); its requests fail with it. */
  error: MemcacheError | undefined = undefined;

  /** Starts compressing `data` (`length` bytes, stored with `flags` as they are); kept as is when compression does not pay. */
  constructor(data: Uint8Array | string, length: number, flags: number, compressedFlag: number, algorithm: CompressionAlgorithm, level: number, maxValueLength: number) {
    this.data = data;
    this.length = length;
    this.flags = flags;
    this.pending = core.compressAsync(algorithm, data, level).then(
      (packed) => this.#land(packed, compressedFlag, maxValueLength),
      (cause: unknown) => {
        this.error = new SerializeError(`the value could not be compressed: ${String(cause)}`, { cause });
        this.pending = undefined;
      },
    );
  }

  #land(packed: Buffer, compressedFlag: number, maxValueLength: number): void {
    if (packed.length < this.length) {
      this.data = packed;
      this.length = packed.length;
      this.flags |= compressedFlag;
    }
    if (this.length > maxValueLength) this.error = new ValueTooLargeError(this.length, maxValueLength);
    this.pending = undefined;
  }
}

/** Decompresses a copy of a stored value's bytes off the main thread, capped at `maxLength` as the synchronous path is. */
export function decompressOffThread(algorithm: CompressionAlgorithm, data: Buffer, maxLength: number): Promise<Buffer> {
  return core.decompressAsync(algorithm, data, maxLength).then(
    (out) => {
      if (out.length > maxLength) throw new DeserializeError(`compressed value expands past maxDecompressedLength (${maxLength})`);
      return out;
    },
    (cause: unknown) => {
      throw decompressError(cause, maxLength);
    },
  );
}
