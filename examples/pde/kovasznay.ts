// 2-D steady Navier–Stokes, the Kovasznay flow (Re = 20, ν = 1/Re) on [−0.5, 1] × [−0.5, 1.5]:
// u·∇u + ∇p − ν Δu = 0 and ∇·u = 0 for the field (u, v, p) (C = 3), exact solution
// u = 1 − e^{λx} cos 2πy, v = λ/(2π) e^{λx} sin 2πy, p = (1 − e^{2λx})/2, λ = 1/(2ν) − √(1/(4ν²) + 4π²).
// All three residuals come from one `pde` call (values, every first derivative, Δ of each component);
// the boundary values of (u, v, p) are a penalty. The network is an MLP on Fourier features.

import { type PdeResult, type Tensor, concat, nn, pde } from '../../src/index.js';
import { type PinnProblem, type PinnSize, boxSets, relativeL2 } from './common.js';

export const nu = 1 / 20;
export const lam = 1 / (2 * nu) - Math.sqrt(1 / (4 * nu * nu) + 4 * Math.PI * Math.PI);
const col = (X: Tensor, i: number): Tensor => X.slice([0, i], [null, i + 1]);

/** (u, v, p) of the Kovasznay flow for X [N, 2]: [N, 3]. */
export function exact(X: Tensor): Tensor {
  const [x, y] = [col(X, 0), col(X, 1)];
  const e = x.mul(lam).exp();
  const u = e
    .mul(y.mul(2 * Math.PI).cos())
    .neg()
    .add(1);
  const v = e.mul(y.mul(2 * Math.PI).sin()).mul(lam / (2 * Math.PI));
  const p = e.mul(e).neg().add(1).mul(0.5);
  return concat([u, v, p], 1);
}

/** The terms the residuals read: (u, v, p), every first derivative, Δ of each component. */
export const spec = { q: 'value', dq: { grad: 'all' }, lap: { laplacian: 'all' } } as const;

/** The x-momentum, y-momentum and continuity residuals [N, 3] from the terms of `spec`. */
export function residualOf(r: PdeResult<typeof spec>): Tensor {
  const N = r.q.shape[0]!;
  const c = (t: Tensor, k: number) => t.slice([0, k], [N, k + 1]);
  const d = (k: number, i: number) => r.dq.slice([0, k, i], [N, k + 1, i + 1]).reshape([N, 1]);
  const [u, v] = [c(r.q, 0), c(r.q, 1)];
  const mx = u
    .mul(d(0, 0))
    .add(v.mul(d(0, 1)))
    .add(d(2, 0))
    .sub(c(r.lap, 0).mul(nu));
  const my = u
    .mul(d(1, 0))
    .add(v.mul(d(1, 1)))
    .add(d(2, 1))
    .sub(c(r.lap, 1).mul(nu));
  const cont = d(0, 0).add(d(1, 1));
  return concat([mx, my, cont], 1);
}

/** The residuals of the field q: [N, 2] -> [N, 3] at X, [N, 3]: one `pde` call. */
export function residual(q: (X: Tensor) => Tensor, X: Tensor): Tensor {
  return residualOf(pde(q, spec)(X)); // q [N, 3], dq [N, 3, 2], lap [N, 3]
}

export function problem(size: PinnSize): PinnProblem<nn.MlpParams> {
  // Fourier features (scale 1) before the MLP: a plain tanh MLP stalls on the two periods of cos 2πy
  const ff = nn.fourierFeatures({ inputDim: 2, features: 16, scale: 1, seed: 3, dtype: size.dtype });
  const net = nn.mlp({ sizes: [32, size.width, size.width, 3], activation: 'tanh', seed: 31, dtype: size.dtype });
  const field = (p: nn.MlpParams) => (X: Tensor) => net.apply(p, ff.apply(X));
  const [lo, hi] = [
    [-0.5, -0.5],
    [1, 1.5],
  ];
  const { interior: Xr, boundary: Xb, test: Xt } = boxSets(size, lo, hi, 8);
  const qb = exact(Xb);
  const qt = exact(Xt);
  return {
    name: 'kovasznay',
    params: net.params,
    lr: 5e-3,
    lbfgs: true,
    loss: (p) => residual(field(p), Xr).square().sum(1).mean().add(field(p)(Xb).sub(qb).square().sum(1).mean()),
    error: (p) => relativeL2(field(p)(Xt), qt),
  };
}
