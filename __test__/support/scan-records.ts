/** Runs a core's scanner and turns its records into readable objects, for tests. */
import {
  type Core,
  F_A_LEN,
  F_A_START,
  F_B_LEN,
  F_B_START,
  F_C_LEN,
  F_C_START,
  F_END,
  F_FLAGS,
  F_KIND,
  F_START,
  ReplyKind,
  SCAN_STRIDE,
} from '../../ts/core/contract.js';

/** One record with its fields as latin1 text (binary-safe) instead of offsets. */
export interface Reply {
  readonly kind: keyof typeof ReplyKind;
  readonly start: number;
  readonly end: number;
  readonly a: string;
  readonly b: string;
  readonly flags: number;
  readonly c: string;
}

export interface ScanResult {
  /** The raw words, SCAN_STRIDE per record. */
  readonly words: number[];
  readonly replies: Reply[];
  /** F_END of the last record, or `start` when there is none. */
  readonly consumed: number;
}

const text = (buf: Uint8Array, start: number, length: number): string => Buffer.from(buf.buffer, buf.byteOffset + start, length).toString('latin1');

export function scanOnce(core: Core, buf: Uint8Array, start = 0, end = buf.length, capacity = 256): ScanResult {
  const out = new Uint32Array(capacity * SCAN_STRIDE);
  const count = core.scan(buf, start, end, out);
  const words = Array.from(out.subarray(0, count * SCAN_STRIDE));
  const replies: Reply[] = [];
  for (let o = 0; o < words.length; o += SCAN_STRIDE) {
    replies.push({
      kind: ReplyKind[words[o + F_KIND]] as keyof typeof ReplyKind,
      start: words[o + F_START],
      end: words[o + F_END],
      a: text(buf, words[o + F_A_START], words[o + F_A_LEN]),
      b: text(buf, words[o + F_B_START], words[o + F_B_LEN]),
      flags: words[o + F_FLAGS],
      c: text(buf, words[o + F_C_START], words[o + F_C_LEN]),
    });
  }
  const consumed = count === 0 ? start : words[words.length - SCAN_STRIDE + F_END];
  return { words, replies, consumed };
}

/**
 * Scans `buf` as if it arrived in pieces ending at each of `arrivals` (ascending, the last being
 * `buf.length`): after each arrival, scans from what was consumed so far up to what has arrived,
 * with room for `capacity` records, rescanning while records keep coming. Returns all raw words.
 */
export function scanArrivals(core: Core, buf: Uint8Array, arrivals: readonly number[], capacity = 256): number[] {
  const words: number[] = [];
  let consumed = 0;
  for (const arrived of arrivals) {
    for (;;) {
      const result = scanOnce(core, buf, consumed, arrived, capacity);
      words.push(...result.words);
      const last = result.words.length - SCAN_STRIDE;
      if (result.words.length === 0 || result.words[last + F_KIND] === ReplyKind.MALFORMED) break;
      consumed = result.consumed;
    }
    if (words.length > 0 && words[words.length - SCAN_STRIDE + F_KIND] === ReplyKind.MALFORMED) break;
  }
  return words;
}
