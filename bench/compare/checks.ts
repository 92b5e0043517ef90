// The float64 references every engine's result is checked against before it is timed:
// the Laplacian by bench/workload-reference.ts's plain-JS forward Laplacian (on the first 256
// points, fewer where the network is large), the training gradient and the HVP leaf by leaf against wgad's CPU
// float64 result, which is itself checked first by the plain-JS central difference ⟨∇θ, v⟩ and
// the polarization ⟨u, Hv⟩ (and every engine by them too, where the plain-JS loss is cheap).

import type { MlpData } from '../mlp.js';
import { type Leaves, directionalCheck, forwardLaplacian, hvpCheck, leavesOf, mseLoss, relativeError, trainLoss } from '../workload-reference.js';
import type { CompareWorkload, EngineDef, Problem } from './engine.js';

/** Relative tolerances: float64 results against float64 references, float32 results, the finite-difference checks of a float64 result. */
export const TOLERANCE = { float64: 1e-8, float32: 1e-4, directional: 1e-6, polarization: 1e-5 } as const;

/** Points the plain-JS Laplacian reference covers at most, and the multiply-adds it may take (D·Σ inputs·outputs per point). */
const REFERENCE_POINTS = 256;
const REFERENCE_COST = 4e9;
/** The plain-JS loss checks run where one loss costs at most this many multiply-adds. */
const CHEAP_LOSS = 5e8;

/** The float64 references of one problem; train and hvp are filled by the first engine checked (wgad CPU float64). */
export interface References {
  laplacian: Float64Array;
  /** Rows of the Laplacian covered. */
  points: number;
  train: Leaves | null;
  hvp: Leaves | null;
  /** Whether the plain-JS finite-difference checks of the losses run at this size. */
  lossChecks: boolean;
}

/** The first `n` points of `m`. */
function firstPoints(m: MlpData, n: number): MlpData {
  return n >= m.N ? m : { ...m, N: n, X: m.X.subarray(0, n * m.D) };
}

export function references(p: Problem): References {
  const net = p.net;
  let widthSum = 0;
  let inputs = net.D;
  for (const w of net.widths) {
    widthSum += inputs * w;
    inputs = w;
  }
  const points = Math.max(1, Math.min(net.N, REFERENCE_POINTS, Math.floor(REFERENCE_COST / (net.D * widthSum))));
  return {
    laplacian: forwardLaplacian(firstPoints(net, points), leavesOf(net)).lap,
    points,
    train: null,
    hvp: null,
    lossChecks: net.N * net.D * widthSum <= CHEAP_LOSS,
  };
}

/** The outcome of one check: the largest relative error seen against its tolerance, and what it was compared with. */
export interface CheckResult {
  ok: boolean;
  text: string;
}

const fmtErr = (x: number): string => (Number.isFinite(x) ? x.toExponential(1) : String(x));

/**
 * Checks `out` (the result of `key` on an engine of `dtype`) against the references; the first
 * float64 result of train/hvp that passes its finite-difference check becomes their reference.
 */
export function checkResult(key: CompareWorkload, out: Leaves, dtype: EngineDef['dtype'], p: Problem, refs: References): CheckResult {
  const tol = TOLERANCE[dtype];
  const parts: string[] = [];
  let ok = true;
  const add = (err: number, limit: number, against: string) => {
    const pass = err <= limit; // NaN fails
    ok &&= pass;
    parts.push(`${fmtErr(err)} vs ${against} (tol ${limit.toExponential(0)})`);
  };
  if (key === 'laplacian') {
    const got = out[0];
    if (out.length !== 1 || !got || got.length !== p.net.N)
      return { ok: false, text: `expected one array of ${p.net.N} values, got ${out.map((a) => a.length).join(', ')}` };
    add(
      relativeError([got.subarray(0, refs.points)], [refs.laplacian]),
      tol,
      `plain-JS forward Laplacian${refs.points < p.net.N ? ` (first ${refs.points} points)` : ''}`,
    );
    return { ok, text: parts.join('; ') };
  }
  const shapes = p.v.map((a) => a.length);
  if (out.length !== shapes.length || out.some((a, i) => a.length !== shapes[i]))
    return { ok: false, text: `expected ${shapes.length} leaves of ${shapes.join(', ')} values, got ${out.map((a) => a.length).join(', ')}` };
  const p0 = leavesOf(p.net);
  if (refs.lossChecks) {
    if (key === 'train')
      add(
        directionalCheck((q) => trainLoss(p.net, q, p.g), p0, out, p.v),
        Math.max(tol, TOLERANCE.directional),
        '⟨∇θ, v⟩ by central difference',
      );
    else
      add(
        hvpCheck((q) => mseLoss(p.net, q, p.y), p0, out, p.u, p.v),
        Math.max(tol, TOLERANCE.polarization),
        '⟨u, Hv⟩ by second differences',
      );
  }
  const ref = refs[key];
  if (ref) add(relativeError(out, ref), tol, 'wgad CPU float64, leaf by leaf');
  else if (dtype === 'float64' && ok) {
    refs[key] = out;
    if (!refs.lossChecks) parts.push('taken as the reference (not checked by plain JS at this size: too slow)');
  } else if (!parts.length) return { ok: false, text: 'no float64 reference to check against (wgad CPU float64 was not run, or failed)' };
  return { ok, text: parts.join('; ') };
}
