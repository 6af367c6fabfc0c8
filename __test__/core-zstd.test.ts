import { createRequire } from 'node:module';
import * as zlib from 'node:zlib';
import type * as Binding from 'memcache-native/binding';
import { describe, expect, it } from 'vitest';
import { type Core, CoreDecompressError, CoreUnsupportedError, type DecompressErrorReason } from '../ts/core/contract.js';
import { tsCore } from '../ts/core/ts-core/index.js';
import { describeEachCore, native } from './support/cores.js';
import { MAX_BLOCK, rleFrame, sample, skippableFrame } from './support/zstd-frames.js';

const MiB = 1 << 20;
const NO_ZSTD = `node:zlib in Node ${process.versions.node} has no zstd (it came in Node 22.15)`;

function expectSameBytes(actual: Uint8Array, expected: Uint8Array): void {
  expect(actual.length).toBe(expected.length);
  expect(Buffer.compare(actual, expected)).toBe(0);
}

function zstdError(core: Core, data: Uint8Array, cap: number): DecompressErrorReason | 'none' {
  try {
    core.zstdDecompress(data, cap);
    return 'none';
  } catch (err) {
    expect(err).toBeInstanceOf(CoreDecompressError);
    return (err as CoreDecompressError).reason;
  }
}

/** The frame header's content size field, when the frame (as both cores write it) has one. */
function declaresSize(frame: Uint8Array): boolean {
  return frame[4] >> 6 !== 0 || (frame[4] & 0x20) !== 0;
}

describeEachCore('zstd compression', (core) => {
  /** A test that needs zstd; skipped, with the reason, on a core without it. */
  const zit = (name: string, body: () => void) =>
    it(name, (ctx) => {
      if (!core.hasZstd) return ctx.skip(NO_ZSTD);
      body();
    });

  zit('round-trips at several levels and sizes', () => {
    for (const level of [1, 3, 9, 19]) {
      for (const size of [0, 1, 100, 4096, 70_000]) {
        const data = sample(size);
        const frame = core.zstdCompress(data, level);
        expect([...frame.subarray(0, 4)]).toEqual([0x28, 0xb5, 0x2f, 0xfd]);
        expect(declaresSize(frame)).toBe(true);
        expectSameBytes(core.zstdDecompress(frame, size), data);
      }
    }
    const data = sample(20_000);
    expectSameBytes(core.zstdDecompress(core.zstdCompress(data, 22), data.length), data);
  });

  zit('compresses the UTF-8 bytes of a string (a lone surrogate as U+FFFD)', () => {
    for (const text of ['', 'naïve café, 東京, \u{1f600} '.repeat(200), 'a\ud800b\udc00c']) {
      const frame = core.zstdCompress(text, 3);
      expectSameBytes(core.zstdDecompress(frame, MiB), Buffer.from(text));
    }
  });

  zit('refuses levels outside 1..22 with a RangeError', () => {
    for (const level of [0, -1, 23, Number.NaN]) expect(() => core.zstdCompress(sample(10), level)).toThrow(RangeError);
  });

  zit('allows output of exactly the cap and refuses one byte more, declared size or not', () => {
    const data = sample(4096);
    const frame = core.zstdCompress(data, 3);
    expect(core.zstdDecompress(frame, 4096)).toHaveLength(4096);
    expect(zstdError(core, frame, 4095)).toBe('too_large');
    const streamed = rleFrame(2, { blockSize: 2048 });
    expectSameBytes(core.zstdDecompress(streamed, 4096), Buffer.alloc(4096, 'a'));
    expect(zstdError(core, streamed, 4095)).toBe('too_large');
  });

  zit('takes a cap of 0 for an empty value only', () => {
    expect(core.zstdDecompress(core.zstdCompress(Buffer.alloc(0), 3), 0)).toHaveLength(0);
    expect(zstdError(core, core.zstdCompress(Buffer.from('x'), 3), 0)).toBe('too_large');
  });

  zit('stops a bomb that declares its size: 64 MB of zeros against a 1 MiB cap', () => {
    const frame = core.zstdCompress(Buffer.alloc(64 * MiB), 3);
    expect(frame.length).toBeLessThan(8192);
    expect(zstdError(core, frame, MiB)).toBe('too_large');
    expect(core.zstdDecompress(frame, 64 * MiB)).toHaveLength(64 * MiB);
  });

  zit('stops a bomb of unknown size at the cap: 2 KB of RLE blocks expanding to 64 MB', () => {
    const bomb = rleFrame(512);
    expect(bomb.length).toBeLessThan(2100);
    expect(zstdError(core, bomb, MiB)).toBe('too_large');
    expect(zstdError(core, bomb, 64 * MiB - 1)).toBe('too_large');
    expect(core.zstdDecompress(bomb, 64 * MiB)).toHaveLength(64 * MiB);
  });

  zit('reads windows up to 8 MB under any cap, larger ones only under a cap as large', () => {
    const small = rleFrame(1, { blockSize: 100, windowLog: 23 });
    expect(core.zstdDecompress(small, 100)).toHaveLength(100);
    const wide = rleFrame(1, { blockSize: 100, windowLog: 25 });
    expect(zstdError(core, wide, MiB)).toBe('too_large');
    expect(core.zstdDecompress(wide, 32 * MiB)).toHaveLength(100);
  });

  zit('calls truncated, trailing, concatenated, skippable, damaged and non-zstd input corrupt', () => {
    const frame = core.zstdCompress(sample(10_000), 3);
    const corrupt = (data: Uint8Array) => zstdError(core, data, MiB);
    for (const f of [frame, rleFrame(3, { blockSize: 1000 })]) {
      expect(corrupt(f.subarray(0, f.length - 1))).toBe('corrupt');
      expect(corrupt(f.subarray(0, f.length >> 1))).toBe('corrupt');
      expect(corrupt(f.subarray(0, 6))).toBe('corrupt');
      expect(corrupt(Buffer.concat([f, Buffer.from([0])]))).toBe('corrupt');
      expect(corrupt(Buffer.concat([f, f]))).toBe('corrupt');
      expect(corrupt(Buffer.concat([f, skippableFrame(Buffer.from('hi'))]))).toBe('corrupt');
    }
    expect(corrupt(skippableFrame(Buffer.from('not a value')))).toBe('corrupt');
    expect(corrupt(Buffer.alloc(0))).toBe('corrupt');
    expect(corrupt(frame.subarray(0, 3))).toBe('corrupt');
    expect(corrupt(Buffer.from('not zstd at all'))).toBe('corrupt');
    const badSum = Buffer.from(frame);
    badSum[badSum.length - 1] ^= 0xff; // both cores write a checksum
    expect(corrupt(badSum)).toBe('corrupt');
    const reserved = Buffer.from(frame);
    reserved[4] |= 0x08;
    expect(corrupt(reserved)).toBe('corrupt');
  });

  zit('calls a frame that declares the wrong size corrupt', () => {
    const frame = Buffer.from(core.zstdCompress(sample(5000), 3));
    expect(frame[4] >> 6).toBe(1); // a 2-byte size field: the size minus 256
    frame.writeUInt16LE(frame.readUInt16LE(5) - 10, 5);
    expect(zstdError(core, frame, MiB)).toBe('corrupt');
  });
});

