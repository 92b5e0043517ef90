// Steady 2-D Allen–Cahn equation λ Δu + u − u³ = g on the unit square, u = 0 on the boundary, with the
// manufactured solution u* = sin πx sin πy (g = −2π²λ u* + u* − u*³). The residual's u and Δu come
// from one `pde` call; the boundary condition is a penalty. λ = 0.1 exceeds 1/(2π²), the inverse of
// −Δ's first Dirichlet eigenvalue, so −λΔu + u³ − u is monotone and the solution unique (with a
// smaller λ the PINN settles on another branch of this bistable equation).

import { type Tensor, nn, pde } from '../../src/index.js';
import { type PinnProblem, type PinnSize, sinSin, boxSets, relativeL2 } from './common.js';

export const lambda = 0.1;
const spec = { u: 'value', lap: { laplacian: 'all' } } as const;

/** The exact solution sin πx sin πy. */
export const exact = sinSin;

/** The source g of the manufactured solution, in closed form. */
export function source(X: Tensor): Tensor {
  const s = exact(X);
  return s.mul(1 - 2 * Math.PI * Math.PI * lambda).sub(s.mul(s).mul(s));
}

/** λ Δu + u − u³ − g of the field u: [N, 2] -> [N] at X: one `pde` call. */
export function residual(u: (X: Tensor) => Tensor, X: Tensor): Tensor {
  const r = pde(u, spec)(X);
  return r.lap.mul(lambda).add(r.u).sub(r.u.mul(r.u).mul(r.u)).sub(source(X));
}

export function problem(size: PinnSize): PinnProblem<nn.MlpParams> {
  const net = nn.mlp({ sizes: [2, size.width, size.width, 1], activation: 'tanh', seed: 21, dtype: size.dtype });
  const field = (p: nn.MlpParams) => (X: Tensor) => net.apply(p, X).reshape([-1]);
  const [lo, hi] = [
    [0, 0],
    [1, 1],
  ];
  const { interior: Xr, boundary: Xb, test: Xt } = boxSets(size, lo, hi, 5);
  const ut = exact(Xt);
  return {
    name: 'allen-cahn',
    params: net.params,
    lr: 5e-3,
    lbfgs: true,
    loss: (p) => residual(field(p), Xr).square().mean().add(field(p)(Xb).square().mean()),
    error: (p) => relativeL2(field(p)(Xt), ut),
  };
}
