/**
 * A connection's requests in order: those queued this tick (unsent) and those written and awaiting
 * replies (a linked list through `Request.next`, so taking the head costs nothing).
 */
import type { CommandWriter } from '../protocol/command-writer.js';
import { NoopRequest } from '../protocol/meta/noop.js';
import { ReplyMode, type Request } from '../protocol/request.js';

export class RequestQueue {
  #unsent: Request[] = [];
  #head: Request | undefined;
  #tail: Request | undefined;
  #size = 0;

  /** Callers waiting on requests unsent or awaiting replies (a merged get counts each of its callers). */
  get size(): number {
    return this.#size;
  }

  /** The oldest request awaiting a reply. */
  get head(): Request | undefined {
    return this.#head;
  }

  /**
   * Lets the last unsent request take `request` in (see Request.absorb). A retried request merges
   * with nothing: it keeps its own, earlier deadline, which must not become another caller's.
   */
  absorbIntoLastUnsent(request: Request): boolean {
    const last = this.#unsent.length > 0 ? this.#unsent[this.#unsent.length - 1] : undefined;
    if (last === undefined || last.attempt !== 0 || request.attempt !== 0 || !last.absorb(request)) return false;
    this.grew(last);
    return true;
  }

  /** Whether `request` is the last unsent one. */
  isLastUnsent(request: Request): boolean {
    return this.#unsent.length > 0 && this.#unsent[this.#unsent.length - 1] === request;
  }

  /** An unsent request took in one more caller. */
  grew(request: Request): void {
    request.weight++;
    this.#size++;
  }

  /** One caller of `request` (sent, with others still waiting) was answered: the queue holds one caller less. */
  answeredOne(request: Request): void {
    request.weight--;
    this.#size--;
  }

  /** Requests queued this tick, not yet written. */
  get unsentCount(): number {
    return this.#unsent.length;
  }

  pushUnsent(request: Request): void {
    this.#unsent.push(request);
    this.#size += request.weight;
  }

  pushSent(request: Request): void {
    if (this.#tail === undefined) this.#head = request;
    else this.#tail.next = request;
    this.#tail = request;
    this.#size += request.weight;
  }

  /** Removes the head once its reply is complete. */
  shift(): void {
    const head = this.#head;
    if (head === undefined) return;
    this.#head = head.next;
    head.next = undefined;
    if (this.#head === undefined) this.#tail = undefined;
    this.#size -= head.weight;
  }

  /**
   * Encodes every unsent request still wanted into `writer` and moves it to the reply queue;
   * drops the unwanted (aborted before they were sent). Stops at a request still `pending`. Returns the requests written that do not
   * always answer (text `noreply`, quiet meta), for the caller to tell once the bytes are handed
   * to the socket (Request.onSent); the `noreply` ones leave the queue here.
   *
   * A run of quiet requests ends with an `mn` (for `server`): before the next request that is not
   * quiet, and at the end. Its `MN` settles those that got no failure reply, at once, and an error
   * line (which carries no opaque) can only belong to the run before it (see reply-matcher.ts).
   */
  sendUnsent(writer: CommandWriter, server: string): Request[] | undefined {
    const unsent = this.#unsent;
    let unreplied: Request[] | undefined;
    let quietRun = false;
    let i = 0;
    for (; i < unsent.length; i++) {
      const request = unsent[i];
      // Its bytes are not made yet: it and everything behind it wait (the connection flushes again when they are).
      if (request.pending !== undefined && request.wanted) break;
      this.#size -= request.weight;
      if (!request.wanted) continue;
      const mode = request.replyMode;
      if (mode === ReplyMode.ON_FAILURE) quietRun = true;
      else if (quietRun) quietRun = this.#endQuietRun(writer, server);
      request.encode(writer);
      if (mode !== ReplyMode.NEVER) this.pushSent(request);
      if (mode !== ReplyMode.ALWAYS) (unreplied ??= []).push(request);
    }
    if (quietRun) this.#endQuietRun(writer, server);
    if (i === unsent.length) unsent.length = 0;
    else unsent.splice(0, i);
    return unreplied;
  }

  #endQuietRun(writer: CommandWriter, server: string): false {
    const noop = new NoopRequest();
    noop.server = server;
    noop.encode(writer);
    this.pushSent(noop);
    return false;
  }

  /**
   * Requests whose deadline has passed: every one sent (a reply nobody waits for any more must
   * still come in time, or the connection is stuck behind it), and those unsent still wanted
   * (the others are dropped unsent).
   */
  expired(now: number): Request[] {
    const expired: Request[] = [];
    this.#eachTimed((request) => {
      if (request.deadline <= now) expired.push(request);
    });
    return expired;
  }

  /** Earliest deadline among the requests `expired` looks at; Infinity when none. */
  nextDeadline(): number {
    let next = Infinity;
    this.#eachTimed((request) => {
      if (request.deadline < next) next = request.deadline;
    });
    return next;
  }

  /** Empties the queue, handing every request to `action`, oldest first. */
  drain(action: (request: Request) => void): void {
    const all: Request[] = [];
    this.#each((request) => all.push(request));
    this.#unsent = [];
    this.#head = this.#tail = undefined;
    this.#size = 0;
    for (const request of all) {
      request.next = undefined;
      action(request);
    }
  }

  #eachTimed(action: (request: Request) => void): void {
    for (let r = this.#head; r !== undefined; r = r.next) action(r);
    for (const request of this.#unsent) if (request.wanted) action(request);
  }

  #each(action: (request: Request) => void): void {
    for (let r = this.#head; r !== undefined; r = r.next) action(r);
    for (const request of this.#unsent) action(request);
  }
}
