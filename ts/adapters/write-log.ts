/**
 * The keys an adapter wrote last, in call order, and the writes whose steps are not all taken.
 * Two of an adapter's steps are taken after the call that needs them, once the client has refused
 * something: the delete that follows a set refused for its size (set-or-drop.ts), and a setMany's
 * entries sent again one by one when the client refused one of them. A later call may have written
 * the key meanwhile, and such a step must not undo it (delete its value, or store an older one
 * over it). A ring of the last WRITES_KEPT writes: one array store per write, however many keys
 * the adapter sees. The refusal may come late (a value compressed off the main thread), after the
 * adapter was closed: its close waits for those writes (`idle`) before closing the client, which
 * would refuse the late step.
 */

const WRITES_KEPT = 4096;

export class WriteLog {
  readonly #keys: Array<string | undefined> = new Array<string | undefined>(WRITES_KEPT).fill(undefined);
  /** The number the next write gets (writes are numbered from 0, in call order). */
  #next = 0;
  /** The writes begun since the last idle() (see begin). */
  #opened = new OpenWrites();
  /** Those begun before it. */
  #earlier: Promise<void> = Promise.resolve();

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

  /** A write with steps that may come late starts: it calls the `ended` of what this returns once they are all taken. */
  begin(): OpenWrites {
    return this.#opened.begin();
  }

  /**
   * Resolves once every write begun before it has taken its steps. Writes begun after it are not
   * waited for: an application that keeps writing must not hold a close up.
   */
  idle(): Promise<void> {
    const opened = this.#opened;
    this.#opened = new OpenWrites();
    this.#earlier = Promise.all([this.#earlier, opened.idle()]).then(noop);
    return this.#earlier;
  }
}

const noop = (): void => {};

/** The writes begun between two idle() calls: a count, as every set is one (no object per write). */
export class OpenWrites {
  #open = 0;
  #resolve: (() => void) | undefined;
  #idle: Promise<void> | undefined;

  begin(): this {
    this.#open++;
    return this;
  }

  /** One of these writes has taken its steps; hands back `result` (it serves as a handler of the write's promise). */
  readonly ended = <T>(result: T): T => {
    if (--this.#open === 0) this.#resolve?.();
    return result;
  };

  /** Resolves once none is open. */
  idle(): Promise<void> {
    if (this.#open === 0) return Promise.resolve();
    return (this.#idle ??= new Promise((resolve) => (this.#resolve = resolve)));
  }
}
