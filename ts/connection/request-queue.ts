/**
 * A connection's requests in order: those queued this tick (unsent) and those written and awaiting
 * replies (a linked list through `Request.next`, so taking the head costs nothing).
 */
import type { CommandWriter } from '../protocol/command-writer.js';
import type { Request } from '../protocol/request.js';

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
    last.weight++;
    this.#size++;
    return true;
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
   * drops the unwanted (aborted before they were sent). Returns the `noreply` requests written,
   * which leave the queue here and are settled by the caller once the bytes are handed to the socket.
   */
  sendUnsent(writer: CommandWriter): Request[] | undefined {
    const unsent = this.#unsent;
    let unreplied: Request[] | undefined;
    for (let i = 0; i < unsent.length; i++) {
      const request = unsent[i];
      this.#size -= request.weight;
      if (!request.wanted) continue;
      request.encode(writer);
      if (request.expectsReply) this.pushSent(request);
      else (unreplied ??= []).push(request);
    }
    unsent.length = 0;
    return unreplied;
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
