/**
 * The batch layout shared by `hashBatch` and `Ring.lookupBatch`: keys back to back in one
 * buffer, key i at `keys[offsets[i] .. offsets[i + 1])`.
 */

/** Number of keys in a batch; throws RangeError when the offsets or the output do not fit. */
export function batchCount(keys: Uint8Array, offsets: Uint32Array, outLength: number): number {
  const count = Math.max(0, offsets.length - 1);
  if (outLength < count) {
    throw new RangeError(`batch output holds ${outLength} results, ${count} keys were given`);
  }
  for (let i = 0; i < count; i++) {
    if (offsets[i] > offsets[i + 1] || offsets[i + 1] > keys.length) {
      throw new RangeError(`batch offsets must be non-decreasing and within the keys (index ${i + 1})`);
    }
  }
  return count;
}
