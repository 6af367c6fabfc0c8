/**
 * The reply scanner, text and meta protocol mixed in one stream: `buf[start .. end)` in, one
 * SCAN_STRIDE-word record per complete reply out (layout and kinds in ../contract.ts). Never
 * throws, reads nothing outside `[start, end)`, reads VALUE and VA data by its declared length only.
 * VALUE and VA headers as servers write them take a one-pass fast path (fastValue), which accepts
 * only what the careful path below accepts, with the same record, and leaves it the rest.
 *
 * Edge-case decisions (the Rust scanner must make the same; the differential tests check):
 *  1. A line ends at its first `\n`, which must follow a `\r`: a bare `\n` (or an empty line)
 *     is MALFORMED. A lone `\r` inside a line is an ordinary byte of it.
 *  2. A line is judged only once complete, so a prefix of a valid stream is never MALFORMED.
 *     The one exception: MAX_LINE_LENGTH + 2 bytes holding no `\n` are MALFORMED at once, as
 *     no line longer than MAX_LINE_LENGTH before its `\r\n` is accepted.
 *  3. Keywords are exact and case-sensitive (`stored`, `END `, `OK  ` are MALFORMED).
 *     The bare kinds (END .. RESET) take no text at all, not even a trailing space.
 *  4. ERROR, VERSION, CLIENT_ERROR, SERVER_ERROR: the keyword alone gives an empty A; otherwise
 *     one space, and A is the rest of the line as is (further spaces included, may be empty).
 *     Anything else after the keyword (`VERSIONX`) is MALFORMED. ERROR takes a text because
 *     some servers and proxies send `ERROR <message>`; it is harmless when absent.
 *  5. `STAT <name>[ <value>]`: the name runs to the next space and must not be empty;
 *     the value is the rest of the line after that one space (spaces kept, may be empty).
 *     `STAT name` (no space) gives an empty B; `STAT`, `STAT ` and `STAT  x` are MALFORMED.
 *  6. NUMBER: a line starting with a digit; digits, then only spaces (excluded from A).
 *     The value must fit a u64: 18446744073709551615 passes, 18446744073709551616 is MALFORMED.
 *  7. `VALUE <key> <flags> <bytes>[ <cas>]`: exactly 3 or 4 fields after `VALUE`, single spaces,
 *     no trailing space; key non-empty (any bytes but space); flags and bytes digits fitting
 *     a u32 (a longer block could never fit the u32 offsets, so waiting for it would hang),
 *     cas digits fitting a u64. The data must be followed by `\r\n`, else MALFORMED (judged
 *     once bytes + 2 bytes of data are available).
 *  8. Decimal fields may have leading zeros; the range check is on the value.
 *  9. An empty field starts where it would have been: at the line end for an empty message,
 *     STAT value or an absent cas, at the data start for an empty VALUE. Fields a kind does
 *     not have are 0 (start and length), as is FLAGS outside VALUE.
 * 10. MALFORMED: F_START = F_END = start of the offending reply (nothing consumed); A starts
 *     there and covers the bytes that were judged (the line with its `\n`, the VALUE header
 *     with data and the two bytes after it, or the over-long line), capped at 256 bytes.
 * 11. Out-of-range `start`/`end` are clamped to `[0, buf.length]`; `start >= end` scans nothing.
 * 12. Meta replies: a two-letter code as a whole word, alone or followed by a space (`EN` is
 *     not `END`, `HDX` is MALFORMED). HD, EN, NS, EX, NF and `VA <datalen>` take flags: after
 *     one space, words separated by single spaces, none empty (so no leading, doubled or trailing
 *     space: `HD ` is MALFORMED), each an ASCII letter and then printable ASCII (0x21-0x7e) only,
 *     else MALFORMED (a garbled `f` or `W` word must not pass for another, or for none). A is
 *     the flags' text (empty at the line end when none), FLAGS
 *     the value of the first word starting `f` (it must be `f` and digits fitting a u32, else
 *     MALFORMED; 0 without one), C the first word starting `O` without its `O` (empty at the
 *     line end without one). Later `f`/`O` words are left in A, unchecked.
 * 13. `VA <datalen>[ <flags>]`: datalen digits fitting a u32; the data is read and judged as a
 *     VALUE's (decision 7), into B. `MN` takes nothing after it, as END. `ME <key>[ <rest>]` is
 *     read as STAT (decision 5): A = key, B = the rest.
 */
