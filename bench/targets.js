// The targets, each a ratio measured in this run: our native core on the meta protocol (what the
// default 'auto' speaks to memcached 1.6) against the best peer, a raw floor or another of our
// rows. Issue 6 set the first ones; issue 12 added the meta protocol's (against the best peer,
// against our text rows, against the quiet-meta floor).
import { bestPeer, fmtRatio, measured, peerCaseOf } from './compare.js';
import { CASES } from './workloads.js';

const OURS = 'native-meta';

/** `against`: 'peer' or a client id; `metric`: 'ops' (ratio at least `limit`) or 'cpu' (at most). */
export const TARGETS = [
  { issue: 6, label: 'serial get: not slower than the best peer', caseId: 'serial-get', against: 'peer', metric: 'ops', limit: 1 },
  { issue: 6, label: 'concurrent get: ≥ 5x the best peer\'s ops/s', caseId: 'concurrent-get', against: 'peer', metric: 'ops', limit: 5 },
  { issue: 6, label: 'concurrent get: ≤ 1/5 of the best peer\'s CPU per op', caseId: 'concurrent-get', against: 'peer', metric: 'cpu', limit: 1 / 5 },
  { issue: 6, label: 'concurrent set: ≥ 3x the best peer\'s ops/s', caseId: 'concurrent-set', against: 'peer', metric: 'ops', limit: 3 },
  { issue: 6, label: 'concurrent set: ≤ 1/4 of the best peer\'s CPU per op', caseId: 'concurrent-set', against: 'peer', metric: 'cpu', limit: 1 / 4 },
  { issue: 6, label: 'multi-get: ≤ 1/3 of the best peer\'s CPU per key', caseId: 'multi-get', against: 'peer', metric: 'cpu', limit: 1 / 3 },
  { issue: 6, label: 'concurrent get: CPU per op ≤ 3x the text floor', caseId: 'concurrent-get', against: 'floor', metric: 'cpu', limit: 3 },
  { issue: 6, label: 'concurrent set: CPU per op ≤ 3x the text floor', caseId: 'concurrent-set', against: 'floor', metric: 'cpu', limit: 3 },
  { issue: 6, label: 'multi-get: CPU per key ≤ 3x the text floor', caseId: 'multi-get', against: 'floor', metric: 'cpu', limit: 3 },
  { issue: 6, label: 'native vs pure-TS core: ≥ 1.3x on multi-get (keys/s)', caseId: 'multi-get', against: 'ts-meta', metric: 'ops', limit: 1.3 },
  { issue: 6, label: 'native vs pure-TS core: ≥ 2x on 16 KB JSON set+get', caseId: 'json-16k', against: 'ts-meta', metric: 'ops', limit: 2 },
  { issue: 6, label: 'native vs pure-TS core: ≥ 2x on 256 KB JSON set+get', caseId: 'json-256k', against: 'ts-meta', metric: 'ops', limit: 2 },
  { issue: 12, label: 'concurrent set (meta): ≥ 5x the best peer\'s ops/s', caseId: 'concurrent-set', against: 'peer', metric: 'ops', limit: 5 },
  { issue: 12, label: 'concurrent set (meta): ≤ 1/6 of the best peer\'s CPU per op', caseId: 'concurrent-set', against: 'peer', metric: 'cpu', limit: 1 / 6 },
  { issue: 12, label: 'concurrent set: meta ≥ 1.3x text (sets/s)', caseId: 'concurrent-set', against: 'native-text', metric: 'ops', limit: 1.3 },
  { issue: 12, label: 'concurrent set (meta): CPU per op ≤ 2x the quiet-meta floor', caseId: 'concurrent-set', against: 'floor-meta', metric: 'cpu', limit: 2 },
  { issue: 12, label: 'serial get: meta ≥ 0.95x text (gets/s)', caseId: 'serial-get', against: 'native-text', metric: 'ops', limit: 0.95 },
  { issue: 12, label: 'concurrent get: meta ≥ 0.95x text (gets/s)', caseId: 'concurrent-get', against: 'native-text', metric: 'ops', limit: 0.95 },
  { issue: 12, label: 'multi-get: meta ≥ 0.95x text (keys/s)', caseId: 'multi-get', against: 'native-text', metric: 'ops', limit: 0.95 },
  { issue: 13, label: 'concurrent fetch hits: ≥ 2.5x the best peer\'s concurrent get ops/s', caseId: 'concurrent-fetch', against: 'peer', metric: 'ops', limit: 2.5 },
  { issue: 13, label: 'concurrent fetch hits: CPU per hit ≤ 2x the mg floor', caseId: 'concurrent-fetch', against: 'floor-mg', metric: 'cpu', limit: 2 },
];

function baseline(target, clients, outcomes) {
  if (target.against !== 'peer') return measured(outcomes, target.against, target.caseId);
  const peerCase = peerCaseOf(CASES.find((spec) => spec.id === target.caseId));
  const best = bestPeer(clients, outcomes, peerCase)[target.metric];
  return best && measured(outcomes, best.id, peerCase);
}

/** `{ target, ratio, pass }`; ratio is null (and pass false) when either side was not measured. */
export function evaluateTargets(clients, outcomes) {
  return TARGETS.map((target) => {
    const ours = measured(outcomes, OURS, target.caseId);
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
    return `| ${target.issue} | ${target.label} | ${target.metric === 'ops' ? 'ops/s' : 'CPU/op'} ratio | ${fmtRatio(ratio)} | ${need} | ${verdict} |`;
  });
  return [
    '## Targets (native core, meta protocol)',
    '',
    'The native core on `protocol: \'meta\'`, what the default `auto` speaks to memcached 1.6, against the row each target names.',
    '',
    '| issue | target | measured as | ratio | required | result |',
    '|---:|---|---|---:|---:|---|',
    ...rows,
  ].join('\n');
}
