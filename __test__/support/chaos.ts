/**
 * The chaos run (see chaos.test.ts, which runs it in a child process): random operations from
 * many concurrent workers against real servers behind fault proxies that switch modes at random,
 * checked against an oracle of everything written. Returns its figures; closes everything it
 * opened before returning, so that the process can exit.
 *
 * What the oracle allows:
 * - a value read (get, getMulti, gets) is `<key>#<version>` for its own key and a version some
 *   write of that key was issued with;
 * - a counter read (incr's answer, or a get) is at least the increments that succeeded before the
 *   read was issued (+1 for an incr's own) and at most the increments issued before it settled;
 *   counters live on their own server only (failover moves their keys to a server without them,
 *   where incr answers NOT_FOUND and changes nothing);
 * - once the faults stop and every server is back, a key whose last write was acknowledged as
 *   stored by the server it belongs to reads back that write, unless an earlier write or delete
 *   not known to have finished before it (failed, or answered later) may have landed after it.
 */
import { Client, GetMultiResult, MemcacheError, type CallOptions } from '../../ts/index.js';
import { startFaultProxy, type FaultKind, type FaultMode, type FaultProxy } from './fault-proxy.js';
import { mulberry32 } from './seeded-random.js';

export interface ChaosConfig {
  readonly servers: readonly { readonly host: string; readonly port: number }[];
  /** Operations to run (at least). */
  readonly ops: number;
  /** ms to keep going (at least), so that every proxy goes through many modes. */
  readonly minMs: number;
  readonly seed: number;
  /** Workers, each running one operation at a time. */
  readonly concurrency: number;
  readonly timeout: number;
  readonly maxPending: number;
}

export interface ChaosFigures {
  ops: number;
  opsByKind: Record<string, number>;
  /** Mode switches of the proxies, by mode. */
  modes: Record<string, number>;
  /** Fault events the proxies injected (chunks delayed/split/dripped/garbled, connections reset/closed/refused, stalls). */
  faults: Record<string, number>;
  errorsByCode: Record<string, number>;
  wrongValues: number;
  wrongSamples: string[];
  counterReads: number;
  counterViolations: number;
  counterSamples: string[];
  /** `retried`: reads that failed once after the faults stopped and were tried again; `retryErrors` samples why. */
  readBack: { keys: number; exact: number; raced: number; mismatches: number; errors: number; retried: number; samples: string[]; retryErrors: string[] };
  pendingMax: number;
  unhandled: number;
  ms: number;
}

const VALUE_KEYS = 300;
const COUNTER_KEYS = 24;

/** One write or delete of a value key, in issue order. */
interface KeyOp {
  readonly kind: 'write' | 'delete';
  readonly version: number;
  readonly server: string;
  /** Logical clock at issue and at settle (Infinity while pending). */
  readonly issued: number;
  settled: number;
  /** ok: answered (stored says whether it took effect); failed: rejected, may or may not have run. */
  status: 'pending' | 'ok' | 'failed';
  stored: boolean;
}

