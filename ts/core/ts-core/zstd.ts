/**
 * zstd for the pure-TS core, on node:zlib where it has it (Node >= 22.15 / 23.8), found by
 * looking for the functions rather than by version. Where it is absent, `hasZstd` is false and
 * every zstd call throws (or rejects with) CoreUnsupportedError.
 *
 * Frames are judged before node:zlib sees them (`readOneFrame`), so both cores agree on what is
 * corrupt and too large: node:zlib alone would read on into a second frame and take a skippable
 * frame as an empty value.
 */
import * as zlib from 'node:zlib';
import { CoreUnsupportedError } from '../contract.js';
import { clampCap, corruptError, EXPECTED_RATIO, outputChunkSize, rightSized, tooLarge } from './compression.js';
import { readOneFrame, windowLimit } from './zstd-frame.js';

type Callback = (error: Error | null, result: Buffer) => void;

/** The part of node:zlib's zstd API used here (@types/node 20 does not declare it). */
interface ZstdApi {
  zstdCompressSync(data: Uint8Array | string, options: object): Buffer;
  zstdDecompressSync(data: Uint8Array, options: object): Buffer;
  zstdCompress(data: Uint8Array | string, options: object, callback: Callback): void;
  zstdDecompress(data: Uint8Array, options: object, callback: Callback): void;
  readonly constants: {
    readonly ZSTD_c_compressionLevel: number;
    readonly ZSTD_c_checksumFlag: number;
    readonly ZSTD_d_windowLogMax: number;
  };
}

function detect(): ZstdApi | undefined {
  const api = zlib as unknown as Partial<ZstdApi>;
  const complete =
    typeof api.zstdCompressSync === 'function' &&
    typeof api.zstdDecompressSync === 'function' &&
    typeof api.zstdCompress === 'function' &&
    typeof api.zstdDecompress === 'function' &&
    typeof api.constants?.ZSTD_c_compressionLevel === 'number';
  return complete ? (api as ZstdApi) : undefined;
}

const api = detect();

/** Whether node:zlib has zstd here. */
export const hasZstd = api !== undefined;

const MIN_LEVEL = 1;
const MAX_LEVEL = 22;
/** libzstd's largest window; the frame's own window is checked first (`windowLimit`). */
const WINDOW_LOG_MAX = 31;

function zstd(): ZstdApi {
  if (api === undefined) {
    throw new CoreUnsupportedError(`zstd is not available: node:zlib in Node ${process.versions.node} has none (it needs Node >= 22.15)`);
  }
  return api;
}

/** The options of one compression: the level checked as the Rust core checks it, and a checksum, as it writes. */
function compressOptions(zstd: ZstdApi, level: number): object {
  // N-API truncates a fractional level on the native side; so does this.
  const whole = Math.trunc(level);
  if (!(whole >= MIN_LEVEL && whole <= MAX_LEVEL)) {
    throw new RangeError(`zstd compression level ${level} is not ${MIN_LEVEL}..${MAX_LEVEL}`);
  }
  return { params: { [zstd.constants.ZSTD_c_compressionLevel]: whole, [zstd.constants.ZSTD_c_checksumFlag]: 1 } };
}

/**
 * The options of one decompression of `data` under `cap`, after the frame is judged: throws
 * 'corrupt' unless `data` is one regular frame, 'too_large' when it declares a size past the cap
 * or (size unknown) a window past `windowLimit(cap)`.
 */
function decompressOptions(zstd: ZstdApi, data: Uint8Array, cap: number): object {
  const frame = readOneFrame(data);
  if (frame.contentSize !== undefined ? frame.contentSize > cap : (frame.windowSize ?? 0) > windowLimit(cap)) {
    throw tooLarge(cap);
  }
  // Node rejects a cap of 0, so decompress with 1 and refuse any output byte. The frame usually
  // says its size: one output chunk a byte larger is one pass, with no empty chunk after it.
  const chunkSize = outputChunkSize(frame.contentSize === undefined ? data.length * EXPECTED_RATIO : frame.contentSize + 1, Math.max(cap, 1));
  return { maxOutputLength: Math.max(cap, 1), chunkSize, params: { [zstd.constants.ZSTD_d_windowLogMax]: WINDOW_LOG_MAX } };
}

/** node:zlib's failure as the contract's: a cap overrun is 'too_large', anything else 'corrupt'. */
function decompressFailure(err: unknown, cap: number): Error {
  if ((err as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') return tooLarge(cap);
  return corruptError('zstd', err);
}

function checkLength(result: Buffer, cap: number): Buffer {
  if (result.length > cap) throw tooLarge(cap);
  return result;
}

export function zstdCompress(data: Uint8Array | string, level: number): Buffer {
  const zstdApi = zstd();
  return zstdApi.zstdCompressSync(data, compressOptions(zstdApi, level));
}

export function zstdDecompress(data: Uint8Array, maxOutputLength: number): Buffer {
  const zstdApi = zstd();
  const cap = clampCap(maxOutputLength);
  const options = decompressOptions(zstdApi, data, cap);
  let result: Buffer;
  try {
    result = zstdApi.zstdDecompressSync(data, options);
  } catch (err) {
    throw decompressFailure(err, cap);
  }
  return rightSized(checkLength(result, cap));
}

/** `zstdCompress` through node:zlib's asynchronous API (its thread pool). */
export function zstdCompressAsync(data: Uint8Array | string, level: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const zstdApi = zstd();
    zstdApi.zstdCompress(data, compressOptions(zstdApi, level), (err, result) => (err ? reject(err) : resolve(result)));
  });
}

/** `zstdDecompress` through node:zlib's asynchronous API, with the same errors as rejections. */
export function zstdDecompressAsync(data: Uint8Array, maxOutputLength: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const zstdApi = zstd();
    const cap = clampCap(maxOutputLength);
    zstdApi.zstdDecompress(data, decompressOptions(zstdApi, data, cap), (err, result) => {
      if (err) reject(decompressFailure(err, cap));
      else if (result.length > cap) reject(tooLarge(cap));
      else resolve(rightSized(result));
    });
  });
}
