/** opaqueDigits: the digits of every opaque the writer can hand out, without String(n). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { opaqueDigits } from '../ts/protocol/meta/opaque-digits.js';

describe('opaqueDigits', () => {
  it('prints group boundaries and zero groups as String does', () => {
    for (const n of [0, 1, 9, 10, 999, 1000, 1001, 10_000, 100_000, 999_999, 1_000_000, 1_000_007, 2_000_000_000, 0x7fff_ffff]) {
      expect(opaqueDigits(n)).toBe(String(n));
    }
  });

  it('prints any integer below 2^31 as String does', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 0x7fff_ffff }), (n) => opaqueDigits(n) === String(n)));
  });
});
