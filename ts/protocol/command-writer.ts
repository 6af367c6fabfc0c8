/**
 * Collects encoded commands until the connection flushes them. Text is gathered and encoded into
 * a shared slab in one call per batch (a call into Buffer's encoders costs ~60 ns, as much as
 * encoding a whole 100-byte command, so three per `set` were most of its encoding cost); large
 * byte values are kept as their own chunk (no copy). Bytes handed out by `take()` are never
 * written again, so the socket may hold them as long as it likes.
 */

const SLAB_SIZE = 64 * 1024;
/** Values at least this long are not copied into the slab. */
const OWN_CHUNK_SIZE = 16 * 1024;
/** Gathered text is encoded once it reaches this many bytes, so no batch grows without bound. */
const TEXT_BATCH = 32 * 1024;

/** Node's own encoders behind `Buffer#write`, called directly (on Buffer.prototype, untyped). */
interface Encoders {
  latin1Write(text: string, offset: number): number;
  utf8Write(text: string, offset: number, length: number): number;
}

/** Meta opaques stay below this, so they print as at most 10 digits and compare as small integers. */
const MAX_OPAQUE = 0x7fff_ffff;

export class CommandWriter {
  /** The last meta opaque handed out on this connection (see `opaques`). */
  #opaque = 0;

  #slab: Buffer = Buffer.allocUnsafeSlow(0);
  /** Start of the bytes of the slab not yet taken. */
  #start = 0;
  #pos = 0;
  #chunks: Uint8Array[] = [];
  /** Text written but not yet encoded, in order, as parts and joined (a rope: `+=` costs nothing until flattened, unlike `join`). */
  #parts: string[] = [];
  #text = '';
  /** Indices into `#parts` of the UTF-8 parts; every other part is wire text (latin1). */
  #utf8Parts: number[] = [];
  /** UTF-8 size of `#parts`, if their latin1 parts are ASCII (as they nearly always are). */
  #partBytes = 0;
  /** Characters in the latin1 parts: what their UTF-8 form could exceed `#partBytes` by. */
  #latin1Chars = 0;

  /**
   * `count` consecutive meta opaques, unique among the requests in flight on this connection (one
   * writer per connection; 2^31 of them go round long after any request has timed out): the first.
   */
  opaques(count: number): number {
    if (this.#opaque + count >= MAX_OPAQUE) this.#opaque = 0;
    const first = this.#opaque + 1;
    this.#opaque += count;
    return first;
  }

  /** Whether anything was written since the last `take()`. */
  get isEmpty(): boolean {
    return this.#pos === this.#start && this.#chunks.length === 0 && this.#parts.length === 0;
  }

  /** Writes a wire string: one byte per character (ASCII text and wire-form keys). */
  latin1(text: string): void {
    this.#parts.push(text);
    this.#text += text;
    this.#partBytes += text.length;
    this.#latin1Chars += text.length;
    if (this.#partBytes >= TEXT_BATCH) this.#encodeParts();
  }

  /** Writes a string's UTF-8 bytes; `byteLength` is their count. */
  utf8(text: string, byteLength: number): void {
    this.#utf8Parts.push(this.#parts.length);
    this.#parts.push(text);
    this.#text += text;
    this.#partBytes += byteLength;
    if (this.#partBytes >= TEXT_BATCH) this.#encodeParts();
  }

  bytes(data: Uint8Array): void {
    this.#encodeParts();
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
    this.#encodeParts();
    this.#seal();
    const chunks = this.#chunks;
    this.#chunks = [];
    return chunks;
  }

  /**
   * Encodes the gathered text into the slab: all of it as UTF-8 in one call, which is right
   * when every latin1 part is ASCII; a byte count off by any amount says one was not, and the
   * parts are then written again one by one, each in its own encoding.
   */
  #encodeParts(): void {
    const parts = this.#parts;
    if (parts.length === 0) return;
    const expected = this.#partBytes;
    // Room for the worst case of the one-call attempt (every latin1 character taking two bytes).
    this.#reserve(expected + this.#latin1Chars);
    const slab = this.#slab as unknown as Encoders;
    const text = this.#text;
    const written = slab.utf8Write(text, this.#pos, expected + this.#latin1Chars);
    if (written !== expected) this.#encodeOneByOne(slab);
    this.#pos += expected;
    parts.length = 0;
    this.#text = '';
    this.#utf8Parts.length = 0;
    this.#partBytes = 0;
    this.#latin1Chars = 0;
  }

  #encodeOneByOne(slab: Encoders): void {
    const utf8Parts = this.#utf8Parts;
    let pos = this.#pos;
    let nextUtf8 = 0;
    for (let i = 0; i < this.#parts.length; i++) {
      if (nextUtf8 < utf8Parts.length && utf8Parts[nextUtf8] === i) {
        nextUtf8++;
        pos += slab.utf8Write(this.#parts[i], pos, this.#slab.length - pos);
      } else {
        pos += slab.latin1Write(this.#parts[i], pos);
      }
    }
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
