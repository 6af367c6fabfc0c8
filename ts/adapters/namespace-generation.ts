/**
 * Clearing one namespace without touching the rest of the server. memcached cannot list or delete
 * by prefix, so every key of a namespace carries its generation, a counter stored beside it:
 * `clear()` increments the counter and the old keys are never read again (LRU evicts them).
 *
 * The counter is read once per tick (or per burst the client writes at once), in the same batch as
 * the operations of that tick, which run under the generation last seen; if a read says it moved
 * (another process cleared), they run again under the new one at once, with those of every read
 * still out, ahead of any call made after that reply. So the common case costs no extra
 * round trip and one extra key per batch, and a clear by any process is seen by every operation
 * that starts after it completed; in the process that clears, by every operation started after
 * the clear was called (they wait for it).
 */
import { DeserializeError, type Client, type MemcacheError } from '../index.js';
import { CallsUnderWay } from '../calls-under-way.js';

/**
 * The counter's value when it has to be created: a missing counter (never made, or evicted)
 * starts past every earlier one. The clock in ms times 2^20: a namespace cleared more often than
 * once a millisecond since its counter was made must not reach the next seed (2^20 clears a ms
 * cannot be). Under 2^61 until the year 2039 and 2^64 until 2527 (memcached's counters are 64 bits).
 * Never the same twice in a process: a counter made by a read, evicted, and made again by a clear
 * in the same millisecond must not hand the clear the read's generation.
 */
let lastSeed = 0n;
function seed(): bigint {
  const now = BigInt(Date.now()) << 20n;
  lastSeed = now > lastSeed ? now : lastSeed + 1n;
  return lastSeed;
}

const noop = (): void => {};

/**
 * How often a namespace in use touches its counter. memcached's arithmetic, which reads and bumps
 * it, leaves an item where it is in the LRU: a counter read on every call would still be evicted
 * under memory pressure as if never used, emptying the namespace (its keys stay, unreachable),
 * and again each time. A touch marks it used, as a get would.
 */
const WARM_EVERY_MS = 1000;

/**
 * Operations that share one counter read at most: the client writes a burst at once at 64
 * requests (connection.ts, BURST_WRITE), the read and 63 operations queued behind it. (Other
 * callers' requests on the same connection in the same tick can complete a burst sooner.)
 */
const SHARED_BY = 63;

/** One read of the counter, shared by the operations of a tick. */
interface CounterRead {
  /** The key prefix of the generation read: set in the reaction to the reply. */
  readonly promise: Promise<string>;
  /** The key prefix of the generation read, once the reply is in. */
  prefix: string | undefined;
  /** The operations run under it. */
  readonly ops: Array<(prefix: string) => Promise<unknown>>;
  /** By the index in `ops`: the prefix it ran under last (at first the one known then; none when no generation was). */
  readonly latest: Array<string | undefined>;
  /** By the index in `ops`: its last run, when that is not its first (another generation was read since). */
  readonly again: Array<Promise<unknown> | undefined>;
}

export class NamespaceGeneration {
  readonly #client: Client;
  readonly #base: string;
  readonly #counterKey: string;
  /** The key prefix (`base + generation + ':'`) of the generation last seen, tried first. */
  #known: string | undefined;
  /**
   * Counter reads are answered in the order they come (numbered), and settled in the order they
   * were made: one settled after a read answered later (without meta, a read's creation step is a
   * second request) goes by that later answer, the latest read's.
   */
  #readAnswers = 0;
  #latestRead: { readonly prefix: string; readonly answer: number } | undefined;
  /** This tick's counter read, shared by the operations of the tick until it is written. */
  #read: CounterRead | undefined;
  /** The counter reads made and not answered yet, oldest first. */
  #unanswered: CounterRead[] = [];
  /** Cleared when the client answers UnsupportedError to a counter with `initial` (protocol text, or no meta). */
  #meta = true;
  /**
   * The last bump under way: operations started meanwhile wait for it, and run under the prefix it
   * made, or fail with its error (they were called after a clear that did not happen).
   */
  #bumping: Promise<BumpOutcome> | undefined;
  /** When the counter was last touched (see WARM_EVERY_MS); 0: never. */
  #warmedAt = 0;
  /**
   * Operations not handed to the client yet (waiting for a first counter read or a bump), and
   * bumps, until they settle: what `settled()` waits for. An operation run under a known
   * generation is handed over at once, and the client's close() lets it finish.
   */
  readonly #deferred = new CallsUnderWay();

