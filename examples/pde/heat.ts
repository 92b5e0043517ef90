// 1+1-D heat equation u_t = κ u_xx on (t, x) ∈ [0, 1]², u(0, x) = sin πx, u(t, 0) = u(t, 1) = 0;
// exact solution e^{−κπ²t} sin πx. The residual's u_t and u_xx come from one `pde` call; the
// initial and boundary conditions are penalties.

import { type Tensor, concat, nn, pde } from '../../src/index.js';
import { type PinnProblem, type PinnSize, column, boundaryPoints, boxPoints, relativeL2 } from './common.js';

export const kappa = 0.1;
const spec = { ut: { partial: [1, 0] }, uxx: { partial: [0, 2] } } as const;

/** e^{−κπ²t} sin πx for X [N, 2] = (t, x): [N]. */
export function exact(X: Tensor): Tensor {
  return column(X, 0)
    .mul(-kappa * Math.PI * Math.PI)
    .exp()
    .mul(column(X, 1).mul(Math.PI).sin());
}

/** u_t − κ u_xx of the field u: [N, 2] -> [N] at X: one `pde` call. */
export function residual(u: (X: Tensor) => Tensor, X: Tensor): Tensor {
  const { ut, uxx } = pde(u, spec)(X);
  return ut.sub(uxx.mul(kappa));
}

export function problem({ width, interior, boundary, dtype }: PinnSize): PinnProblem<nn.MlpParams> {
  const net = nn.mlp({ sizes: [2, width, width, 1], activation: 'tanh', seed: 11, dtype });
  const field = (p: nn.MlpParams) => (X: Tensor) => net.apply(p, X).reshape([-1]);
  const Xr = boxPoints(interior, [0, 0], [1, 1], 1, dtype);
  const Xb = concat([boundaryPoints(boundary, [0, 0], [1, 1], 2, dtype, [1]), boxPoints(boundary, [0, 0], [0, 1], 3, dtype)], 0);
  const ub = exact(Xb);
  const Xt = boxPoints(1000, [0, 0], [1, 1], 4, dtype);
  const ut = exact(Xt);
  return {
    name: 'heat',
    params: net.params,
    lr: 5e-3,
    lbfgs: true,
    loss: (p) => residual(field(p), Xr).square().mean().add(field(p)(Xb).sub(ub).square().mean()),
    error: (p) => relativeL2(field(p)(Xt), ut),
  };
}
