/**
 * A Keyv 5 storage adapter on memcache-native: `new Keyv({ store: new KeyvMemcache(servers) })`.
 * Keys go to memcached as `namespace:generation:` and Keyv's key (`namespace:key` as Keyv makes it,
 * so the namespace is there twice), so `clear()` empties one namespace only (see
 * ../namespace-generation.ts); a key memcached could not take as it is goes escaped
 * (memcached-key.ts). The *Many calls go out as one multi-key call each, and so do the gets Keyv
 * makes in one tick; Keyv's ttl (ms) becomes memcached's exptime (seconds, rounded up).
 * Values are stored as Keyv serialized them, and handed back so, unless the `deserialize` option
 * parses them here (as @keyv/memcache does).
 */
import { EventEmitter } from 'node:events';
import { CallsUnderWay } from '../../calls-under-way.js';
import { ClearRefusedError, DeserializeError, OptionError, ServerError, type Client, type GetMultiResult, type MemcacheError } from '../../index.js';
import { keyRefusal } from '../client-source.js';
import { exptimeFromMs, type Exptime } from '../exptime.js';
import { NamespaceGeneration } from '../namespace-generation.js';
import { setOrDrop } from '../set-or-drop.js';
import { WriteLog } from '../write-log.js';
import { resolveKeyvOptions, type KeyvMemcacheOptions, type KeyvMemcacheTarget } from './options.js';
import { fitsEveryKey, longestKey, roomUnder, sendableNamespace, sendablePart } from './memcached-key.js';
import { isLive, type KeyvStoreEntry } from './stored-data.js';

/** Maps Keyv's key to the key sent, under the generation an operation runs in. */
type WireKey = (key: string) => string;

const asIs: WireKey = (key) => key;

/** The `deserialize` option: Keyv's stored string to the data Keyv reads. */
type Deserialize = (data: string) => unknown;

/**
 * The gets called in one tick and not sent yet, side by side: their keys' parts (see #part)
 * and how to settle each call.
 */
interface PendingGets {
  readonly keys: string[];
  readonly resolves: Array<(value: unknown) => void>;
  readonly rejects: Array<(error: unknown) => void>;
}

/**
 * Most gets of one tick in one getMulti. The client writes a request of 64 keys at once when the
 * connection is idle (connection.ts, BURST_WRITE), so memcached answers the tick's first batch
 * while Keyv is still asking for the rest: 1.03-1.25x the Keyv gets/s of one getMulti per tick
 * (bench/PROFILE.md, "Keyv adapter").
 */
const GETS_PER_BATCH = 64;

/** What the client refuses of a setMulti's entries before sending any: a bad key, a value too large or not serializable. */
const REFUSED_BEFORE_SENDING = new Set(['MEMCACHE_BAD_KEY', 'MEMCACHE_VALUE_TOO_LARGE', 'MEMCACHE_SERIALIZE']);

export class KeyvMemcache extends EventEmitter {
  /** Read by Keyv (and @keyv/memcache's users): items expire in memcached itself. */
  readonly ttlSupport = true;
  /** The options given (a servers string as `url`), as @keyv/memcache keeps them. */
  readonly opts: KeyvMemcacheOptions & Record<string, unknown>;
  /** The client the adapter works through. */
  readonly client: Client;
  readonly #owned: boolean;
  readonly #expires: number;
  /** set()'s options without a Keyv ttl: made once, as most sets take them. */
  readonly #defaultStore: { ttl: number };
  readonly #clearWithoutNamespace: 'refuse' | 'flushAll';
  /** Absent (the default): the stored string goes to Keyv, which parses it. */
  readonly #deserialize: Deserialize | undefined;
  #namespace: string | undefined;
  /** Bytes Keyv's key may take as it is after `namespace:generation:` (memcached-key.ts). */
  #room = 0;
  /** The longest key the client takes (its keyPrefix and key rules count). */
  readonly #keyBytes: number;
  #generation: NamespaceGeneration | undefined;
  /** The calls of namespaces left (the namespace set again) still under way: disconnect() waits for them. */
  readonly #retired = new CallsUnderWay();
  /** This tick's gets, sent together on the next tick or before a call of another kind: see get(). */
  #pending: PendingGets | undefined;
  readonly #sendPending = (): void => this.#flush();
  /** The keys of the writes called, in order: a late step (see write-log.ts) leaves a later write alone. */
  readonly #writes = new WriteLog();

