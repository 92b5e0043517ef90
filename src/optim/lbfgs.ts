// L-BFGS (Nocedal & Wright, Numerical Optimization, 2nd ed., Algorithm 7.4 and 7.5) over a pytree
// of parameters, with the strong-Wolfe line search of ./line-search.ts: the usual second phase of
// PINN training after Adam. The two-loop recursion builds the search direction lazily on the device
// (its dot products stay 0-d tensors); the line search reads back, per evaluation, one packed vector
// [loss, slope, max |gradient|]. Parameters, gradients and the stored pairs are realized each step.

import { flatten } from '../ad/pytree.js';
import { ArgumentError, DTypeError } from '../errors.js';
import { evaluate } from '../evaluate.js';
import { stack } from '../ops.js';
import type { Tensor } from '../tensor.js';
import { type LineSearchOptions, type Trial, strongWolfe } from './line-search.js';
import { type Flat, checkScalar, leavesLike, rebuild } from './tree.js';

export interface LbfgsOptions extends LineSearchOptions {
  /** Curvature pairs kept (default 10). */
  memory?: number;
  /** Iterations at most (default 100); each runs one line search. */
  maxIter?: number;
  /** Converged when max |gradient| ≤ tolGrad (default 1e-7). */
  tolGrad?: number;
  /** Stopped when the loss changes by less than tolChange, or no coordinate moves more (default 1e-9). */
  tolChange?: number;
  /** The line search (the only one: 'strong-wolfe'). */
  lineSearch?: 'strong-wolfe';
  /** Called after each iteration. */
  onIteration?: (info: LbfgsIteration) => void;
}

/** One iteration: the line search's start and accepted point (for logging, or to check the Wolfe conditions). */
export interface LbfgsIteration {
  readonly iteration: number;
  /** Loss and slope along the direction at the start of the line search (φ(0), φ'(0) < 0). */
  readonly previousValue: number;
  readonly previousSlope: number;
  /** The accepted step, and the loss and slope there (φ(step), φ'(step)). */
  readonly step: number;
  readonly value: number;
  readonly slope: number;
  /** Whether the accepted step satisfies both strong Wolfe conditions. */
  readonly wolfe: boolean;
  readonly gradMax: number;
  /** Function evaluations so far. */
  readonly evaluations: number;
}

export type LbfgsStop = 'tolGrad' | 'tolChange' | 'maxIter' | 'lineSearch';

export interface LbfgsResult<P> {
  /** The last accepted parameters (computed values). */
  readonly params: P;
  readonly value: number;
  readonly gradMax: number;
  readonly iterations: number;
  readonly evaluations: number;
  /** Why it stopped; 'tolGrad' is convergence, 'lineSearch' means no step decreased the loss. */
  readonly reason: LbfgsStop;
}

/** A value-and-gradient function of the parameters (e.g. `(p) => valueAndGrad(loss)(p, X)`). */
export type ValueAndGrad<P> = (params: P) => readonly [Tensor, P];

export interface Lbfgs {
  readonly options: Readonly<Required<Omit<LbfgsOptions, 'onIteration'>>>;
  /** Minimizes from `params`; reads scalars back at every evaluation. */
  minimize<P>(fg: ValueAndGrad<P>, params: P): Promise<LbfgsResult<P>>;
}

function count(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 1) throw new ArgumentError(`lbfgs: ${name} must be a positive integer, got ${String(v)}`);
  return v;
}

function tolerance(name: string, v: number): number {
  if (typeof v !== 'number' || !(v >= 0)) throw new ArgumentError(`lbfgs: ${name} must be a number ≥ 0, got ${String(v)}`);
  return v;
}

const dot = (a: readonly Tensor[], b: readonly Tensor[]): Tensor => a.map((t, i) => t.mul(b[i]!).sum()).reduce((s, t) => s.add(t));
const absMax = (a: readonly Tensor[]): Tensor => a.map((t) => t.abs().max()).reduce((m, t) => m.maximum(t));
const absSum = (a: readonly Tensor[]): Tensor => a.map((t) => t.abs().sum()).reduce((s, t) => s.add(t));

/** Computes `tensors` and the packed scalars in one plan; returns the scalars' values. */
async function read<T extends Tensor[]>(tensors: readonly Tensor[], ...scalars: T): Promise<{ [K in keyof T]: number }> {
  const packed = stack(scalars);
  await evaluate(tensors, packed);
  return Array.from(await packed.data()) as { [K in keyof T]: number };
}

interface Pair {
  s: Tensor[];
  y: Tensor[];
  rho: number;
}

/** −H g by the two-loop recursion (Algorithm 7.4), H₀ = γ I. Lazy: dot products stay 0-d tensors. */
function direction(g: readonly Tensor[], pairs: readonly Pair[], gamma: number): Tensor[] {
  let q = g.slice();
  const alphas: Tensor[] = [];
  for (let i = pairs.length - 1; i >= 0; i--) {
    const { s, y, rho } = pairs[i]!;
    const a = dot(s, q).mul(rho);
    alphas[i] = a;
    q = q.map((t, k) => t.sub(y[k]!.mul(a)));
  }
  let r = q.map((t) => t.mul(gamma));
  pairs.forEach(({ s, y, rho }, i) => {
    const b = dot(y, r).mul(rho);
    const coef = alphas[i]!.sub(b);
    r = r.map((t, k) => t.add(s[k]!.mul(coef)));
  });
  return r.map((t) => t.neg());
}

