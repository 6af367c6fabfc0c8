/**
 * Promises under way, kept until they settle, so that a close can wait for the ones begun before
 * it: the client's calls of several steps, an adapter's operations waiting on its namespace
 * counter. Only those under way when `settled()` is called are waited for: calls an app keeps
 * making after it must not hold a close up.
 */
const noop = (): void => {};

export class CallsUnderWay {
  readonly #calls = new Set<Promise<unknown>>();

  /** Whether none is under way. */
  get idle(): boolean {
    return this.#calls.size === 0;
  }

  /** `call`, kept until it settles. */
  track<T>(call: Promise<T>): Promise<T> {
    this.#calls.add(call);
    const settled = (): void => void this.#calls.delete(call);
    call.then(settled, settled);
    return call;
  }

  /** Resolves once every call under way now has settled, however it did. */
  settled(): Promise<void> {
    return Promise.all(Array.from(this.#calls, (call) => call.then(noop, noop))).then(noop);
  }
}
