/**
 * fetch on a server that speaks meta: the server's lease decides who loads, across processes.
 *
 *   ask (mg … N<lockTtl> [R<recacheBefore>])
 *     ├─ a value, no W ............ return it (stale with X: another caller is reloading it)
 *     ├─ W ......................... load, store with the cas won, return what was loaded;
 *     │                              a value that came with the W is served to joiners meanwhile
 *     └─ no value, Z ............... wait: ask again after a short backoff (asking with N, so a
 *                                    lease that ran out or was released is won), until a value
 *                                    or a W comes, or waitTimeout: a LeaseTimeoutError
 *
 * A winner that will store nothing gives its lease back at once, so the next fetch loads instead
 * of waiting out lockTtl: a placeholder (or a value the loader says is gone: undefined) is
 * deleted, a stale or recaching value whose reload failed is marked stale again (staleTtl).
 */
import { LeaseTimeoutError, type MemcacheError } from '../errors.js';
import type { LeaseReply, MetaRequestFactory } from '../protocol/meta/dialect.js';
import { callLoader, countWait, countWin, send, type FetchJob } from './job.js';

/** First poll after this many ms, doubling up to MAX_POLL_MS. */
const FIRST_POLL_MS = 5;
const MAX_POLL_MS = 100;

/** The value, once the job's flight has ended with it (or its error). */
export function fetchWithLease(job: FetchJob, requests: MetaRequestFactory): Promise<unknown> {
  const { node, wire, codec, settings, flight } = job;
  const asked = send(node, requests.leaseGet(wire, settings.lockTtl, settings.recacheBefore, true, codec, settings.timeout));
  // A hit (the common case) ends the flight in this one step, with no async function around it.
  return asked.then(
    (reply) => (reply.found && !reply.won ? flight.finish(found(job, reply)) : flight.endWith(decide(job, requests, reply))),
    (error: MemcacheError) => flight.fail(error),
  );
}

function found(job: FetchJob, reply: LeaseReply): unknown {
  job.flight.staleOutcome = reply.stale;
  return reply.value;
}

/** What is not a plain hit: a win, or a wait for another caller's value. */
async function decide(job: FetchJob, requests: MetaRequestFactory, first: LeaseReply): Promise<unknown> {
  const { node, wire, codec, settings } = job;
  let reply = first;
  let deadline = -1;
  for (let poll = 0; ; poll++) {
    if (reply.won) return load(job, requests, reply);
    if (reply.found) return found(job, reply);
    if (reply.error !== undefined) throw reply.error;
    // No value, and the lease is someone else's (Z), or was just let go (a miss).
    const now = performance.now();
    if (deadline < 0) {
      deadline = now + settings.waitTimeout;
      countWait(job);
    }
    if (now >= deadline) throw new LeaseTimeoutError(`no value within waitTimeout (${settings.waitTimeout} ms): another caller holds the lease`, { server: node.name });
    await sleep(Math.min(FIRST_POLL_MS * 2 ** poll, MAX_POLL_MS, deadline - now));
    reply = await send(node, requests.leaseGet(wire, settings.lockTtl, settings.recacheBefore, false, codec, settings.timeout));
  }
}

/** This caller won the lease: loads, stores with the cas won (an older winner's store then fails), returns the value. */
async function load(job: FetchJob, requests: MetaRequestFactory, lease: LeaseReply): Promise<unknown> {
  const { node, wire, settings } = job;
  countWin(job);
  if (lease.found) job.flight.serve(lease.value, lease.stale);
  let value: unknown;
  let payload;
  try {
    value = await callLoader(job);
    if (value === undefined) {
      await giveBack(job, requests, lease, false);
      return undefined;
    }
    payload = job.codec.encode(value, undefined);
  } catch (error) {
    await giveBack(job, requests, lease, lease.found);
    throw error;
  }
  // A store that fails (a newer value won, or the server failed: counted in metrics().errors) still
  // leaves the caller the value it loaded.
  await send(node, requests.leaseStore(wire, payload, settings.ttl, lease.cas, settings.timeout)).catch(() => false);
  return value;
}

/**
 * Lets the lease go: `keepValue`, the value it came with stays, stale again (the next reader
 * wins and reloads); else the item goes. Only while the item is the one won (its cas). A failure
 * is no matter: the lease runs out by itself after lockTtl.
 */
async function giveBack(job: FetchJob, requests: MetaRequestFactory, lease: LeaseReply, keepValue: boolean): Promise<void> {
  const restale = keepValue ? job.settings.staleTtl : undefined;
  await send(job.node, requests.release(job.wire, lease.cas, restale, job.settings.timeout)).catch(() => false);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