/** L-BFGS with a strong-Wolfe line search; `lbfgs(opts).minimize(fg, params)`. */
export function lbfgs(opts: LbfgsOptions = {}): Lbfgs {
  if ((opts.lineSearch ?? 'strong-wolfe') !== 'strong-wolfe') {
    throw new ArgumentError(`lbfgs: lineSearch must be 'strong-wolfe', got ${JSON.stringify(opts.lineSearch)}`);
  }
  const options = {
    memory: count('memory', opts.memory ?? 10),
    maxIter: count('maxIter', opts.maxIter ?? 100),
    tolGrad: tolerance('tolGrad', opts.tolGrad ?? 1e-7),
    tolChange: tolerance('tolChange', opts.tolChange ?? 1e-9),
    lineSearch: 'strong-wolfe' as const,
    c1: opts.c1 ?? 1e-4,
    c2: opts.c2 ?? 0.9,
    maxEvaluations: count('maxEvaluations', opts.maxEvaluations ?? 25),
    tolStep: tolerance('tolStep', opts.tolStep ?? 1e-12),
  };
  return { options, minimize: (fg, params) => minimize(options, opts.onIteration, fg, params) };
}

async function minimize<P>(options: Lbfgs['options'], onIteration: LbfgsOptions['onIteration'], fg: ValueAndGrad<P>, params: P): Promise<LbfgsResult<P>> {
  if (typeof fg !== 'function') throw new ArgumentError(`lbfgs: minimize(fg, params) needs a value-and-gradient function, got ${typeof fg}`);
  const ref: Flat = flatten(params, 'lbfgs: params');
  if (ref.leaves.length === 0) throw new ArgumentError('lbfgs: params has no tensor');
  const dtypes = new Set(ref.leaves.map((t) => t.dtype));
  if (dtypes.size > 1) throw new DTypeError(`lbfgs: the parameters mix dtypes (${[...dtypes].join(', ')}); use one dtype`);

  let evaluations = 0;
  const valueAndGrad = (x: Tensor[]): [Tensor, Tensor[]] => {
    evaluations++;
    const [f, g] = fg(rebuild<P>(ref, x));
    return [checkScalar('lbfgs', 'the value fg returns', f), leavesLike('lbfgs', 'gradient', g, ref, 'params')];
  };

  let x = ref.leaves.slice();
  let [f, g] = valueAndGrad(x);
  let [value, gradMax, gradSum] = await read(g, f, absMax(g), absSum(g));
  const pairs: Pair[] = [];
  let gamma = 1;
  const result = (iterations: number, reason: LbfgsStop): LbfgsResult<P> => ({ params: rebuild(ref, x), value, gradMax, iterations, evaluations, reason });
  if (gradMax <= options.tolGrad) return result(0, 'tolGrad');

  for (let it = 1; it <= options.maxIter; it++) {
    let d = direction(g, pairs, gamma);
    let [slope0, dMax] = await read(d, dot(g, d), absMax(d));
    if (!(slope0 < 0)) {
      // not a descent direction (curvature information gone bad): restart from the gradient
      pairs.length = 0;
      gamma = 1;
      d = g.map((t) => t.neg());
      [slope0, dMax] = await read(d, dot(g, d), absMax(d));
    }
    const phi = async (step: number): Promise<Trial<{ x: Tensor[]; g: Tensor[]; gradMax: number }>> => {
      const xa = x.map((t, k) => t.add(d[k]!.mul(step)));
      const [fa, ga] = valueAndGrad(xa);
      const [v, slope, gm] = await read([...xa, ...ga], fa, dot(ga, d), absMax(ga));
      return { step, value: v, slope: slope, data: { x: xa, g: ga, gradMax: gm } };
    };
    // the first step is scaled so that it moves by at most 1 in the 1-norm (no curvature known yet)
    const step0 = it === 1 ? Math.min(1, 1 / gradSum) : 1;
    const ls = await strongWolfe(phi, value, slope0, step0, options);
    const t = ls.trial;
    if (t === null) return result(it - 1, 'lineSearch');

    const s = t.data.x.map((xn, k) => xn.sub(x[k]!));
    const y = t.data.g.map((gn, k) => gn.sub(g[k]!));
    const [ys, yy] = await read([...s, ...y], dot(y, s), dot(y, y));
    if (ys > 1e-10) {
      // keep the pair only under positive curvature, so that H stays positive definite
      pairs.push({ s, y, rho: 1 / ys });
      if (pairs.length > options.memory) pairs.shift();
      gamma = ys / yy;
    }
    const previous = value;
    onIteration?.({
      iteration: it,
      previousValue: previous,
      previousSlope: slope0,
      step: t.step,
      value: t.value,
      slope: t.slope,
      wolfe: ls.wolfe,
      gradMax: t.data.gradMax,
      evaluations,
    });
    x = t.data.x;
    g = t.data.g;
    value = t.value;
    gradMax = t.data.gradMax;
    if (gradMax <= options.tolGrad) return result(it, 'tolGrad');
    if (Math.abs(value - previous) < options.tolChange || t.step * dMax <= options.tolChange) return result(it, 'tolChange');
  }
  return result(options.maxIter, 'maxIter');
}