import {
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
  MAX_LINE_LENGTH,
  ReplyKind,
  SCAN_STRIDE,
} from '../contract.js';
import { digitsEnd, isU64Digits, parseU32 } from './decimal.js';

const CR = 0x0d;
const LF = 0x0a;
const SPACE = 0x20;
const MALFORMED_EXCERPT = 256;
/** Bytes searched for `\n` byte by byte before handing the rest to the native `indexOf`. */
const QUICK_SEARCH = 64;

/** scanReply results besides "next reply starts here". */
const INCOMPLETE = -1;
const STOP = -2;
/** A fast-path result: not decided there, the careful path reads the reply (see fastValue). */
const UNDECIDED = -3;
/** Longest header the fast path reads; a longer one goes the careful way. */
const FAST_HEADER_MAX = 512;
/** Digits the fast path takes in a u32 field (flags, lengths): 9 always fit, 10 may not. */
const FAST_U32_DIGITS = 9;
/** Digits the fast path takes in a cas (a u64): 19 always fit, 20 may not. */
const FAST_U64_DIGITS = 19;
const ZERO = 0x30;
/** findLineEnd results besides "the `\n` is here". */
const NO_LINE_YET = -1;
const LINE_TOO_LONG = -2;

const ascii = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));

/** Replies that are one exact keyword line. */
const BARE_KEYWORDS: ReadonlyArray<readonly [Uint8Array, ReplyKind]> = [
  [ascii('END'), ReplyKind.END],
  [ascii('STORED'), ReplyKind.STORED],
  [ascii('NOT_STORED'), ReplyKind.NOT_STORED],
  [ascii('EXISTS'), ReplyKind.EXISTS],
  [ascii('NOT_FOUND'), ReplyKind.NOT_FOUND],
  [ascii('DELETED'), ReplyKind.DELETED],
  [ascii('TOUCHED'), ReplyKind.TOUCHED],
  [ascii('OK'), ReplyKind.OK],
  [ascii('RESET'), ReplyKind.RESET],
];
/** Replies whose keyword is followed by text: the whole rest of the line is A. */
const MESSAGE_KEYWORDS: ReadonlyArray<readonly [Uint8Array, ReplyKind]> = [
  [ascii('ERROR'), ReplyKind.ERROR],
  [ascii('VERSION'), ReplyKind.VERSION],
  [ascii('CLIENT_ERROR'), ReplyKind.CLIENT_ERROR],
  [ascii('SERVER_ERROR'), ReplyKind.SERVER_ERROR],
];
const VALUE = ascii('VALUE');
const STAT = ascii('STAT');

export function scan(buf: Uint8Array, start: number, end: number, out: Uint32Array): number {
  const stop = clampIndex(end, buf.length);
  let pos = clampIndex(start, stop);
  const capacity = Math.floor(out.length / SCAN_STRIDE);
  let count = 0;
  while (count < capacity && pos < stop) {
    const next = scanReply(buf, pos, stop, out, count * SCAN_STRIDE);
    if (next === INCOMPLETE) break;
    count++;
    if (next === STOP) break;
    pos = next;
  }
  return count;
}

function clampIndex(index: number, max: number): number {
  return index > 0 ? Math.min(Math.floor(index), max) : 0;
}

