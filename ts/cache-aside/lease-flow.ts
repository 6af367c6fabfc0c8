/**
 * fetch on a server that speaks meta: the server's lease decides who loads, across processes.
 *
 *   ask (mg … N<lockTtl + 1> [R<recacheBefore + 1>])
 *     ├─ a value, no W ............ return it (stale with X: another caller is reloading it)
 *     ├─ W ......................... load, store with the cas won, return what was loaded;
 *     │                              a value that came with the W is served to joiners meanwhile
 *     └─ no value, Z ............... wait: ask again after a short backoff (asking with N, so a
 *                                    lease that ran out or was released is won), until a value
 *                                    or a W comes, or waitTimeout: a LeaseTimeoutError, or every
 *                                    caller gave up (aborted, or out of its waitTimeout)
 *
 * A winner that will store nothing gives its lease back at once, so the next fetch loads instead
 * of waiting out lockTtl: a placeholder (or a value the loader says is gone: undefined) is
 * deleted, a stale or recaching value whose reload failed is marked stale again (staleTtl).
 */
import type { Key } from '../call-options.js';
import type { ServerNode } from '../cluster/cluster.js';
import type { ValueCodec } from '../codec/value-codec.js';
import { AbortError, ClientClosedError, LeaseTimeoutError, NoServerError, type MemcacheError } from '../errors.js';
import { decodedLease, type LeaseAsker, type LeaseReply, type MetaRequestFactory } from '../protocol/meta/dialect.js';
import { ANSWER_GRACE_MS, timerAt, type Flight } from './flight.js';
import { callLoader, countWait, countWin, encodeLoaded, send, throwIfUnstorable, type FetchJob } from './job.js';
import type { FetchSettings, Loader } from './options.js';

/** Stale placeholders a fetch deletes and asks again about, at most (each one invalidated anew), before it loads with the win it has. */
const MAX_RENEWALS = 3;

/** First poll after this many ms, doubling up to MAX_POLL_MS. */
const FIRST_POLL_MS = 5;
const MAX_POLL_MS = 100;

/**
 * A fetch on a server that speaks meta, from its first ask on: the asker its reply goes to,
 * whether the ask went in a batch (lease-asks.ts) or alone (fetchWithLease).
 */
export class LeaseFetch implements FetchJob, LeaseAsker {
  constructor(
    readonly node: ServerNode,
    readonly wire: string,
    readonly key: Key,
    readonly loader: Loader<unknown>,
    readonly settings: FetchSettings,
    readonly codec: ValueCodec,
    readonly flight: Flight,
    readonly requests: MetaRequestFactory,
  ) {}

  /** A hit (the common case) ends the flight in this one step; anything else goes on in `decide`. */
  answered(reply: LeaseReply): void {
    if (reply.value instanceof Promise) {
      void decodedLease(reply).then((decoded) => this.answered(decoded));
      return;
    }
    if (reply.found && !reply.won) this.flight.finish(found(this, reply));
    else this.flight.endWith(decide(this, this.requests, reply));
  }

  failed(error: MemcacheError): void {
    this.flight.fail(error);
  }
}

