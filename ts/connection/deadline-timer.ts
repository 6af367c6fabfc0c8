/**
 * A connection's request-deadline timer: one unref'd Node timer for the earliest deadline it was
 * given. It is lazy: arming it for a request whose deadline is no earlier than the one set costs
 * a number compare, not a timer (send runs at ~800k requests/s), and a request answered in time
 * leaves the timer in place.
 * So the timer may fire with nothing expired; its owner then looks at what is still pending and
 * arms it again for the next deadline. What expired, and what that does, is the owner's business.
 */

export class DeadlineTimer {
  /** Called when the timer fires, with performance.now(); it no longer holds a deadline then. */
  readonly #onExpire: (now: number) => void;
  #timer: NodeJS.Timeout | undefined;
  /** The deadline the timer fires at (performance.now() ms), while it is set. */
  #at = 0;

  constructor(onExpire: (now: number) => void) {
    this.#onExpire = onExpire;
  }

  /**
   * Makes the timer fire by `deadline` (performance.now() ms): sets it when none is set, moves it
   * when `deadline` is strictly earlier, and otherwise leaves it alone. The delay is rounded up to
   * whole ms, at least 1, so as not to fire before `deadline`. Unref'd: sockets hold the process,
   * timers never do.
   */
  arm(deadline: number): void {
    if (this.#timer !== undefined) {
      if (this.#at <= deadline) return;
      clearTimeout(this.#timer);
    }
    this.#at = deadline;
    this.#timer = setTimeout(this.#fire, Math.max(1, Math.ceil(deadline - performance.now()))).unref();
  }

  /** Stops the timer (the connection is closed); `arm` sets it again. */
  clear(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  // One callback per timer, made once: arming allocates nothing but the Node timer.
  #fire = (): void => {
    this.#timer = undefined;
    this.#onExpire(performance.now());
  };
}
