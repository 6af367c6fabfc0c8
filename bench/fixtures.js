// Deterministic inputs shared by the benchmarks.
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789:_';

/** `count` keys like `user:123:profile_ab`, back to back, with the offsets the core's batch calls take. */
export function makeKeyBatch(count) {
  const parts = [];
  for (let i = 0; i < count; i++) {
    let suffix = '';
    for (let j = 0; j < 6; j++) suffix += ALPHABET[(i * 7 + j * 13) % ALPHABET.length];
    parts.push(Buffer.from(`user:${i * 7919}:profile_${suffix}`));
  }
  const offsets = new Uint32Array(count + 1);
  parts.forEach((p, i) => { offsets[i + 1] = offsets[i] + p.length; });
  return { keys: Buffer.concat(parts), offsets, count };
}

/** A `get k1 .. kN` reply: N VALUE items of `valueSize` bytes, then END. */
export function makeMultiGetReply(count, valueSize) {
  const chunks = [];
  const value = Buffer.alloc(valueSize, 'x');
  for (let i = 0; i < count; i++) {
    chunks.push(Buffer.from(`VALUE key:${i} 16 ${valueSize}\r\n`), value, Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from('END\r\n'));
  return Buffer.concat(chunks);
}

/** Compressible JSON text of about `size` bytes, shaped like a typical cached API response. */
export function makeJson(size) {
  const items = [];
  let length = 2;
  for (let i = 0; length < size; i++) {
    const item = JSON.stringify({ id: i, name: `item ${i}`, tags: ['alpha', 'beta', i % 7 ? 'gamma' : 'delta'], price: (i * 37) % 1000 / 10, active: i % 3 === 0 });
    items.push(item);
    length += item.length + 1;
  }
  return Buffer.from(`[${items.join(',')}]`).subarray(0, size);
}

/** `count` keys like `bench:small:00042`, one per 100-byte item the end-to-end benchmark reads. */
export function makeKeys(count, prefix = 'bench:small') {
  return Array.from({ length: count }, (_, i) => `${prefix}:${String(i).padStart(5, '0')}`);
}

/** The ASCII text stored under key number `index`: distinct per key, exactly `size` bytes. */
export function makeValue(index, size = 100) {
  return `value:${index}:`.padEnd(size, 'x');
}