  /**
   * `target`: servers (`'host:port,host:port'` as @keyv/memcache takes them, or the client's
   * forms), a Client (kept open by disconnect()), or the options. Throws an OptionError on a bad option.
   */
  constructor(target?: KeyvMemcacheTarget, options?: KeyvMemcacheOptions) {
    super();
    const resolved = resolveKeyvOptions(target, options);
    this.opts = resolved.given as KeyvMemcacheOptions & Record<string, unknown>;
    this.client = resolved.source.client;
    this.#owned = resolved.source.owned;
    this.#expires = resolved.expires;
    this.#defaultStore = { ttl: resolved.expires };
    this.#clearWithoutNamespace = resolved.clearWithoutNamespace;
    this.#deserialize = resolved.deserialize;
    this.#keyBytes = longestKey((key) => keyRefusal(this.client, key) === undefined);
    try {
      this.namespace = resolved.namespace;
    } catch (error) {
      // A namespace the client's key limit leaves no room under: no adapter, so no client of its own left running.
      if (this.#owned) void this.client.close();
      throw error;
    }
  }

  /** The key space clear() empties; Keyv sets it to its own namespace. */
  get namespace(): string | undefined {
    return this.#namespace;
  }

  /** Throws an OptionError for a namespace after which the client's key limit leaves no room for every key (see memcached-key.ts). */
  set namespace(namespace: string | undefined) {
    const name = namespace === '' ? undefined : namespace;
    if (name === this.#namespace && (name === undefined || this.#generation !== undefined)) return;
    const base = name === undefined ? '' : `${sendableNamespace(name, this.#keyBytes)}:`;
    const room = roomUnder(base, this.#keyBytes);
    if (name !== undefined && !fitsEveryKey(room)) {
      throw new OptionError('namespace', `leaves ${room} bytes for a key under this client's key limit (${this.#keyBytes} bytes, its keyPrefix and key rules counted), fewer than a hashed key takes`);
    }
    this.#flush(); // under the namespace they were called in
    // disconnect() waits for the calls under the namespace left too.
    if (this.#generation !== undefined) this.#retired.track(this.#generation.settled());
    this.#namespace = name;
    this.#room = room;
    this.#generation = name === undefined ? undefined : new NamespaceGeneration(this.client, base);
  }

  /**
   * The stored data (parsed, with the `deserialize` option), undefined on a miss. The gets of one
   * tick (Keyv's get() calls this at once, so `Promise.all(keys.map((k) => keyv.get(k)))` is one
   * tick) go out as getMultis of up to GETS_PER_BATCH keys, each under one generation check: a
   * full one as it fills, the rest on the next tick or before the next call of any other kind (so
   * calls reach the client in the order they were made); a lone get goes out as a get. Typed as
   * Keyv types a store's get (KeyvStoreAdapter, which this class matches without importing keyv).
   */
  get<Value = unknown>(key: string): Promise<Value | undefined>;
  get(key: string): Promise<unknown> {
    const part = this.#generation === undefined ? key : this.#part(key);
    // A getMulti under a keyPrefix takes no empty key: Keyv's empty key (useKeyPrefix false) goes
    // alone, at once (among reads the order does not show; writes send the pending gets first).
    if (part === '' && this.#generation !== undefined) return new Promise((resolve, reject) => this.#getSettling(part, resolve, reject));
    let pending = this.#pending;
    if (pending === undefined) {
      pending = this.#pending = { keys: [], resolves: [], rejects: [] };
      process.nextTick(this.#sendPending);
    }
    const { keys, resolves, rejects } = pending;
    keys.push(part);
    const promise = new Promise((resolve, reject) => {
      resolves.push(resolve);
      rejects.push(reject);
    });
    if (keys.length === GETS_PER_BATCH) {
      this.#flush();
      // That batch may have been written with the tick's counter read: later calls must not share a read already sent.
      this.#generation?.readAgain();
    }
    return promise;
  }

  /**
   * One getMulti: the stored data of each key (parsed, with the `deserialize` option), undefined
   * where missing. A key that fails (its server, or the deserializer) reads as a miss, its error
   * emitted (#report): Keyv reads a failed get as a miss, but does not catch around getMany.
   */
  getMany<Value = unknown>(keys: string[]): Promise<Array<Value | undefined>>;
  getMany(keys: string[]): Promise<unknown[]> {
    const refused = this.#refusals(keys);
    if (refused !== undefined) return this.#aroundRefused(keys, refused, (sendable) => this.getMany(sendable), undefined);
    const deserialize = this.#deserialize;
    return this.#run(async (wire) => {
      const wires = keys.map(wire);
      const raws = this.#hitsOf(await this.client.getMulti(wires), wires);
      return deserialize === undefined ? raws : raws.map((raw) => this.#parsedOrMiss(raw, deserialize));
    }).catch((error: unknown) => this.#missed(error, keys.map(() => undefined)));
  }

  /**
   * Stores `value` for `ttl` ms (none: the `expires` option); a ttl already past deletes the key.
   * Each set goes out as a set: a tick's sets as one setMulti took less CPU but gave fewer sets/s
   * through Keyv (bench/keyv.js).
   */
  set(key: string, value: unknown, ttl?: number): Promise<boolean> {
    this.#flush();
    let options = this.#defaultStore;
    if (ttl !== undefined && ttl !== 0) {
      let exptime: Exptime;
      try {
        exptime = exptimeFromMs(ttl);
      } catch (error) {
        return Promise.reject(error);
      }
      if (exptime === 'expired') return this.delete(key).then(() => true);
      options = { ttl: exptime };
    }
    const write = this.#writes.wrote(key);
    const generation = this.#generation;
    if (generation === undefined) return setOrDrop(this.client, key, value, options, this.#writes, key, write);
    const rest = this.#part(key);
    return generation.run((prefix) => setOrDrop(this.client, prefix + rest, value, options, this.#writes, key, write));
  }

  /**
   * One setMulti (one per distinct ttl when the entries' ttls differ); resolves with whether each
   * entry was stored. Of entries of one key, the last is stored (as the sets one by one would
   * leave it), and the others share its outcome. Keyv returns those booleans from its own setMany,
   * though its KeyvStoreAdapter type says a store's resolves with nothing: the second signature is
   * that type's, so this class is a KeyvStoreAdapter to TypeScript too.
   */
  setMany(entries: KeyvStoreEntry[]): Promise<boolean[]>;
  setMany(entries: KeyvStoreEntry[]): Promise<void>;
  setMany(entries: KeyvStoreEntry[]): Promise<boolean[] | void> {
    const refused = this.#refusals(entries.map((entry) => entry.key));
    if (refused !== undefined) return this.#aroundRefused(entries, refused, (sendable) => this.setMany(sendable), false);
    for (const entry of entries) this.#writes.wrote(entry.key);
    const write = this.#writes.last;
    // Its entries may go again one by one once the client's refusal is in: disconnect() waits for that.
    const open = this.#writes.begin();
    return this.#run(async (wire) => {
      const stored = entries.map(() => true);
      const last = lastOfEachKey(entries);
      const groups = this.#byExptime(entries, last, stored);
      await Promise.all([...groups].map(([exptime, indices]) => this.#storeGroup(entries, indices, exptime, wire, stored, write)));
      return entries.map((entry, index) => stored[last.get(entry.key) ?? index]);
    }).then(open.ended, (error: unknown) => {
      open.ended(undefined);
      throw error;
    });
  }

  /** Whether the key existed. */
  delete(key: string): Promise<boolean> {
    this.#writes.wrote(key);
    return this.#run((wire) => this.client.delete(wire(key)));
  }

  /**
   * One deleteMulti; true when every key existed (as Keyv 5 reads it). It rejects with a failed
   * server's error once the others' keys are deleted (Keyv emits it and returns false). A key the
   * client refuses (without a namespace) is left out and counts as not there (its error emitted).
   */
  deleteMany(keys: string[]): Promise<boolean> {
    const refused = this.#refusals(keys);
    if (refused !== undefined) {
      // A refused key was not there: whatever the others' answer, not every key existed.
      return this.#aroundRefused(keys, refused, (sendable) => this.deleteMany(sendable).then((existed) => sendable.map(() => existed)), false).then(() => false);
    }
    for (const key of keys) this.#writes.wrote(key);
    return this.#run(async (wire) => {
      const errors = new Map<string, MemcacheError>();
      const missing = await this.client.deleteMulti(keys.map(wire), { errors });
      if (errors.size > 0) throw errors.values().next().value;
      return missing.length === 0;
    });
  }

  /** Whether the key holds data Keyv would not call expired; false when that cannot be read (the error emitted, as getMany's). */
  has(key: string): Promise<boolean> {
    return this.#run(async (wire) => isLive(await this.client.get(wire(key)), Date.now())).catch((error: unknown) => this.#missed(error, false));
  }

  /** One getMulti: has() of each key. */
  hasMany(keys: string[]): Promise<boolean[]> {
    const refused = this.#refusals(keys);
    if (refused !== undefined) return this.#aroundRefused(keys, refused, (sendable) => this.hasMany(sendable), false);
    return this.#run(async (wire) => {
      const wires = keys.map(wire);
      const now = Date.now();
      return this.#hitsOf(await this.client.getMulti(wires), wires).map((raw) => isLive(raw, now));
    }).catch((error: unknown) => this.#missed(error, keys.map(() => false)));
  }

  /**
   * Empties the namespace, by moving it to a new generation: nothing else on the servers is
   * touched. Without a namespace: a ClearRefusedError, or with `clearWithoutNamespace: 'flushAll'`
   * a flush of every server.
   */
  async clear(): Promise<void> {
    this.#flush();
    if (this.#generation !== undefined) return this.#generation.bump();
    if (this.#clearWithoutNamespace === 'flushAll') return this.client.flushAll();
    throw new ClearRefusedError(
      "KeyvMemcache.clear() without a namespace would flush every server: give Keyv a namespace, or the adapter clearWithoutNamespace: 'flushAll'",
    );
  }

  /**
   * Closes the client if the adapter made it, once every call made before has reached it (the
   * client's close() lets those finish); a client given stays open. Keyv hands a set to the
   * adapter only after awaiting its serializer, a few promise jobs after the app called it: the
   * calls made before disconnect() are taken in up to the next turn of the event loop.
   */
  async disconnect(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.#flush();
    await Promise.all([this.#generation?.settled(), this.#retired.settled(), this.#writes.idle()]);
    if (this.#owned) await this.client.close();
  }

  /**
   * Sends this tick's gets not sent yet: one get for one key, else one getMulti (see get()). A key
   * the client refuses (without a namespace) fails its get now, its error emitted, and stays out.
   */
  #flush(): void {
    const pending = this.#pending;
    if (pending === undefined) return;
    this.#pending = undefined;
    const refused = this.#refusals(pending.keys);
    const { keys, resolves, rejects } = refused === undefined ? pending : this.#failRefused(pending, refused);
    if (keys.length === 1) this.#getSettling(keys[0], resolves[0], rejects[0]);
    else if (keys.length > 1) this.#getMany(keys, resolves, rejects);
  }

  /** Rejects the pending gets of refused keys (each error emitted); the others, to send. */
  #failRefused(pending: PendingGets, refused: ReadonlyArray<MemcacheError | undefined>): PendingGets {
    const kept: PendingGets = { keys: [], resolves: [], rejects: [] };
    refused.forEach((refusal, i) => {
      if (refusal !== undefined) {
        pending.rejects[i](refusal);
        this.#report(refusal);
        return;
      }
      kept.keys.push(pending.keys[i]);
      kept.resolves.push(pending.resolves[i]);
      kept.rejects.push(pending.rejects[i]);
    });
    return kept;
  }

  /**
   * One get of `rest` (a key's part, see #part), settling its call (parsed, with the `deserialize`
   * option); a failure rejects it, emitted too (#report).
   */
  #getSettling(rest: string, resolve: (value: unknown) => void, reject: (error: unknown) => void): void {
    const deserialize = this.#deserialize;
    const fail = (error: unknown): void => {
      reject(error);
      this.#report(error);
    };
    if (deserialize === undefined) this.#getOne(rest).then(resolve, fail);
    else this.#getOne(rest).then((raw) => this.#settleParsed(raw, deserialize, resolve, reject), fail);
  }

  /**
   * One getMulti of `keys` (their parts, see #part), settling each key's get: a key's server failing,
   * or the deserializer throwing on its data, fails that get alone (each error emitted once).
   */
  #getMany(keys: string[], resolves: PendingGets['resolves'], rejects: PendingGets['rejects']): void {
    const deserialize = this.#deserialize;
    this.#getBatch(keys).then(
      (hits) => {
        const errors = hits.errors;
        for (let i = 0; i < keys.length; i++) {
          const error = errors.size === 0 ? undefined : errors.get(keys[i]);
          if (error !== undefined) rejects[i](error);
          else if (deserialize === undefined) resolves[i](hits.get(keys[i]));
          else this.#settleParsed(hits.get(keys[i]), deserialize, resolves[i], rejects[i]);
        }
        if (errors.size > 0) this.#reportEach(errors.values());
      },
      (error: unknown) => {
        for (const reject of rejects) reject(error);
        this.#report(error);
      },
    );
  }

  /** Settles one get with parsed(raw): a deserializer's throw rejects that get (emitted), never the caller. */
  #settleParsed(raw: unknown, deserialize: Deserialize, resolve: (value: unknown) => void, reject: (error: unknown) => void): void {
    let data: unknown;
    try {
      data = parsed(raw, deserialize);
    } catch (error) {
      reject(error);
      this.#report(error);
      return;
    }
    resolve(data);
  }

  /** parsed(raw), or a miss when the deserializer throws (emitted). */
  #parsedOrMiss(raw: unknown, deserialize: Deserialize): unknown {
    try {
      return parsed(raw, deserialize);
    } catch (error) {
      this.#report(error);
      return undefined;
    }
  }

  /** The hits of a getMulti in the order of `wires`; a key whose server failed reads as a miss, each error emitted once. */
  #hitsOf(hits: GetMultiResult<string, unknown>, wires: string[]): unknown[] {
    if (hits.errors.size > 0) this.#reportEach(hits.errors.values());
    return wires.map((wire) => hits.get(wire));
  }

  /** `fallback` (a miss) for a read that failed, the error emitted. */
  #missed<T>(error: unknown, fallback: T): T {
    this.#report(error);
    return fallback;
  }

  /**
   * Emits a failure Keyv would hear of no other way as 'error', where anyone listens (Keyv does,
   * and emits it in turn, as it does @keyv/memcache's): a read it takes for a miss, a setMany
   * entry it sees as not stored. Not for calls that reject to Keyv: it emits those itself.
   * Called once the calls it concerns are settled. A listener that throws does not stop the
   * adapter's work: its error is thrown again on the next tick, as from any event Node emits
   * outside a call (an uncaught exception).
   */
  #report(error: unknown): void {
    if (this.listenerCount('error') === 0) return;
    try {
      this.emit('error', error);
    } catch (thrown) {
      process.nextTick(() => {
        throw thrown;
      });
    }
  }

  /**
   * Without a namespace keys go as they are, and the client may refuse one (a space, too long):
   * each key's refusal, or undefined when it takes them all (always, under a namespace). Asked
   * before a multi-key call, which the client would refuse whole, so the other keys go out at once,
   * in call order, instead of one by one once the refusal is seen.
   */
  #refusals(keys: readonly string[]): Array<MemcacheError | undefined> | undefined {
    if (this.#generation !== undefined) return undefined;
    let refusals: Array<MemcacheError | undefined> | undefined;
    for (let i = 0; i < keys.length; i++) {
      const refusal = keyRefusal(this.client, keys[i]);
      if (refusal === undefined) continue;
      refusals ??= new Array<MemcacheError | undefined>(keys.length).fill(undefined);
      refusals[i] = refusal;
    }
    return refusals;
  }

  /**
   * A multi-key call some of whose keys the client refuses (see #refusals): the other items go out
   * now as `many` of them; each refused one reads as `miss`, its error emitted once `many` settles.
   */
  #aroundRefused<I, T>(items: I[], refused: ReadonlyArray<MemcacheError | undefined>, many: (sendable: I[]) => Promise<T[]>, miss: T): Promise<T[]> {
    const sendable = items.filter((_, i) => refused[i] === undefined);
    const sent = sendable.length === 0 ? Promise.resolve([]) : many(sendable);
    const report = (): void => this.#reportEach(refused.filter((refusal) => refusal !== undefined));
    return sent.then(
      (results) => {
        report();
        let next = 0;
        return items.map((_, i) => (refused[i] === undefined ? results[next++] : miss));
      },
      (error: unknown) => {
        report();
        throw error;
      },
    );
  }

