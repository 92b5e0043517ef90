// A physics-informed network for the Poisson problem Δu = f on the unit square, u = 0 on the
// boundary, with exact solution u*(x, y) = sin(πx) sin(πy) (so f = -2π² u*). The boundary
// condition is built in: u(x) = x(1-x) y(1-y) · MLP(x). The loss is the mean squared PDE residual
// at collocation points, whose Laplacian comes from collapsed Taylor mode; Adam updates the
// parameters. The minimal hand-written version (examples/pinn-lbfgs.ts and test/demo/pinn.test.ts use
// it); the workbench page builds on problems.ts and trainer.ts instead.

import { type Tensor, evaluate, grad, laplacian, rand, randn, tensor, zeros } from '../src/index.js';

export type Params = { W1: Tensor; b1: Tensor; W2: Tensor; b2: Tensor; W3: Tensor };

export interface PinnOptions {
  /** Hidden width. */
  width?: number;
  /** Collocation points (redrawn every `resample` steps). */
  points?: number;
  seed?: number;
  learningRate?: number;
}

export function initParams(width: number, seed: number): Params {
  const glorot = (fanIn: number, fanOut: number, s: number): Tensor => randn([fanIn, fanOut], { seed: s }).mul(Math.sqrt(2 / (fanIn + fanOut)));
  return { W1: glorot(2, width, seed), b1: zeros([width]), W2: glorot(width, width, seed + 1), b2: zeros([width]), W3: glorot(width, 1, seed + 2) };
}

/** u(X) for X [N, 2] -> [N]. */
export function solution(p: Params, X: Tensor): Tensor {
  const h = X.matmul(p.W1).add(p.b1).tanh().matmul(p.W2).add(p.b2).tanh().matmul(p.W3).reshape([-1]);
  const x = X.slice([0, 0], [null, 1]).reshape([-1]);
  const y = X.slice([0, 1], [null, 2]).reshape([-1]);
  return x.mul(x.neg().add(1)).mul(y).mul(y.neg().add(1)).mul(h);
}

/** The exact solution sin(πx) sin(πy), for X [N, 2]. */
export function exact(X: Tensor): Tensor {
  const x = X.slice([0, 0], [null, 1]).reshape([-1]);
  const y = X.slice([0, 1], [null, 2]).reshape([-1]);
  return x.mul(Math.PI).sin().mul(y.mul(Math.PI).sin());
}

/** Mean squared residual of Δu = f at the points X. */
export function pdeLoss(p: Params, X: Tensor): Tensor {
  const lap = laplacian((Z: Tensor) => solution(p, Z))(X);
  const f = exact(X).mul(-2 * Math.PI * Math.PI);
  return lap.sub(f).square().mean();
}

/** Adam over a params object; step() computes the loss and updates, in one plan. */
export class PinnTrainer {
  params: Params;
  private m: Params;
  private v: Params;
  private t = 0;
  private X: Tensor;
  private readonly lossGrad = grad((p: Params, X: Tensor) => pdeLoss(p, X));
  readonly points: number;
  private readonly lr: number;
  private seed: number;

  constructor(opts: PinnOptions = {}) {
    const width = opts.width ?? 24;
    this.points = opts.points ?? 256;
    this.seed = opts.seed ?? 7;
    this.lr = opts.learningRate ?? 0.01;
    this.params = initParams(width, this.seed);
    const zerosLike = (q: Params): Params => Object.fromEntries(Object.entries(q).map(([k, t]) => [k, zeros(t.shape)])) as Params;
    this.m = zerosLike(this.params);
    this.v = zerosLike(this.params);
    this.X = rand([this.points, 2], { seed: this.seed + 100 });
  }

  /** One Adam step on the current collocation points; returns the loss before the step. */
  async step(): Promise<number> {
    this.t++;
    const loss = pdeLoss(this.params, this.X);
    const g = this.lossGrad(this.params, this.X) as Params;
    const b1 = 0.9,
      b2 = 0.999,
      eps = 1e-8;
    const c1 = 1 - b1 ** this.t,
      c2 = 1 - b2 ** this.t;
    const next = { params: {} as Record<string, Tensor>, m: {} as Record<string, Tensor>, v: {} as Record<string, Tensor> };
    for (const k of Object.keys(this.params) as (keyof Params)[]) {
      const m = this.m[k].mul(b1).add(g[k].mul(1 - b1));
      const v = this.v[k].mul(b2).add(g[k].square().mul(1 - b2));
      next.m[k] = m;
      next.v[k] = v;
      next.params[k] = this.params[k].sub(m.div(c1).div(v.div(c2).sqrt().add(eps)).mul(this.lr));
    }
    await evaluate(loss, next);
    for (const q of [this.params, this.m, this.v]) for (const t of Object.values(q)) t.dispose();
    this.params = next.params as Params;
    this.m = next.m as Params;
    this.v = next.v as Params;
    return loss.item();
  }

  /** Draws new collocation points. */
  resample(): void {
    this.X.dispose();
    this.X = rand([this.points, 2], { seed: ++this.seed + 1000 });
  }

  /** u on an n x n grid of cell centres (row-major in y, then x) and the max error against u*. */
  async grid(n: number): Promise<{ u: Float32Array | Float64Array; maxError: number }> {
    const pts: number[] = [];
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) pts.push((j + 0.5) / n, (i + 0.5) / n);
    const G = tensor(pts, { shape: [n * n, 2] });
    const u = solution(this.params, G);
    const err = u.sub(exact(G)).abs().max();
    await evaluate(u, err);
    return { u: await u.data(), maxError: await err.item() };
  }
}
