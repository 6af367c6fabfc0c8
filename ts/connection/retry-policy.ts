/**
 * Which requests may be sent again after their connection broke. The connection offers only
 * requests of which no reply byte was read, and only when its socket broke (reset, closed by the
 * server: a ConnectionError), never after a timeout or a malformed reply (see
 * ConnectionObserver.retry). Of those, this policy takes a request when
 * - its command is idempotent (get, gets, gat, gats, getMulti, touch, delete, deleteMulti,
 *   version, stats): set, add, cas, append, incr and the like are never repeated, as the server
 *   may have run them already;
 * - it was retried fewer than `retries` times;
 * - someone still waits for it, and its deadline (kept from the first attempt) is ahead.
 * It then goes to a fresh connection of the same server, with its first deadline.
 */
import type { MemcacheError } from '../errors.js';
import type { Request } from '../protocol/request.js';

export class RetryPolicy {
  readonly #retries: number;

  /** `retries`: times one request may be sent again; 0 turns retrying off. */
  constructor(retries: number) {
    this.#retries = retries;
  }

  allows(request: Request, _error: MemcacheError): boolean {
    return request.idempotent && request.attempt < this.#retries && request.wanted && request.deadline > performance.now();
  }
}