  /** #report() of each distinct error (a server's failure is one error for all its keys). */
  #reportEach(errors: Iterable<unknown>): void {
    for (const error of new Set(errors)) this.#report(error);
  }

  /** One get of `rest` (a key's part, see #part), under the current generation. */
  #getOne(rest: string): Promise<unknown> {
    const generation = this.#generation;
    if (generation === undefined) return this.client.get(rest);
    return generation.run((prefix) => this.client.get(prefix + rest));
  }

  /** One getMulti of `rests` (keys' parts, see #part), under the current generation: hits by rest. */
  #getBatch(rests: string[]): Promise<GetMultiResult<string, unknown>> {
    const generation = this.#generation;
    if (generation === undefined) return this.client.getMulti(rests);
    return generation.run((keyPrefix) => this.client.getMulti(rests, { keyPrefix }));
  }

  /** Runs `op` with the wire keys of the namespace's current generation (as they are without a namespace). */
  #run<T>(op: (wire: WireKey) => Promise<T>): Promise<T> {
    this.#flush();
    const generation = this.#generation;
    if (generation === undefined) return op(asIs);
    return generation.run((prefix) => op((key) => prefix + this.#part(key)));
  }

  /**
   * The part of the key sent after `namespace:generation:`: Keyv's key as Keyv gives it (with its
   * `namespace:` unless Keyv's useKeyPrefix is false, so 'x' and 'ns:x' stay two keys either way),
   * escaped when memcached could not take it as it is (a space, a control byte, too long:
   * memcached-key.ts).
   */
  #part(key: string): string {
    return sendablePart(key, this.#room);
  }

  /** Keyv's ttl (ms; 0 or none: the `expires` option) as an exptime. */
  #exptime(ttl: number | undefined): Exptime {
    return ttl === undefined || ttl === 0 ? this.#expires : exptimeFromMs(ttl);
  }

  /**
   * Indices of the entries to store (each key's last, see lastOfEachKey) by exptime: usually one
   * group. An entry whose ttl is no ttl (NaN, a string) is not stored, its error emitted, as a set
   * of it alone would fail alone.
   */
  #byExptime(entries: KeyvStoreEntry[], last: Map<string, number>, stored: boolean[]): Map<Exptime, number[]> {
    const groups = new Map<Exptime, number[]>();
    entries.forEach((entry, index) => {
      if (last.get(entry.key) !== index) return; // a later entry of the key is stored instead
      let exptime: Exptime;
      try {
        exptime = this.#exptime(entry.ttl);
      } catch (error) {
        stored[index] = false;
        this.#report(error);
        return;
      }
      const group = groups.get(exptime);
      if (group === undefined) groups.set(exptime, [index]);
      else group.push(index);
    });
    return groups;
  }

  /** `write`: the number of the setMany's last write in #writes. */
  async #storeGroup(entries: KeyvStoreEntry[], indices: number[], exptime: Exptime, wire: WireKey, stored: boolean[], write: number): Promise<void> {
    const wires = indices.map((index) => wire(entries[index].key));
    if (exptime === 'expired') {
      await this.client.deleteMulti(wires);
      return;
    }
    let failed: Set<string>;
    const errors = new Map<string, MemcacheError>();
    try {
      failed = new Set(await this.client.setMulti(indices.map((index, n) => [wires[n], entries[index].value] as const), { ttl: exptime, errors }));
    } catch (error) {
      if (!REFUSED_BEFORE_SENDING.has((error as MemcacheError | undefined)?.code ?? '')) throw error;
      // One entry the client refuses fails the whole setMulti before anything is sent: each on
      // its own, so only that entry is not stored, as with sets one by one. They go out after any
      // call made meanwhile: an entry whose key such a call wrote is not sent (it would store the
      // older value over that one), and counts as stored, then replaced; one whose key the log
      // can no longer tell about is not sent either, and counts as not stored.
      await Promise.all(
        indices.map((index, n) => {
          const key = entries[index].key;
          const since = this.#writes.writtenSince(key, write);
          if (since === undefined) stored[index] = false;
          if (since !== false) return undefined;
          return this.#storeOne(wires[n], entries[index].value, exptime, index, stored, key, write);
        }),
      );
      return;
    }
    const refusedOn = new Set<string>();
    indices.forEach((index, n) => {
      if (!failed.has(wires[n])) return;
      stored[index] = false;
      // A set is always stored unless memcached answers an error for it (an item over its size limit, out of memory).
      if (!errors.has(wires[n])) refusedOn.add(this.client.serverFor(wires[n]));
    });
    // Keyv sees only the false: a failed server is told as an `error`, once per failure, and a server's refusals once per call.
    this.#reportEach(errors.values());
    for (const server of refusedOn) this.#report(new ServerError('memcached answered an error instead of storing an entry of setMany (an item over its size limit, or out of memory)', { server }));
  }

  /** One set of a setMany's entry (setOrDrop, as the setMany's `write`); a failure marks it not stored, and is emitted (Keyv sees only the false). */
  async #storeOne(wire: string, value: unknown, exptime: number, index: number, stored: boolean[], key: string, write: number): Promise<void> {
    try {
      if (!(await setOrDrop(this.client, wire, value, { ttl: exptime }, this.#writes, key, write))) stored[index] = false;
    } catch (error) {
      stored[index] = false;
      this.#report(error);
    }
  }
}

/** Each key's last entry (by index): the one a setMany stores, as sets one by one would leave it. */
function lastOfEachKey(entries: KeyvStoreEntry[]): Map<string, number> {
  const last = new Map<string, number>();
  entries.forEach((entry, index) => last.set(entry.key, index));
  return last;
}

/**
 * Stored data as the deserializer reads it: Keyv's strings parsed; misses, and data Keyv stored
 * unserialized, as they are. A throw becomes a DeserializeError.
 */
function parsed(raw: unknown, deserialize: Deserialize): unknown {
  if (typeof raw !== 'string') return raw;
  try {
    return deserialize(raw);
  } catch (cause) {
    // Not its text in the message: a parser's message may quote the stored data (V8's JSON.parse does).
    throw new DeserializeError("KeyvMemcache's deserialize option threw on the stored data (cause: what it threw)", { cause });
  }
}
