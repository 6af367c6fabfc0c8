/** libhashkit `crc` (also python-memcached's server hash): bits 16-30 of the IEEE CRC-32. */

/** The reflected CRC-32 table for polynomial 0xEDB88320, built once at load. */
const TABLE: Uint32Array = buildTable();

function buildTable(): Uint32Array {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  return table;
}

/** libhashkit reads a signed char here, but masks with 0xff first, so bytes count unsigned. */
export function crcHash(data: Uint8Array, start: number, end: number): number {
  let crc = -1;
  for (let i = start; i < end; i++) crc = (crc >>> 8) ^ TABLE[(crc ^ data[i]) & 0xff];
  return (~crc >>> 16) & 0x7fff;
}
