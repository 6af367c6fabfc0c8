// Issue 6's targets for the native core, each a ratio measured in this run against the best
// peer, the raw floor or our own pure-TS core.
import { bestPeer, fmtRatio, measured } from './compare.js';

/** `against`: 'peer' | 'floor' | 'ts'; `metric`: 'ops' (at least) or 'cpu' (at most). */
export const TARGETS = [
  { label: 'serial get: not slower than the best peer', caseId: 'serial-get', against: 'peer', metric: 'ops', limit: 1 },
  { label: 'concurrent get: ≥ 5x the best peer\'s ops/s', caseId: 'concurrent-get', against: 'peer', metric: 'ops', limit: 5 },
  { label: 'concurrent get: ≤ 1/5 of the best peer\'s CPU per op', caseId: 'concurrent-get', against: 'peer', metric: 'cpu', limit: 1 / 5 },
  { label: 'concurrent set: ≥ 3x the best peer\'s ops/s', caseId: 'concurrent-set', against: 'peer', metric: 'ops', limit: 3 },
  { label: 'concurrent set: ≤ 1/4 of the best peer\'s CPU per op', caseId: 'concurrent-set', against: 'peer', metric: 'cpu', limit: 1 / 4 },
  { label: 'multi-get: ≤ 1/3 of the best peer\'s CPU per key', caseId: 'multi-get', against: 'peer', metric: 'cpu', limit: 1 / 3 },
  { label: 'concurrent get: CPU per op ≤ 3x the raw floor', caseId: 'concurrent-get', against: 'floor', metric: 'cpu', limit: 3 },
  { label: 'concurrent set: CPU per op ≤ 3x the raw floor', caseId: 'concurrent-set', against: 'floor', metric: 'cpu', limit: 3 },
  { label: 'multi-get: CPU per key ≤ 3x the raw floor', caseId: 'multi-get', against: 'floor', metric: 'cpu', limit: 3 },
  { label: 'native vs pure-TS core: ≥ 1.3x on multi-get (keys/s)', caseId: 'multi-get', against: 'ts', metric: 'ops', limit: 1.3 },
  { label: 'native vs pure-TS core: ≥ 2x on 16 KB JSON set+get', caseId: 'json-16k', against: 'ts', metric: 'ops', limit: 2 },
  { label: 'native vs pure-TS core: ≥ 2x on 256 KB JSON set+get', caseId: 'json-256k', against: 'ts', metric: 'ops', limit: 2 },
];

function baseline(target, clients, outcomes) {
  if (target.against !== 'peer') return measured(outcomes, target.against, target.caseId);
  const best = bestPeer(clients, outcomes, target.caseId)[target.metric];
  return best && measured(outcomes, best.id, target.caseId);
}

/** `{ target, ratio, pass }`; ratio is null (and pass false) when either side was not measured. */
export function evaluateTargets(clients, outcomes) {
  return TARGETS.map((target) => {
    const ours = measured(outcomes, 'native', target.caseId);
    const base = baseline(target, clients, outcomes);
    if (!ours || !base) return { target, ratio: null, pass: false };
    const ratio = target.metric === 'ops' ? ours.opsPerSec / base.opsPerSec : ours.cpuUsPerOp / base.cpuUsPerOp;
    return { target, ratio, pass: target.metric === 'ops' ? ratio >= target.limit : ratio <= target.limit };
  });
}

/** The markdown section listing every target with its measured ratio and PASS / FAIL. */
export function targetsSection(evaluated) {
  const rows = evaluated.map(({ target, ratio, pass }) => {
    const need = `${target.metric === 'ops' ? '≥' : '≤'} ${fmtRatio(target.limit)}`;
    const verdict = ratio == null ? 'NOT MEASURED' : pass ? 'PASS' : 'FAIL';
    return `| ${target.label} | ${target.metric === 'ops' ? 'ops/s' : 'CPU/op'} ratio | ${fmtRatio(ratio)} | ${need} | ${verdict} |`;
  });
  return ['## Targets (native core)', '', '| target | measured as | ratio | required | result |', '|---|---|---:|---:|---|', ...rows].join('\n');
}
