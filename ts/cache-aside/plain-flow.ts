/**
 * fetch on a server without meta (protocol 'text', twemproxy, memcached before 1.6.10): no
 * lease, so only this process's single flight keeps the loader from running once per caller:
 * get; on a miss load and set. Other processes may load the same key at the same time.
 */
import { callLoader, encodeLoaded, send, throwIfUnstorable, type FetchJob } from './job.js';

export async function fetchWithoutLease(job: FetchJob): Promise<unknown> {
  const { node, wire, codec, settings } = job;
  const cached = await send(node, node.requests.get('get', 0, wire, codec, settings.timeout, undefined));
  if (cached !== undefined) return cached;
  const value = await callLoader(job);
  if (value === undefined) return undefined;
  const payload = encodeLoaded(job, value);
  // As with a lease: a failed store still leaves the caller the value it loaded.
  await send(node, node.requests.store('set', wire, payload, settings.ttl, undefined, false, settings.timeout, undefined)).catch(() => false);
  throwIfUnstorable(job, payload);
  return value;
}
