// Runs a step for a fixed time and reports throughput and this process's CPU time per operation
// (`process.cpuUsage`: user + system, all threads, so native worker threads count too). The time
// is cut into slices and the medians reported, so a brief stall (another process, a GC pause, the
// scheduler moving the server) does not decide a row.

const SLICES = 5;

async function slice(step, ms) {
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  const end = start + ms;
  let ops = 0;
  while (performance.now() < end) ops += await step();
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  return { ops, seconds, cpuUs: cpu.user + cpu.system };
}

/** The middle value (the mean of the two middle ones for an even count). */
export const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** Calls `step` back to back for `seconds`; `step` resolves with the operations it completed. */
export async function runFor(step, seconds, slices = SLICES) {
  const parts = [];
  for (let i = 0; i < slices; i++) parts.push(await slice(step, (seconds * 1000) / slices));
  const ops = parts.reduce((sum, p) => sum + p.ops, 0);
  return {
    ops,
    seconds: parts.reduce((sum, p) => sum + p.seconds, 0),
    opsPerSec: median(parts.map((p) => p.ops / p.seconds)),
    cpuUsPerOp: median(parts.map((p) => p.cpuUs / p.ops)),
  };
}

/** Rejects with a timeout error if `promise` has not settled within `ms`. */
export function withDeadline(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${(ms / 1000).toFixed(1)} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * One outcome from several rounds of the same client and case: the median ops/s and the median
 * CPU per op (each over the rounds that completed), so one round that met a busy scheduler does
 * not decide a row. An error only when no round completed.
 */
export function medianOfRounds(rounds) {
  const results = rounds.filter((r) => r.result).map((r) => r.result);
  if (results.length === 0) return rounds[0];
  const combined = { ...results[0], rounds: results.length };
  for (const field of ['opsPerSec', 'cpuUsPerOp', 'readsPerBatch']) {
    if (typeof results[0][field] === 'number') combined[field] = median(results.map((r) => r[field]));
  }
  return { result: combined };
}