/** Asks alone (a lease get of its own), for when asks are not batched: the job's flight ends with the outcome. */
export function fetchWithLease(fetch: LeaseFetch): void {
  const { node, wire, codec, settings, requests } = fetch;
  send(node, requests.leaseGet(wire, settings.lockTtl, settings.recacheBefore, true, codec, settings.timeout)).then(
    (reply) => fetch.answered(reply),
    (error: MemcacheError) => fetch.failed(error),
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
  let renewals = 0;
  for (let poll = 0; ; poll++) {
    if (reply.won && renewals < MAX_RENEWALS && isStalePlaceholder(reply)) {
      renewals++;
      const renewed = await renewLease(job, requests, reply);
      if (renewed === reply) return load(job, requests, reply); // the delete failed: the stale win is still this caller's
      reply = renewed;
      if (reply.won) continue; // a lease of its own, or another stale placeholder (invalidated again)
    }
    if (reply.won) return load(job, requests, reply);
    if (reply.found) return found(job, reply);
    if (reply.error !== undefined) throw reply.error;
    // No value, and the lease is someone else's (Z), or was just let go (a miss).
    const now = performance.now();
    if (deadline < 0) {
      deadline = now + settings.waitTimeout;
      job.flight.waiting(deadline);
      countWait(job);
    }
    if (now >= deadline) throw new LeaseTimeoutError(`no value within waitTimeout (${settings.waitTimeout} ms): another caller holds the lease`, { server: node.name });
    await sleep(Math.min(FIRST_POLL_MS * 2 ** poll, MAX_POLL_MS, deadline - now));
    if (job.flight.abandoned) throw new AbortError(undefined, { server: node.name }); // nobody would get the value
    if (job.flight.closing) throw new ClientClosedError('the client was closed while this fetch waited on another caller\'s lease', { server: node.name });
    if (node.retired) throw new NoServerError(`${node.name} was removed from the pool (setServers) while this fetch waited on its lease`, { server: node.name });
    reply = await pollWithin(job, requests, send(node, requests.leaseGet(wire, settings.lockTtl, settings.recacheBefore, false, codec, settings.timeout)), deadline);
  }
}

/**
 * A poll's reply, or a LeaseTimeoutError once it is ANSWER_GRACE_MS past the wait's `deadline`
 * unanswered: a stalled server does not hold the caller for the request's whole timeout. A lease
 * the late reply brings is given back.
 */
function pollWithin(job: FetchJob, requests: MetaRequestFactory, poll: Promise<LeaseReply>, deadline: number): Promise<LeaseReply> {
  return new Promise((resolve, reject) => {
    let late = false;
    // Unref'd: the poll on the wire holds the process, not this.
    const timer = timerAt(deadline + ANSWER_GRACE_MS, () => {
      late = true;
      reject(new LeaseTimeoutError(`no value within waitTimeout (${job.settings.waitTimeout} ms): the server did not answer the last ask`, { server: job.node.name }));
    });
    poll.then(
      (reply) => {
        clearTimeout(timer);
        if (!late) resolve(reply);
        else if (reply.won) void giveBack(job, requests, reply, reply.found);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error); // no matter once late: the promise has settled
      },
    );
  });
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
    payload = encodeLoaded(job, value);
  } catch (error) {
    await giveBack(job, requests, lease, lease.found);
    throw error;
  }
  // A store that fails still leaves the caller the value it loaded. One refused (a newer value won)
  // holds no lease any more; one that failed (the server, the connection: counted in
  // metrics().errors) gives it back, so the next fetch loads instead of waiting out lockTtl.
  const failed = await send(node, requests.leaseStore(wire, payload, settings.ttl, lease.cas, settings.timeout)).then(
    () => false,
    () => true,
  );
  if (failed) await giveBack(job, requests, lease, lease.found);
  throwIfUnstorable(job, payload);
  return value;
}

/** A placeholder (no value) that invalidate marked stale: invalidated while its value was being loaded. */
function isStalePlaceholder(reply: LeaseReply): boolean {
  return reply.stale && !reply.found && reply.error === undefined;
}

/**
 * A stale placeholder lives staleTtl, and memcached puts no time limit on its win: a winner that
 * died would hold the others, who have no value to be served meanwhile, that long. Its winner
 * deletes it instead (only while it is the one won: its cas) and asks again, for a placeholder
 * that lives as long as a lease: it wins that, or waits for whoever did. If the delete itself
 * fails (a broken connection, a timeout), the stale win is still this caller's: it loads with it.
 */
async function renewLease(job: FetchJob, requests: MetaRequestFactory, stale: LeaseReply): Promise<LeaseReply> {
  if (!(await giveBack(job, requests, stale, false))) return stale;
  const { node, wire, codec, settings } = job;
  return send(node, requests.leaseGet(wire, settings.lockTtl, settings.recacheBefore, false, codec, settings.timeout));
}

/**
 * Lets the lease go: `keepValue`, the value it came with stays, stale again (the next reader
 * wins and reloads); else the item goes. Only while the item is the one won (its cas). Whether
 * memcached answered: a failure is no matter to a winner that is done (the lease runs out by
 * itself after lockTtl), but tells renewLease the stale win is still its caller's.
 */
function giveBack(job: FetchJob, requests: MetaRequestFactory, lease: LeaseReply, keepValue: boolean): Promise<boolean> {
  const restale = keepValue ? job.settings.staleTtl : undefined;
  return send(job.node, requests.release(job.wire, lease.cas, restale, job.settings.timeout)).then(
    () => true,
    () => false,
  );
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
