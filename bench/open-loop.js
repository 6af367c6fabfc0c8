// Open-loop load (issue: latency benchmark): the requests' intended start times are fixed before the
// run, and each request's latency runs from its intended start to its completion. A client that
// falls behind cannot slow the arrivals down (as a closed loop would let it), so the time requests
// wait in its queues shows in their latency instead of hiding in a lower request rate.
//
// Arrivals are a Poisson process (exponential gaps) from a seeded generator: every client meets the
// same schedule. A timer loop issues every request whose intended time has passed, then sleeps
// until the next one is due; Node's timers fire at 1 ms granularity, so requests leave in small
// bursts and each latency includes up to ~1 ms of the generator's own lateness (the same for
// every client; `lagMs` reports it).
import { monitorEventLoopDelay } from 'node:perf_hooks';

const GET = 0;
const SET = 1;
export const KIND = { GET, SET };

/** mulberry32: a small seeded generator, uniform in [0, 1). */
function seeded(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `{ at, kind, ms }`: intended start times (ms from the start) of `rate` requests per second on
 * average over `seconds`, each a set with probability `setShare`, else a get.
 */
export function makeSchedule({ rate, seconds, setShare, seed = 1 }) {
  const random = seeded(seed);
  const ms = seconds * 1000;
  const at = [];
  const kind = [];
  for (let t = -Math.log(1 - random()) * (1000 / rate); t < ms; t += -Math.log(1 - random()) * (1000 / rate)) {
    at.push(t);
    kind.push(random() < setShare ? SET : GET);
  }
  return { at: Float64Array.from(at), kind: Uint8Array.from(kind), ms };
}

/** Nearest-rank percentile `p` (0..1) of an ascending array. */
export function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

function summarize(latencies) {
  const sorted = Float64Array.from(latencies).sort();
  return {
    count: sorted.length,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    p999: percentile(sorted, 0.999),
    max: sorted.length ? sorted[sorted.length - 1] : null,
  };
}

/**
 * Runs `schedule`, calling `issue(kind, index)` (which returns a promise) at each intended time.
 * Requests intended before `warmupMs` are issued but not counted; the event-loop delay
 * (`monitorEventLoopDelay`, sampled every 1 ms) and CPU time cover the counted part of the
 * schedule. After the schedule ends, waits up to `drainMs` for the requests still out; one still
 * out then counts with its latency so far (a lower bound) and as unfinished.
 */
export function runOpenLoop({ schedule, issue, warmupMs, drainMs = 5000 }) {
  const { at, kind, ms } = schedule;
  const n = at.length;
  const latency = new Float64Array(n).fill(NaN);
  const failed = new Uint8Array(n);
  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  let t0 = 0;
  let next = 0;
  let completed = 0;
  let lagSum = 0;
  let lagMax = 0;
  let firstError = null;
  let window = null; // { cpu, outstanding, completedInWindow } once the schedule has ended
  let cpuStart = null;
  let wallStart = 0;
  let completedAtWarmup = 0;
  let settle;
  const finished = new Promise((resolve) => { settle = resolve; });

  const finish = (i, error) => {
    latency[i] = performance.now() - t0 - at[i];
    if (error !== undefined) {
      failed[i] = 1;
      firstError ??= error instanceof Error ? error.message : String(error);
    }
    if (++completed === n && window) settle();
  };

  const tick = () => {
    const now = performance.now() - t0;
    if (cpuStart === null && now >= warmupMs) {
      cpuStart = process.cpuUsage();
      wallStart = performance.now();
      completedAtWarmup = completed;
      loopDelay.enable();
    }
    while (next < n && at[next] <= now) {
      const i = next++;
      if (at[i] >= warmupMs) { const lag = now - at[i]; lagSum += lag; if (lag > lagMax) lagMax = lag; }
      try {
        issue(kind[i], i).then(() => finish(i), (err) => finish(i, err ?? 'rejected'));
      } catch (err) {
        finish(i, err);
      }
    }
    if (now < ms) {
      setTimeout(tick, Math.max(0, Math.min(next < n ? at[next] : ms, ms) - (performance.now() - t0)));
      return;
    }
    loopDelay.disable();
    const cpu = process.cpuUsage(cpuStart ?? undefined);
    const wallMs = cpuStart === null ? 0 : performance.now() - wallStart;
    window = { cpuUs: cpu.user + cpu.system, wallMs, outstanding: n - completed, completedInWindow: completed - completedAtWarmup };
    if (completed === n) settle();
  };

  t0 = performance.now();
  tick();
  let drainTimer;
  const drained = new Promise((resolve) => { drainTimer = setTimeout(resolve, ms + drainMs + 1000); });
  return Promise.race([finished, drained]).then(() => { clearTimeout(drainTimer); return report(); });

  function report() {
    const end = performance.now() - t0;
    const counted = { [GET]: [], [SET]: [] };
    let unfinished = 0;
    let errors = 0;
    let issuedCounted = 0;
    for (let i = 0; i < n; i++) {
      if (at[i] < warmupMs) continue;
      issuedCounted++;
      const value = Number.isNaN(latency[i]) ? (unfinished++, end - at[i]) : latency[i];
      errors += failed[i];
      counted[kind[i]].push(value);
    }
    const seconds = (ms - warmupMs) / 1000;
    return {
      offered: issuedCounted / seconds,
      // Completions per second of wall time while the counted part of the schedule ran (which takes
      // longer than planned when the event loop is blocked past the schedule's end).
      achieved: window?.wallMs ? window.completedInWindow / (window.wallMs / 1000) : 0,
      get: summarize(counted[GET]),
      set: summarize(counted[SET]),
      errors,
      firstError,
      unfinished,
      // Requests still out when the schedule ended, in ms of the schedule: a client that keeps up
      // has a few ms' worth at most; one that does not has a backlog that grew all run.
      backlogMs: window ? (window.outstanding / Math.max(1, n)) * ms : ms,
      // None when the loop was blocked for the whole counted part (no sample was ever taken).
      loopDelayMs: loopDelay.count === 0 ? { p50: null, p99: null, max: null } : {
        p50: loopDelay.percentile(50) / 1e6,
        p99: loopDelay.percentile(99) / 1e6,
        max: loopDelay.max / 1e6,
      },
      cpuShare: window?.wallMs ? window.cpuUs / 1000 / window.wallMs : null, // of one core
      lagMs: { mean: issuedCounted ? lagSum / issuedCounted : 0, max: lagMax },
    };
  }
}
