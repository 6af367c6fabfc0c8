/**
 * Errors composed from what a caller's code threw (a loader, a serializer), or named a server
 * after the fact. Not exported with the errors: the client's own steps, not its API.
 */
import { MemcacheError } from './errors.js';

/**
 * What a caller's code threw, for an error's message. Anything may be thrown, even what String()
 * cannot turn into text (or an Error whose message is no string): describing it must not throw.
 */
export function describeThrown(thrown: unknown): string {
  try {
    return thrown instanceof Error ? String(thrown.message) : String(thrown);
  } catch {
    return 'a value that cannot be shown as text';
  }
}

/**
 * `error`, naming `server` when it names none. Named in place: errors this package makes for one
 * call are that call's alone, and a copy would be no native Error (structuredClone, private fields
 * and `util.types.isNativeError` would lose it). A frozen one (a caller's serializer may throw
 * one) is copied instead. A coded error a caller's code throws for every call keeps the server
 * the first one named.
 */
export function withServer(error: MemcacheError, server: string): MemcacheError {
  if (error.server !== undefined) return error;
  if (Object.getOwnPropertyDescriptor(error, 'server')?.writable === true) {
    (error as { server: string | undefined }).server = server;
    return error;
  }
  const named = { value: server, enumerable: true, writable: true, configurable: true };
  return Object.create(Object.getPrototypeOf(error) as object, { ...Object.getOwnPropertyDescriptors(error), server: named }) as MemcacheError;
}