  /** `base` starts every key of the namespace, e.g. `'keyv:'` or `'sess:'`. */
  constructor(client: Client, base: string) {
    this.#client = client;
    this.#base = base;
    // Data keys are `base + generation + ':' + key`: `base + 'gen'` has no ':' after it, so it is none of them.
    this.#counterKey = `${base}gen`;
  }

  /**
   * Runs `op` with the key prefix of the current generation (`base + generation + ':'`), see the
   * module comment; resolves with its result.
   */
  run<T>(op: (prefix: string) => Promise<T>): Promise<T> {
    const bumping = this.#bumping;
    // Under that bump's generation, not a later one's: a call made before the next clear() stays before it.
    if (bumping !== undefined) return this.#deferred.track(bumping.then((bumped) => ('prefix' in bumped ? op(bumped.prefix) : Promise.reject(bumped.error))));
    // The counter read goes first: on one server its reply comes first, so it is in when op's is.
    const read = this.#current();
    const known = this.#known;
    const index = read.ops.push(op) - 1;
    read.latest.push(known);
    if (read.ops.length === SHARED_BY) this.#read = undefined;
    if (known === undefined) return this.#deferred.track(read.promise.then(() => read.again[index] as Promise<T>));
    return attempt(op, known).then(
      (result) => (read.prefix === known ? result : (afterRead(read, index, known, { result }) as T | Promise<T>)),
      (error: unknown) => {
        if (read.prefix === known) throw error;
        return afterRead(read, index, known, { error }) as T | Promise<T>;
      },
    );
  }

