// The comparison as an SVG bar chart, written by hand: one group of bars per workload, one bar
// per engine (median ms, log-scale axis with a labelled tick per power of ten), a legend, and for
// a cell without a figure a short mark at the axis saying why (wrong, failed, unavailable).

import { WORKLOAD_KEYS, WORKLOAD_SHORT } from './engine.js';
import { fmtMs } from './format.js';
import type { CompareResult } from './run.js';

/** Shades per library (engine ids start with its name): wgad blues, jax-js reds, TF.js greens; others grey. */
const SHADES: [prefix: string, colours: string[]][] = [
  ['wgad-', ['#1f4e9c', '#3b7dd8', '#86b3ef']],
  ['jaxjs-', ['#922b21', '#e74c3c', '#f5b7b1']],
  ['tfjs-', ['#1e8449', '#58d68d']],
];

/** A colour per engine: the next shade of its library's. */
function colours(ids: readonly string[]): string[] {
  const used = new Map<string, number>();
  return ids.map((id) => {
    const [prefix, shades] = SHADES.find(([p]) => id.startsWith(p)) ?? ['', ['#7f8c8d', '#b2babb', '#566573']];
    const n = used.get(prefix) ?? 0;
    used.set(prefix, n + 1);
    return shades[n % shades.length]!;
  });
}

/** Escapes text for XML content and attribute values. */
export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** Powers of ten from below the smallest value to above the largest. */
export function logTicks(values: readonly number[]): number[] {
  const positive = values.filter((v) => v > 0 && Number.isFinite(v));
  const lo = Math.floor(Math.log10(positive.length ? Math.min(...positive) : 1));
  let hi = Math.ceil(Math.log10(positive.length ? Math.max(...positive) : 10));
  if (hi <= lo) hi = lo + 1;
  return Array.from({ length: hi - lo + 1 }, (_, i) => 10 ** (lo + i));
}

const tickLabel = (ms: number): string => (ms >= 1000 ? `${ms / 1000} s` : `${ms >= 1 ? ms : ms.toPrecision(1)} ms`);

/** The SVG document (title: what was measured). */
export function toSvg(r: CompareResult, title: string): string {
  const engines = r.engines;
  const palette = colours(engines.map((e) => e.id));
  const values = r.cells.filter((c) => c.status === 'ok').map((c) => c.median!);
  const ticks = logTicks(values);
  const bar = 20;
  const gap = 28;
  const groupWidth = engines.length * bar;
  const left = 80;
  const top = 50;
  const plotH = 320;
  const plotW = WORKLOAD_KEYS.length * (groupWidth + gap) + gap;
  const legendW = 230;
  const width = left + plotW + 20 + legendW;
  const height = top + plotH + 90;
  const lo = Math.log10(ticks[0]!);
  const hi = Math.log10(ticks[ticks.length - 1]!);
  const y = (ms: number): number => top + plotH - ((Math.log10(ms) - lo) / (hi - lo)) * plotH;
  const out: string[] = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${left}" y="24" font-size="14" font-weight="bold">${escapeXml(title)}</text>`,
  ];
  out.push('<g class="axis y-axis">');
  for (const t of ticks) {
    const ty = y(t).toFixed(1);
    out.push(`<line x1="${left}" x2="${left + plotW}" y1="${ty}" y2="${ty}" stroke="#dddddd"/>`);
    out.push(`<text class="tick" x="${left - 6}" y="${ty}" text-anchor="end" dominant-baseline="middle">${escapeXml(tickLabel(t))}</text>`);
  }
  out.push(`<line x1="${left}" x2="${left}" y1="${top}" y2="${top + plotH}" stroke="#333333"/>`);
  const midY = top + plotH / 2;
  out.push(`<text class="axis-label" x="18" y="${midY}" text-anchor="middle" transform="rotate(-90 18 ${midY})">median time per call (ms, log scale)</text>`);
  out.push('</g>');
  out.push(`<line x1="${left}" x2="${left + plotW}" y1="${top + plotH}" y2="${top + plotH}" stroke="#333333"/>`);
  WORKLOAD_KEYS.forEach((key, g) => {
    const x0 = left + gap + g * (groupWidth + gap);
    out.push(`<g class="group" data-workload="${key}">`);
    engines.forEach((e, i) => {
      const cell = r.cells.find((c) => c.engine === e.id && c.workload === key);
      const x = x0 + i * bar;
      const colour = palette[i]!;
      if (cell?.status === 'ok') {
        const by = y(cell.median!);
        const label = `${e.label}, ${key}: ${fmtMs(cell.median!)} ms (${cell.method})`;
        out.push(
          `<rect class="bar" data-engine="${escapeXml(e.id)}" data-workload="${key}" x="${x + 1}" y="${by.toFixed(1)}" width="${bar - 2}" height="${(top + plotH - by).toFixed(1)}" fill="${colour}"><title>${escapeXml(label)}</title></rect>`,
        );
      } else {
        const why = cell ? cell.status : 'absent';
        const mark = why === 'wrong' ? '✗' : why === 'unavailable' ? '–' : '!';
        out.push(
          `<text class="missing" data-engine="${escapeXml(e.id)}" data-workload="${key}" x="${x + bar / 2}" y="${top + plotH - 4}" text-anchor="middle" fill="${colour}">${mark}<title>${escapeXml(`${e.label}, ${key}: ${why}: ${cell?.detail ?? ''}`)}</title></text>`,
        );
      }
    });
    out.push(`<text class="axis-label" x="${x0 + groupWidth / 2}" y="${top + plotH + 18}" text-anchor="middle">${escapeXml(WORKLOAD_SHORT[key])}</text>`);
    out.push('</g>');
  });
  out.push(`<text class="axis-label" x="${left + plotW / 2}" y="${top + plotH + 44}" text-anchor="middle">workload</text>`);
  out.push(`<text x="${left}" y="${top + plotH + 70}" font-size="11" fill="#555555">no bar: ✗ wrong result, ! failed (error), – engine unavailable</text>`);
  const lx = left + plotW + 20;
  out.push('<g class="legend">');
  engines.forEach((e, i) => {
    const ly = top + i * 20;
    out.push(`<rect x="${lx}" y="${ly}" width="12" height="12" fill="${palette[i]}"/>`);
    out.push(`<text x="${lx + 18}" y="${ly + 10}">${escapeXml(e.label)}</text>`);
  });
  out.push('</g>');
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