/** Scans the reply at `pos`: writes its record at `out[o]` and returns where the next starts. */
function scanReply(buf: Uint8Array, pos: number, stop: number, out: Uint32Array, o: number): number {
  if (buf[pos] === 0x56 /* V */ && pos + 2 < stop) {
    const fast = buf[pos + 2] === SPACE ? fastMetaValue(buf, pos, stop, out, o) : fastValue(buf, pos, stop, out, o);
    if (fast !== UNDECIDED) return fast;
  }
  const lf = findLineEnd(buf, pos, stop);
  if (lf === NO_LINE_YET) return INCOMPLETE;
  if (lf === LINE_TOO_LONG) return malformed(out, o, pos, pos + MAX_LINE_LENGTH + 2);
  if (lf === pos || buf[lf - 1] !== CR) return malformed(out, o, pos, lf + 1);
  const lineEnd = lf - 1;
  const next = lf + 1;
  const first = buf[pos];
  if (first >= 0x30 && first <= 0x39) return scanNumber(buf, pos, lineEnd, next, out, o);
  if (lineEnd - pos === 2 || (lineEnd - pos > 2 && buf[pos + 2] === SPACE)) {
    const kind = metaKind(first, buf[pos + 1]);
    if (kind !== 0) return scanMeta(kind, buf, pos, lineEnd, stop, out, o);
  }
  if (first === 0x56 /* V */ && startsWithWord(buf, pos, lineEnd, VALUE)) {
    return scanValue(buf, pos, lineEnd, stop, out, o);
  }
  if (first === 0x53 /* S */ && startsWithWord(buf, pos, lineEnd, STAT)) {
    return scanNamed(ReplyKind.STAT, buf, pos, pos + STAT.length, lineEnd, out, o);
  }
  for (const [word, kind] of BARE_KEYWORDS) {
    if (lineEnd - pos === word.length && startsWith(buf, pos, word)) {
      return record(out, o, kind, pos, next, 0, 0, 0, 0, 0, 0, 0);
    }
  }
  for (const [word, kind] of MESSAGE_KEYWORDS) {
    if (startsWithWord(buf, pos, lineEnd, word)) {
      const text = Math.min(pos + word.length + 1, lineEnd);
      return record(out, o, kind, pos, next, text, lineEnd - text, 0, 0, 0, 0, 0);
    }
  }
  return malformed(out, o, pos, next);
}

/** Index of the `\n` ending the line at `pos`, or NO_LINE_YET / LINE_TOO_LONG. */
function findLineEnd(buf: Uint8Array, pos: number, stop: number): number {
  const window = pos + MAX_LINE_LENGTH + 2;
  const limit = Math.min(stop, window);
  const quick = Math.min(limit, pos + QUICK_SEARCH);
  for (let i = pos; i < quick; i++) if (buf[i] === LF) return i;
  if (quick < limit) {
    const found = buf.indexOf(LF, quick);
    if (found !== -1 && found < limit) return found;
  }
  return limit === window ? LINE_TOO_LONG : NO_LINE_YET;
}

function startsWith(buf: Uint8Array, pos: number, word: Uint8Array): boolean {
  for (let i = 0; i < word.length; i++) if (buf[pos + i] !== word[i]) return false;
  return true;
}

/** Whether the line `buf[pos .. lineEnd)` is `word` alone or `word` followed by a space. */
function startsWithWord(buf: Uint8Array, pos: number, lineEnd: number, word: Uint8Array): boolean {
  const after = pos + word.length;
  if (after > lineEnd || !startsWith(buf, pos, word)) return false;
  return after === lineEnd || buf[after] === SPACE;
}

function scanNumber(buf: Uint8Array, pos: number, lineEnd: number, next: number, out: Uint32Array, o: number): number {
  const digits = digitsEnd(buf, pos, lineEnd);
  for (let i = digits; i < lineEnd; i++) if (buf[i] !== SPACE) return malformed(out, o, pos, next);
  if (!isU64Digits(buf, pos, digits)) return malformed(out, o, pos, next);
  return record(out, o, ReplyKind.NUMBER, pos, next, pos, digits - pos, 0, 0, 0, 0, 0);
}

