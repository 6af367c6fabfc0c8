/**
 * Every error this client raises: one base class with a stable `code`, subclasses shaped like the
 * memcached protocol (CLIENT_ERROR, SERVER_ERROR, ERROR) plus the client's own failures.
 * Tell errors apart by `instanceof` or `code`, never by message text. This module imports nothing,
 * so every layer may use it.
 */

export type MemcacheErrorCode =
  | 'MEMCACHE_CLIENT_ERROR'
  | 'MEMCACHE_SERVER_ERROR'
  | 'MEMCACHE_UNKNOWN_COMMAND'
  | 'MEMCACHE_BAD_KEY'
  | 'MEMCACHE_BAD_ARGUMENT'
  | 'MEMCACHE_VALUE_TOO_LARGE'
  | 'MEMCACHE_SERIALIZE'
  | 'MEMCACHE_DESERIALIZE'
  | 'MEMCACHE_UNSUPPORTED_FLAGS'
  | 'MEMCACHE_TIMEOUT'
  | 'MEMCACHE_CONNECT_TIMEOUT'
  | 'MEMCACHE_CONNECTION'
  | 'MEMCACHE_PROTOCOL'
  | 'MEMCACHE_AUTH'
  | 'MEMCACHE_ABORTED'
  | 'MEMCACHE_QUEUE_FULL'
  | 'MEMCACHE_BAD_OPTION'
  | 'MEMCACHE_BAD_SERVER_SPEC'
  | 'MEMCACHE_NO_SERVER'
  | 'MEMCACHE_SERVER_DEAD'
  | 'MEMCACHE_CLIENT_CLOSED'
  | 'MEMCACHE_UNSUPPORTED'
  | 'MEMCACHE_LEASE_TIMEOUT'
  | 'MEMCACHE_LOADER'
  | 'MEMCACHE_DISCOVERY'
  | 'MEMCACHE_CLEAR_REFUSED';

export interface MemcacheErrorDetails {
  /** Display name of the server involved, e.g. `'127.0.0.1:11211 (1)'`. */
  server?: string;
  cause?: unknown;
}

/** Base class of every error the client raises. */
export class MemcacheError extends Error {
  readonly code: MemcacheErrorCode;
  /** The server involved, when one is (its display name as in `stats()`). */
  readonly server: string | undefined;

  constructor(code: MemcacheErrorCode, message: string, details: MemcacheErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.code = code;
    this.server = details.server;
  }
}

/** The server answered `CLIENT_ERROR <message>` (e.g. incr of a non-numeric value). */
export class ClientError extends MemcacheError {
  constructor(message: string, details?: MemcacheErrorDetails) {
    super('MEMCACHE_CLIENT_ERROR', message, details);
  }
}

/** The server answered `SERVER_ERROR <message>` (e.g. object too large for cache, out of memory). */
export class ServerError extends MemcacheError {
  constructor(message: string, details?: MemcacheErrorDetails) {
    super('MEMCACHE_SERVER_ERROR', message, details);
  }
}

/** The server answered `ERROR`: it does not know the command. */
export class UnknownCommandError extends MemcacheError {
  constructor(message: string, details?: MemcacheErrorDetails) {
    super('MEMCACHE_UNKNOWN_COMMAND', message, details);
  }
}

/** A key breaks the key rules (empty, too long, control or space bytes). Nothing was sent. */
export class KeyError extends MemcacheError {
  constructor(message: string) {
    super('MEMCACHE_BAD_KEY', message);
  }
}

/** An argument other than a key or value is invalid (ttl, delta, cas, stats arguments...). Nothing was sent. */
export class ArgumentError extends MemcacheError {
  constructor(message: string) {
    super('MEMCACHE_BAD_ARGUMENT', message);
  }
}

/** The value, after serialization and compression, exceeds `maxValueLength`. Nothing was sent. */
export class ValueTooLargeError extends MemcacheError {
  readonly length: number;
  readonly limit: number;
  constructor(length: number, limit: number) {
    super('MEMCACHE_VALUE_TOO_LARGE', `value of ${length} bytes exceeds maxValueLength (${limit})`);
    this.length = length;
    this.limit = limit;
  }
}

/** The value could not be turned into bytes (unsupported type, serializer failure). Nothing was sent. */
export class SerializeError extends MemcacheError {
  constructor(message: string, details?: MemcacheErrorDetails) {
    super('MEMCACHE_SERIALIZE', message, details);
  }
}

/** A stored value could not be read back: corrupt data, decompression failure or cap. The connection stays usable. */
export class DeserializeError extends MemcacheError {
  constructor(message: string, details?: MemcacheErrorDetails) {
    super('MEMCACHE_DESERIALIZE', message, details);
  }
}

/** A stored value carries flags this client cannot read (Python pickle, unknown bits). The connection stays usable. */
export class FlagsError extends MemcacheError {
  readonly flags: number;
  constructor(flags: number, message: string, details?: MemcacheErrorDetails) {
    super('MEMCACHE_UNSUPPORTED_FLAGS', message, details);
    this.flags = flags;
  }
}

/** An operation did not complete within its `timeout`. The connection it used was destroyed. */
export class TimeoutError extends MemcacheError {
  constructor(message: string, details?: MemcacheErrorDetails, code: MemcacheErrorCode = 'MEMCACHE_TIMEOUT') {
    super(code, message, details);
  }
}

/** A connection (TCP/TLS handshake and authentication) did not become ready within `connectTimeout`. */
export class ConnectTimeoutError extends TimeoutError {
  constructor(message: string, details?: MemcacheErrorDetails) {
    super(message, details, 'MEMCACHE_CONNECT_TIMEOUT');
  }
}

