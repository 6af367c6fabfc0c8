/**
 * What Keyv 5 hands a store: its serializer's output, by default the string
 * `{"value":...,"expires":<ms>}` (`expires` last, absent without a ttl), or, with serialization
 * turned off, the `{ value, expires }` object itself.
 */

/** One entry of Keyv's setMany. */
export interface KeyvStoreEntry {
  key: string;
  value: unknown;
  /** ms to live; undefined: the store's default. */
  ttl?: number;
}

const EXPIRES = '"expires":';

/**
 * Whether a stored item is still live by Keyv's own expiry, which counts milliseconds where
 * memcached's counts seconds (rounded up): has() must not see an item Keyv's get() would call
 * expired. Data in another format is live while memcached holds it.
 */
export function isLive(raw: unknown, now: number): boolean {
  if (raw === undefined || raw === null) return false;
  const expires = typeof raw === 'string' ? expiresInJson(raw) : (raw as { expires?: unknown }).expires;
  return typeof expires !== 'number' || expires > now;
}

/** A JSON number: Keyv's `expires` is `Date.now() + ttl`, with a fraction when the ttl has one. */
const JSON_NUMBER = /^-?\d{1,20}(?:\.\d{1,20})?(?:[eE][+-]?\d{1,3})?$/;

/** The trailing `"expires":<number>}` of Keyv's JSON, without parsing the value before it. */
function expiresInJson(json: string): number | undefined {
  const at = json.lastIndexOf(EXPIRES);
  if (at < 0 || json.charCodeAt(json.length - 1) !== 0x7d /* } */) return undefined;
  const number = json.slice(at + EXPIRES.length, -1);
  return JSON_NUMBER.test(number) ? Number(number) : undefined;
}
