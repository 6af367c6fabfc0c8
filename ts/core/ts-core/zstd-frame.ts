/**
 * Reads a zstd frame's header and walks its block headers (RFC 8878 §3.1.1), decoding nothing,
 * so the pure-TS core judges a frame as the Rust core does (crates/memcache-core/src/compress/zstd.rs,
 * which asks libzstd's ZSTD_findFrameCompressedSize): node:zlib reads on past the end of a frame
 * into the next one, and reads a skippable frame as an empty value.
 */
import { CoreDecompressError } from '../contract.js';

const MAGIC = 0xfd2f_b528;
const SKIPPABLE_MASK = 0xffff_fff0;
const SKIPPABLE_MAGIC = 0x184d_2a50;
const BLOCK_HEADER = 3;
const CHECKSUM = 4;
const RLE_BLOCK = 1;
const RESERVED_BLOCK = 3;

export interface FrameInfo {
  /** The content size the header declares, or undefined when it declares none. */
  readonly contentSize: number | undefined;
  /** The window the frame declares (for a single segment, its content size). */
  readonly windowSize: number | undefined;
}

function corrupt(why: string): CoreDecompressError {
  return new CoreDecompressError('corrupt', `corrupt zstd data: ${why}`);
}

/**
 * The header of the one regular frame that must span all of `data`; throws
 * CoreDecompressError('corrupt') for a skippable frame, a bad header, a truncated frame or
 * bytes after it.
 */
export function readOneFrame(data: Uint8Array): FrameInfo {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (data.length < 4) throw corrupt('truncated frame');
  const magic = view.getUint32(0, true);
  if ((magic & SKIPPABLE_MASK) >>> 0 === SKIPPABLE_MAGIC) throw corrupt('a skippable frame, not a data frame');
  if (magic !== MAGIC) throw corrupt('unknown frame descriptor');
  if (data.length < 5) throw corrupt('truncated frame');
  const descriptor = data[4];
  if ((descriptor & 0x08) !== 0) throw corrupt('reserved bit set in the frame header');
  const sizeFlag = descriptor >> 6;
  const singleSegment = (descriptor & 0x20) !== 0;
  const hasChecksum = (descriptor & 0x04) !== 0;
  const dictionaryIdBytes = [0, 1, 2, 4][descriptor & 0x03];
  const contentSizeBytes = [singleSegment ? 1 : 0, 2, 4, 8][sizeFlag];
  let at = 5;
  const headerEnd = at + (singleSegment ? 0 : 1) + dictionaryIdBytes + contentSizeBytes;
  if (data.length < headerEnd) throw corrupt('truncated frame');
  let windowSize: number | undefined;
  if (!singleSegment) {
    const exponent = data[at] >> 3;
    // libzstd refuses windows past 2^31 whatever the limits (ZSTD_WINDOWLOG_MAX on 64-bit).
    if (10 + exponent > 31) throw corrupt('window larger than 2 GB');
    const base = 2 ** (10 + exponent);
    windowSize = base + (base / 8) * (data[at] & 0x07);
    at += 1;
  }
  at += dictionaryIdBytes;
  const contentSize = readContentSize(view, at, contentSizeBytes);
  at = headerEnd;
  for (;;) {
    if (data.length < at + BLOCK_HEADER) throw corrupt('truncated frame');
    const header = data[at] | (data[at + 1] << 8) | (data[at + 2] << 16);
    const type = (header >> 1) & 0x03;
    if (type === RESERVED_BLOCK) throw corrupt('reserved block type');
    at += BLOCK_HEADER + (type === RLE_BLOCK ? 1 : header >>> 3);
    if ((header & 1) !== 0) break;
  }
  if (hasChecksum) at += CHECKSUM;
  if (data.length < at) throw corrupt('truncated frame');
  if (data.length > at) throw corrupt(`${data.length - at} bytes after the end of the frame`);
  return { contentSize, windowSize: singleSegment ? contentSize : windowSize };
}

function readContentSize(view: DataView, at: number, bytes: number): number | undefined {
  switch (bytes) {
    case 1:
      return view.getUint8(at);
    case 2:
      return view.getUint16(at, true) + 256;
    case 4:
      return view.getUint32(at, true);
    case 8:
      return view.getUint32(at + 4, true) * 2 ** 32 + view.getUint32(at, true);
    default:
      return undefined;
  }
}

/** Windows up to 8 MB are always read, larger ones only under a cap as large, none past 128 MB (as in Rust). */
const WINDOW_FLOOR = 2 ** 23;
const WINDOW_CEILING = 2 ** 27;

/** The largest window a frame of unknown size may ask for under `cap`. */
export function windowLimit(cap: number): number {
  let limit = WINDOW_FLOOR;
  while (limit < cap && limit < WINDOW_CEILING) limit *= 2;
  return limit;
}