  /**
   * Resolves once every bump, and every operation waiting for a counter read or a bump, under way
   * when it is called has settled, and every operation a counter read out then runs again (its
   * reply brought the generation of another process's clear): then all that was called before has
   * reached the client, and its close() lets it finish.
   */
  async settled(): Promise<void> {
    const reads = [...this.#unanswered];
    const deferred = this.#deferred.settled();
    await Promise.all(reads.map((read) => read.promise.catch(noop)));
    await Promise.all([deferred, ...reads.flatMap((read) => read.again.map((run) => run?.catch(noop)))]);
  }

  #current(): CounterRead {
    if (this.#read !== undefined) return this.#read;
    const before = this.#unanswered.at(-1);
    const read: CounterRead = { promise: this.#fetch(() => read, before), prefix: undefined, ops: [], latest: [], again: [] };
    read.promise.catch(noop); // a failed read is reported by the operations that wait for it, once they do
    this.#read = read;
    this.#unanswered.push(read);
    // The client writes this tick's requests on a later tick, or at once in a burst (SHARED_BY,
    // readAgain): joiners until then share the read, and none joins a read already sent, which
    // could have been answered before a clear they saw.
    process.nextTick(() => {
      if (this.#read === read) this.#read = undefined;
    });
    return read;
  }

  /**
   * The counter read this tick's operations share may have been written (with a batch the client
   * writes at once when idle): operations from now on read the counter again.
   */
  readAgain(): void {
    this.#read = undefined;
  }

  /**
   * Moves the namespace to a new generation: every key written so far is unreachable. Operations
   * started before it (their counter read already queued) run under the old generation; those
   * started after it, even before it completes, under the new one.
   *
   * With meta every read and bump of the counter is one request (incr by 0 or 1, creating it if
   * missing), sent in call order and answered in order: a bump goes at once. Without meta a read that
   * finds no counter creates it in a second request, and a bump may take three: its increment then
   * goes once every read and bump called before it has its answer, which could otherwise land after
   * it, and hand the operations called before the clear the generation it made (they would survive
   * it), or leave a bump resolved with a generation a later one had already passed.
   */
  bump(): Promise<void> {
    const before: Promise<unknown>[] = this.#unanswered.map((read) => read.promise.catch(noop));
    if (this.#bumping !== undefined) before.push(this.#bumping);
    const made = this.#bump(before);
    const bumped = this.#deferred.track(made.then(noop));
    const bumping = made.then(
      (prefix): BumpOutcome => ({ prefix }),
      (error: unknown): BumpOutcome => ({ error }),
    );
    this.#bumping = bumping;
    void bumping.then(() => {
      if (this.#bumping === bumping) this.#bumping = undefined;
    });
    return bumped;
  }

  /**
   * The new generation's prefix, also `#known` from then on. `before`: the counter's reads and the
   * bump under way when it was called, which a bump without meta waits for (see bump). With meta
   * the increment is sent at once, so a client closed right after clear() still lets it through.
   */
  async #bump(before: Promise<unknown>[]): Promise<string> {
    let value: unknown;
    try {
      // With meta, incr by one, creating a missing counter at the seed: the generation of the
      // operations called after it (those called before read, and created, it before: their reads
      // were sent and answered first). Undefined without meta.
      value = this.#meta ? await this.#metaCounter(1) : undefined;
      if (value === undefined) {
        if (before.length > 0) await Promise.all(before);
        value = await this.#textBump();
      }
    } catch (error) {
      // memcached answers CLIENT_ERROR to incr on a value that is not a number: another writer took
      // the counter's key. The namespace cannot be read as it is; clearing it starts a counter afresh.
      if ((error as { code?: unknown }).code !== 'MEMCACHE_CLIENT_ERROR') throw error;
      value = await this.#startAfresh();
    }
    return (this.#known = this.#prefixOf(value));
  }

  /**
   * A counter at the seed in place of another writer's value: with meta, deleted and made by
   * memcached's arithmetic (never through the client's serializer), or incremented if another
   * caller made it again meanwhile (a reader, or another clear starting afresh too); else set.
   */
  async #startAfresh(): Promise<number | bigint> {
    const initial = seed();
    if (this.#meta) {
      await this.#client.delete(this.#counterKey);
      const value = await this.#metaCounter(1, initial);
      if (value !== undefined) return value;
    }
    await this.#client.set(this.#counterKey, initial);
    return initial;
  }

  /**
   * Reads the counter (creating it if missing) into `read()`. Not async: the prefix is set, and
   * each operation that ran under another generation started again, in the reaction to the get
   * itself, before anything else can see the new generation: calls made after the reply come after
   * those runs.
   */
  #fetch(read: () => CounterRead, before: CounterRead | undefined): Promise<string> {
    // A read that fails (the get, the counter's creation, a counter that is not a number) is out no
    // more: its operations fail with it, and no later read may run them again.
    const fail = (error: unknown): never => {
      this.#answered(read());
      throw error;
    };
    const settle = (counter: unknown, answer: number): string => {
      const done = read();
      let prefix: string;
      try {
        prefix = this.#prefixOf(counter);
      } catch (error) {
        return fail(error);
      }
      const latest = this.#latestRead;
      if (latest !== undefined && answer < latest.answer) prefix = latest.prefix;
      else this.#latestRead = { prefix, answer };
      done.prefix = this.#known = prefix;
      this.#runAgainUnder(prefix);
      this.#answered(done);
      done.ops.length = 0;
      this.#keepWarm();
      return prefix;
    };
    // Settled in the reaction to the reply itself when the read before it has its answer (the
    // operations sharing the read find it settled when their replies come: no wait for it), else
    // after that one: without meta its creation step can be answered after this reply.
    const inOrder = (counter: unknown): string | Promise<string> => {
      const answer = ++this.#readAnswers;
      if (before === undefined || !this.#unanswered.includes(before)) return settle(counter, answer);
      return before.promise.then(
        () => settle(counter, answer),
        () => settle(counter, answer),
      );
    };
    return this.#readCounter(inOrder).then(undefined, fail);
  }

  /**
   * The counter, created if missing, handed to `then`. Read by memcached's own arithmetic (incr by
   * 0), which hands back the digits as memcached holds them, whatever the client's serializer, and
   * is sent at once (ahead of the operations that share the read). With meta the read creates a
   * missing counter in the same request (incr with `initial`); without, a second one does (add).
   * A value that is no number is another writer's.
   */
  #readCounter<T>(then: (counter: unknown) => T | Promise<T>): Promise<T> {
    const meta = this.#meta;
    const read = meta ? this.#client.incr(this.#counterKey, 0, { initial: seed() }) : this.#client.incr(this.#counterKey, 0);
    return read.then(
      (value) => (value === undefined ? this.#create().then(then) : then(value)),
      (error: MemcacheError) => {
        // Only a read with `initial` goes again as text: a client that speaks neither (protocol
        // 'meta' or binaryKeys before a server without meta) fails it, as it fails every call.
        if (error.code === 'MEMCACHE_UNSUPPORTED' && meta) {
          this.#meta = false; // protocol 'text', or a server without meta: read as text from now on
          return this.#readCounter(then);
        }
        // memcached answers CLIENT_ERROR to incr on a value that is not a number.
        throw error.code === 'MEMCACHE_CLIENT_ERROR' ? notACounter(this.#counterKey, 'a value memcached cannot increment', error) : error;
      },
    );
  }

  /**
   * Touches the counter when WARM_EVERY_MS have passed since it last was (memcached marks an item
   * used at its second use: the first answered read touches it too). Sent as a read is answered,
   * when the counter exists. Its outcome does not matter.
   */
  #keepWarm(): void {
    const now = Date.now();
    if (now - this.#warmedAt < WARM_EVERY_MS) return;
    this.#warmedAt = now;
    this.#client.touch(this.#counterKey, 0).catch(noop);
  }

  /**
   * Every operation of a read not answered yet (the one just answered included) that last ran
   * under another generation than `prefix` runs again under it, oldest first, now: a call made
   * after this reply sees `prefix` and runs at once, so it must come after them. (A later read's
   * reply may bring another generation still: its operations run again then.)
   */
  #runAgainUnder(prefix: string): void {
    for (const read of this.#unanswered) {
      const { ops, latest, again } = read;
      for (let i = 0; i < ops.length; i++) {
        if (latest[i] === prefix) continue;
        latest[i] = prefix;
        const run = (again[i] = attempt(ops[i], prefix));
        run.catch(noop); // taken as the outcome once its read is answered
      }
    }
  }

  /**
   * `read` has its answer (or failed: it can within its own tick, its server known dead): it
   * takes no more operations, and is no longer out.
   */
  #answered(read: CounterRead): void {
    if (this.#read === read) this.#read = undefined;
    const at = this.#unanswered.indexOf(read);
    if (at >= 0) this.#unanswered.splice(at, 1);
  }

  #prefixOf(counter: unknown): string {
    return `${this.#base}${generationOf(counter, this.#counterKey)}:`;
  }

  /** Without meta: creates the missing counter, or reads the one another caller just created. */
  async #create(): Promise<unknown> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const initial = seed();
      if (await this.#client.add(this.#counterKey, initial)) return initial;
      const existing = await this.#client.incr(this.#counterKey, 0);
      if (existing !== undefined) return existing;
    }
    throw new DeserializeError(`the generation counter ${this.#counterKey} could be neither created nor read`);
  }

  /** incr by `delta`, creating the counter at `initial` if missing (atomic, meta); undefined when meta is absent. */
  async #metaCounter(delta: number, initial: bigint = seed()): Promise<number | bigint | undefined> {
    try {
      return await this.#client.incr(this.#counterKey, delta, { initial });
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'MEMCACHE_UNSUPPORTED') throw error;
      this.#meta = false;
      return undefined;
    }
  }

