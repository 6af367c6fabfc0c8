/**
 * The keys an adapter wrote last, in call order. Two of an adapter's steps are taken after the
 * call that needs them, once the client has refused something: the delete that follows a set
 * refused for its size (set-or-drop.ts), and a setMany's entries sent again one by one when the
 * client refused one of them. A later call may have written the key meanwhile, and such a step
 * must not undo it (delete its value, or store an older one over it). A ring of the last
 * WRITES_KEPT writes: one array store per write, however many keys the adapter sees.
 */

const WRITES_KEPT = 4096;

export class WriteLog {
  readonly #keys: Array<string | undefined> = new Array<string | undefined>(WRITES_KEPT).fill(undefined);
  /** The number the next write gets (writes are numbered from 0, in call order). */
  #next = 0;

  /** Records a write of `key` (the key as the adapter's caller gave it); returns the write's number. */
  wrote(key: string): number {
    const n = this.#next++;
    this.#keys[n % WRITES_KEPT] = key;
    return n;
  }

  /** The number of the last write recorded (-1 before any). */
  get last(): number {
    return this.#next - 1;
  }

  /**
   * Whether a write recorded after write `n` was of `key`; undefined when more writes came since
   * than the log keeps, so it cannot tell.
   */
  writtenSince(key: string, n: number): boolean | undefined {
    const end = this.#next;
    if (end - n - 1 > WRITES_KEPT) return undefined;
    for (let i = n + 1; i < end; i++) if (this.#keys[i % WRITES_KEPT] === key) return true;
    return false;
  }
}
