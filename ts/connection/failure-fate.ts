/**
 * What becomes of each request on a connection that is destroyed: a pure decision, apart from the
 * connection that carries it out. A request that timed out fails with its own TimeoutError; when
 * the socket broke (reset, closed by the server), a request still wanted of which no reply byte
 * was read may be offered for a retry (the pool's RetryPolicy takes it or not); every other
 * request fails with the connection's error.
 */
import type { MemcacheError } from '../errors.js';
import type { Request } from '../protocol/request.js';

export interface FailurePlan {
  /** Requests that failed for their own reason (timed out), with that error. */
  readonly culprits: ReadonlyMap<Request, MemcacheError> | undefined;
  /** Whether the socket broke while the connection was in use, so a retry may help. */
  readonly broke: boolean;
  /** The request some of whose reply was read: never sent twice. */
  readonly partlyAnswered: Request | undefined;
}

export type Fate = { readonly kind: 'own'; readonly error: MemcacheError } | { readonly kind: 'offer' } | { readonly kind: 'fail' };

const OFFER: Fate = { kind: 'offer' };
const FAIL: Fate = { kind: 'fail' };

export function fateOf(request: Request, plan: FailurePlan): Fate {
  const own = plan.culprits?.get(request);
  if (own !== undefined) return { kind: 'own', error: own };
  if (plan.broke && request !== plan.partlyAnswered && request.wanted) return OFFER;
  return FAIL;
}
