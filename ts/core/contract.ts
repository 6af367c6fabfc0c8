/**
 * The contract between the TypeScript layers and the core. Two implementations honour it with
 * identical results: the Rust binding (`native-core.ts`) and its pure-TS twin (`ts-core/`).
 *
 * Crossing N-API costs per call and per object created natively, so every batch operation
 * takes Buffers in and writes numbers into caller-owned typed arrays: no JS objects are built
 * on the native side, and one call covers a whole socket read or a whole multi-key batch.
 */

/** The libhashkit hash functions, by their libmemcached names. `crc` is also python-memcached's server hash. */
export const HASH_ALGORITHMS = [
  'one_at_a_time',
  'md5',
  'crc',
  'fnv1_64',
  'fnv1a_64',
  'fnv1_32',
  'fnv1a_32',
  'hsieh',
  'murmur',
  'jenkins',
  'murmur3',
] as const;
export type HashAlgorithm = (typeof HASH_ALGORITHMS)[number];

/** Numeric ids used across the binding; the index into HASH_ALGORITHMS. */
export function hashAlgorithmId(name: HashAlgorithm): number {
  return HASH_ALGORITHMS.indexOf(name);
}

/**
 * Ketama point-string formats.
 * - `libmemcached`: `"<host>-<i>"` when port is 11211, else `"<host>:<port>-<i>"`.
 * - `spymemcached`: always `"<host>:<port>-<i>"`.
 * Points per server are, in both formats, libmemcached's float32 formula
 * `floor_f32(f32(weight) / f32(total) * 160 / 4 * f32(liveServers) + 1e-10) * 4`
 * (160 each when weights are equal). A weight-0 server gets no points and is not counted in
 * `liveServers`, so the ring equals one built without it.
 */
export type RingFormat = 'libmemcached' | 'spymemcached';

export interface RingServer {
  /** Host name or address as written in the point string (a unix socket path for unix sockets). */
  readonly host: string;
  /** TCP port; 0 for unix sockets. */
  readonly port: number;
  /** Non-negative integer weight. */
  readonly weight: number;
}

export interface Ring {
  /** Number of points on the ring (0 when every weight is 0). */
  readonly pointCount: number;
  /** Server index (into the list the ring was built from) for one key's bytes; -1 on an empty ring. */
  lookup(key: Uint8Array): number;
  /** Server index for an md5 key hash (already computed); -1 on an empty ring. */
  lookupHash(hash: number): number;
  /**
   * Server index for each of many keys in one call. `keys` holds the keys back to back;
   * key i is `keys[offsets[i] .. offsets[i + 1])`, so `offsets.length` is count + 1.
   * Results go to `out[0 .. count)` (-1 on an empty ring).
   */
  lookupBatch(keys: Uint8Array, offsets: Uint32Array, out: Int32Array): void;
}

/**
 * Reply kinds written by the scanner into `ScanRecords[k * SCAN_STRIDE + F_KIND]`. Text and meta
 * replies may be mixed in one stream (memcached takes both on one connection); a meta reply is
 * told by its two-letter code standing as a whole word (`EN` vs `END`, `EX` vs `EXISTS`).
 *
 * The meta kinds that return flags (META_HD, META_VA, META_EN, META_NS, META_EX, META_NF) share
 * one layout, made for matching a reply to its request without reading its text again:
 * - A = the returned flags, as memcached writes them: from the first flag to the line end
 *   (`\r\n` excluded), e.g. `f42 c1 t-1 s5 O123 kfoo`. Empty, starting at the line end, when
 *   the reply has none. Each flag is a letter and an optional token; they are separated by
 *   single spaces and none is empty (a space leading, doubled or trailing is MALFORMED).
 *   memcached returns them in request order ("though this is not strict"), then the W, X, Z it
 *   adds itself (checked with 1.6.18), so the opaque has no fixed place: hence C.
 * - FLAGS = the value of the first flag starting with `f` (the item's client flags), so a
 *   META_VA decodes like a VALUE; 0 without one (the request knows whether it asked with `f`).
 *   That flag must be `f` and digits fitting a u32, else the reply is MALFORMED, as a VALUE
 *   with flags past u32 is.
 * - C = the opaque: the first flag starting with `O`, without the `O` (the token the request
 *   sent with `O`). Empty, starting at the line end, without one; an `O` with no token gives an
 *   empty C starting just after it, so requests should send non-empty opaques.
 * - B = the data for META_VA; 0 for the others.
 * Later `f` or `O` flags (memcached never repeats a flag) are left in A, unchecked.
 */
