// A line search along a descent direction that finds a step satisfying the strong Wolfe conditions
//   φ(a) ≤ φ(0) + c1 · a · φ'(0)          (sufficient decrease)
//   |φ'(a)| ≤ c2 · |φ'(0)|                (curvature)
// with 0 < c1 < c2 < 1: bracketing then zoom with safeguarded cubic interpolation (Nocedal &
// Wright, Numerical Optimization, 2nd ed., Algorithms 3.5 and 3.6, eq. 3.59). It works on numbers:
// φ is evaluated by the caller (L-BFGS reads the loss and the slope back from the device).

import { ArgumentError } from '../errors.js';

/** φ at a step: its value, its slope φ'(a), and whatever the caller computed there (parameters, gradient). */
export interface Trial<T> {
  readonly step: number;
  readonly value: number;
  readonly slope: number;
  readonly data: T;
}

export interface LineSearchOptions {
  /** Sufficient-decrease constant (default 1e-4). */
  c1?: number;
  /** Curvature constant (default 0.9, the usual choice for quasi-Newton directions). */
  c2?: number;
  /** Evaluations of φ at most (default 25). */
  maxEvaluations?: number;
  /** Stop zooming when the bracket is shorter than this (default 1e-12 relative to the step). */
  tolStep?: number;
}

export interface LineSearchResult<T> {
  /** The accepted step (the best point that decreases φ sufficiently), or null when none was found. */
  readonly trial: Trial<T> | null;
  /** True when the accepted step satisfies both strong Wolfe conditions. */
  readonly wolfe: boolean;
  readonly evaluations: number;
}

/**
 * Minimizer of the cubic through (a, fa, ga) and (b, fb, gb) (Nocedal & Wright eq. 3.59), or
 * null when the cubic has no minimizer.
 */
export function cubicMinimizer(a: number, fa: number, ga: number, b: number, fb: number, gb: number): number | null {
  const d1 = ga + gb - (3 * (fa - fb)) / (a - b);
  const disc = d1 * d1 - ga * gb;
  if (!(disc >= 0)) return null;
  const d2 = Math.sign(b - a) * Math.sqrt(disc);
  const x = b - ((b - a) * (gb + d2 - d1)) / (gb - ga + 2 * d2);
  return Number.isFinite(x) ? x : null;
}

/** x clamped into [lo, hi]; the midpoint when x is null. */
function clampOrMid(x: number | null, lo: number, hi: number): number {
  if (x === null) return (lo + hi) / 2;
  return Math.min(Math.max(x, lo), hi);
}

/**
 * Searches φ(a) = f(x + a d) from φ(0) = `value0`, φ'(0) = `slope0` < 0, first trying `step0`.
 * `phi(a)` evaluates φ and φ' at a.
 */
export async function strongWolfe<T>(
  phi: (step: number) => Promise<Trial<T>>,
  value0: number,
  slope0: number,
  step0: number,
  opts: LineSearchOptions = {},
): Promise<LineSearchResult<T>> {
  const c1 = opts.c1 ?? 1e-4;
  const c2 = opts.c2 ?? 0.9;
  const maxEvaluations = opts.maxEvaluations ?? 25;
  const tolStep = opts.tolStep ?? 1e-12;
  if (!(0 < c1 && c1 < c2 && c2 < 1)) throw new ArgumentError(`strongWolfe: needs 0 < c1 < c2 < 1, got c1 = ${c1}, c2 = ${c2}`);
  if (!(slope0 < 0)) throw new ArgumentError(`strongWolfe: the direction must descend (φ'(0) < 0), got φ'(0) = ${slope0}`);
  if (!(step0 > 0) || !Number.isFinite(step0)) throw new ArgumentError(`strongWolfe: the first step must be a positive number, got ${step0}`);

  let evaluations = 0;
  const at = async (a: number): Promise<Trial<T>> => {
    evaluations++;
    return phi(a);
  };
  const decreases = (t: Trial<T>): boolean => t.value <= value0 + c1 * t.step * slope0;
  const flat = (t: Trial<T>): boolean => Math.abs(t.slope) <= -c2 * slope0;
  let best: Trial<T> | null = null; // the lowest point that decreases sufficiently
  const consider = (t: Trial<T>): void => {
    if (decreases(t) && (best === null || t.value < best.value)) best = t;
  };
  const done = (t: Trial<T> | null, wolfe: boolean): LineSearchResult<T> => ({ trial: t, wolfe, evaluations });

  // zoom: lo decreases sufficiently and is the lower end; the bracket [lo, hi] holds a Wolfe step
  const zoom = async (lo: Trial<T>, hi: Trial<T>): Promise<LineSearchResult<T>> => {
    while (evaluations < maxEvaluations) {
      const a0 = Math.min(lo.step, hi.step);
      const a1 = Math.max(lo.step, hi.step);
      const width = a1 - a0;
      if (width <= tolStep * a1) break;
      // stay 10% of the bracket away from its ends, so that it shrinks by a factor each time
      const a = clampOrMid(cubicMinimizer(lo.step, lo.value, lo.slope, hi.step, hi.value, hi.slope), a0 + 0.1 * width, a1 - 0.1 * width);
      const t = await at(a);
      if (!Number.isFinite(t.value) || !decreases(t) || t.value >= lo.value) {
        hi = t;
        continue;
      }
      consider(t);
      if (flat(t)) return done(t, true);
      if (t.slope * (hi.step - lo.step) >= 0) hi = lo;
      lo = t;
    }
    return done(best, false);
  };

  let prev: Trial<T> = { step: 0, value: value0, slope: slope0, data: undefined as T };
  let a = step0;
  while (evaluations < maxEvaluations) {
    const t = await at(a);
    if (!Number.isFinite(t.value) || !decreases(t) || (evaluations > 1 && t.value >= prev.value)) return zoom(prev, t);
    consider(t);
    if (flat(t)) return done(t, true);
    if (t.slope >= 0) return zoom(t, prev);
    // still descending: extrapolate by a cubic step, between 2× and 10× the current one
    const next = clampOrMid(cubicMinimizer(prev.step, prev.value, prev.slope, t.step, t.value, t.slope), 2 * a, 10 * a);
    prev = t;
    a = next;
  }
  return done(best, false);
}
