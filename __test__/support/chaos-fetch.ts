/**
 * The chaos run of fetch and invalidate (see chaos-fetch.test.ts, which runs it in a child
 * process): three clients, each standing for a process, over three real servers behind fault
 * proxies that switch modes at random; concurrent callers fetch, invalidate, set, delete and get a
 * few keys, with loaders that are slow, throw, or return undefined. Every call is checked as it
 * settles; the run returns its figures and the invariants it saw broken (`violations`, with
 * samples), and closes everything it opened, so that the process can exit.
 *
 * What the oracle allows:
 * - a value read (fetch, get) is a string `<key>|loader|<client>|<n>` a loader returned, or
 *   `<key>|set|<n>` a set was issued with, of the key read: never another key's, never one nobody
 *   made, never an empty placeholder (a 0-byte Buffer or string);
 * - a fetch resolves undefined only when a loader of its client returned undefined for its key
 *   while it, or a call of the key it may have joined, was under way (a flight shares its loader's
 *   undefined, and nothing else makes one);
 * - a rejection is a MemcacheError with a code, and a fetch's names a server;
 * - a loader runs at most once at a time per key and client, while the client's servers stay up:
 *   a failover moves the key, and its next call starts a flight of its own (see
 *   `overlapsAfterFailover`); one let go at lockTtl (its signal aborted) no longer counts;
 * - every call settles within `watchdogMs`; nothing is left unhandled;
 * - once the faults stop and leases have run out: each key's fetch resolves in every client, a set
 *   value is what every client's fetch then reads, and with meta every client still speaks it;
 *   close() settles with fetches under way.
 */
import { Client, coreKind, MemcacheError, type FetchOptions, type Loader } from '../../ts/index.js';
import { startFaultProxy, type FaultKind, type FaultMode, type FaultProxy } from './fault-proxy.js';
import { mulberry32 } from './seeded-random.js';

export interface FetchChaosConfig {
  readonly servers: readonly { readonly host: string; readonly port: number }[];
  readonly seed: number;
  /** ms of faults and random calls. */
  readonly chaosMs: number;
  /** Callers per client, each making one call (or one burst) at a time. */
  readonly callersPerClient: number;
  /** ms any call may take before it counts as hung. */
  readonly watchdogMs: number;
  /** Whether the clients speak meta (MEMCACHE_PROTOCOL is not 'text'): leases, serve-stale, getItem. */
  readonly meta: boolean;
}

export interface FetchChaosFigures {
  core: string;
  ms: number;
  calls: Record<string, number>;
  outcomes: Record<string, number>;
  errorsByCode: Record<string, number>;
  /** Slowest settle of each kind of call, ms. */
  slowest: Record<string, number>;
  loaderRuns: number;
  /**
   * Loaders that began while another of the same key, client and server ran, begun before one of
   * the client's servers went down or came back: a flight left behind on the key's server when a
   * failover moved the key away is not joined once the key comes back (not counted as a violation).
   */
  overlapsAfterFailover: number;
  /** metrics() totals of the three clients. */
  leases: { wins: number; waits: number; staleServes: number; loaderErrors: number };
  /** Mode switches of the proxies, and fault events they injected. */
  modes: Record<string, number>;
  faults: Record<string, number>;
  /** Invariants broken, by name: empty when all held. */
  violations: Record<string, number>;
  samples: string[];
  unhandled: number;
  /** ms each client's close() took. */
  closeMs: number[];
}

const CLIENTS = 3;
const KEYS_PER_SERVER = 2;
const MAX_LOCK_TTL = 2;
const MAX_STALE_TTL = 2;
const TIMEOUT = 400;
/** A request of the checks after the faults: durability is checked there, not latency. */
const CALM_TIMEOUT = 5000;

type Rng = () => number;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const between = (rng: Rng, low: number, high: number): number => low + Math.floor(rng() * (high - low + 1));
const pick = <T>(rng: Rng, list: readonly T[]): T => list[Math.floor(rng() * list.length)];