  /**
   * Without meta: incr, and on a miss add the seed and incr that (a read may have found what was
   * added, for operations called before the clear); if another caller added it first, incr that.
   */
  async #textBump(): Promise<number | bigint> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const value = await this.#client.incr(this.#counterKey, 1);
      if (value !== undefined) return value;
      const initial = seed();
      if (await this.#client.add(this.#counterKey, initial)) return (await this.#client.incr(this.#counterKey, 1)) ?? initial;
    }
    throw new DeserializeError(`the generation counter ${this.#counterKey} could be neither incremented nor created`);
  }
}

/** What a bump came to: the prefix of the generation it made, or why it failed. */
type BumpOutcome = { readonly prefix: string } | { readonly error: unknown };

/**
 * The outcome of a run whose first try is in before the read is known to agree: its first
 * outcome when the read says the generation did not move (`known`), else its run again.
 */
function afterRead(read: CounterRead, index: number, known: string, first: { result: unknown } | { error: unknown }): unknown {
  const outcome = (prefix: string): unknown => {
    if (prefix !== known) return read.again[index]; // its run under `prefix`, made by this reply at the latest
    if ('error' in first) throw first.error;
    return first.result;
  };
  return read.prefix !== undefined ? outcome(read.prefix) : read.promise.then(outcome);
}

/** op(prefix), a throw as a rejection. */
function attempt<T>(op: (prefix: string) => Promise<T>, prefix: string): Promise<T> {
  try {
    return op(prefix);
  } catch (error) {
    return Promise.reject(error);
  }
}

/** A counter's value (a number or bigint, as incr and the seed give it) as a generation in base 36 (shorter keys). */
function generationOf(value: unknown, counterKey: string): string {
  if (typeof value !== 'number' && typeof value !== 'bigint') throw notACounter(counterKey, JSON.stringify(String(value)));
  return BigInt(value).toString(36);
}

function notACounter(counterKey: string, what: string, cause?: MemcacheError): DeserializeError {
  return new DeserializeError(`the generation counter ${counterKey} holds ${what}, not a counter`, { cause, server: cause?.server });
}
