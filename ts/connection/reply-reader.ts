/**
 * Socket bytes to reply records: one core.scan per socket read, records in a reused Uint32Array.
 * A reply cut by a read boundary is kept in a buffer that grows geometrically, so a large value
 * arriving in many reads is copied a bounded number of times, never once per read.
 */
import { core, F_END, SCAN_STRIDE } from '../core/index.js';

/** Receives the records of one scan; returns false when the connection gave up (stop reading). */
export interface ReplySink {
  onRecords(buf: Buffer, records: Uint32Array, count: number): boolean;
}

const INITIAL_RECORDS = 256;
const MAX_RECORDS = 64 * 1024;
const MIN_CARRY = 16 * 1024;
/** A carry buffer this large is dropped once empty rather than kept for the connection's life. */
const MAX_IDLE_CARRY = 1024 * 1024;

export class ReplyReader {
  #records = new Uint32Array(INITIAL_RECORDS * SCAN_STRIDE);
  /** Bytes of an unfinished reply live in `#carry[#start .. #end)`. */
  #carry: Buffer = Buffer.alloc(0);
  #start = 0;
  #end = 0;

  /** Bytes held back waiting for the rest of a reply. */
  get buffered(): number {
    return this.#end - this.#start;
  }

  push(chunk: Buffer, sink: ReplySink): void {
    let buf = chunk;
    let start = 0;
    let end = chunk.length;
    if (this.#end > this.#start) {
      this.#append(chunk);
      buf = this.#carry;
      start = this.#start;
      end = this.#end;
    }
    for (;;) {
      const records = this.#records;
      const count = core.scan(buf, start, end, records);
      if (count === 0) break;
      start = records[(count - 1) * SCAN_STRIDE + F_END];
      if (!sink.onRecords(buf, records, count)) {
        this.reset();
        return;
      }
      if (count * SCAN_STRIDE < records.length) break;
      if (records.length < MAX_RECORDS * SCAN_STRIDE) this.#records = new Uint32Array(records.length * 2);
    }
    this.#keep(buf, start, end);
  }

  /** Drops whatever is buffered (the connection is gone). */
  reset(): void {
    this.#carry = Buffer.alloc(0);
    this.#start = 0;
    this.#end = 0;
  }

  /** Keeps `buf[start .. end)`, the start of a reply still incomplete. */
  #keep(buf: Buffer, start: number, end: number): void {
    if (buf !== this.#carry) {
      this.#start = this.#end = 0;
      if (start < end) this.#append(buf.subarray(start, end));
      return;
    }
    if (start < end) {
      this.#start = start;
      return;
    }
    if (this.#carry.length > MAX_IDLE_CARRY) this.#carry = Buffer.alloc(0);
    this.#start = this.#end = 0;
  }

  #append(chunk: Buffer): void {
    const held = this.#end - this.#start;
    const needed = held + chunk.length;
    if (this.#carry.length - this.#end < chunk.length) {
      if (needed <= this.#carry.length >>> 1) {
        this.#carry.copyWithin(0, this.#start, this.#end);
      } else {
        const grown = Buffer.allocUnsafe(Math.max(needed * 2, MIN_CARRY));
        this.#carry.copy(grown, 0, this.#start, this.#end);
        this.#carry = grown;
      }
      this.#start = 0;
      this.#end = held;
    }
    chunk.copy(this.#carry, this.#end);
    this.#end += chunk.length;
  }
}
