// 100-dimensional Poisson equation −Δu = g on [−1, 1]^D, u = u* on the boundary, with the
// manufactured solution u* = (1/√D) Σ_i sin x_i (so g = u*; of order one). The Laplacian is randomized: STDE's
// coordinate-sampled jets (`estimator: { distribution: 'coordinates' }`), S of the D coordinates
// a step, drawn afresh every step with fresh collocation points (an unbiased estimate of the
// residual's Laplacian); one `pde` call. Adam only: L-BFGS needs a deterministic loss.

import { type DType, type Tensor, nn, pde } from '../../src/index.js';
import { type PinnProblem, boundaryPoints, boxPoints, relativeL2 } from './common.js';

export const dim = 100;

/** (1/√D) Σ_i sin x_i for X [N, D]: [N]. */
export function exact(X: Tensor): Tensor {
  return X.sin().sum(1).div(Math.sqrt(X.shape[1]!));
}

/** −Δu − g of the field u: [N, D] -> [N] at X, Δ over `samples` coordinates drawn with `seed` (exact Δ when samples is null): one `pde` call. */
export function residual(u: (X: Tensor) => Tensor, X: Tensor, samples: number | null, seed: number): Tensor {
  const lap =
    samples === null
      ? pde(u, { lap: { laplacian: 'all' } })(X).lap
      : pde(u, { lap: { laplacian: 'all', estimator: { distribution: 'coordinates', samples, seed } } })(X).lap;
  return lap.neg().sub(exact(X));
}

export interface PoissonSize {
  readonly width: number;
  readonly interior: number;
  readonly boundary: number;
  readonly samples: number;
  readonly dtype: DType;
}

export function problem({ width, interior, boundary, samples, dtype }: PoissonSize): PinnProblem<nn.MlpParams> {
  const net = nn.mlp({ sizes: [dim, width, width, 1], activation: 'tanh', seed: 51, dtype });
  const field = (p: nn.MlpParams) => (X: Tensor) => net.apply(p, X).reshape([-1]);
  const [lo, hi] = [new Array<number>(dim).fill(-1), new Array<number>(dim).fill(1)];
  // fresh collocation points every step (step 0: a fixed set, for the reported loss)
  const points = (step: number): [Tensor, Tensor] => [
    boxPoints(interior, lo, hi, 2 * step + 14, dtype),
    boundaryPoints(boundary, lo, hi, 2 * step + 15, dtype),
  ];
  const Xt = boxPoints(1000, lo, hi, 16, dtype);
  const ut = exact(Xt);
  return {
    name: 'poisson100',
    params: net.params,
    lr: 2e-3,
    lbfgs: false,
    loss: (p, step) => {
      const [Xr, Xb] = points(step);
      return residual(field(p), Xr, samples, 1000 + step)
        .square()
        .mean()
        .add(field(p)(Xb).sub(exact(Xb)).square().mean());
    },
    error: (p) => relativeL2(field(p)(Xt), ut),
  };
}
