/**
 * Collects encoded commands until the connection flushes them. Small pieces are packed into a
 * shared slab (no allocation per command); large values are kept as their own chunk (no copy).
 * Bytes handed out by `take()` are never written again, so the socket may hold them as long as it likes.
 */

const SLAB_SIZE = 64 * 1024;
/** Values at least this long are not copied into the slab. */
const OWN_CHUNK_SIZE = 16 * 1024;

export class CommandWriter {
  #slab: Buffer = Buffer.allocUnsafeSlow(0);
  /** Start of the bytes of the slab not yet taken. */
  #start = 0;
  #pos = 0;
  #chunks: Uint8Array[] = [];

  /** Whether anything was written since the last `take()`. */
  get isEmpty(): boolean {
    return this.#pos === this.#start && this.#chunks.length === 0;
  }

  /** Writes a wire string: one byte per character (ASCII text and wire-form keys). */
  latin1(text: string): void {
    this.#reserve(text.length);
    this.#pos += this.#slab.write(text, this.#pos, 'latin1');
  }

  /** Writes a string's UTF-8 bytes; `byteLength` is their count. */
  utf8(text: string, byteLength: number): void {
    this.#reserve(byteLength);
    this.#pos += this.#slab.write(text, this.#pos, 'utf8');
  }

  bytes(data: Uint8Array): void {
    if (data.length >= OWN_CHUNK_SIZE) {
      this.#seal();
      this.#chunks.push(data);
      return;
    }
    this.#reserve(data.length);
    this.#slab.set(data, this.#pos);
    this.#pos += data.length;
  }

  /** Everything written since the last call, in order. */
  take(): Uint8Array[] {
    this.#seal();
    const chunks = this.#chunks;
    this.#chunks = [];
    return chunks;
  }

  #reserve(length: number): void {
    if (this.#slab.length - this.#pos >= length) return;
    this.#seal();
    this.#slab = Buffer.allocUnsafeSlow(Math.max(SLAB_SIZE, length));
    this.#start = 0;
    this.#pos = 0;
  }

  #seal(): void {
    if (this.#pos === this.#start) return;
    this.#chunks.push(this.#slab.subarray(this.#start, this.#pos));
    this.#start = this.#pos;
  }
}