export enum ReplyKind {
  END = 1,
  STORED = 2,
  NOT_STORED = 3,
  EXISTS = 4,
  NOT_FOUND = 5,
  DELETED = 6,
  TOUCHED = 7,
  OK = 8,
  RESET = 9,
  /** `ERROR` (unknown command). */
  ERROR = 10,
  /** A decimal incr/decr result; field A is the digits (trailing spaces excluded), at most 2^64-1. */
  NUMBER = 11,
  /** `STAT <name> <value>`: A = name, B = value (rest of line, may contain spaces, may be empty). */
  STAT = 12,
  /** `VERSION <x>`: A = the version text. */
  VERSION = 13,
  /** `CLIENT_ERROR <msg>`: A = message (may be empty). */
  CLIENT_ERROR = 14,
  /** `SERVER_ERROR <msg>`: A = message (may be empty). */
  SERVER_ERROR = 15,
  /**
   * `VALUE <key> <flags> <bytes> [<cas>]\r\n<data>\r\n`: A = key, B = data,
   * FLAGS = flags (u32), C = cas digits (length 0 when absent).
   */
  VALUE = 16,
  /**
   * Bytes that are no valid reply: A = the offending bytes (at most 256 of them).
   * Always the last record of a scan; the connection must be closed. F_END = F_START: a malformed
   * reply consumes nothing. A VALUE or META_VA whose declared length does not fit u32 is MALFORMED.
   */
  MALFORMED = 17,
  /** Meta `HD[ <flags>]`: success without a value (mg without `v`, ms, md, ma without `v`). Layout above. */
  META_HD = 18,
  /**
   * Meta `VA <datalen>[ <flags>]\r\n<data>\r\n` (mg or ma with `v`): B = the data, read by the
   * declared length as a VALUE's (the datalen must fit a u32; data not followed by `\r\n` is
   * MALFORMED). A, FLAGS, C as above; A starts after the datalen.
   */
  META_VA = 19,
  /** Meta `EN[ <flags>]`: a miss (mg, me). 1.6.18 on returns `O` and `k` on it. Layout above. */
  META_EN = 20,
  /** Meta `NS[ <flags>]`: not stored (ms). Layout above. */
  META_NS = 21,
  /** Meta `EX[ <flags>]`: the CAS did not match (ms, md, ma). Layout above. */
  META_EX = 22,
  /** Meta `NF[ <flags>]`: not found (ms in CAS or replace mode, md, ma). Layout above. */
  META_NF = 23,
  /** Meta `MN`, the answer to `mn` (the end marker of a batch of quiet commands). No fields; nothing may follow it. */
  META_MN = 24,
  /**
   * Meta `ME <key>[ <k>=<v>...]`, the answer to `me`: read as STAT, A = the key (as sent, base64
   * with `b`), B = the rest of the line (`exp=-1 la=0 cas=1 fetch=yes cls=1 size=71`, may be empty).
   */
  META_ME = 25,
}

/** Words per record in the scanner's output. */
export const SCAN_STRIDE = 10;
/** Record field offsets (u32 words). Offsets are absolute indices into the scanned buffer. */
export const F_KIND = 0;
/** First byte of the reply. */
export const F_START = 1;
/** One past the reply's last byte (its final `\r\n`). The next reply starts here. */
export const F_END = 2;
export const F_A_START = 3;
export const F_A_LEN = 4;
export const F_B_START = 5;
export const F_B_LEN = 6;
export const F_FLAGS = 7;
export const F_C_START = 8;
export const F_C_LEN = 9;

/**
 * A reply line, text or meta (anything but a VALUE's or META_VA's data block), longer than this
 * without `\r\n` is MALFORMED, so a garbage stream cannot make the client buffer forever.
 */
export const MAX_LINE_LENGTH = 8192;

/** The compressions a core offers: zlib (RFC 1950, python-memcached's) and zstd (RFC 8878, one frame). */
export type CompressionAlgorithm = 'zlib' | 'zstd';

