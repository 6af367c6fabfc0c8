// The latency benchmark's report: its section of bench/RESULTS.md (between the markers, which
// bench/benchmark.js keeps when it rewrites the file), the targets as ratios measured in the run,
// and bench/latency.svg.
import { fmtOps, fmtRatio } from './compare.js';

export const MARKERS = { start: '<!-- latency:start -->', end: '<!-- latency:end -->' };
const NOISY_SHARE = 0.1; // of all cores' time, as bench/benchmark.js counts it
const BACKLOG_MS = 100;
const ERROR_SHARE = 0.01;
const PAIR_CASES = [{ id: 'json-16k', label: '16 KB' }, { id: 'json-256k', label: '256 KB' }];
const NETWORK_NAMES = { loopback: 'loopback', link: '1 Gbit/s link' };

// ---- reading the outcomes

const resultOf = (outcome) => outcome?.result;

/**
 * A point where the client did not keep up: requests left over, a backlog at the end, a rate short
 * of the offered one, or half the gets waiting longer than that backlog.
 */
export function saturated(r) {
  return r.unfinished > 0 || r.backlogMs > BACKLOG_MS || r.achieved < 0.95 * r.offered || r.get.p50 > BACKLOG_MS;
}

const failedMuch = (r) => r.errors > ERROR_SHARE * (r.get.count + r.set.count);

/** The peer with the lowest small-get p99 at `rate` (one failing over 1% of its requests does not count). */
function bestPeerMix(clients, network, rate) {
  let best = null;
  for (const client of clients.filter((c) => c.role === 'peer')) {
    const r = resultOf(network.mix?.[rate]?.[client.id]);
    if (r && !failedMuch(r) && (!best || r.get.p99 < best.r.get.p99)) best = { client, r };
  }
  return best;
}

/** The peer with the most pairs/s on `caseId`. */
function bestPeerPairs(clients, network, caseId) {
  let best = null;
  for (const client of clients.filter((c) => c.role === 'peer')) {
    const r = resultOf(network.pairs?.[caseId]?.[client.id]);
    if (r && (!best || r.opsPerSec > best.r.opsPerSec)) best = { client, r };
  }
  return best;
}

// ---- targets

/** `failed`: the ratio cannot pass (our row lost over 1% of its requests: fast failures are no latency). */
const target = (id, label, { ratio = null, limit, atMost = false, note = '', failed = false }) => ({
  id, label, ratio, limit, atMost, note,
  verdict: ratio == null ? 'NOT MEASURED' : !failed && (atMost ? ratio <= limit : ratio >= limit) ? 'PASS' : 'FAIL',
});

/** (a): the event-loop delay p99 compression adds, off the thread vs on it, at each loopback rate. */
function loopDelayTargets(network, rates, offload) {
  return rates.map((rate) => {
    const label = `(a) ${fmtOps(rate)}/s, loopback: loop delay p99 compression adds, off-thread ÷ on-thread`;
    if (offload === null) return target('a', label, { limit: 1 / 5, atMost: true, note: 'no offloadThreshold in this build' });
    const p99 = (id) => resultOf(network.mix?.[rate]?.[id])?.loopDelayMs.p99;
    const [base, sync, off] = [p99('native-off'), p99('native-sync'), p99('native-offload')];
    if (base == null || sync == null || off == null) return target('a', label, { limit: 1 / 5, atMost: true, note: 'a native row missing' });
    const addedSync = sync - base;
    const addedOff = Math.max(0, off - base);
    const note = `adds ${addedOff.toFixed(2)} ms vs ${addedSync.toFixed(2)} ms (baseline ${base.toFixed(2)} ms)`;
    if (addedSync <= 0) return target('a', label, { limit: 1 / 5, atMost: true, note: `on-thread compression added no delay here (${note})` });
    return target('a', label, { ratio: addedOff / addedSync, limit: 1 / 5, atMost: true, note });
  });
}

