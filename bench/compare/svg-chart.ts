// The chart written next to the JSON: throughput and p99 latency per system
// for every workload and client count, as grouped bars on log scales (the
// systems differ by orders of magnitude). Plain SVG, no dependencies.

import { formatMs, formatOps } from './format.js';
import type { Measurement } from './measurement.js';
import { SYSTEM_NAMES, type SystemName } from './systems/system.js';
import { WORKLOADS } from './workload.js';

const COLORS: Record<SystemName, string> = { distdb: '#1f6fb4', etcd: '#e8772e', redis: '#2f9e44' };
const BAR = 18;
const GROUP_GAP = 22;
const LEFT = 70;
const PANEL_HEIGHT = 220;
const PANEL_GAP = 90;
const TOP = 60;

interface Panel {
  title: string;
  value(m: Measurement): number;
  label(v: number): string;
}

const PANELS: readonly Panel[] = [
  { title: 'throughput, ops/s (higher is better)', value: (m) => m.opsPerSec, label: formatOps },
  { title: 'p99 latency, ms (lower is better)', value: (m) => m.latencyMs.p99, label: formatMs },
];

/** An axis label for 10^d: 0.01, 0.1, 1, 10, 1,000. */
const tick = (d: number): string =>
  d < 0 ? (10 ** d).toFixed(-d) : (10 ** d).toLocaleString('en-US');

const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function renderChart(all: readonly Measurement[], title: string): string {
  const systems = SYSTEM_NAMES.filter((s) => all.some((m) => m.system === s));
  const groups: Array<{ workload: string; clients: number }> = [];
  for (const w of WORKLOADS) {
    const counts = [...new Set(all.filter((m) => m.workload === w).map((m) => m.clients))];
    for (const clients of counts.sort((a, b) => a - b)) groups.push({ workload: w, clients });
  }
  const groupWidth = systems.length * BAR + GROUP_GAP;
  const width = LEFT + Math.max(1, groups.length) * groupWidth + 20;
  const height = TOP + PANELS.length * (PANEL_HEIGHT + PANEL_GAP);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${LEFT}" y="20" font-size="14" font-weight="bold">${esc(title)}</text>`,
  ];
  systems.forEach((s, i) => {
    const x = LEFT + i * 90;
    out.push(`<rect x="${x}" y="32" width="12" height="12" fill="${COLORS[s]}"/>`);
    out.push(`<text x="${x + 16}" y="42">${s}</text>`);
  });
  PANELS.forEach((panel, p) => {
    const top = TOP + p * (PANEL_HEIGHT + PANEL_GAP) + 20;
    const bottom = top + PANEL_HEIGHT;
    const values = all.map(panel.value).filter((v) => v > 0);
    const lo = values.length > 0 ? Math.floor(Math.log10(Math.min(...values))) : 0;
    const hi = Math.max(lo + 1, Math.ceil(Math.log10(Math.max(...values, 1))));
    const y = (v: number): number => bottom - ((Math.log10(v) - lo) / (hi - lo)) * PANEL_HEIGHT;
    out.push(`<text x="${LEFT}" y="${top - 8}" font-weight="bold">${esc(panel.title)}</text>`);
    for (let d = lo; d <= hi; d++) {
      const gy = y(10 ** d).toFixed(1);
      out.push(`<line x1="${LEFT}" x2="${width - 20}" y1="${gy}" y2="${gy}" stroke="#ddd"/>`);
      out.push(`<text x="${LEFT - 6}" y="${gy}" text-anchor="end" dy="4">${tick(d)}</text>`);
    }
    groups.forEach((g, gi) => {
      const gx = LEFT + gi * groupWidth + GROUP_GAP / 2;
      systems.forEach((s, si) => {
        const m = all.find(
          (x) => x.system === s && x.workload === g.workload && x.clients === g.clients,
        );
        const v = m ? panel.value(m) : 0;
        if (v <= 0) return;
        const x = gx + si * BAR;
        const by = y(v);
        out.push(
          `<rect x="${x}" y="${by.toFixed(1)}" width="${BAR - 2}" height="${(bottom - by).toFixed(1)}" fill="${COLORS[s]}"><title>${s} ${g.workload} ×${g.clients}: ${esc(panel.label(v))}</title></rect>`,
        );
        const lx = x + BAR / 2 + 3;
        out.push(
          `<text x="${lx}" y="${(by - 4).toFixed(1)}" font-size="9" transform="rotate(-90 ${lx} ${(by - 4).toFixed(1)})">${esc(panel.label(v))}</text>`,
        );
      });
      const cx = gx + (systems.length * BAR) / 2;
      out.push(
        `<text x="${cx}" y="${bottom + 16}" text-anchor="middle">${g.workload} ×${g.clients}</text>`,
      );
    });
    out.push(`<line x1="${LEFT}" x2="${width - 20}" y1="${bottom}" y2="${bottom}" stroke="#333"/>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
