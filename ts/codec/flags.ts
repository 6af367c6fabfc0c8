/**
 * The flags word stored with every item: python-memcached's bits, plus one bit of our own.
 *
 * | bit | value | meaning                                   | written by us | read by us        |
 * |-----|-------|-------------------------------------------|---------------|-------------------|
 * |  -  |   0   | raw bytes                                 | Buffer, Uint8Array | Buffer       |
 * |  0  |   1   | Python pickle                             | never         | FlagsError        |
 * |  1  |   2   | integer, decimal text                     | safe integers | number; bigint past 2^53 |
 * |  2  |   4   | Python long, decimal text                 | bigints       | bigint, always    |
 * |  3  |   8   | zlib-compressed (RFC 1950), with the rest | when it pays  | decompressed      |
 * |  4  |  16   | text, UTF-8                               | strings       | string            |
 * |  5  |  32   | zstd-compressed (RFC 8878, one frame), with the rest; ours | with `compressor: 'zstd'`, when it pays | decompressed (UnsupportedError where the core has no zstd) |
 * |  6  |  64   | msgpack (msgpackr); ours, unused by python-memcached | other values | unpacked |
 *
 * Bits 3 and 5 are never set together. python-memcached knows only bit 3; a value written with
 * zstd is a FlagsError to it, never a wrong value.
 *
 * Integers keep their type: a number goes out as 2 and comes back a number; a bigint goes out as
 * 4 and comes back a bigint, whatever its size or sign (python-memcached reads 4 as `int` on
 * Python 3, `long` on Python 2). Only text past 2^53 under flag 2 (another client's) is a bigint.
 *
 * Any other bit set, or a combination of bits the table has no row for, is a FlagsError for that
 * key only, found before anything is decompressed. A flag-64 item must be exactly one msgpack
 * value, without the byte 0xc1 msgpack never uses; else a DeserializeError.
 */

export const FLAG_BYTES = 0;
export const FLAG_PICKLE = 1 << 0;
export const FLAG_INTEGER = 1 << 1;
export const FLAG_LONG = 1 << 2;
export const FLAG_COMPRESSED = 1 << 3;
export const FLAG_TEXT = 1 << 4;
export const FLAG_ZSTD = 1 << 5;
/** Either compression bit. */
export const COMPRESSED_BITS = FLAG_COMPRESSED | FLAG_ZSTD;
export const FLAG_MSGPACK = 1 << 6;

/** Largest flags value memcached stores (32-bit unsigned). */
export const MAX_FLAGS = 0xffff_ffff;