/** The figures and the broken invariants, as the run finds them. */
class Tally {
  readonly figures: FetchChaosFigures = {
    core: coreKind, ms: 0, calls: {}, outcomes: {}, errorsByCode: {}, slowest: {}, loaderRuns: 0, overlapsAfterFailover: 0,
    leases: { wins: 0, waits: 0, staleServes: 0, loaderErrors: 0 }, modes: {}, faults: {},
    violations: {}, samples: [], unhandled: 0, closeMs: [],
  };

  bump(table: Record<string, number>, name: string, by = 1): void {
    table[name] = (table[name] ?? 0) + by;
  }

  violation(name: string, sample: string): void {
    this.bump(this.figures.violations, name);
    if (this.figures.samples.length < 20) this.figures.samples.push(`${name}: ${sample}`);
  }
}

/** What was produced and what is loading: the values a read may return, the loaders under way. */
class Oracle {
  readonly #produced = new Set<string>();
  /** The loaders running, by client, key and server: the client's routing epoch their flight began in. */
  readonly #loading = new Map<string, Set<{ readonly epoch: number }>>();
  /** The fetch calls under way, by client and key. */
  readonly #fetching = new Map<string, Set<FetchTicket>>();
  readonly #loaders = new Set<Promise<void>>();
  #next = 0;

  constructor(private readonly tally: Tally) {}

  /** A fresh value of `key`, from now on one a read may return. */
  produce(key: string, by: string): string {
    const value = `${key}|${by}|${++this.#next}`;
    this.#produced.add(value);
    return value;
  }

  /** A fetch call begins: one joining a call that saw a loader return undefined may resolve undefined too. */
  fetchBegins(client: number, key: string): FetchTicket {
    const under = this.#fetching.get(`${client} ${key}`) ?? new Set();
    const ticket = { sawUndefined: [...under].some((t) => t.sawUndefined) };
    this.#fetching.set(`${client} ${key}`, under.add(ticket));
    return ticket;
  }

  fetchEnds(client: number, key: string, ticket: FetchTicket): void {
    this.#fetching.get(`${client} ${key}`)?.delete(ticket);
  }

