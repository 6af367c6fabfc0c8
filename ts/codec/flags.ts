/**
 * The flags word stored with every item: python-memcached's bits, plus one bit of our own.
 *
 * | bit | value | meaning                                   | written by us | read by us        |
 * |-----|-------|-------------------------------------------|---------------|-------------------|
 * |  -  |   0   | raw bytes                                 | Buffer, Uint8Array | Buffer       |
 * |  0  |   1   | Python pickle                             | never         | FlagsError        |
 * |  1  |   2   | integer, decimal text                     | safe integers, bigints | number / bigint |
 * |  2  |   4   | Python 2 long, decimal text               | never         | number / bigint   |
 * |  3  |   8   | zlib-compressed (RFC 1950), with the rest | when it pays  | decompressed      |
 * |  4  |  16   | text, UTF-8                               | strings       | string            |
 * |  6  |  64   | msgpack (msgpackr); ours, unused by python-memcached | other values | unpacked |
 *
 * Any other bit set is an unknown flag: reading such an item is a FlagsError for that key only.
 */

export const FLAG_BYTES = 0;
export const FLAG_PICKLE = 1 << 0;
export const FLAG_INTEGER = 1 << 1;
export const FLAG_LONG = 1 << 2;
export const FLAG_COMPRESSED = 1 << 3;
export const FLAG_TEXT = 1 << 4;
export const FLAG_MSGPACK = 1 << 6;

/** Largest flags value memcached stores (32-bit unsigned). */
export const MAX_FLAGS = 0xffff_ffff;