/** (b): our small-get p99 against the best peer's, at every rate, on each network measured. */
function p99Targets(clients, networks, rates, main) {
  return Object.entries(networks).filter(([, n]) => !n.skipped).flatMap(([name, network]) => rates.map((rate) => {
    const label = `(b) ${fmtOps(rate)}/s, ${NETWORK_NAMES[name]}: small-get p99 ÷ best peer's`;
    const ours = resultOf(network.mix?.[rate]?.[main.id]);
    const best = bestPeerMix(clients, network, rate);
    if (!ours || !best) return target('b', label, { limit: 1, atMost: true, note: ours ? 'no peer completed' : 'ours did not complete' });
    const errors = failedMuch(ours) ? `; ours failed ${ours.errors} requests` : '';
    return target('b', label, { ratio: ours.get.p99 / best.r.get.p99, limit: 1, atMost: true, failed: Boolean(errors), note: `${ours.get.p99.toFixed(2)} vs ${best.r.get.p99.toFixed(2)} ms (${best.client.id})${errors}` });
  }));
}

/** (c) on the link: pairs/s and bytes stored; (d) on loopback: 16 KB pairs/s. */
function pairTargets(clients, networks, main) {
  const compare = (id, network, spec, label, metric) => {
    const ours = resultOf(network.pairs?.[spec.id]?.[main.id]);
    const best = bestPeerPairs(clients, network, spec.id);
    const limit = metric === 'bytes' ? 1 / 5 : id === 'c' ? 1.5 : 1;
    if (network.skipped) return target(id, label, { limit, atMost: metric === 'bytes', note: 'link skipped' });
    if (!ours || !best) return target(id, label, { limit, atMost: metric === 'bytes', note: 'a row did not complete' });
    if (metric === 'bytes') {
      return target(id, label, { ratio: ours.storedBytes / best.r.storedBytes, limit, atMost: true, note: `${fmtOps(ours.storedBytes)} vs ${fmtOps(best.r.storedBytes)} bytes (${best.client.id})` });
    }
    return target(id, label, { ratio: ours.opsPerSec / best.r.opsPerSec, limit, note: `${fmtOps(ours.opsPerSec)} vs ${fmtOps(best.r.opsPerSec)} pairs/s (${best.client.id})` });
  };
  return [
    ...PAIR_CASES.flatMap((spec) => [
      compare('c', networks.link, spec, `(c) ${spec.label} set+get, 1 Gbit/s link: pairs/s ÷ best peer's`, 'ops'),
      compare('c', networks.link, spec, `(c) ${spec.label} set+get, 1 Gbit/s link: bytes stored ÷ best peer's`, 'bytes'),
    ]),
    compare('d', networks.loopback, PAIR_CASES[0], '(d) 16 KB set+get, loopback: pairs/s ÷ best peer\'s', 'ops'),
  ];
}

/** Every target of the issue, each a ratio measured in this run. */
export function evaluateLatencyTargets({ clients, networks, rates, offload }) {
  const main = clients.find((c) => c.main);
  if (!main) return [target('-', 'our compressed native row was not run (--clients)', { limit: 1 })];
  return [
    ...loopDelayTargets(networks.loopback, rates, offload),
    ...p99Targets(clients, networks, rates, main),
    ...pairTargets(clients, networks, main),
  ];
}

const need = (t) => `${t.atMost ? '≤' : '≥'} ${fmtRatio(t.limit)}`;

/** One console line per target, as `PASS  label  ratio (required …)  note`. */
export function targetLines(targets) {
  return targets.map((t) => `${t.verdict.padEnd(12)} ${t.label}: ${fmtRatio(t.ratio)} (required ${need(t)})${t.note ? `; ${t.note}` : ''}`);
}

// ---- markdown

