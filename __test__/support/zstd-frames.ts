/**
 * zstd frames made by hand (RFC 8878), so both cores can be fed frames neither writes: frames of
 * unknown size, with large windows, or expanding enormously, on any Node (Node 20 has no zstd).
 */

const MAGIC = [0x28, 0xb5, 0x2f, 0xfd];
/** Largest block content: 128 KB. */
export const MAX_BLOCK = 128 * 1024;

/**
 * One frame of `blocks` RLE blocks of `blockSize` copies of `byte` (4 bytes each in the frame),
 * declaring no content size and a window of 2^`windowLog` bytes: what a streaming writer makes.
 */
export function rleFrame(blocks: number, options: { blockSize?: number; windowLog?: number; byte?: number } = {}): Buffer {
  const { blockSize = MAX_BLOCK, windowLog = 20, byte = 0x61 } = options;
  // Descriptor 0: no content size, not a single segment, no checksum, no dictionary.
  const bytes = [...MAGIC, 0x00, (windowLog - 10) << 3];
  for (let i = 0; i < blocks; i++) {
    const last = i === blocks - 1 ? 1 : 0;
    const header = last | (1 << 1) | (blockSize << 3);
    bytes.push(header & 0xff, (header >> 8) & 0xff, (header >> 16) & 0xff, byte);
  }
  return Buffer.from(bytes);
}

/**
 * One frame holding `data` (at most MAX_BLOCK bytes) as a single raw (stored) block, declaring no
 * content size: a streaming writer's frame of data that did not compress.
 */
export function rawFrame(data: Uint8Array, windowLog = 20): Buffer {
  if (data.length > MAX_BLOCK) throw new RangeError(`rawFrame takes at most ${MAX_BLOCK} bytes`);
  const header = 1 | (0 << 1) | (data.length << 3); // last block, raw
  return Buffer.concat([Buffer.from([...MAGIC, 0x00, (windowLog - 10) << 3, header & 0xff, (header >> 8) & 0xff, (header >> 16) & 0xff]), data]);
}

/** A skippable frame (magic 0x184D2A50) holding `content`. */
export function skippableFrame(content: Uint8Array): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt32LE(0x184d2a50, 0);
  header.writeUInt32LE(content.length, 4);
  return Buffer.concat([header, content]);
}

/** Compressible text of `size` bytes: JSON-like records. */
export function sample(size: number): Buffer {
  let text = '';
  for (let i = 0; text.length < size; i++) text += `{"id":${i},"name":"item ${i}","tags":["a","b"]},`;
  return Buffer.from(text.slice(0, size));
}