/**
 * `STAT <name>[ <value>]` and `ME <key>[ <rest>]`, the keyword ending at `wordEnd`: A = the name
 * (non-empty, up to the next space), B = the rest of the line after that space (maybe empty).
 */
function scanNamed(kind: ReplyKind, buf: Uint8Array, pos: number, wordEnd: number, lineEnd: number, out: Uint32Array, o: number): number {
  const next = lineEnd + 2;
  const name = wordEnd + 1;
  const nameEnd = fieldEnd(buf, name, lineEnd);
  if (nameEnd <= name) return malformed(out, o, pos, next);
  const value = Math.min(nameEnd + 1, lineEnd);
  return record(out, o, kind, pos, next, name, nameEnd - name, value, lineEnd - value, 0, 0, 0);
}

/** `VALUE <key> <flags> <bytes>[ <cas>]\r\n<data>\r\n`; the header line is `buf[pos .. lineEnd)`. */
function scanValue(buf: Uint8Array, pos: number, lineEnd: number, stop: number, out: Uint32Array, o: number): number {
  const headerNext = lineEnd + 2;
  const key = pos + VALUE.length + 1;
  const keyEnd = fieldEnd(buf, key, lineEnd);
  const flagsEnd = fieldEnd(buf, keyEnd + 1, lineEnd);
  const bytesEnd = fieldEnd(buf, flagsEnd + 1, lineEnd);
  const casEnd = bytesEnd < lineEnd ? fieldEnd(buf, bytesEnd + 1, lineEnd) : bytesEnd;
  const flags = keyEnd < lineEnd ? parseU32(buf, keyEnd + 1, flagsEnd) : -1;
  const bytes = flagsEnd < lineEnd ? parseU32(buf, flagsEnd + 1, bytesEnd) : -1;
  const hasCas = casEnd > bytesEnd;
  const validHeader =
    keyEnd > key &&
    flags >= 0 &&
    bytes >= 0 &&
    casEnd === lineEnd &&
    (bytesEnd === lineEnd || (hasCas && isU64Digits(buf, bytesEnd + 1, casEnd)));
  if (!validHeader) return malformed(out, o, pos, headerNext);
  const dataEnd = headerNext + bytes;
  if (dataEnd + 2 > stop) return INCOMPLETE;
  if (buf[dataEnd] !== CR || buf[dataEnd + 1] !== LF) return malformed(out, o, pos, dataEnd + 2);
  const cas = hasCas ? bytesEnd + 1 : lineEnd;
  return record(out, o, ReplyKind.VALUE, pos, dataEnd + 2, key, keyEnd - key, headerNext, bytes, flags, cas, casEnd - cas);
}

/**
 * The fast path of the two replies that carry values, for headers as servers send them:
 * `VALUE <key> <flags> <bytes>[ <cas>]` (decision 7) read in one pass, where the careful path
 * finds the line end first and then splits the line, field by field (about half the time per
 * value in the pure-TS core). It accepts only what the careful path accepts, with the same
 * record; anything else (a byte out of place, a field near its range's limit, a header not
 * complete in `[pos, stop)` or longer than FAST_HEADER_MAX) is UNDECIDED and goes the careful
 * way, so the fast path decides sooner, never differently.
 */
