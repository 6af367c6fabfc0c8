// Counts occurrences of a reply terminator (`END\r\n`, `STORED\r\n`, `MN\r\n`) in a byte stream that
// arrives in arbitrary chunks, without copying: `indexOf` inside each chunk, plus a carried
// partial match for a terminator split across two chunks. Valid for terminators that no proper
// prefix of overlaps with (true of all three), and for streams whose values never contain them.
export class ReplyCounter {
  constructor(terminator) {
    this.pattern = Buffer.from(terminator);
    this.partial = 0; // bytes of `pattern` matched at the end of the previous chunk
  }

  /** How many terminators end inside `chunk`. */
  count(chunk) {
    let found = 0;
    let from = 0;
    if (this.partial > 0) {
      const rest = this.pattern.subarray(this.partial);
      if (chunk.length < rest.length) return this.#continuePartial(chunk, rest);
      this.partial = 0;
      if (chunk.compare(rest, 0, rest.length, 0, rest.length) === 0) { found++; from = rest.length; }
    }
    for (let at = chunk.indexOf(this.pattern, from); at !== -1; at = chunk.indexOf(this.pattern, from)) {
      found++;
      from = at + this.pattern.length;
    }
    this.partial = this.#trailingPrefix(chunk, from);
    return found;
  }

  #continuePartial(chunk, rest) {
    const matches = chunk.compare(rest, 0, chunk.length) === 0;
    this.partial = matches ? this.partial + chunk.length : this.#trailingPrefix(chunk, 0);
    return 0;
  }

  /** Longest proper prefix of the terminator that `chunk` ends with, looking no earlier than `from`. */
  #trailingPrefix(chunk, from) {
    const longest = Math.min(this.pattern.length - 1, chunk.length - from);
    for (let n = longest; n > 0; n--) {
      if (chunk.compare(this.pattern, 0, n, chunk.length - n) === 0) return n;
    }
    return 0;
  }
}
