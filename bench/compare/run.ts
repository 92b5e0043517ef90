// The measurement of `npm run bench -- --compare`: per phase (CPU engines, then GPU engines),
// open every engine, build and check every method of every workload against the float64
// references (a throw or a mismatch is recorded with its message, never raised), then time
// interleaved rounds (every engine and workload each round, every other round in reverse order)
// and keep, per cell, the fastest correct method by median.

import { median } from '../util.js';
import { type References, checkResult, references } from './checks.js';
import { type CompareWorkload, type EngineDef, type Phase, type Problem, WORKLOAD_KEYS, type Workload, engineLabel, errorLine } from './engine.js';

export type CellStatus = 'ok' | 'wrong' | 'failed' | 'unavailable';

/** One engine × workload. */
export interface Cell {
  engine: string;
  workload: CompareWorkload;
  status: CellStatus;
  /** The fastest correct method (ok cells). */
  method?: string;
  /** Its median and samples, ms. */
  median?: number;
  times?: number[];
  /** ok: what the result was checked against; otherwise why there is no figure. */
  detail: string;
  /** Methods left out, each "method: why". */
  rejected: string[];
}

export interface CompareOptions {
  engines: readonly EngineDef[];
  problem: Problem;
  rounds: number;
  /** Calls before the checked call. */
  warmup: number;
  /** Only each engine's first method per workload. */
  quick: boolean;
  /**
   * The engine whose float64 results are the gradient's and the HVP's references (wgad's CPU
   * float64); when it is not among `engines` its first method of each is run once, untimed.
   */
  reference?: EngineDef;
  /** Progress: what runs now and how far the run is (steps counted per phase). */
  progress?: (what: string, done: number, total: number) => void;
}

export interface CompareResult {
  engines: { id: string; label: string; phase: Phase; against?: string; available: boolean; error?: string }[];
  cells: Cell[];
}

interface Entry {
  engine: EngineDef;
  workload: CompareWorkload;
  method: string;
  run: Workload['run'];
  times: number[];
  failed?: string;
}

const PHASES: Phase[] = ['cpu', 'gpu'];

/** Builds, warms up and checks every method of one engine × workload; returns the cell and the methods to time. */
async function prepareCell(
  e: EngineDef,
  adapter: Awaited<ReturnType<EngineDef['open']>>,
  key: CompareWorkload,
  o: CompareOptions,
  refs: References,
): Promise<{ cell: Cell; entries: Entry[] }> {
  const cell: Cell = { engine: e.id, workload: key, status: 'failed', detail: '', rejected: [] };
  let workloads: Workload[];
  try {
    await adapter.activate();
    workloads = (await adapter.build(key, o.problem)).slice(0, o.quick ? 1 : undefined);
  } catch (err) {
    cell.detail = `cannot build: ${errorLine(err)}`;
    return { cell, entries: [] };
  }
  const entries: Entry[] = [];
  let wrong = false;
  for (const w of workloads) {
    try {
      // the first call and the call after the warm-ups are both checked (a result that changes between calls is wrong)
      const checks = [checkResult(key, await w.run(), e.dtype, o.problem, refs)];
      for (let i = 1; i < o.warmup; i++) await w.run();
      checks.push(checkResult(key, await w.run(), e.dtype, o.problem, refs));
      const bad = checks.find((c) => !c.ok);
      if (bad) {
        wrong = true;
        cell.rejected.push(`${w.method}: wrong: ${bad.text}`);
      } else {
        entries.push({ engine: e, workload: key, method: w.method, run: w.run, times: [] });
        cell.detail ||= checks[1]!.text;
      }
    } catch (err) {
      cell.rejected.push(`${w.method}: ${errorLine(err)}`);
    }
  }
  if (!entries.length) {
    cell.status = wrong ? 'wrong' : 'failed';
    cell.detail = cell.rejected.join(' | ') || 'no method';
  } else cell.status = 'ok';
  return { cell, entries };
}