export async function runChaos(config: ChaosConfig): Promise<ChaosFigures> {
  const started = performance.now();
  const rng = mulberry32(config.seed);
  const figures: ChaosFigures = {
    ops: 0,
    opsByKind: {},
    modes: {},
    faults: {},
    errorsByCode: {},
    wrongValues: 0,
    wrongSamples: [],
    counterReads: 0,
    counterViolations: 0,
    counterSamples: [],
    readBack: { keys: 0, exact: 0, raced: 0, mismatches: 0, errors: 0, retried: 0, samples: [], retryErrors: [] },
    pendingMax: 0,
    unhandled: 0,
    ms: 0,
  };
  const onUnhandled = (error: unknown) => {
    figures.unhandled++;
    process.stderr.write(`chaos: unhandled ${String((error as Error)?.stack ?? error)}\n`);
  };
  process.on('unhandledRejection', onUnhandled);
  process.on('uncaughtException', onUnhandled);

  const proxies: FaultProxy[] = await Promise.all(config.servers.map((target) => startFaultProxy({ target })));
  const mc = new Client(
    proxies.map((p) => `${p.host}:${p.port}`),
    {
      timeout: config.timeout,
      connectTimeout: Math.round(config.timeout * 0.75),
      deadRetry: 250,
      reconnectDelay: 20,
      maxReconnectDelay: 300,
      maxPending: config.maxPending,
      poolSize: 2,
      retries: 1,
    },
  );
  const down = new Set<string>();
  mc.on('server:down', (e) => down.add(e.server));
  mc.on('server:up', (e) => down.delete(e.server));

  const bump = (table: Record<string, number>, name: string, by = 1) => (table[name] = (table[name] ?? 0) + by);
  const sample = (list: string[], text: string) => list.length < 10 && list.push(text);
  const countError = (error: unknown) => bump(figures.errorsByCode, error instanceof MemcacheError ? error.code : `NOT_A_MEMCACHE_ERROR: ${String(error)}`);

  // ---- the oracle ----
  let clock = 0;
  let nextVersion = 0;
  const valueKeys = Array.from({ length: VALUE_KEYS }, (_, i) => `v:${i}`);
  const counterKeys = Array.from({ length: COUNTER_KEYS }, (_, i) => `c:${i}`);
  const versions = new Map<string, Set<number>>(valueKeys.map((k) => [k, new Set<number>()]));
  const history = new Map<string, KeyOp[]>(valueKeys.map((k) => [k, []]));
  const increments = new Map<string, { issued: number; succeeded: number }>(counterKeys.map((k) => [k, { issued: 0, succeeded: 0 }]));

  const checkValue = (key: string, value: unknown, via: string) => {
    if (value === undefined) return;
    const text = typeof value === 'string' ? value : undefined;
    const hash = text?.lastIndexOf('#') ?? -1;
    const ok = text !== undefined && hash > 0 && text.slice(0, hash) === key && versions.get(key)?.has(Number(text.slice(hash + 1)));
    if (!ok) {
      figures.wrongValues++;
      sample(figures.wrongSamples, `${via} ${key} -> ${JSON.stringify(value)}`);
    }
  };
  const checkCounter = (key: string, value: unknown, low: number, high: number, via: string) => {
    if (value === undefined) return; // the key failed over to a server without it
    figures.counterReads++;
    const n = Number(value);
    if (!Number.isInteger(n) || n < low || n > high) {
      figures.counterViolations++;
      sample(figures.counterSamples, `${via} ${key} = ${String(value)}, possible ${low}..${high}`);
    }
  };
  const beginWrite = (key: string, kind: KeyOp['kind']): KeyOp => {
    const op: KeyOp = { kind, version: ++nextVersion, server: mc.serverFor(key), issued: ++clock, settled: Infinity, status: 'pending', stored: false };
    if (kind === 'write') versions.get(key)!.add(op.version);
    history.get(key)!.push(op);
    return op;
  };
  const endWrite = (op: KeyOp, outcome: { stored: boolean } | { error: unknown }) => {
    op.settled = ++clock;
    if ('error' in outcome) {
      op.status = 'failed';
      countError(outcome.error);
    } else {
      op.status = 'ok';
      op.stored = outcome.stored;
    }
  };
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rng() * list.length)];

  // ---- the operations ----
  const OPS: [string, number, (o: CallOptions) => Promise<void>][] = [
    ['get', 28, async (o) => {
      const key = pick(valueKeys);
      try {
        checkValue(key, await mc.get(key, o), 'get');
      } catch (error) {
        countError(error);
      }
    }],
    ['set', 24, async (o) => {
      const key = pick(valueKeys);
      const op = beginWrite(key, 'write');
      try {
        endWrite(op, { stored: await mc.set(key, `${key}#${op.version}`, o) });
      } catch (error) {
        endWrite(op, { error });
      }
    }],
    ['getMulti', 10, async (o) => {
      const keys = Array.from({ length: 2 + Math.floor(rng() * 7) }, () => pick(valueKeys));
      try {
        const result: GetMultiResult<string> = await mc.getMulti(keys, o);
        for (const [key, value] of result) {
          if (!keys.includes(key)) figures.wrongValues++;
          checkValue(key, value, 'getMulti');
        }
        for (const error of result.errors.values()) countError(error);
      } catch (error) {
        countError(error);
      }
    }],
    ['incr', 16, async (o) => {
      const key = pick(counterKeys);
      const counts = increments.get(key)!;
      const low = counts.succeeded + 1;
      counts.issued++;
      try {
        const value = await mc.incr(key, 1, o);
        checkCounter(key, value, low, counts.issued, 'incr');
        if (value !== undefined) counts.succeeded++;
      } catch (error) {
        countError(error);
      }
    }],
    ['counter get', 4, async (o) => {
      const key = pick(counterKeys);
      const counts = increments.get(key)!;
      const low = counts.succeeded;
      try {
        const value = await mc.get(key, o);
        checkCounter(key, value, low, counts.issued, 'get');
      } catch (error) {
        countError(error);
      }
    }],
    ['cas', 10, async (o) => {
      const key = pick(valueKeys);
      let item;
      try {
        item = await mc.gets<string>(key, o);
      } catch (error) {
        countError(error);
        return;
      }
      if (item === undefined) return;
      checkValue(key, item.value, 'gets');
      const op = beginWrite(key, 'write');
      try {
        endWrite(op, { stored: await mc.cas(key, `${key}#${op.version}`, item.cas, o) });
      } catch (error) {
        endWrite(op, { error });
      }
    }],
    ['delete', 8, async (o) => {
      const key = pick(valueKeys);
      const op = beginWrite(key, 'delete');
      try {
        await mc.delete(key, o);
        endWrite(op, { stored: true });
      } catch (error) {
        endWrite(op, { error });
      }
    }],
  ];
  const totalWeight = OPS.reduce((n, [, w]) => n + w, 0);
  const chooseOp = () => {
    let r = rng() * totalWeight;
    for (const op of OPS) if ((r -= op[1]) < 0) return op;
    return OPS[0];
  };

  // ---- the faults ----
  const MODES: [number, () => FaultMode, () => number][] = [
    [30, () => ({ kind: 'pass' }), () => 150 + rng() * 350],
    [10, () => ({ kind: 'delay', ms: 2 + Math.floor(rng() * 60), direction: pick(['both', 'toClient', 'toServer'] as const) }), () => 100 + rng() * 300],
    [10, () => ({ kind: 'split', seed: Math.floor(rng() * 1e9) }), () => 100 + rng() * 300],
    [4, () => ({ kind: 'drip' }), () => 50 + rng() * 150],
    [8, () => ({ kind: 'reset' }), () => 30 + rng() * 150],
    [8, () => ({ kind: 'closeAfter', bytes: Math.floor(rng() * 400), direction: pick(['toClient', 'toServer'] as const) }), () => 100 + rng() * 250],
    [8, () => ({ kind: 'garbage', probability: 0.2 + rng() * 0.8, seed: Math.floor(rng() * 1e9) }), () => 100 + rng() * 250],
    [7, () => ({ kind: 'stall' }), () => 150 + rng() * 450],
    [8, () => ({ kind: 'refuse' }), () => 50 + rng() * 250],
    // Not a mode: every connection is cut now (RST, or FIN as a restart or an idle timeout does).
    [5, () => ({ kind: 'pass' }), () => 100 + rng() * 200],
  ];
  const KICK = MODES.length - 1;
  const modeWeight = MODES.reduce((n, [w]) => n + w, 0);
  let faulting = true;
  /** Each proxy first goes through every mode once, in its own order, so that a short or slow run still injects every kind of fault. */
  const everyModeOnce = (): number[] => {
    const order = MODES.map((_, i) => i);
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rng() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    return order;
  };
  const switchers = proxies.map((proxy) => {
    let timer: NodeJS.Timeout | undefined;
    const firstRound = everyModeOnce();
    const next = () => {
      if (!faulting) return;
      let r = rng() * modeWeight;
      const index = firstRound.pop() ?? MODES.findIndex(([w]) => (r -= w) < 0);
      const [, make, duration] = MODES[Math.max(0, index)];
      const mode = make();
      proxy.setMode(mode);
      if (index === KICK) {
        const how = pick(['rst', 'fin'] as const);
        proxy.resetConnections(how);
        bump(figures.modes, `cut (${how})`);
      } else {
        bump(figures.modes, mode.kind);
        // A server going away: half the time its open connections go with it, so that the client must reconnect now.
        if (mode.kind === 'refuse' && rng() < 0.5) proxy.resetConnections('fin');
      }
      timer = setTimeout(next, duration());
    };
    next();
    return () => clearTimeout(timer);
  });

  // ---- the run ----
  // Counters start at 0 on their own servers, before any fault.
  for (const proxy of proxies) proxy.setMode({ kind: 'pass' });
  const initial = await mc.setMulti(counterKeys.map((k) => [k, '0']));
  if (initial.length > 0) throw new Error(`chaos: counters not initialised: ${initial.join(', ')}`);
  let issued = 0;
  const sampler = setInterval(() => (figures.pendingMax = Math.max(figures.pendingMax, mc.pending)), 5);
  const worker = async () => {
    while (issued < config.ops || performance.now() - started < config.minMs) {
      issued++;
      const [name, , run] = chooseOp();
      bump(figures.opsByKind, name);
      // Now and then the caller gives up after a few ms.
      let options: CallOptions = {};
      let abort: NodeJS.Timeout | undefined;
      if (rng() < 0.03) {
        const controller = new AbortController();
        abort = setTimeout(() => controller.abort(), rng() * 20);
        options = { signal: controller.signal };
        bump(figures.opsByKind, 'aborted after 0-20 ms');
      }
      const call = run(options);
      figures.pendingMax = Math.max(figures.pendingMax, mc.pending);
      await call;
      clearTimeout(abort);
      figures.ops++;
    }
  };
  await Promise.all(Array.from({ length: config.concurrency }, worker));

  // ---- calm, then read back ----
  faulting = false;
  for (const stop of switchers) stop();
  for (const proxy of proxies) proxy.setMode({ kind: 'pass' });
  clearInterval(sampler);
  for (let i = 0; i < 40 && down.size > 0; i++) {
    await mc.forgetDeadHosts();
    if (down.size > 0) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  if (down.size > 0) throw new Error(`chaos: servers still down after the faults stopped: ${[...down].join(', ')}`);
  const readBack = figures.readBack;
  await Promise.all(
    valueKeys.map(async (key) => {
      const ops = history.get(key)!;
      const last = ops.at(-1);
      if (last === undefined || last.kind !== 'write' || last.status !== 'ok' || !last.stored) return;
      if (last.server !== mc.serverFor(key)) return; // acknowledged by a server the key failed over to
      readBack.keys++;
      // What may have landed after it: writes and deletes not known to have finished before it was issued.
      // A failed one may sit in a proxy's queue long after it failed: it may land at any time.
      const racing = ops.filter((op) => op !== last && (op.status === 'failed' || (op.settled > last.issued && op.stored)));
      // Durability is checked here, not latency: a generous timeout, and another try after an error
      // (a busy machine may still time a read out, or find a connection backing off).
      let value: unknown;
      for (let attempt = 1; ; attempt++) {
        try {
          value = await mc.get(key, { timeout: 5000 });
          break;
        } catch (error) {
          if (attempt < 3) {
            readBack.retried++;
            sample(readBack.retryErrors, `${key}: ${String(error)}`);
            await new Promise((resolve) => setTimeout(resolve, 100));
            await mc.forgetDeadHosts();
            continue;
          }
          readBack.errors++;
          sample(readBack.samples, `${key}: ${String(error)}`);
          return;
        }
      }
      checkValue(key, value, 'read back');
      if (value === `${key}#${last.version}`) readBack.exact++;
      else if (
        (value === undefined && racing.some((op) => op.kind === 'delete')) ||
        racing.some((op) => op.kind === 'write' && value === `${key}#${op.version}`)
      ) {
        readBack.raced++;
      } else {
        readBack.mismatches++;
        sample(readBack.samples, `${key}: read ${JSON.stringify(value)}, acknowledged ${last.version}, racing ${racing.map((o) => `${o.kind} ${o.version} ${o.status}`).join(', ')}`);
      }
    }),
  );

  for (const proxy of proxies) {
    for (const [kind, count] of Object.entries(proxy.stats.faults)) bump(figures.faults, kind as FaultKind, count);
  }
  await mc.close();
  await Promise.all(proxies.map((p) => p.close()));
  process.off('unhandledRejection', onUnhandled);
  process.off('uncaughtException', onUnhandled);
  figures.ms = Math.round(performance.now() - started);
  return figures;
}
