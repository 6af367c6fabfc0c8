/**
 * `NODE_DEBUG=memcache-native` logging (util.debuglog: silent, and nearly free, unless the
 * section is enabled when the process starts). Only lifecycle events are logged, never a key or
 * a value; an error is told by its code, its socket error code, and its message only where that
 * message is built from a server name, a duration and Node's socket error text.
 */
import { debuglog } from 'node:util';

export const debug = debuglog('memcache-native');

/** Codes whose messages hold nothing that came from a reply (ProtocolError's quote a reply's bytes). */
const SAFE_MESSAGES = new Set(['MEMCACHE_CONNECTION', 'MEMCACHE_TIMEOUT', 'MEMCACHE_CONNECT_TIMEOUT']);

/** `MEMCACHE_CONNECTION (ECONNREFUSED): connection to ... failed: connect ECONNREFUSED ...`, or just the code. */
export function describeError(error: { readonly code: string; readonly message: string; readonly cause?: unknown }): string {
  const errno = socketCode(error.cause);
  const head = errno === undefined ? error.code : `${error.code} (${errno})`;
  return SAFE_MESSAGES.has(error.code) ? `${head}: ${error.message}` : head;
}

function socketCode(cause: unknown): string | undefined {
  if (cause instanceof AggregateError) return socketCode(cause.errors[0]);
  const code = (cause as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}
