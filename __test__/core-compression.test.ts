import { createRequire } from 'node:module';
import { deflateSync, inflateSync } from 'node:zlib';
import type * as Binding from 'memcache-native/binding';
import { describe, expect, it } from 'vitest';
import { type Core, CoreDecompressError, type DecompressErrorReason } from '../ts/core/contract.js';
import { describeEachCore, native } from './support/cores.js';

const MiB = 1 << 20;

/** Compressible text of `size` bytes: JSON-like records. */
function sample(size: number): Buffer {
  let text = '';
  for (let i = 0; text.length < size; i++) text += `{"id":${i},"name":"item ${i}","tags":["a","b"]},`;
  return Buffer.from(text.slice(0, size));
}

/** Byte equality without a deep element-by-element comparison (slow on large buffers). */
function expectSameBytes(actual: Uint8Array, expected: Uint8Array): void {
  expect(actual.length).toBe(expected.length);
  expect(Buffer.compare(actual, expected)).toBe(0);
}

function decompressError(core: Core, data: Uint8Array, cap: number): DecompressErrorReason | 'none' {
  try {
    core.decompress(data, cap);
    return 'none';
  } catch (err) {
    expect(err).toBeInstanceOf(CoreDecompressError);
    return (err as CoreDecompressError).reason;
  }
}

let bomb: Buffer | undefined;
/** 50 MB of zeros, deflated (about 50 KB); built once for all cores. */
function zipBomb(): Buffer {
  bomb ??= deflateSync(Buffer.alloc(50 * MiB), { level: 9 });
  return bomb;
}

