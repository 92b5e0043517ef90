// What the PINN examples of examples/pde/ share: collocation points in a box and on its boundary,
// the relative L2 error against an exact solution, and the two-phase training (Adam through
// optim.Optimizer, then optionally L-BFGS) with a report of losses, errors and time.

import { type DType, type Tensor, optim, tensor, valueAndGrad } from '../../src/index.js';

/** Settings of a run: full (the figures of docs/operators.md) or quick (CI). */
export interface RunSettings {
  readonly adamSteps: number;
  readonly lbfgsIter: number;
  readonly dtype: DType;
  /** Adam's initial rate, instead of the problem's. */
  readonly lr?: number;
}

/** The sizes of a PINN: hidden width, interior and boundary collocation points, dtype. */
export interface PinnSize {
  readonly width: number;
  readonly interior: number;
  readonly boundary: number;
  readonly dtype: DType;
}

/** Column i of points X [N, D], as [N]. */
export const column = (X: Tensor, i: number): Tensor => X.slice([0, i], [null, i + 1]).reshape([-1]);

/** sin πx sin πy for X [N, 2]: [N] (the manufactured solution of the Allen–Cahn and plate examples). */
export function sinSin(X: Tensor): Tensor {
  return column(X, 0).mul(Math.PI).sin().mul(column(X, 1).mul(Math.PI).sin());
}

/** A PINN ready to train: initial parameters, its loss, and its error against the exact solution. */
export interface PinnProblem<P> {
  readonly name: string;
  readonly params: P;
  /** The training loss; a step >= 1 varies the random directions and points of a randomized problem, step 0 is its deterministic loss (reported; ignored by the others). */
  loss(params: P, step: number): Tensor;
  /** Relative L2 error of the network against the exact solution at the test points. */
  error(params: P): Promise<number>;
  /** Adam's initial learning rate (cosine decay to a tenth over the Adam steps). */
  readonly lr: number;
  /** L-BFGS needs a deterministic loss: false for randomized operators. */
  readonly lbfgs: boolean;
}

export interface TrainReport<P> {
  readonly params: P;
  readonly initialLoss: number;
  readonly adamLoss: number;
  readonly finalLoss: number;
  readonly initialError: number;
  readonly adamError: number;
  readonly error: number;
  readonly seconds: number;
}

/** A seeded uniform generator on the host (points are data, not parameters). */
export function hostUniform(seed: number): () => number {
  let s = (seed * 2654435761 + 0x9e3779b9) >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n points uniform in the box [lo_i, hi_i]: [n, D]. */
export function boxPoints(n: number, lo: readonly number[], hi: readonly number[], seed: number, dtype: DType): Tensor {
  const u = hostUniform(seed);
  const D = lo.length;
  const data = Array.from({ length: n * D }, (_, k) => lo[k % D]! + (hi[k % D]! - lo[k % D]!) * u());
  return tensor(data, { shape: [n, D], dtype });
}

/** n points on the boundary of the box, spread over its 2D faces in turn: [n, D]. `faces` restricts the axes (e.g. [1] for x = lo, hi only). */
export function boundaryPoints(n: number, lo: readonly number[], hi: readonly number[], seed: number, dtype: DType, axes?: readonly number[]): Tensor {
  const u = hostUniform(seed);
  const D = lo.length;
  const on = axes ?? Array.from({ length: D }, (_, i) => i);
  const data: number[] = [];
  for (let k = 0; k < n; k++) {
    const axis = on[Math.floor(k / 2) % on.length]!;
    for (let i = 0; i < D; i++) data.push(i === axis ? (k % 2 === 0 ? lo[i]! : hi[i]!) : lo[i]! + (hi[i]! - lo[i]!) * u());
  }
  return tensor(data, { shape: [n, D], dtype });
}

/** Interior and boundary collocation points of a box (seeds `seed`, `seed + 1`) and 1,000 test points (`seed + 2`). */
export function boxSets(size: PinnSize, lo: readonly number[], hi: readonly number[], seed: number): { interior: Tensor; boundary: Tensor; test: Tensor } {
  return {
    interior: boxPoints(size.interior, lo, hi, seed, size.dtype),
    boundary: boundaryPoints(size.boundary, lo, hi, seed + 1, size.dtype),
    test: boxPoints(1000, lo, hi, seed + 2, size.dtype),
  };
}

/** ‖pred − exact‖₂ / ‖exact‖₂ over every entry. */
export async function relativeL2(pred: Tensor, exact: Tensor): Promise<number> {
  const num = await pred.sub(exact).square().sum().item();
  const den = await exact.square().sum().item();
  return Math.sqrt(num / den);
}

/** Adam (optim.Optimizer, cosine-decayed rate) for `adamSteps`, then L-BFGS for `lbfgsIter` iterations when the problem allows it. */
export async function trainPinn<P>(prob: PinnProblem<P>, s: RunSettings, log?: (line: string) => void): Promise<TrainReport<P>> {
  const t0 = performance.now();
  const initialLoss = await prob.loss(prob.params, 0).item();
  const initialError = await prob.error(prob.params);
  const opt = new optim.Optimizer(
    optim.adam({ lr: optim.cosineDecay({ init: s.lr ?? prob.lr, decaySteps: Math.max(1, s.adamSteps), alpha: 0.1 }) }),
    prob.params,
  );
  const every = Math.max(1, Math.floor(s.adamSteps / 5));
  for (let step = 0; step < s.adamSteps; step++) {
    const value = await opt.valueAndStep((p: P, k: number) => prob.loss(p, k), step + 1);
    if (log && step % every === 0) log(`  adam ${String(step).padStart(5)}  loss ${(await value.item()).toExponential(3)}`);
  }
  const adamLoss = await prob.loss(opt.params, 0).item();
  const adamError = await prob.error(opt.params);
  let params = opt.params;
  let finalLoss = adamLoss;
  if (prob.lbfgs && s.lbfgsIter > 0) {
    const res = await optim
      .lbfgs({ maxIter: s.lbfgsIter, tolChange: 1e-14, tolGrad: 1e-12 })
      .minimize((p: P) => valueAndGrad((q: P) => prob.loss(q, 0))(p), params);
    params = res.params;
    finalLoss = res.value;
    log?.(`  lbfgs ${res.iterations} iterations (${res.evaluations} evaluations, ${res.reason})  loss ${res.value.toExponential(3)}`);
  }
  const error = await prob.error(params);
  return { params, initialLoss, adamLoss, finalLoss, initialError, adamError, error, seconds: (performance.now() - t0) / 1000 };
}