function fastValue(buf: Uint8Array, pos: number, stop: number, out: Uint32Array, o: number): number {
  const limit = Math.min(stop, pos + FAST_HEADER_MAX);
  const key = pos + VALUE.length + 1;
  if (key >= limit || !startsWith(buf, pos, VALUE) || buf[key - 1] !== SPACE) return UNDECIDED;
  let i = key;
  // Any byte above a space is part of a key; a control byte leaves the key to the careful path.
  while (i < limit && buf[i] > SPACE) i++;
  if (i === key || i >= limit || buf[i] !== SPACE) return UNDECIDED;
  const keyEnd = i;
  const flags = fastU32(buf, keyEnd + 1, limit);
  if (flags < 0 || buf[fastEnd] !== SPACE) return UNDECIDED;
  const bytes = fastU32(buf, fastEnd + 1, limit);
  if (bytes < 0) return UNDECIDED;
  let cas = fastEnd;
  let casEnd = fastEnd;
  if (buf[fastEnd] === SPACE) {
    cas = fastEnd + 1;
    casEnd = digitsEnd(buf, cas, limit);
    if (casEnd === cas || casEnd - cas > FAST_U64_DIGITS) return UNDECIDED;
  }
  return fastData(ReplyKind.VALUE, buf, pos, casEnd, limit, stop, out, o, key, keyEnd - key, bytes, flags, cas, casEnd - cas);
}

/**
 * `VA <datalen>[ <flags>]` (decisions 12, 13) read in one pass, as fastValue: the flags' words,
 * the client flags from the first `f` word, the opaque from the first `O` word.
 */
function fastMetaValue(buf: Uint8Array, pos: number, stop: number, out: Uint32Array, o: number): number {
  const limit = Math.min(stop, pos + FAST_HEADER_MAX);
  if (pos + 3 >= limit || buf[pos + 1] !== 0x41 /* A */) return UNDECIDED;
  const bytes = fastU32(buf, pos + 3, limit);
  if (bytes < 0) return UNDECIDED;
  let i = fastEnd;
  if (buf[i] !== SPACE) return fastData(ReplyKind.META_VA, buf, pos, i, limit, stop, out, o, i, 0, bytes, 0, i, 0);
  const start = i + 1;
  let client = -1;
  let opaque = -1;
  let opaqueEnd = -1;
  for (i = start; ; i++) {
    if (i >= limit) return UNDECIDED;
    const word = i;
    const letter = buf[i];
    if (letter === 0x66 /* f */ && client < 0) {
      client = fastU32(buf, word + 1, limit);
      if (client < 0) return UNDECIDED;
      i = fastEnd;
    } else {
      while (i < limit && buf[i] > SPACE && buf[i] < 0x7f) i++;
      // An empty word (a space doubled or trailing), a control or non-ASCII byte, or a word not
      // starting with a letter: the careful path judges it.
      if (i === word || !isAsciiLetter(letter)) return UNDECIDED;
      if (letter === 0x4f /* O */ && opaque < 0) {
        opaque = word + 1;
        opaqueEnd = i;
      }
    }
    if (i >= limit || buf[i] !== SPACE) break;
  }
  // No opaque: an empty C at the line end, as the careful path gives.
  const c = opaque < 0 ? i : opaque;
  return fastData(ReplyKind.META_VA, buf, pos, i, limit, stop, out, o, start, i - start, bytes, client < 0 ? 0 : client, c, opaque < 0 ? 0 : opaqueEnd - opaque);
}

/** Where the digits fastU32 last read end (one variable for all calls: no garbage). */
let fastEnd = 0;

/**
 * The value of the digits from `from`, at most FAST_U32_DIGITS of them, their end in `fastEnd`;
 * -1 when there are none, too many, or they reach `limit` (nothing after them to judge).
 */
function fastU32(buf: Uint8Array, from: number, limit: number): number {
  // Digits and value in one loop: digitsEnd then parseU32 (two passes, two calls) measured ~20 ns
  // more per record, past TurboFan's inlining budget as fastData's record() was.
  let value = 0;
  let i = from;
  for (; i < limit; i++) {
    const digit = buf[i] - ZERO;
    if (digit < 0 || digit > 9) break;
    value = value * 10 + digit;
  }
  fastEnd = i;
  return i === from || i - from > FAST_U32_DIGITS || i >= limit ? -1 : value;
}

/**
 * The end of a fast-read header at `lineEnd` (which must hold `\r\n`), then `bytes` of data and
 * their `\r\n`: the record, INCOMPLETE while the data is not all in, UNDECIDED otherwise.
 */
