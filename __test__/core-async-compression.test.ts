import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import type * as Binding from 'memcache-native/binding';
import { describe, expect, it } from 'vitest';
import { type CompressionAlgorithm, type Core, CoreDecompressError, type DecompressErrorReason } from '../ts/core/contract.js';
import { tsCore } from '../ts/core/ts-core/index.js';
import { describeEachCore, native } from './support/cores.js';
import { rawFrame, rleFrame, sample } from './support/zstd-frames.js';

const MiB = 1 << 20;
const NO_ZSTD = `node:zlib in Node ${process.versions.node} has no zstd (it came in Node 22.15)`;
const ALGORITHMS: readonly CompressionAlgorithm[] = ['zlib', 'zstd'];
const LEVEL: Readonly<Record<CompressionAlgorithm, number>> = { zlib: 6, zstd: 3 };

function expectSameBytes(actual: Uint8Array, expected: Uint8Array): void {
  expect(actual.length).toBe(expected.length);
  expect(Buffer.compare(actual, expected)).toBe(0);
}

/** The synchronous forms, by algorithm. */
function syncCompress(core: Core, algorithm: CompressionAlgorithm, data: Uint8Array, level: number): Buffer {
  return algorithm === 'zlib' ? core.compress(data, level) : core.zstdCompress(data, level);
}

function syncDecompress(core: Core, algorithm: CompressionAlgorithm, data: Uint8Array, cap: number): Buffer {
  return algorithm === 'zlib' ? core.decompress(data, cap) : core.zstdDecompress(data, cap);
}

/** Why `decompressAsync` rejected ('none' when it resolved); it must never throw synchronously. */
async function asyncError(core: Core, algorithm: CompressionAlgorithm, data: Uint8Array, cap: number): Promise<DecompressErrorReason | 'none'> {
  const pending = core.decompressAsync(algorithm, data, cap);
  try {
    await pending;
    return 'none';
  } catch (err) {
    expect(err).toBeInstanceOf(CoreDecompressError);
    return (err as CoreDecompressError).reason;
  }
}

/** A bomb per algorithm: 64 MB of zeros (zlib), 64 MB of RLE blocks of unknown size (zstd). */
function bomb(algorithm: CompressionAlgorithm): Buffer {
  return algorithm === 'zlib' ? deflateSync(Buffer.alloc(64 * MiB), { level: 9 }) : rleFrame(512);
}