function header(meta, networks, clients) {
  const main = clients.find((c) => c.main);
  const link = networks.link.skipped ? `not measured: ${networks.link.skipped}` : networks.link.describe;
  const noisy = Object.entries(networks).flatMap(([, n]) => [...Object.values(n.mix ?? {}), ...Object.values(n.pairs ?? {})])
    .flatMap((byClient) => Object.values(byClient)).filter((o) => o.load > NOISY_SHARE).length;
  return [
    `- Date: ${meta.date}; Node ${meta.node}, ${meta.cpu} (${meta.cores} cores), ${meta.os}; ${meta.memcached}, \`-t 1\`; the run took ${meta.minutes.toFixed(1)} min`,
    `- The mix: ${Math.round((1 - meta.mix.setShare) * 100)}% gets of ${meta.mix.smallSize}-byte values (1,024 keys), ${Math.round(meta.mix.setShare * 100)}% sets of ${meta.mix.largeSize / 1024} KB compressible JSON (16 keys), at fixed request rates, open loop: the intended start times are a Poisson schedule fixed in advance (the same for every client), and each request's latency runs from its intended start to its completion, so time spent queued in a client that falls behind counts. A 1 ms timer loop issues every request whose time has come, so each latency includes up to ~1 ms of timer lateness, alike for all clients.`,
    `- Per client and rate: a fresh process, ${meta.warmup} s of warm-up, then ${meta.seconds} s counted; percentiles over every counted request (nearest rank). Event-loop delay: \`perf_hooks.monitorEventLoopDelay\` (1 ms resolution) over the counted seconds. CPU: the client process's user + system time as a share of one core. *saturated*: requests still out after the run, a backlog over ${BACKLOG_MS} ms of the schedule at its end, under 95% of the offered rate done, or a get p50 over ${BACKLOG_MS} ms.`,
    `- Ours: \`protocol: 'meta'\`; compression on means \`compressionThreshold: 1024\` (off: \`0\`). ${meta.offload === null ? 'This build has no `offloadThreshold` option (the off-thread codec): compression ran on the main thread in every compressed row, and target (a) could not be measured.' : `Off-thread rows use the default \`offloadThreshold\` (${meta.offload} bytes); on-thread rows set it to 2^31 − 1.`} The targets hold ${main ? `"${main.label}"` : 'our compressed native row'} against the peers, which run in their default configuration (uncompressed).`,
    `- Large values: the main benchmark's cases 5a/5b (one set, then one get, of a 16 KB or 256 KB JSON value, back to back; ${meta.pairSeconds} s after ${meta.pairWarmup} s of warm-up, median of 5 slices); bytes stored: the value's length as memcached holds it (\`mg <key> s\`).`,
    `- The link: ${link}.`,
    `- ${noisy ? `WARNING: other processes took over ${NOISY_SHARE * 100}% of the machine's CPU time during ${noisy} of the points (marked *noisy*); rerun on a quiet machine.` : 'The machine was quiet during every point (other processes under 10% of its CPU time).'}`,
  ].join('\n');
}

const ms = (v) => (v == null ? '–' : v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : fmtOps(v));

function notes(outcome, r) {
  const list = [];
  if (saturated(r)) list.push('saturated');
  if (r.errors) list.push(`${r.errors} errors (${r.firstError})`);
  if (outcome.load > NOISY_SHARE) list.push(`noisy (${Math.round(outcome.load * 100)}%)`);
  return list.join(', ').replaceAll('|', '\\|');
}

function mixTable(name, network, clients, rates) {
  const rows = rates.flatMap((rate) => {
    const best = bestPeerMix(clients, network, rate);
    return clients.map((client) => {
      const outcome = network.mix[rate]?.[client.id];
      const r = resultOf(outcome);
      if (!r) return `| ${fmtOps(rate)} | ${client.label} | error: ${(outcome?.error ?? 'not run').replaceAll('|', '\\|')} | | | | | | | | |`;
      const vs = best ? fmtRatio(r.get.p99 / best.r.get.p99) : '–';
      return `| ${fmtOps(rate)} | ${client.label} | ${fmtOps(r.achieved)} | ${ms(r.get.p50)} | ${ms(r.get.p99)} | ${ms(r.get.p999)} | ${ms(r.set.p99)} | ${ms(r.loopDelayMs.p99)} | ${Math.round(r.cpuShare * 100)}% | ${vs} | ${notes(outcome, r)} |`;
    });
  });
  return [
    `### Latency mix, ${NETWORK_NAMES[name]}`,
    '',
    'Latencies in ms; "vs best peer": small-get p99 ÷ the lowest peer p99 at that rate.',
    '',
    '| req/s | client | done/s | get p50 | get p99 | get p99.9 | set p99 | loop delay p99 | CPU | get p99 vs best peer | notes |',
    '|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|',
    ...rows,
  ].join('\n');
}

