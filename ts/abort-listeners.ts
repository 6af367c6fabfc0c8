/**
 * One 'abort' listener per AbortSignal, however many calls wait on it. Apps hand one signal (a
 * request's, a shutdown's) to many concurrent calls; a listener per call would make Node warn
 * past ten (MaxListenersExceededWarning), and each insertion walks the listeners already there.
 * Here the calls waiting on a signal are kept beside it (a Set once there are two), told in the
 * order they started, and the one listener goes once the last of them leaves: the signal is left
 * as it was found. (A WeakMap entry costs a call with a signal of its own ~0.5 µs, against the
 * ~5 µs its AbortController costs; a shared signal's calls save ~0.7 µs each: bench/PROFILE.md.)
 */

/** Told once, when the signal it waits on aborts (the shape EventTarget accepts as a listener). */
export interface AbortListener {
  handleEvent(): void;
}

/** Per signal, the one listener waiting on it, or the Set of them once there are two. */
const waiting = new WeakMap<AbortSignal, AbortListener | Set<AbortListener>>();

/**
 * Tells `listener` when `signal` aborts, until `stopListening`; at once if it has already (a call's
 * follow-up request made after its signal aborted).
 */
export function listenForAbort(signal: AbortSignal, listener: AbortListener): void {
  if (signal.aborted) {
    listener.handleEvent();
    return;
  }
  const entry = waiting.get(signal);
  if (entry === undefined) {
    waiting.set(signal, listener);
    signal.addEventListener('abort', tellAll);
  } else if (entry instanceof Set) {
    entry.add(listener);
  } else {
    waiting.set(signal, new Set([entry, listener]));
  }
}

/** `listener` no longer waits on `signal`; nothing happens if it did not (or was told already). */
export function stopListening(signal: AbortSignal, listener: AbortListener): void {
  const entry = waiting.get(signal);
  if (entry === listener || (entry instanceof Set && entry.delete(listener) && entry.size === 0)) {
    waiting.delete(signal);
    signal.removeEventListener('abort', tellAll);
  }
}

/** The one listener: the entry goes first, so listeners that stop listening as they are told find nothing to remove. */
function tellAll(event: Event): void {
  const signal = event.target as AbortSignal;
  const entry = waiting.get(signal);
  if (entry === undefined) return;
  waiting.delete(signal);
  signal.removeEventListener('abort', tellAll);
  if (entry instanceof Set) for (const listener of entry) listener.handleEvent();
  else entry.handleEvent();
}
