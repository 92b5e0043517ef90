// Kirchhoff plate Δ²w = q on the unit square, simply supported (w = 0 and Δw = 0 on the boundary),
// with the manufactured solution w* = sin πx sin πy (q = 4π⁴ w*). The interior residual's Δ²w is
// one `pde` call (a biharmonic term: collapsed 4-jets); the boundary's w and Δw another. Both are
// scaled to order one (by 1/(4π⁴) and 1/(2π²)).

import { type Tensor, nn, pde } from '../../src/index.js';
import { type PinnProblem, type PinnSize, sinSin, boxSets, relativeL2 } from './common.js';

const pi2 = Math.PI * Math.PI;
const interiorSpec = { bih: { biharmonic: 'all' } } as const;
const boundarySpec = { w: 'value', lap: { laplacian: 'all' } } as const;

/** The exact solution sin πx sin πy. */
export const exact = sinSin;

/** (Δ²w − q) / (4π⁴) of the field w: [N, 2] -> [N] at X: one `pde` call. */
export function residual(w: (X: Tensor) => Tensor, X: Tensor): Tensor {
  return pde(
    w,
    interiorSpec,
  )(X)
    .bih.div(4 * pi2 * pi2)
    .sub(exact(X));
}

/** The boundary conditions' residuals w and Δw / (2π²) at X, one `pde` call: [N] each. */
export function boundaryResidual(w: (X: Tensor) => Tensor, X: Tensor): { w: Tensor; lap: Tensor } {
  const r = pde(w, boundarySpec)(X);
  return { w: r.w, lap: r.lap.div(2 * pi2) };
}

export function problem(size: PinnSize): PinnProblem<nn.MlpParams> {
  const net = nn.mlp({ sizes: [2, size.width, size.width, 1], activation: 'tanh', seed: 41, dtype: size.dtype });
  const field = (p: nn.MlpParams) => (X: Tensor) => net.apply(p, X).reshape([-1]);
  const [lo, hi] = [
    [0, 0],
    [1, 1],
  ];
  const { interior: Xr, boundary: Xb, test: Xt } = boxSets(size, lo, hi, 11);
  const wt = exact(Xt);
  return {
    name: 'plate',
    params: net.params,
    lr: 5e-3,
    lbfgs: true,
    loss: (p) => {
      const b = boundaryResidual(field(p), Xb);
      return residual(field(p), Xr).square().mean().add(b.w.square().mean()).add(b.lap.square().mean());
    },
    error: (p) => relativeL2(field(p)(Xt), wt),
  };
}