/** The connection failed or was destroyed (socket error, closed by the server, another request's timeout). */
export class ConnectionError extends MemcacheError {
  constructor(message: string, details?: MemcacheErrorDetails, code: MemcacheErrorCode = 'MEMCACHE_CONNECTION') {
    super(code, message, details);
  }
}

/**
 * The server is marked dead (a failed connect or a timeout, `cause` says which) and was not
 * contacted: with `failover: false` its keys fail fast until `retryAt`, and with failover on so
 * do python-memcached keys whose rehash chain found no live server.
 */
export class ServerDeadError extends ConnectionError {
  /** When the server will be tried again (ms since the epoch, as Date.now()). */
  readonly retryAt: number;
  constructor(message: string, retryAt: number, details?: MemcacheErrorDetails) {
    super(message, details, 'MEMCACHE_SERVER_DEAD');
    this.retryAt = retryAt;
  }
}

/** The server sent bytes that are no valid reply to what was asked. The connection was destroyed. */
export class ProtocolError extends MemcacheError {
  constructor(message: string, details?: MemcacheErrorDetails) {
    super('MEMCACHE_PROTOCOL', message, details);
  }
}

/** ASCII authentication (memcached `-Y`) was refused. */
export class AuthError extends MemcacheError {
  constructor(message: string, details?: MemcacheErrorDetails) {
    super('MEMCACHE_AUTH', message, details);
  }
}

/** The call's `signal` was aborted. If the command was already sent, its reply is read and dropped. */
export class AbortError extends MemcacheError {
  constructor(message = 'the operation was aborted', details?: MemcacheErrorDetails) {
    super('MEMCACHE_ABORTED', message, details);
  }
}

/** The connection already holds `maxPending` requests. Nothing was sent. */
export class QueueFullError extends MemcacheError {
  constructor(message: string, details?: MemcacheErrorDetails) {
    super('MEMCACHE_QUEUE_FULL', message, details);
  }
}

/** A client option is invalid; `option` names it. Thrown by the constructor. */
export class OptionError extends MemcacheError {
  readonly option: string;
  constructor(option: string, message: string) {
    super('MEMCACHE_BAD_OPTION', `option ${option}: ${message}`);
    this.option = option;
  }
}

/** A server specification cannot be parsed. Thrown by the constructor. */
export class ServerSpecError extends MemcacheError {
  constructor(message: string) {
    super('MEMCACHE_BAD_SERVER_SPEC', message);
  }
}

/** No server can take the key (every weight is 0), or the one a fetch waited on was removed from the pool. */
export class NoServerError extends MemcacheError {
  constructor(message: string, details?: MemcacheErrorDetails) {
    super('MEMCACHE_NO_SERVER', message, details);
  }
}

/** The client was closed: no further calls are accepted, and a force close fails the calls in flight with it. */
export class ClientClosedError extends MemcacheError {
  constructor(message = 'the client is closed', details?: MemcacheErrorDetails) {
    super('MEMCACHE_CLIENT_CLOSED', message, details);
  }
}

/**
 * The call needs what the server, or the client's `protocol` setting, does not offer: a meta
 * protocol feature with `protocol: 'text'` (nothing was sent), or `protocol: 'meta'` (or
 * `binaryKeys`) with a server that does not speak it (its connection failed).
 */
export class UnsupportedError extends MemcacheError {
  constructor(message: string, details?: MemcacheErrorDetails) {
    super('MEMCACHE_UNSUPPORTED', message, details);
  }
}

/**
 * fetch: another caller held the key's lease (it was loading the value) for longer than the
 * call's `waitTimeout`, and no value appeared. Nothing was loaded by this call.
 */
export class LeaseTimeoutError extends MemcacheError {
  constructor(message: string, details?: MemcacheErrorDetails) {
    super('MEMCACHE_LEASE_TIMEOUT', message, details);
  }
}

/**
 * fetch: the loader threw or rejected; `cause` is what it threw. The lease was released (or, for a
 * stale value, handed back), so the next fetch of the key runs a loader again.
 */
export class LoaderError extends MemcacheError {
  constructor(message: string, details?: MemcacheErrorDetails) {
    super('MEMCACHE_LOADER', message, details);
    // A loader may reject with undefined: `cause` is there all the same, what it threw.
    if (details !== undefined && !('cause' in this)) this.cause = details.cause;
  }
}

/**
 * Why a poll of the discovery endpoint changed nothing: 'unreachable' (connect, TLS, login or
 * timeout failed: `cause`), 'unsupported' (it answered ERROR: not a configuration endpoint),
 * 'malformed' (the reply is no `CONFIG cluster` reply, or lists no usable server), 'stale' (its
 * version is older than the one in use), 'no-config' (a call waited its timeout for the first one).
 */
export type DiscoveryFailure = 'unreachable' | 'unsupported' | 'malformed' | 'stale' | 'no-config';

/**
 * Auto-discovery: the configuration endpoint (`server`) gave no usable configuration. The pool in
 * use, if any, stays; a call made before the first configuration arrived fails with it
 * ('no-config') when its timeout runs out.
 */
export class DiscoveryError extends MemcacheError {
  readonly reason: DiscoveryFailure;
  constructor(reason: DiscoveryFailure, message: string, details?: MemcacheErrorDetails) {
    super('MEMCACHE_DISCOVERY', message, details);
    this.reason = reason;
  }
}

/**
 * An adapter's `clear()` was refused: without a namespace it could only flush every server, items
 * of every other user included, and it does that only when told to (README "Adapters").
 */
export class ClearRefusedError extends MemcacheError {
  constructor(message: string) {
    super('MEMCACHE_CLEAR_REFUSED', message);
  }
}