function fastData(
  kind: ReplyKind,
  buf: Uint8Array,
  pos: number,
  lineEnd: number,
  limit: number,
  stop: number,
  out: Uint32Array,
  o: number,
  aStart: number,
  aLen: number,
  bytes: number,
  flags: number,
  cStart: number,
  cLen: number,
): number {
  if (lineEnd + 1 >= limit || buf[lineEnd] !== CR || buf[lineEnd + 1] !== LF) return UNDECIDED;
  const data = lineEnd + 2;
  const dataEnd = data + bytes;
  if (dataEnd + 2 > stop) return INCOMPLETE;
  if (buf[dataEnd] !== CR || buf[dataEnd + 1] !== LF) return UNDECIDED;
  // The record written here, not through record(): past TurboFan's inlining budget that call
  // stays a call, a sixth of a value's scan (78 against 65 ns per VALUE, measured).
  out[o + F_KIND] = kind;
  out[o + F_START] = pos;
  out[o + F_END] = dataEnd + 2;
  out[o + F_A_START] = aStart;
  out[o + F_A_LEN] = aLen;
  out[o + F_B_START] = data;
  out[o + F_B_LEN] = bytes;
  out[o + F_FLAGS] = flags;
  out[o + F_C_START] = cStart;
  out[o + F_C_LEN] = cLen;
  return dataEnd + 2;
}

/** The meta reply kind of a two-letter code, or 0. */
function metaKind(first: number, second: number): number {
  switch ((first << 8) | second) {
    case 0x4844 /* HD */:
      return ReplyKind.META_HD;
    case 0x5641 /* VA */:
      return ReplyKind.META_VA;
    case 0x454e /* EN */:
      return ReplyKind.META_EN;
    case 0x4e53 /* NS */:
      return ReplyKind.META_NS;
    case 0x4558 /* EX */:
      return ReplyKind.META_EX;
    case 0x4e46 /* NF */:
      return ReplyKind.META_NF;
    case 0x4d4e /* MN */:
      return ReplyKind.META_MN;
    case 0x4d45 /* ME */:
      return ReplyKind.META_ME;
    default:
      return 0;
  }
}

/** A meta reply whose two-letter code, a whole word, starts the line `buf[pos .. lineEnd)` (decisions 12, 13). */
function scanMeta(kind: number, buf: Uint8Array, pos: number, lineEnd: number, stop: number, out: Uint32Array, o: number): number {
  const next = lineEnd + 2;
  const code = pos + 2;
  switch (kind) {
    case ReplyKind.META_MN:
      return code === lineEnd ? record(out, o, kind, pos, next, 0, 0, 0, 0, 0, 0, 0) : malformed(out, o, pos, next);
    case ReplyKind.META_ME:
      return scanNamed(kind, buf, pos, code, lineEnd, out, o);
    case ReplyKind.META_VA:
      return scanMetaValue(buf, pos, lineEnd, stop, out, o);
    default:
      if (!readFlags(buf, code, lineEnd)) return malformed(out, o, pos, next);
      return record(out, o, kind, pos, next, flags.start, lineEnd - flags.start, 0, 0, flags.client, flags.opaque, flags.opaqueLen);
  }
}

/** `VA <datalen>[ <flags>]\r\n<data>\r\n`. */
function scanMetaValue(buf: Uint8Array, pos: number, lineEnd: number, stop: number, out: Uint32Array, o: number): number {
  const headerNext = lineEnd + 2;
  const length = pos + 3;
  const lengthEnd = length <= lineEnd ? fieldEnd(buf, length, lineEnd) : lineEnd;
  const bytes = length <= lineEnd ? parseU32(buf, length, lengthEnd) : -1;
  if (bytes < 0 || !readFlags(buf, lengthEnd, lineEnd)) return malformed(out, o, pos, headerNext);
  const dataEnd = headerNext + bytes;
  if (dataEnd + 2 > stop) return INCOMPLETE;
  if (buf[dataEnd] !== CR || buf[dataEnd + 1] !== LF) return malformed(out, o, pos, dataEnd + 2);
  const { start, client, opaque, opaqueLen } = flags;
  return record(out, o, ReplyKind.META_VA, pos, dataEnd + 2, start, lineEnd - start, headerNext, bytes, client, opaque, opaqueLen);
}