  loadedUndefined(client: number, key: string): void {
    for (const ticket of this.#fetching.get(`${client} ${key}`) ?? []) ticket.sawUndefined = true;
  }

  /**
   * A loader begins, its flight begun in routing `epoch`: checks it runs alone. The returned
   * function ends it (once), as does its signal (the loader is let go at lockTtl).
   */
  loaderBegins(client: number, key: string, server: string, epoch: number, signal: AbortSignal): () => void {
    const id = `client ${client} ${key} on ${server}`;
    const running = this.#loading.get(id) ?? new Set();
    this.tally.figures.loaderRuns++;
    if ([...running].some((other) => other.epoch === epoch)) this.tally.violation('loaders at once', `${running.size + 1} loaders of ${id}`);
    else if (running.size > 0) this.tally.figures.overlapsAfterFailover++;
    const me = { epoch };
    this.#loading.set(id, running.add(me));
    const end = () => running.delete(me);
    signal.addEventListener('abort', end, { once: true });
    return end;
  }

  /** Keeps a loader's settling, so that the run can wait for loaders let go at lockTtl. */
  track(settled: Promise<void>): void {
    this.#loaders.add(settled);
    void settled.then(() => this.#loaders.delete(settled));
  }

  async loadersSettled(): Promise<void> {
    await Promise.all([...this.#loaders]);
  }

  /** Why `value`, read of `key`, is not one a read may return; undefined when it is. */
  wrong(key: string, value: unknown): string | undefined {
    if (typeof value !== 'string') return `a ${Buffer.isBuffer(value) ? `${value.length}-byte Buffer` : typeof value}`;
    if (value === '') return 'an empty string';
    if (!value.startsWith(`${key}|`)) return `${JSON.stringify(value)}, another key's`;
    if (!this.#produced.has(value)) return `${JSON.stringify(value)}, which nobody produced`;
    return undefined;
  }
}

/** A fetch call under way, as the oracle knows it. */
interface FetchTicket {
  /** A loader of its key in its client returned undefined while it, or a call it may have joined, was under way. */
  sawUndefined: boolean;
}

/** One client, standing for a process. */
interface Slot {
  readonly index: number;
  readonly mc: Client;
  readonly down: Set<string>;
  /** Bumped as any of its servers goes down or comes back: the keys' routes may have changed. */
  epoch: number;
}

export async function runFetchChaos(config: FetchChaosConfig): Promise<FetchChaosFigures> {
  const started = performance.now();
  const tally = new Tally();
  const onUnhandled = (error: unknown) => {
    tally.figures.unhandled++;
    process.stderr.write(`chaos-fetch: unhandled ${String((error as Error)?.stack ?? error)}\n`);
  };
  process.on('unhandledRejection', onUnhandled);
  process.on('uncaughtException', onUnhandled);
  const rng = mulberry32(config.seed);
  const proxies = await Promise.all(config.servers.map((target) => startFaultProxy({ target })));
  const slots = Array.from({ length: CLIENTS }, (_, index) => openSlot(index, proxies));
  const keys = keysOnEveryServer(slots[0].mc, proxies.length);
  const run = new ChaosRun(config, tally, new Oracle(tally), rng, slots, keys);
  await run.opening(proxies);
  await run.chaos(proxies);
  await run.settle();
  countLeases(tally, slots);
  await run.closeWithFetchesUnderWay();
  for (const proxy of proxies) for (const [kind, n] of Object.entries(proxy.stats.faults)) tally.bump(tally.figures.faults, kind as FaultKind, n);
  await Promise.all(proxies.map((p) => p.close()));
  process.off('unhandledRejection', onUnhandled);
  process.off('uncaughtException', onUnhandled);
  tally.figures.ms = Math.round(performance.now() - started);
  return tally.figures;
}

function openSlot(index: number, proxies: readonly FaultProxy[]): Slot {
  const mc = new Client(proxies.map((p) => `${p.host}:${p.port}`), {
    timeout: TIMEOUT,
    connectTimeout: 300,
    deadRetry: 250,
    reconnectDelay: 20,
    maxReconnectDelay: 300,
  });
  const slot: Slot = { index, mc, down: new Set(), epoch: 0 };
  mc.on('server:down', (e) => {
    slot.down.add(e.server);
    slot.epoch++;
  });
  mc.on('server:up', (e) => {
    slot.down.delete(e.server);
    slot.epoch++;
  });
  return slot;
}

/** KEYS_PER_SERVER keys going to each server, so that every server sees every kind of call. */
function keysOnEveryServer(mc: Client, servers: number): string[] {
  const byServer = new Map<string, string[]>();
  for (let i = 0; byServer.size < servers || [...byServer.values()].some((k) => k.length < KEYS_PER_SERVER); i++) {
    const key = `cf:${i}`;
    const server = mc.serverFor(key);
    const list = byServer.get(server) ?? [];
    if (list.length < KEYS_PER_SERVER) byServer.set(server, [...list, key]);
  }
  return [...byServer.values()].flat();
}

function countLeases(tally: Tally, slots: readonly Slot[]): void {
  for (const { mc } of slots) {
    const t = mc.metrics().totals;
    const leases = tally.figures.leases;
    leases.wins += t.leaseWins;
    leases.waits += t.leaseWaits;
    leases.staleServes += t.staleServes;
    leases.loaderErrors += t.loaderErrors;
  }
}

/** What a loader does: weights, and the plan. */
type LoaderPlan = 'value' | 'later' | 'slow' | 'throw' | 'reject' | 'undefined' | 'overrun';
const LOADER_PLANS: readonly [LoaderPlan, number][] = [
  ['value', 35], ['later', 15], ['slow', 20], ['throw', 8], ['reject', 8], ['undefined', 10], ['overrun', 2],
];

class ChaosRun {
  constructor(
    private readonly config: FetchChaosConfig,
    private readonly tally: Tally,
    private readonly oracle: Oracle,
    private readonly rng: Rng,
    private readonly slots: readonly Slot[],
    private readonly keys: readonly string[],
  ) {}

  /**
   * Every client's first connection to every server has its `mn` probe cut (a hang-up, as from a
   * restart): one hang-up is no answer, so the next connection asks again and meta stays on.
   */
  async opening(proxies: readonly FaultProxy[]): Promise<void> {
    for (const proxy of proxies) proxy.setMode({ kind: 'stall' });
    const asked = this.slots.map(({ mc }) => mc.version().catch(() => undefined));
    for (let i = 0; i < 200 && proxies.some((p) => p.stats.open < CLIENTS); i++) await sleep(2);
    await sleep(20);
    for (const proxy of proxies) {
      proxy.resetConnections(pick(this.rng, ['rst', 'fin'] as const));
      proxy.setMode({ kind: 'pass' });
    }
    await Promise.all(asked);
    await this.revive();
  }

  async chaos(proxies: readonly FaultProxy[]): Promise<void> {
    const stops = proxies.map((proxy) => startFaultSchedule(proxy, this.rng, this.tally));
    const until = performance.now() + this.config.chaosMs;
    const callers = this.slots.flatMap((slot) => Array.from({ length: this.config.callersPerClient }, () => this.caller(slot, until)));
    await sleep(this.config.chaosMs);
    for (const stop of stops) stop();
    for (const proxy of proxies) proxy.setMode({ kind: 'pass' });
    await Promise.all(callers);
    await this.oracle.loadersSettled();
  }

  /** After the faults: leases and stale values run out, then every key is fetched, set and fetched again. */
  async settle(): Promise<void> {
    await this.revive();
    await sleep((Math.max(MAX_LOCK_TTL + 1, MAX_STALE_TTL) + 1) * 1000);
    await Promise.all(this.keys.flatMap((key) => this.slots.map((slot) => this.calmFetch(slot, key, undefined))));
    await Promise.all(this.keys.map((key, i) => this.setThenFetch(key, this.slots[i % CLIENTS])));
    if (this.config.meta) await Promise.all(this.keys.flatMap((key) => this.slots.map((slot) => this.stillMeta(slot, key))));
  }

  /** Every key deleted, fetched with a slow loader in every client, and every client closed at once. */
  async closeWithFetchesUnderWay(): Promise<void> {
    await Promise.all(this.keys.map((key) => this.slots[0].mc.delete(key, { timeout: CALM_TIMEOUT })));
    const fetches = this.slots.flatMap((slot) => this.keys.map((key) => this.fetchChecked('fetch at close', slot, key, 'slow', this.fetchOptions())));
    const closes = this.slots.map(async ({ index, mc }) => {
      const began = performance.now();
      await this.observe('close', `client ${index}`, false, mc.close(), () => undefined);
      this.tally.figures.closeMs[index] = Math.round(performance.now() - began);
    });
    await Promise.all([...fetches, ...closes]);
  }

  async caller(slot: Slot, until: number): Promise<void> {
    while (performance.now() < until) await this.randomCall(slot);
  }

  async randomCall(slot: Slot): Promise<void> {
    const key = pick(this.rng, this.keys);
    const { mc } = slot;
    const r = this.rng() * 100;
    if (r < 40) return this.fetchOnce(slot, key);
    if (r < 48) return this.fetchBurst(slot, key);
    if (r < 52) return this.fetchAborted(slot, key);
    const boolean = (kind: string) => (v: unknown) => this.checkBoolean(kind, key, v);
    if (r < 64) await this.observe('invalidate', key, false, mc.invalidate(key, { staleTtl: between(this.rng, 1, MAX_STALE_TTL) }), boolean('invalidate'));
    else if (r < 76) await this.observe('set', key, false, mc.set(key, this.oracle.produce(key, 'set'), { ttl: pick(this.rng, [2, 3, 5]) }), boolean('set'));
    else if (r < 84) await this.observe('delete', key, false, mc.delete(key), boolean('delete'));
    else await this.observe('get', key, false, mc.get(key), (v) => v === undefined || this.checkValue('get', key, v));
  }

  fetchOnce(slot: Slot, key: string): Promise<void> {
    return this.fetchChecked('fetch', slot, key, this.loaderPlan(), this.fetchOptions());
  }

  /** Callers of one key in one client at once: one flight, one loader. */
  async fetchBurst(slot: Slot, key: string): Promise<void> {
    this.tally.bump(this.tally.figures.calls, 'bursts');
    await Promise.all(Array.from({ length: between(this.rng, 2, 5) }, () => this.fetchOnce(slot, key)));
  }

  /**
   * A caller that gives up after 0-30 ms: its AbortError names the key's server. Its loader never
   * returns undefined: a flight whose starter left goes on with no call the oracle sees, and a call
   * joining it as it gives its lease back would resolve the undefined unseen.
   */
  async fetchAborted(slot: Slot, key: string): Promise<void> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), between(this.rng, 0, 30));
    const plan = this.loaderPlan(['undefined']);
    await this.fetchChecked('fetch aborted', slot, key, plan, { ...this.fetchOptions(), signal: controller.signal });
    clearTimeout(timer);
  }

  fetchOptions(): FetchOptions {
    const ttl = pick(this.rng, [2, 3, 5]);
    return {
      ttl,
      lockTtl: between(this.rng, 1, MAX_LOCK_TTL),
      staleTtl: between(this.rng, 1, MAX_STALE_TTL),
      waitTimeout: between(this.rng, 1000, 3000),
      recacheBefore: this.rng() < 0.3 ? 1 : undefined,
    };
  }

  /** A fetch, observed: it must resolve with a value of its key, or undefined a loader of its flight returned. */
  async fetchChecked(kind: string, slot: Slot, key: string, plan: LoaderPlan, options: FetchOptions): Promise<void> {
    const ticket = this.oracle.fetchBegins(slot.index, key);
    await this.observe(kind, key, true, this.fetchCall(slot, key, plan, options), (value) => {
      if (value !== undefined) this.checkValue(kind, key, value);
      else if (!ticket.sawUndefined) this.tally.violation('fetches resolving undefined that no loader returned', `${kind} of ${key} in client ${slot.index}`);
    });
    this.oracle.fetchEnds(slot.index, key, ticket);
  }

  fetchCall(slot: Slot, key: string, plan: LoaderPlan, options: FetchOptions): Promise<unknown> {
    try {
      const loader = this.loader(slot, key, slot.mc.serverFor(key), plan, options.lockTtl ?? MAX_LOCK_TTL);
      return slot.mc.fetch(key, loader, options);
    } catch (error) {
      return Promise.reject(error); // serverFor after close()
    }
  }

  loaderPlan(except: readonly LoaderPlan[] = []): LoaderPlan {
    const plans = LOADER_PLANS.filter(([plan]) => !except.includes(plan));
    let r = this.rng() * plans.reduce((n, [, w]) => n + w, 0);
    return plans.find(([, w]) => (r -= w) < 0)?.[0] ?? 'value';
  }

  /** A loader of `key` in `slot`, tracked by the oracle; synchronous for 'value' and 'throw'. */
  loader(slot: Slot, key: string, server: string, plan: LoaderPlan, lockTtl: number): Loader<string | undefined> {
    const oracle = this.oracle;
    const slow = between(this.rng, 30, 600);
    const epoch = slot.epoch;
    const result = (): string | undefined => {
      if (plan === 'undefined') return void oracle.loadedUndefined(slot.index, key);
      return oracle.produce(key, `loader|${slot.index}`);
    };
    return (_key, { signal }) => {
      const end = oracle.loaderBegins(slot.index, key, server, epoch, signal);
      if (plan === 'value' || plan === 'throw') {
        end();
        if (plan === 'throw') throw new Error(`loader of ${key} threw on purpose`);
        return result();
      }
      const settled = (async () => {
        if (plan === 'slow') await sleep(slow);
        if (plan === 'overrun') await sleep(lockTtl * 1000 + slow); // past its lease: let go, its value stored nowhere
        if (plan === 'reject') throw new Error(`loader of ${key} rejected on purpose`);
        return result();
      })().finally(end);
      oracle.track(settled.then(() => undefined, () => undefined));
      return settled;
    };
  }

  /**
   * Waits for `call` (at most watchdogMs), counts its outcome, and checks a value with `check`, an
   * error as a rejection. Whether it resolved.
   */
  async observe<T>(kind: string, key: string, isFetch: boolean, call: Promise<T>, check: (value: T) => unknown): Promise<boolean> {
    const { figures } = this.tally;
    this.tally.bump(figures.calls, kind);
    const began = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const overdue = new Promise<'overdue'>((resolve) => (timer = setTimeout(() => resolve('overdue'), this.config.watchdogMs)));
    const outcome = await Promise.race([call.then((value) => ({ value }), (error: unknown) => ({ error })), overdue]);
    clearTimeout(timer);
    const ms = Math.round(performance.now() - began);
    figures.slowest[kind] = Math.max(figures.slowest[kind] ?? 0, ms);
    if (outcome === 'overdue') {
      this.tally.violation('calls unsettled', `${kind} of ${key} unsettled after ${ms} ms`);
      return false;
    }
    if ('error' in outcome) {
      this.checkRejection(kind, key, isFetch, outcome.error);
      return false;
    }
    this.tally.bump(figures.outcomes, `${kind} ${outcome.value === undefined ? 'undefined' : 'resolved'}`);
    check(outcome.value);
    return true;
  }

  checkRejection(kind: string, key: string, isFetch: boolean, error: unknown): void {
    const { figures } = this.tally;
    this.tally.bump(figures.outcomes, `${kind} rejected`);
    if (!(error instanceof MemcacheError) || typeof error.code !== 'string') {
      this.tally.bump(figures.errorsByCode, 'not a MemcacheError');
      return this.tally.violation('rejections not a MemcacheError with a code', `${kind} of ${key}: ${String((error as Error)?.stack ?? error)}`);
    }
    this.tally.bump(figures.errorsByCode, error.code);
    if (isFetch && (typeof error.server !== 'string' || error.server === '')) {
      this.tally.violation('fetch rejections naming no server', `${kind} of ${key}: ${error.code} ${error.message}`);
    }
  }

  checkValue(kind: string, key: string, value: unknown): void {
    const wrong = this.oracle.wrong(key, value);
    if (wrong !== undefined) this.tally.violation('wrong values read', `${kind} of ${key} read ${wrong}`);
  }

  checkBoolean(kind: string, key: string, value: unknown): void {
    if (typeof value !== 'boolean') this.tally.violation('answers not a boolean', `${kind} of ${key} answered ${String(value)}`);
  }

  /** Every client's dead servers given their retry, until none is left dead. */
  async revive(): Promise<void> {
    for (let i = 0; i < 40 && this.slots.some((s) => s.down.size > 0); i++) {
      await Promise.all(this.slots.map((s) => s.mc.forgetDeadHosts()));
      await sleep(50);
    }
    for (const s of this.slots) if (s.down.size > 0) this.tally.violation('servers down after the faults', `client ${s.index}: ${[...s.down].join(', ')}`);
  }

  /** A fetch after the faults: it must resolve, with a value of its key (`expected`, when given). */
  async calmFetch(slot: Slot, key: string, expected: string | undefined): Promise<void> {
    const loader = () => this.oracle.produce(key, `loader|${slot.index}`);
    const options = { ttl: 60, lockTtl: MAX_LOCK_TTL, timeout: CALM_TIMEOUT };
    const resolved = await this.observe('fetch after the faults', key, true, slot.mc.fetch(key, loader, options), (value) => {
      if (expected !== undefined && value !== expected) this.tally.violation('set values not read back', `client ${slot.index} fetched ${String(value)}, set ${expected}`);
      else this.checkValue('fetch after the faults', key, value);
    });
    if (!resolved) this.tally.violation('fetches failing after the faults', `client ${slot.index}, ${key}`);
  }

  async setThenFetch(key: string, writer: Slot): Promise<void> {
    const value = this.oracle.produce(key, 'set');
    const stored = await writer.mc.set(key, value, { ttl: 60, timeout: CALM_TIMEOUT }).catch((error: unknown) => String(error));
    if (stored !== true) return this.tally.violation('sets failing after the faults', `${key}: ${String(stored)}`);
    await Promise.all(this.slots.map((slot) => this.calmFetch(slot, key, value)));
  }

  /** With meta: the client still speaks it to the key's server (getItem needs it), whatever the faults did. */
  async stillMeta(slot: Slot, key: string): Promise<void> {
    const outcome = await slot.mc.getItem(key, { timeout: CALM_TIMEOUT }).catch((error: unknown) => error);
    if (outcome instanceof MemcacheError) this.tally.violation('getItem failing after the faults (meta turned off?)', `client ${slot.index}, ${key}: ${outcome.code} ${outcome.message}`);
  }
}

/** A proxy's modes, each dealt once from a shuffled deck before any comes again: every fault, every few switches. */
interface ModePlan {
  readonly name: string;
  readonly make: (rng: Rng) => FaultMode;
  /** How long it lasts, ms. */
  readonly ms: readonly [number, number];
  /** Cut every live connection as it begins (a restart, an idle timeout). */
  readonly cut?: boolean;
}

const MODE_PLANS: readonly ModePlan[] = [
  { name: 'pass', make: () => ({ kind: 'pass' }), ms: [150, 500] },
  { name: 'pass', make: () => ({ kind: 'pass' }), ms: [150, 500] },
  { name: 'delay', make: (rng) => ({ kind: 'delay', ms: between(rng, 1, 60), direction: pick(rng, ['both', 'toClient', 'toServer'] as const) }), ms: [100, 400] },
  { name: 'split', make: (rng) => ({ kind: 'split', seed: between(rng, 0, 1e9) }), ms: [100, 400] },
  { name: 'drip', make: () => ({ kind: 'drip' }), ms: [50, 200] },
  { name: 'reset', make: () => ({ kind: 'reset' }), ms: [30, 200] },
  { name: 'closeAfter', make: (rng) => ({ kind: 'closeAfter', bytes: between(rng, 0, 400), direction: pick(rng, ['toClient', 'toServer'] as const) }), ms: [100, 300] },
  { name: 'garbage', make: (rng) => ({ kind: 'garbage', probability: 0.2 + rng() * 0.8, seed: between(rng, 0, 1e9) }), ms: [100, 300] },
  // Twice: most outlast TIMEOUT, and a stall on a server already marked dead times nothing out.
  { name: 'stall', make: () => ({ kind: 'stall' }), ms: [300, 800] },
  { name: 'stall', make: () => ({ kind: 'stall' }), ms: [300, 800] },
  { name: 'refuse', make: () => ({ kind: 'refuse' }), ms: [50, 300] },
  { name: 'cut', make: () => ({ kind: 'pass' }), ms: [100, 300], cut: true },
];

/** Switches `proxy` through MODE_PLANS until the returned function is called. */
function startFaultSchedule(proxy: FaultProxy, rng: Rng, tally: Tally): () => void {
  let deck: ModePlan[] = [];
  let timer: NodeJS.Timeout | undefined;
  const next = () => {
    if (deck.length === 0) deck = shuffled(MODE_PLANS, rng);
    const plan = deck.pop() as ModePlan;
    proxy.setMode(plan.make(rng));
    if (plan.cut) proxy.resetConnections(pick(rng, ['rst', 'fin'] as const));
    tally.bump(tally.figures.modes, plan.name);
    timer = setTimeout(next, between(rng, ...plan.ms));
  };
  next();
  return () => clearTimeout(timer);
}

function shuffled<T>(list: readonly T[], rng: Rng): T[] {
  const copy = [...list];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy;
}