/** Times `rounds` interleaved rounds; a sample is the second of two back-to-back calls (the first wakes thread pools and caches) unless a call takes over a second: the wait dominates then. */
async function timeRounds(entries: Entry[], adapters: Map<string, Awaited<ReturnType<EngineDef['open']>>>, o: CompareOptions, phase: Phase): Promise<void> {
  const total = o.rounds * entries.length;
  let done = 0;
  for (let r = 0; r < o.rounds; r++) {
    const order = r % 2 === 0 ? entries : [...entries].reverse();
    for (const e of order) {
      o.progress?.(`${phase} round ${r + 1}/${o.rounds}: ${engineLabel(e.engine)} ${e.workload} (${e.method})`, done, total);
      done++;
      if (e.failed) continue;
      try {
        await adapters.get(e.engine.id)!.activate();
        if (!(e.times.length && e.times[e.times.length - 1]! > 1000)) await e.run();
        const t0 = performance.now();
        await e.run();
        e.times.push(performance.now() - t0);
      } catch (err) {
        e.failed = `failed while timed: ${errorLine(err)}`;
      }
    }
  }
  o.progress?.(`${phase} done`, total, total);
}

/** Fills the gradient's and the HVP's references from `e`'s first methods (a failure leaves them empty: float32 cells then say so). */
async function referenceRun(e: EngineDef, o: CompareOptions, refs: References): Promise<void> {
  try {
    o.progress?.(`reference: ${engineLabel(e)}`, 0, 1);
    const adapter = await e.open();
    await adapter.activate();
    for (const key of ['train', 'hvp'] as const) {
      const [first] = await adapter.build(key, o.problem);
      if (first) checkResult(key, await first.run(), e.dtype, o.problem, refs);
    }
  } catch {
    // no reference: the cells of train and hvp say there is none to check against
  }
}

/** Runs the comparison; never throws for an engine's failure (it becomes the cell's detail). */
export async function runCompare(o: CompareOptions): Promise<CompareResult> {
  const refs = references(o.problem);
  const result: CompareResult = { engines: [], cells: [] };
  if (o.reference && !o.engines.includes(o.reference)) await referenceRun(o.reference, o, refs);
  for (const phase of PHASES) {
    const engines = o.engines.filter((e) => e.phase === phase);
    if (!engines.length) continue;
    const adapters = new Map<string, Awaited<ReturnType<EngineDef['open']>>>();
    const entries: Entry[] = [];
    const cellOf = new Map<Entry, Cell>();
    let step = 0;
    const steps = engines.length * WORKLOAD_KEYS.length;
    for (const e of engines) {
      const info: CompareResult['engines'][number] = { id: e.id, label: engineLabel(e), phase, against: e.against, available: true };
      result.engines.push(info);
      try {
        o.progress?.(`${phase}: loading ${engineLabel(e)}`, step, steps);
        adapters.set(e.id, await e.open());
      } catch (err) {
        info.available = false;
        info.error = errorLine(err);
        for (const key of WORKLOAD_KEYS) result.cells.push({ engine: e.id, workload: key, status: 'unavailable', detail: info.error, rejected: [] });
        step += WORKLOAD_KEYS.length;
        continue;
      }
      for (const key of WORKLOAD_KEYS) {
        o.progress?.(`${phase}: checking ${engineLabel(e)} ${key}`, step++, steps);
        const { cell, entries: es } = await prepareCell(e, adapters.get(e.id)!, key, o, refs);
        result.cells.push(cell);
        for (const en of es) cellOf.set(en, cell);
        entries.push(...es);
      }
    }
    await timeRounds(entries, adapters, o, phase);
    for (const [en, cell] of cellOf) {
      if (en.failed) {
        cell.rejected.push(`${en.method}: ${en.failed}`);
        continue;
      }
      const m = median(en.times);
      if (cell.median === undefined || m < cell.median) Object.assign(cell, { method: en.method, median: m, times: en.times });
    }
    for (const cell of result.cells) {
      if (cell.status === 'ok' && cell.median === undefined) {
        cell.status = 'failed';
        cell.detail = cell.rejected.join(' | ');
      }
    }
  }
  return result;
}
