// The markdown report: the run's setting, then one table per case with each client's ops/s, CPU
// per op and ratios to the best peer (and to each raw floor that ran it), then the targets.
import { bestPeer, fmtCpu, fmtOps, fmtRatio, measured, peerCaseOf, ratioTo, runsCase } from './compare.js';
import { targetsSection } from './targets.js';

const UNIT_RATE = { get: 'gets/s', set: 'sets/s', key: 'keys/s', 'set+get': 'pairs/s', fetch: 'fetches/s' };

function header(meta) {
  return [
    '# memcache-native: end-to-end benchmark',
    '',
    `- Date: ${meta.date}`,
    `- Node ${meta.node}, ${meta.cpu} (${meta.cores} cores), ${meta.os}`,
    `- Server: ${meta.memcached}, \`-t 1\`, loopback; three instances for cases 6a/6b`,
    `- ${meta.seconds} s measured per case (median of 5 slices) after a ${meta.warmup} s warm-up, in ${meta.rounds} round${meta.rounds === 1 ? '' : 's'}; each client, case and round in a fresh process, clients taking turns; each row shows the median round (ops/s and CPU per op taken separately)`,
    '- CPU µs/op: the client process\'s user + system CPU time (`process.cpuUsage`) over the operations completed.',
    '- Ratios: ops/s ÷ the best peer\'s ops/s (higher is better); CPU/op ÷ the best peer\'s CPU/op (lower is better).',
    '- Multi-get (4, 6b): 8 calls kept in flight, the next started as each one completes, so the window never drains; the raw floor writes 8 at a time and waits for all 8.',
    '- memcache-native runs on each core (native, pure TS) and each protocol: `text`, and `meta`, which is what the default `auto` speaks to memcached 1.6 (sets as quiet `ms` with one `mn` per written batch, gets as text `get`).',
    '- Raw floors: one write per batch, replies only counted. The text floor sends text commands (`get`, merged `get`, `set`); the quiet-meta floor sends each batch of 256 sets as quiet `ms <key> <len> T0 q O<n>` and one `mn`, and waits for the `MN`; the mg floor sends each batch of 256 gets as `mg <key> v f O<n>` (memcached answers each on its own) and one `mn`. Reads per batch show how finely memcached\'s replies arrived: for 256 single gets, ~25 reads costs ~1.4 µs/op and ~150 reads ~4 µs/op, depending on how the scheduler places client and server on the cores.',
    ...(meta.notes ?? []).map((note) => `- ${note}`),
  ].join('\n');
}

function cell(outcome) {
  if (!outcome) return 'not measured';
  return `error: ${outcome.error.replaceAll('|', '\\|')}`;
}

function row(client, spec, ctx) {
  const r = measured(ctx.outcomes, client.id, spec.id);
  if (!r) return `| ${client.label} | ${cell(ctx.outcomes[client.id]?.[spec.id])} | | | |${' |'.repeat(ctx.floors.length)}`;
  const ops = ctx.best.ops ? r.opsPerSec / ctx.best.ops.value : null;
  const cpu = ctx.best.cpu ? r.cpuUsPerOp / ctx.best.cpu.value : null;
  const floors = ctx.floors.map((floor) => ` ${fmtRatio(ratioTo(ctx.outcomes, client.id, floor.id, spec.id)?.cpu)} |`).join('');
  const label = r.readsPerBatch ? `${client.label} (${r.readsPerBatch.toFixed(0)} reads/batch)` : client.label;
  return `| ${label} | ${fmtOps(r.opsPerSec)} | ${fmtCpu(r.cpuUsPerOp)} | ${fmtRatio(ops)} | ${fmtRatio(cpu)} |${floors}`;
}

function caseTable(spec, clients, outcomes) {
  const best = bestPeer(clients, outcomes, peerCaseOf(spec));
  const shown = clients.filter((c) => runsCase(c, spec));
  const floors = shown.filter((c) => c.role === 'floor');
  const ctx = { outcomes, best, floors };
  const from = spec.peersFrom ? ` (its ${spec.peersFrom} row)` : '';
  const bestNote = best.ops
    ? `Best peer${from}: ${best.ops.id} on ops/s, ${best.cpu.id} on CPU per ${spec.unit}.`
    : 'No peer completed this case.';
  return [
    `### ${spec.title}`,
    '',
    bestNote,
    '',
    `| client | ${UNIT_RATE[spec.unit]} | CPU µs/${spec.unit} | ops/s vs best peer | CPU vs best peer |${floors.map((f) => ` CPU vs ${f.short} |`).join('')}`,
    `|---|---:|---:|---:|---:|${'---:|'.repeat(floors.length)}`,
    ...shown.map((client) => row(client, spec, ctx)),
  ].join('\n');
}

/** The whole report as markdown. */
export function renderReport({ meta, clients, cases, outcomes, targets }) {
  return [
    header(meta),
    '## Results',
    ...cases.map((spec) => caseTable(spec, clients, outcomes)),
    targetsSection(targets),
    '',
  ].join('\n\n');
}
