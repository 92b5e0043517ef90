// The comparison's tables: one row per engine, one column per workload, each cell the median ms
// of the fastest correct method with its ratio to the wgad engine of the same kind (×2.0: twice
// wgad's time), or why there is no figure; notes list every error and mismatch in full, and a
// second table names the method behind each figure. As Markdown, or as aligned plain text.

import { COMPARE_WORKLOADS, WORKLOAD_KEYS } from './engine.js';
import type { Cell, CompareResult } from './run.js';

export const fmtMs = (ms: number): string => (ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2));

const cellOf = (r: CompareResult, engine: string, workload: string): Cell | undefined => r.cells.find((c) => c.engine === engine && c.workload === workload);

/** The ratio of an ok cell to its engine's wgad counterpart, e.g. "×2.31", or ''. */
export function ratioText(r: CompareResult, cell: Cell): string {
  const against = r.engines.find((e) => e.id === cell.engine)?.against;
  if (!against || cell.median === undefined) return '';
  const base = cellOf(r, against, cell.workload);
  return base?.median !== undefined ? `×${(cell.median / base.median).toFixed(2)}` : '';
}

/** The short text of a cell, with a note number for anything that is not a figure. */
function cellText(r: CompareResult, cell: Cell | undefined, note: (text: string) => number): string {
  if (!cell) return '—';
  if (cell.status === 'ok') {
    const ratio = ratioText(r, cell);
    return `${fmtMs(cell.median!)} ms${ratio ? ` (${ratio})` : ''}${cell.rejected.length ? ` [${note(cell.rejected.join(' | '))}]` : ''}`;
  }
  const what = cell.status === 'unavailable' ? 'unavailable' : cell.status === 'wrong' ? 'wrong' : 'failed';
  return `${what} [${note(cell.detail)}]`;
}

/** Rows of cells (header first) and the numbered notes they refer to. */
function grid(r: CompareResult): { rows: string[][]; notes: string[] } {
  const notes: string[] = [];
  const note = (text: string): number => {
    const i = notes.indexOf(text);
    if (i >= 0) return i + 1;
    notes.push(text);
    return notes.length;
  };
  const rows = [['engine', ...WORKLOAD_KEYS.map((k) => COMPARE_WORKLOADS[k])]];
  for (const e of r.engines) rows.push([e.label, ...WORKLOAD_KEYS.map((k) => cellText(r, cellOf(r, e.id, k), note))]);
  return { rows, notes };
}

/** The methods behind the figures, as rows (header first). */
function methodRows(r: CompareResult): string[][] {
  const rows = [['engine', ...WORKLOAD_KEYS.map((k) => `${k} method`)]];
  for (const e of r.engines) {
    if (!e.available) continue;
    rows.push([e.label, ...WORKLOAD_KEYS.map((k) => cellOf(r, e.id, k)?.method ?? '—')]);
  }
  return rows;
}

const escapeCell = (s: string): string => s.replace(/\|/g, '\\|');

function markdownTable(rows: string[][]): string {
  const [head, ...body] = rows;
  return [`| ${head!.map(escapeCell).join(' | ')} |`, `|${head!.map(() => '---').join('|')}|`, ...body.map((r) => `| ${r.map(escapeCell).join(' | ')} |`)].join(
    '\n',
  );
}

function textTable(rows: string[][]): string {
  const widths = rows[0]!.map((_, j) => Math.max(...rows.map((r) => [...r[j]!].length)));
  const line = (r: string[]) => r.map((c, j) => c + ' '.repeat(widths[j]! - [...c].length)).join('  ');
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

const noteLines = (notes: string[]): string[] => notes.map((n, i) => `[${i + 1}] ${n}`);

/** The comparison as Markdown: the figures, the notes, the methods. */
export function toMarkdown(r: CompareResult): string {
  const { rows, notes } = grid(r);
  const parts = [markdownTable(rows)];
  if (notes.length) parts.push(noteLines(notes).join('\n\n'));
  parts.push(`Methods (the fastest correct one per cell):\n\n${markdownTable(methodRows(r))}`);
  return `${parts.join('\n\n')}\n`;
}

/** The comparison as an aligned plain-text table for the terminal. */
export function toText(r: CompareResult): string {
  const { rows, notes } = grid(r);
  const parts = [textTable(rows)];
  if (notes.length) parts.push(noteLines(notes).join('\n'));
  parts.push(`Methods (the fastest correct one per cell):\n${textTable(methodRows(r))}`);
  return `${parts.join('\n\n')}\n`;
}