describe('zstd across cores', () => {
  const both = native.core !== undefined && tsCore.hasZstd;
  const reason = native.core === undefined ? `no native core (${native.reason})` : NO_ZSTD;

  it('each core reads the other’s frames', (ctx) => {
    if (!both || native.core === undefined) return ctx.skip(reason);
    const data = sample(200_000);
    for (const level of [1, 3, 19]) {
      expectSameBytes(tsCore.zstdDecompress(native.core.zstdCompress(data, level), data.length), data);
      expectSameBytes(native.core.zstdDecompress(tsCore.zstdCompress(data, level), data.length), data);
    }
  });

  it('node:zlib reads the native core’s frames', (ctx) => {
    const api = zlib as unknown as { zstdDecompressSync?: (data: Uint8Array) => Buffer };
    if (native.core === undefined) return ctx.skip(reason);
    if (api.zstdDecompressSync === undefined) return ctx.skip(NO_ZSTD);
    const data = sample(50_000);
    expectSameBytes(api.zstdDecompressSync(native.core.zstdCompress(data, 3)), data);
  });
});

describe('the pure-TS core without zstd', () => {
  it('says whether node:zlib has zstd', () => {
    expect(tsCore.hasZstd).toBe(typeof (zlib as { zstdCompressSync?: unknown }).zstdCompressSync === 'function');
  });

  it.skipIf(tsCore.hasZstd)('throws CoreUnsupportedError from every zstd member, and rejects with it asynchronously', async () => {
    expect(() => tsCore.zstdCompress(sample(10), 3)).toThrow(CoreUnsupportedError);
    expect(() => tsCore.zstdCompress('text', 3)).toThrow(CoreUnsupportedError);
    expect(() => tsCore.zstdDecompress(Buffer.alloc(10), MiB)).toThrow(CoreUnsupportedError);
    await expect(tsCore.compressAsync('zstd', sample(10), 3)).rejects.toBeInstanceOf(CoreUnsupportedError);
    await expect(tsCore.decompressAsync('zstd', Buffer.alloc(10), MiB)).rejects.toBeInstanceOf(CoreUnsupportedError);
    // zlib is unaffected.
    expectSameBytes(await tsCore.decompressAsync('zlib', await tsCore.compressAsync('zlib', sample(100), 6), 100), sample(100));
  });
});

describe('the binding’s zstd errors', () => {
  it.skipIf(native.core === undefined)('carry the reason as `code`', () => {
    const binding = createRequire(import.meta.url)('memcache-native/binding') as typeof Binding;
    const frame = binding.zstdCompress(sample(4096), 3);
    const codeOf = (call: () => unknown): unknown => {
      try {
        call();
      } catch (err) {
        return (err as { code?: unknown }).code;
      }
      return 'nothing thrown';
    };
    expect(codeOf(() => binding.zstdDecompress(frame, 4095))).toBe('DecompressTooLarge');
    expect(codeOf(() => binding.zstdDecompress(Buffer.from('not zstd'), MiB))).toBe('DecompressCorrupt');
    const error = (() => {
      try {
        native.core?.zstdDecompress(frame, 4095);
      } catch (err) {
        return err as CoreDecompressError;
      }
    })();
    expect(error).toBeInstanceOf(CoreDecompressError);
    expect((error?.cause as { code?: unknown }).code).toBe('DecompressTooLarge');
  });
});
