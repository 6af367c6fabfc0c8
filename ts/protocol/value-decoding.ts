/**
 * A stored item's value read from its reply record (text VALUE or meta VA), the same way for every
 * request that reads one. A failure is that key's error, never the connection's, and always a coded
 * one naming the server: a caller's deserializer may throw anything (or a coded error of its own,
 * naming no server), on the main thread or once a value decompressed off it is handed over.
 */
import { F_B_LEN, F_B_START, F_FLAGS } from '../core/index.js';
import { describeThrown, withServer } from '../error-composition.js';
import { DeserializeError, MemcacheError } from '../errors.js';
import type { ValueDecoder } from './request.js';

/** The record's value: a Promise of it when it is decompressed off the main thread (ValueDecoder). */
export function decodeRecordValue(decoder: ValueDecoder, buf: Buffer, rec: Uint32Array, off: number, server: string): unknown {
  const start = rec[off + F_B_START];
  let value: unknown;
  try {
    value = decoder.decode(buf, start, start + rec[off + F_B_LEN], rec[off + F_FLAGS]);
  } catch (cause) {
    throw decodeFailure(cause, server);
  }
  return value instanceof Promise ? value.catch((cause: unknown) => Promise.reject(decodeFailure(cause, server))) : value;
}

/** What decoding threw, as the key's error. */
export function decodeFailure(cause: unknown, server: string): MemcacheError {
  if (cause instanceof MemcacheError) return withServer(cause, server);
  return new DeserializeError(`the value could not be deserialized: ${describeThrown(cause)}`, { cause, server });
}
