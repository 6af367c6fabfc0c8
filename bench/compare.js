// The comparisons the report, the targets and the chart share: which peer is best on a case, and
// a client's ratio to it. Best ops/s and best (lowest) CPU per op may come from different peers.

/** Whether `client` takes part in case `spec`: a floor only where the case has floor steps. */
export function runsCase(client, spec) {
  if (client.cases && !client.cases.includes(spec.id)) return false;
  if (spec.runs && !spec.runs(client)) return false;
  return client.role !== 'floor' || Boolean(spec.prepareFloor);
}

/** A client's measurement on a case, or undefined when it failed or did not run. */
export function measured(outcomes, clientId, caseId) {
  return outcomes[clientId]?.[caseId]?.result;
}

/** The case whose peer rows `spec` compares against: its own, or `peersFrom` where peers cannot run it. */
export const peerCaseOf = (spec) => spec.peersFrom ?? spec.id;

/** `{ ops: { id, value }, cpu: { id, value } }` over the peers that measured `caseId`. */
export function bestPeer(clients, outcomes, caseId) {
  let ops = null;
  let cpu = null;
  for (const client of clients.filter((c) => c.role === 'peer')) {
    const r = measured(outcomes, client.id, caseId);
    if (!r) continue;
    if (!ops || r.opsPerSec > ops.value) ops = { id: client.id, value: r.opsPerSec };
    if (!cpu || r.cpuUsPerOp < cpu.value) cpu = { id: client.id, value: r.cpuUsPerOp };
  }
  return { ops, cpu };
}

/** `{ ops, cpu }` ratios of `clientId` to `baseId` on `caseId` (ops: higher is better; CPU: lower). */
export function ratioTo(outcomes, clientId, baseId, caseId) {
  const r = measured(outcomes, clientId, caseId);
  const base = measured(outcomes, baseId, caseId);
  if (!r || !base) return null;
  return { ops: r.opsPerSec / base.opsPerSec, cpu: r.cpuUsPerOp / base.cpuUsPerOp };
}

export const fmtOps = (v) => Math.round(v).toLocaleString('en-US');
export const fmtCpu = (v) => (v < 10 ? v.toFixed(2) : v.toFixed(1));
export const fmtRatio = (v) => (v == null ? '–' : `${v < 0.1 ? v.toFixed(3) : v.toFixed(2)}x`);