/** What `readFlags` found in the last meta flags it read (one object for all calls: no garbage). */
const flags = { start: 0, client: 0, opaque: 0, opaqueLen: 0 };

/**
 * Reads the meta flags after `wordEnd` (the end of the code or datalen: the line end, or a space
 * and then the flags) into `flags` (decision 12). False when they are malformed.
 */
function readFlags(buf: Uint8Array, wordEnd: number, lineEnd: number): boolean {
  let client = -1;
  let opaque = -1;
  let opaqueEnd = -1;
  const from = wordEnd === lineEnd ? lineEnd : wordEnd + 1;
  let word = from;
  while (wordEnd < lineEnd) {
    const end = fieldEnd(buf, word, lineEnd);
    if (end === word) return false; // an empty word: a space leading, doubled or trailing
    if (!isFlagWord(buf, word, end)) return false;
    const letter = buf[word];
    if (letter === 0x66 /* f */ && client < 0) {
      client = parseU32(buf, word + 1, end);
      if (client < 0) return false;
    } else if (letter === 0x4f /* O */ && opaque < 0) {
      opaque = word + 1;
      opaqueEnd = end;
    }
    if (end === lineEnd) break;
    word = end + 1;
  }
  flags.start = from;
  flags.client = client < 0 ? 0 : client;
  flags.opaque = opaque < 0 ? lineEnd : opaque;
  flags.opaqueLen = opaque < 0 ? 0 : opaqueEnd - opaque;
  return true;
}

/** Whether `buf[from .. end)` can be a meta flag word: an ASCII letter, then printable ASCII (decision 12). */
function isFlagWord(buf: Uint8Array, from: number, end: number): boolean {
  if (!isAsciiLetter(buf[from])) return false;
  for (let i = from + 1; i < end; i++) if (buf[i] < 0x21 || buf[i] > 0x7e) return false;
  return true;
}

/** A-Z or a-z (lower-cased by bit 0x20, then one unsigned range check). */
function isAsciiLetter(byte: number): boolean {
  return ((byte | 0x20) - 0x61) >>> 0 <= 25;
}

/** End of the space-delimited field starting at `from`: the next space, or `lineEnd`. */
function fieldEnd(buf: Uint8Array, from: number, lineEnd: number): number {
  let i = from;
  while (i < lineEnd && buf[i] !== SPACE) i++;
  return i;
}

/** Writes the MALFORMED record for the bytes judged, `buf[pos .. judgedEnd)` (decision 10). */
function malformed(out: Uint32Array, o: number, pos: number, judgedEnd: number): number {
  const excerptEnd = Math.min(judgedEnd, pos + MALFORMED_EXCERPT);
  record(out, o, ReplyKind.MALFORMED, pos, pos, pos, excerptEnd - pos, 0, 0, 0, 0, 0);
  return STOP;
}

/** Writes one record; returns `end`, where the next reply starts. */
function record(
  out: Uint32Array,
  o: number,
  kind: ReplyKind,
  start: number,
  end: number,
  aStart: number,
  aLen: number,
  bStart: number,
  bLen: number,
  flags: number,
  cStart: number,
  cLen: number,
): number {
  out[o + F_KIND] = kind;
  out[o + F_START] = start;
  out[o + F_END] = end;
  out[o + F_A_START] = aStart;
  out[o + F_A_LEN] = aLen;
  out[o + F_B_START] = bStart;
  out[o + F_B_LEN] = bLen;
  out[o + F_FLAGS] = flags;
  out[o + F_C_START] = cStart;
  out[o + F_C_LEN] = cLen;
  return end;
}
