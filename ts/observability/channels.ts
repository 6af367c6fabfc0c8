/**
 * `node:diagnostics_channel` channels (as undici and ioredis publish theirs). Nothing is built or
 * published unless somebody subscribes: each publisher first asks `hasSubscribers`. Messages
 * name the server, the command and how many keys, never a key or a value: keys are often user
 * ids, emails or session tokens, and a tracer that wants them can wrap the call it makes.
 * Channels are found by name, so the ESM and CJS builds of the package publish on the same ones.
 */
import { channel } from 'node:diagnostics_channel';
import type { MemcacheError } from '../errors.js';
import { COMMAND_NAMES, type CommandId, type CommandName } from './metrics.js';

/** Every channel this package publishes on. */
export const CHANNELS = {
  /** A request was handed to a server. CommandMessage. */
  commandStart: 'memcache-native:command:start',
  /** It succeeded (the same CommandMessage, `duration` set). */
  commandEnd: 'memcache-native:command:end',
  /** It failed (the same CommandMessage, `duration` and `error` set). */
  commandError: 'memcache-native:command:error',
  /** A server was marked dead. ServerDownMessage (the 'server:down' event). */
  serverDown: 'memcache-native:server:down',
  /** A dead server answered its probe. ServerUpMessage (the 'server:up' event). */
  serverUp: 'memcache-native:server:up',
  /** A connection is ready for commands (connected, TLS and authentication done). ConnectionMessage. */
  connectionConnect: 'memcache-native:connection:connect',
  /** A connection is closed: drained on purpose (`error` undefined) or destroyed by `error`. ConnectionMessage. */
  connectionClose: 'memcache-native:connection:close',
  /** fetch's leases: one message per counted event (metrics' leaseWins, leaseWaits, staleServes, loaderErrors). FetchMessage. */
  fetch: 'memcache-native:fetch',
} as const;

/**
 * Published on command:start, then the same object on command:end or command:error, so a
 * subscriber can pair them by identity (a WeakMap). One per request per server: a getMulti over
 * three servers is three. Calls that fail before reaching a server (bad argument, closed client,
 * server marked dead) publish nothing.
 */
export interface CommandMessage {
  /** The client method, as counted in metrics().ops ('get', 'getMulti', 'set', ...). */
  readonly command: CommandName;
  /** The server's display name: `'127.0.0.1:11211 (1)'`. */
  readonly server: string;
  /** How many keys the request carries on this server (0 for stats, version, flushAll). */
  readonly keyCount: number;
  /** performance.now() when it was handed to the server. */
  readonly startTime: number;
  /** ms from start to end or error; NaN until then. */
  duration: number;
  /** What the call rejected with (command:error only). */
  error: MemcacheError | undefined;
}

export interface ServerDownMessage {
  readonly server: string;
  readonly error: MemcacheError;
  /** When it will be probed (ms since the epoch). */
  readonly retryAt: number;
}

export interface ServerUpMessage {
  readonly server: string;
  /** ms it was down. */
  readonly downtime: number;
  /** Whether it was flushed before taking keys again (flushOnReconnect). */
  readonly flushed: boolean;
}

/** What fetch counted: `'lease:win'`, `'lease:wait'`, `'stale'` (one per caller served a stale value), `'loader:error'`. */
export type FetchEvent = 'lease:win' | 'lease:wait' | 'stale' | 'loader:error';

/** A fetch event on a server; never the key, the value or the loader's error (its message may hold either). */
export interface FetchMessage {
  readonly event: FetchEvent;
  readonly server: string;
}

export interface ConnectionMessage {
  readonly server: string;
  /** connection:close only: what destroyed it; undefined when the client closed it. */
  readonly error: MemcacheError | undefined;
}

const commandStart = channel(CHANNELS.commandStart);
const commandEnd = channel(CHANNELS.commandEnd);
const commandError = channel(CHANNELS.commandError);
const serverDown = channel(CHANNELS.serverDown);
const serverUp = channel(CHANNELS.serverUp);
const connectionConnect = channel(CHANNELS.connectionConnect);
const connectionClose = channel(CHANNELS.connectionClose);
const fetchEvents = channel(CHANNELS.fetch);

class Command implements CommandMessage {
  readonly command: CommandName;
  readonly startTime = performance.now();
  duration = NaN;
  error: MemcacheError | undefined = undefined;

  constructor(
    command: CommandId,
    readonly server: string,
    readonly keyCount: number,
  ) {
    this.command = COMMAND_NAMES[command];
  }
}

/** Whether anybody listens on a command channel (three property reads): if not, publish nothing, build nothing. */
export function tracingCommands(): boolean {
  return commandStart.hasSubscribers || commandEnd.hasSubscribers || commandError.hasSubscribers;
}

/**
 * A request was handed to `server`: returns the message to finish it with, or undefined when
 * nobody listens on any command channel.
 */
export function commandStarted(command: CommandId, server: string, keyCount: number): CommandMessage | undefined {
  if (!tracingCommands()) return undefined;
  const message = new Command(command, server, keyCount);
  if (commandStart.hasSubscribers) commandStart.publish(message);
  return message;
}

export function commandEnded(message: CommandMessage): void {
  message.duration = performance.now() - message.startTime;
  if (commandEnd.hasSubscribers) commandEnd.publish(message);
}

export function commandFailed(message: CommandMessage, error: MemcacheError): void {
  message.duration = performance.now() - message.startTime;
  message.error = error;
  if (commandError.hasSubscribers) commandError.publish(message);
}

export function publishServerDown(message: ServerDownMessage): void {
  if (serverDown.hasSubscribers) serverDown.publish(message);
}

export function publishServerUp(message: ServerUpMessage): void {
  if (serverUp.hasSubscribers) serverUp.publish(message);
}

export function publishConnect(server: string): void {
  if (connectionConnect.hasSubscribers) connectionConnect.publish({ server, error: undefined } satisfies ConnectionMessage);
}

export function publishClose(server: string, error: MemcacheError | undefined): void {
  if (connectionClose.hasSubscribers) connectionClose.publish({ server, error } satisfies ConnectionMessage);
}

export function publishFetchEvent(event: FetchEvent, server: string): void {
  if (fetchEvents.hasSubscribers) fetchEvents.publish({ event, server } satisfies FetchMessage);
}
