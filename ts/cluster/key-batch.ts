/**
 * Wire keys packed back to back for the core's batch calls (`hashBatch`, `Ring.lookupBatch`), in
 * a buffer reused from call to call: routing a multi-key call is one crossing into the core and,
 * once the buffer has grown to fit, no allocation. Wire keys hold one byte per character (latin1).
 */
export class KeyPacker {
  #bytes = Buffer.allocUnsafe(4096);
  #offsets = new Uint32Array(65);

  /** Packs `keys`; the returned views are valid until the next call. */
  pack(keys: readonly string[]): { readonly bytes: Buffer; readonly offsets: Uint32Array } {
    let total = 0;
    for (let i = 0; i < keys.length; i++) total += keys[i].length;
    if (total > this.#bytes.length) this.#bytes = Buffer.allocUnsafe(Math.max(total, this.#bytes.length * 2));
    if (keys.length + 1 > this.#offsets.length) this.#offsets = new Uint32Array(Math.max(keys.length + 1, this.#offsets.length * 2));
    const bytes = this.#bytes;
    const offsets = this.#offsets;
    let at = 0;
    for (let i = 0; i < keys.length; i++) {
      at += bytes.write(keys[i], at, 'latin1');
      offsets[i + 1] = at;
    }
    return { bytes, offsets: offsets.subarray(0, keys.length + 1) };
  }

  /** One key's bytes (a view into the reused buffer, valid until the next call). */
  one(key: string): Buffer {
    if (key.length > this.#bytes.length) this.#bytes = Buffer.allocUnsafe(Math.max(key.length, this.#bytes.length * 2));
    return this.#bytes.subarray(0, this.#bytes.write(key, 0, 'latin1'));
  }
}