/** Thrown where a core lacks zstd (the pure-TS core on a Node whose node:zlib has none). */
export class CoreUnsupportedError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CoreUnsupportedError';
  }
}

/** Why a decompression failed. */
export type DecompressErrorReason = 'too_large' | 'corrupt';

/** Thrown by `decompress`; `reason` tells a cap overrun from corrupt input. */
export class CoreDecompressError extends Error {
  readonly reason: DecompressErrorReason;
  constructor(reason: DecompressErrorReason, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CoreDecompressError';
    this.reason = reason;
  }
}

export interface Core {
  /** Which implementation this is. */
  readonly kind: 'native' | 'ts';

  /** One key's hash (u32) with a libhashkit algorithm. Keys are bytes (UTF-8 for strings). */
  hash(algorithm: HashAlgorithm, key: Uint8Array): number;
  /** Hash of each key of a batch (layout as in `Ring.lookupBatch`) into `out[0 .. count)`. */
  hashBatch(algorithm: HashAlgorithm, keys: Uint8Array, offsets: Uint32Array, out: Uint32Array): void;

  /** Builds a ketama ring over `servers`, in their order (ties between equal points: the earlier server wins). */
  createRing(servers: readonly RingServer[], format: RingFormat): Ring;

  /**
   * Scans `buf[start .. end)` for complete replies of memcached's text and meta protocols, mixed,
   * and writes one record of SCAN_STRIDE words per reply into `out`, stopping when `out` is full,
   * when the rest is an incomplete reply, or after a MALFORMED record. Returns the number of records written.
   * Bytes consumed: the F_END of the last record (or `start` when none). Values are read by their
   * declared length only; nothing is read outside `[start, end)`; it never throws on any input.
   */
  scan(buf: Uint8Array, start: number, end: number, out: Uint32Array): number;

  /** zlib (RFC 1950) compression at `level` 0-9 (-1: default, 6). */
  compress(data: Uint8Array, level: number): Buffer;
  /** `compress` of the UTF-8 bytes of `text` (lone surrogates as U+FFFD, as `Buffer.from` has them). */
  compressText(text: string, level: number): Buffer;
  /**
   * zlib (RFC 1950) decompression. Throws CoreDecompressError('too_large') as soon as the output
   * would pass `maxOutputLength` (no more than that much memory is used), 'corrupt' on bad input
   * (including trailing garbage or a truncated stream).
   */
  decompress(data: Uint8Array, maxOutputLength: number): Buffer;
  /**
   * `decompress`, then the output decoded as UTF-8 (invalid sequences become U+FFFD, as with
   * `Buffer#toString()`), in one step: no Buffer in between, and the native core hands long
   * ASCII text to V8 without copying it onto the heap. Errors as for `decompress`.
   */
  decompressText(data: Uint8Array, maxOutputLength: number): string;

  /** Whether zstd works here (native: always; pure TS: where node:zlib has it, Node >= 22.15). */
  readonly hasZstd: boolean;
  /** One zstd frame at `level` (1-22). Throws CoreUnsupportedError where `hasZstd` is false. */
  zstdCompress(data: Uint8Array | string, level: number): Buffer;
  /**
   * One zstd frame. Errors as for `decompress`: 'too_large' as soon as the output would pass
   * `maxOutputLength` (whatever the frame header claims), 'corrupt' on bad, truncated or trailing
   * input; CoreUnsupportedError where `hasZstd` is false.
   */
  zstdDecompress(data: Uint8Array, maxOutputLength: number): Buffer;

  /**
   * `compress` / `zstdCompress` off the main thread: the native core on the libuv thread pool,
   * the pure-TS core through node:zlib's asynchronous API. A string is taken as its UTF-8 bytes
   * (made on the calling thread). `data` must not change until the promise settles. The output
   * decompresses to the input; it need not be the synchronous form's bytes.
   */
  compressAsync(algorithm: CompressionAlgorithm, data: Uint8Array | string, level: number): Promise<Buffer>;
  /** `decompress` / `zstdDecompress` off the main thread, with the same errors (as rejections). */
  decompressAsync(algorithm: CompressionAlgorithm, data: Uint8Array, maxOutputLength: number): Promise<Buffer>;
}
