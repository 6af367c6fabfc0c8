/**
 * How long a pool waits before opening its next connection to a server whose connections keep
 * failing. A connection that got at least one reply proves the server works: the next one opens
 * at once (a restart or an idle timeout costs nothing). Each connection in a row that failed
 * before its first reply (refused, reset, timed out, garbage) doubles the wait, from `base` up to
 * `max`, with "equal jitter": half the step fixed, half random, so that many clients cut off
 * together do not come back in lockstep.
 */

export interface BackoffSettings {
  /** ms before the first reconnect after a failed connection; 0 turns backing off off. */
  readonly base: number;
  /** ms the wait never exceeds. */
  readonly max: number;
}

export class ReconnectBackoff {
  readonly #settings: BackoffSettings;
  readonly #random: () => number;
  /** Connections in a row that failed before their first reply. */
  #failures = 0;

  /** `random` in [0, 1): replaceable for tests. */
  constructor(settings: BackoffSettings, random: () => number = Math.random) {
    this.#settings = settings;
    this.#random = random;
  }

  get failures(): number {
    return this.#failures;
  }

  /** A connection ended: `proven` if it got a reply, `failed` if it broke (rather than being closed on purpose). */
  record(proven: boolean, failed: boolean): void {
    if (proven) this.#failures = 0;
    else if (failed) this.#failures++;
  }

  /** ms to wait before opening the next connection. */
  delay(): number {
    const { base, max } = this.#settings;
    if (this.#failures === 0 || base === 0) return 0;
    // 2 ** 30 already exceeds any timer; the exponent is capped so the number stays finite.
    const step = Math.min(max, base * 2 ** Math.min(this.#failures - 1, 30));
    return Math.round(step / 2 + (step / 2) * this.#random());
  }
}
