/**
 * The client an adapter works through: one the application made (and keeps: the adapter never
 * closes it), or one the adapter makes from servers and options (and closes on disconnect).
 */
import { Client, OptionError, type ClientOptions, type MemcacheError, type ServerSpec } from '../index.js';
import { isClient } from '../client-brand.js';

export interface ClientSource {
  readonly client: Client;
  /** The adapter made it, so the adapter closes it. */
  readonly owned: boolean;
}

/** A Client given, or one made from `servers` (MEMCACHE_SERVERS when undefined) and `options`. */
export function clientFrom(given: unknown, servers: ServerSpec | readonly ServerSpec[] | undefined, options: ClientOptions | undefined, adapter: string): ClientSource {
  if (given !== undefined) {
    if (!isClient(given)) throw new OptionError('client', `must be a memcache-native Client (${adapter})`);
    if (servers !== undefined || options !== undefined) throw new OptionError('client', `comes with its own servers and options: give either a client, or servers and clientOptions (${adapter})`);
    return { client: given, owned: false };
  }
  return { client: new Client(servers, options), owned: true };
}

/**
 * The client's refusal of `key` itself (a KeyError: its keyPrefix, maxKeyLength or key encoding),
 * if it refuses it; no server yet (discovery) or a closed client is not the key's fault. Asked of
 * `serverFor`, since the client's key limits are not public.
 */
export function keyRefusal(client: Client, key: string): MemcacheError | undefined {
  try {
    client.serverFor(key);
    return undefined;
  } catch (error) {
    return (error as MemcacheError | undefined)?.code === 'MEMCACHE_BAD_KEY' ? (error as MemcacheError) : undefined;
  }
}

/** Throws an OptionError naming the first key of `options` not in `known` (a typo is not ignored). */
export function rejectUnknown(options: object, known: ReadonlySet<string>, adapter: string): void {
  for (const name of Object.keys(options)) {
    if (!known.has(name)) throw new OptionError(name, `is not an option of ${adapter}`);
  }
}