describeEachCore('compression off the main thread', (core) => {
  describe.each(ALGORITHMS)('%s', (algorithm) => {
    const level = LEVEL[algorithm];
    /** A test that needs this algorithm; zstd is skipped, with the reason, on a core without it. */
    const ait = (name: string, body: () => Promise<void>) =>
      it(name, async (ctx) => {
        if (algorithm === 'zstd' && !core.hasZstd) return ctx.skip(NO_ZSTD);
        await body();
      });

    ait('round-trips async to sync, sync to async, and async to async', async () => {
      for (const size of [0, 1, 4096, 70_000, 300_000]) {
        const data = sample(size);
        const packed = await core.compressAsync(algorithm, data, level);
        expectSameBytes(syncDecompress(core, algorithm, packed, size), data);
        expectSameBytes(await core.decompressAsync(algorithm, syncCompress(core, algorithm, data, level), size), data);
        expectSameBytes(await core.decompressAsync(algorithm, packed, size), data);
      }
    });

    ait('compresses the UTF-8 bytes of a string', async () => {
      for (const text of ['', '{"a":1}'.repeat(1000), 'naïve café, 東京, \u{1f600} ', 'a\ud800b']) {
        const packed = await core.compressAsync(algorithm, text, level);
        expectSameBytes(syncDecompress(core, algorithm, packed, MiB), Buffer.from(text));
      }
    });

    ait('leaves a Uint8Array that is not a Buffer, and a view into a larger one, as they are', async () => {
      const whole = sample(10_000);
      const view = new Uint8Array(whole.buffer, whole.byteOffset + 100, 5000);
      const packed = await core.compressAsync(algorithm, view, level);
      expectSameBytes(await core.decompressAsync(algorithm, new Uint8Array(packed), 5000), view);
    });

    ait('rejects (never throws) a bad level with a RangeError', async () => {
      const pending = core.compressAsync(algorithm, sample(10), 99);
      await expect(pending).rejects.toBeInstanceOf(RangeError);
    });

    ait('allows output of exactly the cap and rejects one byte more as too_large', async () => {
      const packed = syncCompress(core, algorithm, sample(4096), level);
      expect(await core.decompressAsync(algorithm, packed, 4096)).toHaveLength(4096);
      expect(await asyncError(core, algorithm, packed, 4095)).toBe('too_large');
      expect(await core.decompressAsync(algorithm, syncCompress(core, algorithm, Buffer.alloc(0), level), 0)).toHaveLength(0);
      expect(await asyncError(core, algorithm, syncCompress(core, algorithm, Buffer.from('x'), level), 0)).toBe('too_large');
    });

    ait('rejects a bomb expanding to 64 MB as too_large under a 1 MiB cap', async () => {
      expect(await asyncError(core, algorithm, bomb(algorithm), MiB)).toBe('too_large');
      expect(await core.decompressAsync(algorithm, bomb(algorithm), 64 * MiB)).toHaveLength(64 * MiB);
    });

    ait('rejects truncated, trailing, doubled, empty and garbage input as corrupt', async () => {
      const packed = syncCompress(core, algorithm, sample(10_000), level);
      const inputs = [
        packed.subarray(0, packed.length - 1),
        packed.subarray(0, packed.length >> 1),
        Buffer.concat([packed, Buffer.from([0])]),
        Buffer.concat([packed, packed]),
        Buffer.alloc(0),
        Buffer.from('neither zlib nor zstd'),
      ];
      for (const input of inputs) expect(await asyncError(core, algorithm, input, MiB)).toBe('corrupt');
    });

    ait('gives each of many concurrent calls its own result', async () => {
      const inputs = Array.from({ length: 64 }, (_, i) => sample(1000 + i * 997));
      const compressions = inputs.map((data) => core.compressAsync(algorithm, data, level));
      const packed = await Promise.all(compressions);
      // Decompressions, failures and compressions interleaved, each checked through its own promise.
      const calls = packed.flatMap((frame, i) => [
        core.decompressAsync(algorithm, frame, inputs[i].length).then((out) => expectSameBytes(out, inputs[i])),
        asyncError(core, algorithm, frame, inputs[i].length - 1).then((reason) => expect(reason).toBe('too_large')),
        core.compressAsync(algorithm, inputs[i], level).then((again) => expectSameBytes(syncDecompress(core, algorithm, again, MiB), inputs[i])),
      ]);
      await Promise.all(calls);
    });

    ait('gives values in buffers of their own size, however well they compressed, sync and async', async () => {
      // Random bytes barely compress, the sample about 8 to 1, zeros far more: each decompresses
      // into an output chunk sized from a guess, which must not stay behind the value.
      const inputs = [randomBytes(40_000), sample(300_000), Buffer.alloc(200_000)];
      const packed: [Buffer, Buffer][] = inputs.map((data) => [data, syncCompress(core, algorithm, data, level)]);
      // A zstd frame that does not say its size (a streaming writer's): the chunk is a guess there too.
      if (algorithm === 'zstd') packed.push([inputs[0], rawFrame(inputs[0])]);
      for (const [data, frame] of packed) {
        for (const out of [syncDecompress(core, algorithm, frame, MiB), await core.decompressAsync(algorithm, frame, MiB)]) {
          expectSameBytes(out, data);
          expect(out.buffer.byteLength).toBeLessThanOrEqual(2 * data.length);
        }
      }
    });
  });

  it('rejects an unknown algorithm with a TypeError', async () => {
    await expect(core.compressAsync('lz4' as CompressionAlgorithm, sample(10), 1)).rejects.toBeInstanceOf(TypeError);
    await expect(core.decompressAsync('lz4' as CompressionAlgorithm, sample(10), 1)).rejects.toBeInstanceOf(TypeError);
  });
});

describe('async compression across cores', () => {
  const reason = native.reason ?? '';
  for (const algorithm of ALGORITHMS) {
    it(`${algorithm}: each core’s asynchronous output reads on the other, both ways`, async (ctx) => {
      if (native.core === undefined) return ctx.skip(reason);
      if (algorithm === 'zstd' && !tsCore.hasZstd) return ctx.skip(NO_ZSTD);
      const data = sample(200_000);
      const level = LEVEL[algorithm];
      expectSameBytes(await tsCore.decompressAsync(algorithm, await native.core.compressAsync(algorithm, data, level), data.length), data);
      expectSameBytes(await native.core.decompressAsync(algorithm, await tsCore.compressAsync(algorithm, data, level), data.length), data);
      expectSameBytes(syncDecompress(tsCore, algorithm, await native.core.compressAsync(algorithm, data, level), data.length), data);
    });
  }
});

describe('the binding’s asynchronous rejections', () => {
  it.skipIf(native.core === undefined)('carry the reason as `code`, as the synchronous errors do', async () => {
    const binding = createRequire(import.meta.url)('memcache-native/binding') as typeof Binding;
    const codeOf = async (pending: Promise<unknown>): Promise<unknown> => pending.then(() => 'resolved', (err: { code?: unknown }) => err.code);
    for (const [id, packed] of [[0, binding.compress(sample(4096), 6)], [1, binding.zstdCompress(sample(4096), 3)]] as const) {
      expect(await codeOf(binding.decompressAsync(id, packed, 4095))).toBe('DecompressTooLarge');
      expect(await codeOf(binding.decompressAsync(id, Buffer.from('garbage'), MiB))).toBe('DecompressCorrupt');
    }
    const error = await native.core?.decompressAsync('zstd', binding.zstdCompress(sample(4096), 3), 4095).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(CoreDecompressError);
    expect(((error as Error).cause as { code?: unknown }).code).toBe('DecompressTooLarge');
  });
});
