/** Builds the back-to-back key layout of `hashBatch` and `Ring.lookupBatch`. */
export interface KeyBatch {
  readonly keys: Uint8Array;
  readonly offsets: Uint32Array;
}

export function keyBatch(keys: readonly Uint8Array[]): KeyBatch {
  const offsets = new Uint32Array(keys.length + 1);
  keys.forEach((key, i) => {
    offsets[i + 1] = offsets[i] + key.length;
  });
  return { keys: Buffer.concat(keys), offsets };
}
