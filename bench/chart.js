// The results as a hand-drawn SVG bar chart: per case, each client's ops/s divided by the best
// peer's, on a log-2 axis with bars growing up or down from the 1x line, so cases whose ops/s
// differ by orders of magnitude share one picture.
import { bestPeer, fmtRatio, measured, peerCaseOf, runsCase } from './compare.js';

const COLORS = {
  'native-meta': '#d9480f', 'native-text': '#ff8787', 'ts-meta': '#f59f00', 'ts-text': '#ffd43b',
  memjs: '#1c7ed6', memcached: '#5c7cfa', 'memcache-client': '#15aabf', floor: '#868e96', 'floor-meta': '#495057', 'floor-mg': '#343a40',
};
const BAR = 16;
const GROUP_GAP = 28;
const LEGEND_TOP = 30;
const LEGEND_ROW = 16;
const LEGEND_COLUMNS = 3;
const PLOT_HEIGHT = 300;
const LEFT = 60;

const esc = (text) => String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Ratios to the best peer, per case, for the clients that measured it. */
function collect(clients, cases, outcomes) {
  return cases.map((spec) => {
    const best = bestPeer(clients, outcomes, peerCaseOf(spec)).ops;
    const bars = clients.map((client) => {
      const r = measured(outcomes, client.id, spec.id);
      return { client, ratio: r && best ? r.opsPerSec / best.value : null };
    }).filter((bar) => runsCase(bar.client, spec));
    return { spec, bars };
  });
}

/** Log-2 axis bounds covering every ratio and at least 1/2x .. 2x, its top below the legend. */
function axis(groups, top) {
  const ratios = groups.flatMap((g) => g.bars.map((b) => b.ratio)).filter((r) => r > 0);
  const lo = Math.min(-1, Math.floor(Math.log2(Math.min(...ratios, 1))));
  const hi = Math.max(1, Math.ceil(Math.log2(Math.max(...ratios, 1))));
  const y = (ratio) => top + ((hi - Math.log2(ratio)) / (hi - lo)) * PLOT_HEIGHT;
  return { lo, hi, y, top };
}

function gridLines(ax, width) {
  const lines = [];
  for (let p = ax.lo; p <= ax.hi; p++) {
    const y = ax.y(2 ** p).toFixed(1);
    const label = p >= 0 ? `${2 ** p}x` : `1/${2 ** -p}x`;
    const style = p === 0 ? 'stroke="#212529" stroke-width="1.5"' : 'stroke="#dee2e6"';
    lines.push(`<line x1="${LEFT}" x2="${width - 10}" y1="${y}" y2="${y}" ${style}/>`);
    lines.push(`<text x="${LEFT - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${label}</text>`);
  }
  return lines;
}

function groupShapes(group, x0, ax) {
  const shapes = [];
  group.bars.forEach(({ client, ratio }, i) => {
    const x = x0 + i * BAR;
    if (ratio == null) {
      shapes.push(`<text x="${x + BAR / 2}" y="${ax.y(1) - 4}" text-anchor="middle" font-size="9" fill="#c92a2a">✕</text>`);
      return;
    }
    const top = Math.min(ax.y(ratio), ax.y(1));
    const height = Math.max(1, Math.abs(ax.y(ratio) - ax.y(1)));
    shapes.push(`<rect x="${x + 1}" y="${top.toFixed(1)}" width="${BAR - 2}" height="${height.toFixed(1)}" fill="${COLORS[client.id]}"><title>${esc(client.label)}: ${fmtRatio(ratio)}</title></rect>`);
    const labelY = ratio >= 1 ? top - 3 : top + height + 9;
    shapes.push(`<text x="${x + BAR / 2}" y="${labelY.toFixed(1)}" text-anchor="middle" font-size="7">${ratio.toFixed(ratio < 10 ? 1 : 0)}</text>`);
  });
  const center = x0 + (group.bars.length * BAR) / 2;
  shapes.push(`<text x="${center}" y="${ax.top + PLOT_HEIGHT + 22}" text-anchor="middle">${esc(group.spec.short)}</text>`);
  return shapes;
}

function legend(clients) {
  return clients.map((client, i) => {
    const x = LEFT + (i % LEGEND_COLUMNS) * 230;
    const y = LEGEND_TOP + Math.floor(i / LEGEND_COLUMNS) * LEGEND_ROW;
    return `<rect x="${x}" y="${y - 9}" width="10" height="10" fill="${COLORS[client.id]}"/><text x="${x + 14}" y="${y}">${esc(client.label)}</text>`;
  });
}

/** The SVG document. `title` goes on top; ✕ marks a client that errored or did not run. */
export function renderChart({ clients, cases, outcomes, title }) {
  const groups = collect(clients, cases, outcomes);
  const top = LEGEND_TOP + Math.ceil(clients.length / LEGEND_COLUMNS) * LEGEND_ROW + 12;
  const ax = axis(groups, top);
  const width = Math.max(LEFT + LEGEND_COLUMNS * 230, LEFT + groups.reduce((w, g) => w + g.bars.length * BAR + GROUP_GAP, 0) + 10);
  const height = top + PLOT_HEIGHT + 50;
  let x = LEFT + GROUP_GAP / 2;
  const shapes = groups.flatMap((group) => {
    const drawn = groupShapes(group, x, ax);
    x += group.bars.length * BAR + GROUP_GAP;
    return drawn;
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${LEFT}" y="14" font-size="13" font-weight="bold">${esc(title)}</text>`,
    ...legend(clients),
    ...gridLines(ax, width),
    ...shapes,
    `<text x="${LEFT}" y="${height - 8}" font-size="10" fill="#495057">ops/s ÷ best peer's ops/s (log scale; higher is better); ✕ = error or not measured</text>`,
    '</svg>',
    '',
  ].join('\n');
}