function pairsTable(name, network, clients) {
  const rows = PAIR_CASES.flatMap((spec) => {
    const best = bestPeerPairs(clients, network, spec.id);
    return clients.map((client) => {
      const outcome = network.pairs[spec.id]?.[client.id];
      const r = resultOf(outcome);
      if (!r) return `| ${spec.label} | ${client.label} | error: ${(outcome?.error ?? 'not run').replaceAll('|', '\\|')} | | | | |`;
      const ops = best ? fmtRatio(r.opsPerSec / best.r.opsPerSec) : '–';
      const bytes = best ? fmtRatio(r.storedBytes / best.r.storedBytes) : '–';
      return `| ${spec.label} | ${client.label} | ${fmtOps(r.opsPerSec)} | ${ops} | ${fmtOps(r.storedBytes)} | ${bytes} | ${outcome.load > NOISY_SHARE ? `noisy (${Math.round(outcome.load * 100)}%)` : ''} |`;
    });
  });
  return [
    `### Large values, ${NETWORK_NAMES[name]}: set+get of compressible JSON (per pair)`,
    '',
    '"vs best peer": ÷ the peer with the most pairs/s in that case.',
    '',
    '| value | client | pairs/s | vs best peer | bytes stored | vs best peer |  |',
    '|---|---|---:|---:|---:|---:|---|',
    ...rows,
  ].join('\n');
}

function targetsTable(targets) {
  return [
    '### Targets',
    '',
    '| target | ratio | required | result | measured |',
    '|---|---:|---:|---|---|',
    ...targets.map((t) => `| ${t.label} | ${fmtRatio(t.ratio)} | ${need(t)} | ${t.verdict} | ${t.note} |`),
  ].join('\n');
}

/** The whole section, markers included. */
export function renderLatencySection({ meta, clients, networks, targets }) {
  const measured = Object.entries(networks).filter(([, n]) => !n.skipped);
  return [
    MARKERS.start,
    '## Latency under load (`npm run bench:latency`)',
    header(meta, networks, clients),
    '![small-get p99 and event-loop delay p99 per request rate](latency.svg)',
    ...measured.map(([name, n]) => mixTable(name, n, clients, meta.rates)),
    ...measured.map(([name, n]) => pairsTable(name, n, clients)),
    targetsTable(targets),
    MARKERS.end,
  ].join('\n\n');
}

/** `markdown` with its latency section replaced by `section` (appended where it has none). */
export function spliceLatencySection(markdown, section) {
  const start = markdown.indexOf(MARKERS.start);
  const end = markdown.indexOf(MARKERS.end);
  if (start < 0 || end < start) return `${markdown.trimEnd()}${markdown.trim() ? '\n\n' : ''}${section}\n`;
  return `${markdown.slice(0, start)}${section}${markdown.slice(end + MARKERS.end.length)}`;
}

/** A freshly written `report` keeping the latency section `previous` had, if any. */
export function keepLatencySection(report, previous) {
  const start = previous.indexOf(MARKERS.start);
  const end = previous.indexOf(MARKERS.end);
  return start < 0 || end < start ? report : spliceLatencySection(report, previous.slice(start, end + MARKERS.end.length));
}

// ---- chart: small-get p99 (top) and event-loop delay p99 (bottom) per rate, a column per network