describeEachCore('zlib compression', (core) => {
  it.each([-1, 0, 1, 6, 9])('round-trips at level %i', (level) => {
    for (const size of [0, 1, 100, 70_000]) {
      const data = sample(size);
      expectSameBytes(core.decompress(core.compress(data, level), size), data);
    }
  });

  it('writes RFC 1950 streams that node:zlib inflates', () => {
    const data = sample(10_000);
    const packed = core.compress(data, 6);
    expect(packed[0]).toBe(0x78);
    expectSameBytes(inflateSync(packed), data);
    expect(core.compress(data, 9).length).toBeLessThan(data.length / 3);
  });

  it('reads streams written by node:zlib at any level', () => {
    const data = sample(50_000);
    for (const level of [0, 1, 9]) expectSameBytes(core.decompress(deflateSync(data, { level }), data.length), data);
  });

  it('allows output of exactly the cap and refuses one byte more', () => {
    const packed = deflateSync(sample(4096));
    expect(core.decompress(packed, 4096)).toHaveLength(4096);
    expect(decompressError(core, packed, 4095)).toBe('too_large');
  });

  it('takes a cap of 0 for an empty payload only', () => {
    expect(core.decompress(deflateSync(Buffer.alloc(0)), 0)).toHaveLength(0);
    expect(decompressError(core, deflateSync(Buffer.from('x')), 0)).toBe('too_large');
  });

  it('stops a zip bomb at the cap: 50 MB of zeros against a 1 MiB cap', () => {
    expect(decompressError(core, zipBomb(), MiB)).toBe('too_large');
    expect(core.decompress(zipBomb(), 50 * MiB)).toHaveLength(50 * MiB);
  });

  it('calls truncated, trailing-garbage, empty and non-zlib input corrupt', () => {
    const packed = deflateSync(sample(1000));
    expect(decompressError(core, packed.subarray(0, packed.length - 1), MiB)).toBe('corrupt');
    expect(decompressError(core, packed.subarray(0, 10), MiB)).toBe('corrupt');
    expect(decompressError(core, Buffer.concat([packed, Buffer.from([0])]), MiB)).toBe('corrupt');
    expect(decompressError(core, Buffer.concat([packed, packed]), MiB)).toBe('corrupt');
    expect(decompressError(core, Buffer.alloc(0), MiB)).toBe('corrupt');
    expect(decompressError(core, Buffer.from('not zlib at all'), MiB)).toBe('corrupt');
    const flipped = Buffer.from(packed);
    flipped[flipped.length - 2] ^= 0xff; // the Adler-32 checksum
    expect(decompressError(core, flipped, MiB)).toBe('corrupt');
  });

  it.each([
    ['empty', ''],
    ['ASCII', '{"a":1}'.repeat(1000)],
    ['UTF-8', 'naïve café, 東京, \u{1f600} '.repeat(500)],
    ['a lone surrogate (as Buffer.from has it: U+FFFD)', 'a\ud800b\udc00c'],
    ['300 KB', 'x'.repeat(300 * 1024)],
  ])('compressText compresses the UTF-8 bytes of %s text', (_name, text) => {
    expectSameBytes(inflateSync(core.compressText(text, 6)), Buffer.from(text));
  });

  describe('decompressText', () => {
    const texts: [string, Buffer][] = [
      ['empty', Buffer.alloc(0)],
      ['short ASCII', Buffer.from('{"a":1}')],
      ['ASCII around the latin1 threshold', sample(5000)],
      ['ASCII past V8\'s regular heap objects (external on the native core)', sample(300 * 1024)],
      ['UTF-8', Buffer.from('naïve café, 東京, \u{1f600} '.repeat(50))],
      ['long UTF-8', Buffer.from('é'.repeat(200 * 1024))],
      ['invalid UTF-8', Buffer.from([0x41, 0xc3, 0x28, 0xff, 0xed, 0xa0, 0x80, 0x42])],
      ['latin1 bytes in long text', Buffer.concat([sample(200 * 1024), Buffer.from([0xe9])])],
    ];
    it.each(texts)('reads %s as decompress().toString() does', (_name, bytes) => {
      const packed = deflateSync(bytes);
      expect(core.decompressText(packed, bytes.length)).toBe(bytes.toString());
    });

    it('enforces the cap and calls bad input corrupt, as decompress does', () => {
      const bytes = sample(200 * 1024);
      const packed = deflateSync(bytes);
      const reason = (cap: number, data: Uint8Array = packed): DecompressErrorReason | 'none' => {
        try {
          core.decompressText(data, cap);
          return 'none';
        } catch (err) {
          expect(err).toBeInstanceOf(CoreDecompressError);
          return (err as CoreDecompressError).reason;
        }
      };
      expect(reason(bytes.length)).toBe('none');
      expect(reason(bytes.length - 1)).toBe('too_large');
      expect(reason(MiB, packed.subarray(0, packed.length - 1))).toBe('corrupt');
      expect(reason(MiB, Buffer.from('not zlib'))).toBe('corrupt');
      expect(reason(MiB, zipBomb())).toBe('too_large');
    });

    it('gives strings that outlive the next reads', () => {
      const a = sample(256 * 1024);
      const b = Buffer.from(a.toString().toUpperCase());
      const first = core.decompressText(deflateSync(a), MiB);
      const second = core.decompressText(deflateSync(b), MiB);
      expect(first).toBe(a.toString());
      expect(second).toBe(b.toString());
    });
  });
});

describe('the binding’s decompression errors', () => {
  /** What `call` throws, with the `code` napi-rs gives native errors. */
  function caught(call: () => unknown): Error & { code?: unknown } {
    try {
      call();
    } catch (err) {
      return err as Error & { code?: unknown };
    }
    throw new Error('nothing was thrown');
  }

  it.skipIf(native.core === undefined)('carry the reason as `code`, never as a prefix of the message', () => {
    const binding = createRequire(import.meta.url)('memcache-native/binding') as typeof Binding;
    const packed = deflateSync(sample(4096));
    for (const decompress of [binding.decompress, binding.decompressText]) {
      const tooLarge = caught(() => decompress(packed, 4095));
      const corrupt = caught(() => decompress(Buffer.from('not zlib'), MiB));
      expect([tooLarge.code, corrupt.code]).toEqual(['DecompressTooLarge', 'DecompressCorrupt']);
      for (const { message } of [tooLarge, corrupt]) expect(message).not.toMatch(/^(too_large|corrupt):/);
    }
    // The contract's error keeps the binding's as its cause.
    const error = caught(() => native.core?.decompress(packed, 4095));
    expect(error).toBeInstanceOf(CoreDecompressError);
    expect((error as CoreDecompressError).reason).toBe('too_large');
    expect((error.cause as { code?: unknown }).code).toBe('DecompressTooLarge');
  });
});
