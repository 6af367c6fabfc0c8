/**
 * How a Client is told from any other object across copies of this package. Its ESM and CJS builds
 * are two copies: an application may make a Client with one and hand it to an adapter loaded by
 * the other (an ESM app, a CommonJS middleware), where `instanceof` says no. A registered symbol
 * is the same in both.
 */
import type { Client } from './client.js';

const CLIENT_BRAND = Symbol.for('memcache-native.Client');

/** Marks `prototype` (Client's) as a Client's. */
export function brandClients(prototype: object): void {
  Object.defineProperty(prototype, CLIENT_BRAND, { value: true });
}

/** Whether `value` is a Client of any copy of this package. */
export function isClient(value: unknown): value is Client {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[CLIENT_BRAND] === true;
}