const COLORS = {
  'native-off': '#868e96', 'native-sync': '#ff8787', 'native-offload': '#d9480f', 'ts-sync': '#ffd43b', 'ts-offload': '#f59f00',
  memjs: '#1c7ed6', memcached: '#5c7cfa', 'memcache-client': '#15aabf',
};
const PANEL = { width: 380, height: 210, left: 56, gap: 40 };
const esc = (text) => String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function panel({ x0, y0, title, rates, series, yOf, lo, hi }) {
  const xAt = (i) => x0 + PANEL.left + 20 + (i * (PANEL.width - PANEL.left - 40)) / Math.max(1, rates.length - 1);
  const yAt = (v) => y0 + PANEL.height - ((Math.log10(Math.max(v, 10 ** lo)) - lo) / (hi - lo)) * PANEL.height;
  const out = [`<text x="${x0 + PANEL.left}" y="${y0 - 8}" font-weight="bold">${esc(title)}</text>`];
  for (let p = lo; p <= hi; p++) {
    const y = yAt(10 ** p).toFixed(1);
    out.push(`<line x1="${x0 + PANEL.left}" x2="${x0 + PANEL.width}" y1="${y}" y2="${y}" stroke="#dee2e6"/>`);
    out.push(`<text x="${x0 + PANEL.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${10 ** p >= 1 ? 10 ** p : (10 ** p).toFixed(-p)} ms</text>`);
  }
  rates.forEach((rate, i) => out.push(`<text x="${xAt(i)}" y="${y0 + PANEL.height + 16}" text-anchor="middle">${fmtOps(rate)}/s</text>`));
  for (const { client, points } of series) {
    const drawn = points.map((r, i) => (r && yOf(r) != null ? { x: xAt(i), y: yAt(yOf(r)), r } : null)).filter(Boolean);
    const color = COLORS[client.id] ?? '#000';
    if (drawn.length > 1) out.push(`<polyline fill="none" stroke="${color}" stroke-width="1.5" points="${drawn.map((d) => `${d.x.toFixed(1)},${d.y.toFixed(1)}`).join(' ')}"/>`);
    for (const d of drawn) {
      const fill = saturated(d.r) ? '#fff' : color;
      out.push(`<circle cx="${d.x.toFixed(1)}" cy="${d.y.toFixed(1)}" r="3.5" fill="${fill}" stroke="${color}" stroke-width="1.5"><title>${esc(client.label)}: ${yOf(d.r).toFixed(2)} ms</title></circle>`);
    }
  }
  return out;
}

/** The SVG document; hollow markers are saturated points. */
export function renderLatencyChart({ clients, networks, rates, mix }) {
  const columns = Object.entries(networks).filter(([, n]) => !n.skipped);
  const metrics = [
    { name: 'small-get p99', yOf: (r) => r.get.p99 },
    { name: 'event-loop delay p99', yOf: (r) => r.loopDelayMs.p99 },
  ];
  const legendTop = 34;
  const top = legendTop + clients.length * 15 + 30;
  const width = PANEL.gap + columns.length * (PANEL.width + PANEL.gap);
  const height = top + metrics.length * (PANEL.height + 60) + 10;
  const shapes = metrics.flatMap((metric, row) => {
    const values = columns.flatMap(([, n]) => rates.flatMap((rate) => clients.map((c) => resultOf(n.mix[rate]?.[c.id])).filter(Boolean).map(metric.yOf)).filter((v) => v != null));
    const lo = Math.floor(Math.log10(Math.max(0.1, Math.min(...values, 1))));
    const hi = Math.max(lo + 1, Math.ceil(Math.log10(Math.max(...values, 1))));
    return columns.flatMap(([name, network], col) => panel({
      x0: PANEL.gap / 2 + col * (PANEL.width + PANEL.gap), y0: top + row * (PANEL.height + 60),
      title: `${metric.name}, ${NETWORK_NAMES[name]}`, rates, lo, hi, yOf: metric.yOf,
      series: clients.map((client) => ({ client, points: rates.map((rate) => resultOf(network.mix[rate]?.[client.id])) })),
    }));
  });
  const legend = clients.map((client, i) => {
    const y = legendTop + i * 15;
    return `<rect x="${PANEL.left}" y="${y - 9}" width="10" height="10" fill="${COLORS[client.id] ?? '#000'}"/><text x="${PANEL.left + 14}" y="${y}">${esc(client.label)}</text>`;
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${PANEL.left}" y="16" font-size="12" font-weight="bold">Open-loop mix: ${Math.round((1 - mix.setShare) * 100)}% gets of ${mix.smallSize} B, ${Math.round(mix.setShare * 100)}% sets of ${mix.largeSize / 1024} KB JSON (log scale; lower is better; hollow = saturated)</text>`,
    ...legend,
    ...shapes,
    '</svg>',
    '',
  ].join('\n');
}
