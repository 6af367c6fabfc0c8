/**
 * Connection and server lifecycle events, each logged under NODE_DEBUG=memcache-native and
 * published on its channel (when subscribed). The connection and cluster layers call these at
 * the moment the event happens; nothing here runs per command.
 *
 * Logged, one line each (`MEMCACHE-NATIVE <pid>: <event> <server>[: detail]`):
 * connect (socket open), auth (authenticating / accepted / refused), ready, timeout, error,
 * close, reconnect, server down, server up, discovery (a configuration applied, or a poll that
 * changed nothing).
 */
import type { MemcacheError } from '../errors.js';
import { publishClose, publishConnect, publishServerDown, publishServerUp, type ServerDownMessage, type ServerUpMessage } from './channels.js';
import { debug, describeError } from './debug.js';
import type { ServerMetrics } from './metrics.js';

/** The socket is connected (TLS handshake done, with TLS); authentication, if any, comes next. */
export function connectionOpened(server: string, authenticating: boolean): void {
  debug('connect %s', server);
  if (authenticating) debug('auth %s: authenticating', server);
}

/** The connection takes commands. */
export function connectionReady(server: string, authenticated: boolean): void {
  if (authenticated) debug('auth %s: accepted', server);
  debug('ready %s', server);
  publishConnect(server);
}

/** The connection is being destroyed by `error`, failing `pending` requests (`timedOut` of them by their timeout). */
export function connectionFailed(server: string, error: MemcacheError, pending: number, timedOut: number): void {
  if (debug.enabled) {
    const code = error.code;
    if (code === 'MEMCACHE_TIMEOUT') debug('timeout %s: %d request(s) timed out (%s)', server, timedOut, describeError(error));
    else if (code === 'MEMCACHE_CONNECT_TIMEOUT') debug('timeout %s: %s', server, describeError(error));
    else if (code === 'MEMCACHE_AUTH') debug('auth %s: refused, %s', server, describeError(error));
    else debug('error %s: %s', server, describeError(error));
    debug('close %s: destroyed with %d request(s) pending', server, pending);
  }
  publishClose(server, error);
}

/** The connection was closed on purpose (`why`: by the client once drained, or after an abort). */
export function connectionClosed(server: string, why: string): void {
  debug('close %s: %s', server, why);
  publishClose(server, undefined);
}

/** A new connection replaces one that failed (or that the server closed), opening after `delay` ms of backoff. */
export function reconnecting(server: string, metrics: ServerMetrics, delay: number): void {
  metrics.reconnects++;
  if (delay > 0) debug('reconnect %s: in %d ms (backoff)', server, delay);
  else debug('reconnect %s', server);
}

export function serverDown(event: ServerDownMessage): void {
  if (debug.enabled) debug('server down %s: %s; probed in %d ms', event.server, describeError(event.error), Math.max(0, event.retryAt - Date.now()));
  publishServerDown(event);
}

export function serverUp(event: ServerUpMessage): void {
  debug('server up %s: after %d ms%s', event.server, event.downtime, event.flushed ? ', flushed' : '');
  publishServerUp(event);
}

/** Auto-discovery replaced the pool with configuration `version` (`previous`: undefined for the first). */
export function discoveryApplied(event: { readonly endpoint: string; readonly version: number; readonly previous: number | undefined; readonly servers: readonly string[] }): void {
  const from = event.previous === undefined ? 'first' : `was ${event.previous}`;
  debug('discovery %s: config %d (%s), %d server(s): %s', event.endpoint, event.version, from, event.servers.length, event.servers.join(', '));
}

/** A poll of the discovery endpoint changed nothing; `version` is the configuration kept (undefined: none yet). */
export function discoveryFailed(event: { readonly endpoint: string; readonly error: MemcacheError & { readonly reason: string }; readonly version: number | undefined }): void {
  if (!debug.enabled) return;
  const kept = event.version === undefined ? 'no pool yet' : `keeping config ${event.version}`;
  debug('discovery %s: %s, %s; %s', event.endpoint, event.error.reason, describeError(event.error), kept);
}
