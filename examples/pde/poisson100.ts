// 100-dimensional Poisson equation −Δu = g on [−1, 1]^D, u = u* on the boundary, with the
// manufactured solution u* = (1/√D) Σ_i sin x_i (so g = u*; of order one). The Laplacian is randomized: STDE's
// coordinate-sampled jets (`estimator: { distribution: 'coordinates' }`), S of the D coordinates
// a step, drawn afresh every step with fresh collocation points; the squared residual is the
// product of two independent estimates from one `pde` call (unbiased). The reported loss uses the
// exact Laplacian. Adam only: L-BFGS needs a deterministic loss.
//
// The network: a linear term x·w plus a tanh MLP of per-coordinate features tanh(a ⊙ x + b), all
// learned. A plain MLP barely beats the best linear function here (rel. L2 4.6e-2 at the test
// points; 4.7–4.9e-2 even fitted to u* directly, widths 32 to 256), and the PDE fixes u only up to
// harmonic functions, which in 100-D include large ones such as (Σ x_i)³/D − Σ x_i³: a network
// that meets Δu = −g through a few directions of x is wrong by such a function, and only the
// boundary term (weighted) pins it. Per-coordinate features make sums of functions of single
// coordinates easy to represent, as u* is one (an easier network for this u*, said so in
// docs/operators.md).

import { type Tensor, nn, ones, pde, zeros } from '../../src/index.js';
import { type PinnProblem, type PinnSize, boundaryPoints, boxPoints, relativeL2 } from './common.js';

export const dim = 100;

/** (1/√D) Σ_i sin x_i for X [N, D]: [N]. */
export function exact(X: Tensor): Tensor {
  return X.sin().sum(1).div(Math.sqrt(X.shape[1]!));
}

export type Sampling = 'coordinates' | 'rademacher';

const estimator = (distribution: Sampling, samples: number, seed: number) => ({ distribution, samples, seed });

/** −Δu − g of the field u: [N, D] -> [N] at X, Δ over `samples` random directions drawn with `seed` (exact Δ when samples is null): one `pde` call. */
export function residual(u: (X: Tensor) => Tensor, X: Tensor, samples: number | null, seed: number, distribution: Sampling = 'coordinates'): Tensor {
  const lap =
    samples === null
      ? pde(u, { lap: { laplacian: 'all' } })(X).lap
      : pde(u, { lap: { laplacian: 'all', estimator: estimator(distribution, samples, seed) } })(X).lap;
  return lap.neg().sub(exact(X));
}

/**
 * Two independent estimates of −Δu − g (directions drawn with seeds `seed` and `seed + 1`) from one
 * `pde` call: the mean of their product is an unbiased estimate of the mean squared residual, while
 * the square of one estimate adds the estimator's variance (which its gradient then shrinks).
 */
export function residualPair(u: (X: Tensor) => Tensor, X: Tensor, samples: number, seed: number, distribution: Sampling): [Tensor, Tensor] {
  const r = pde(u, {
    a: { laplacian: 'all', estimator: estimator(distribution, samples, seed) },
    b: { laplacian: 'all', estimator: estimator(distribution, samples, seed + 1) },
  })(X);
  const g = exact(X);
  return [r.a.neg().sub(g), r.b.neg().sub(g)];
}

export interface PoissonSize extends PinnSize {
  readonly samples: number;
  readonly distribution: Sampling;
  /** The loss's residual term as the product of two independent estimates (unbiased), instead of one estimate squared. */
  readonly unbiased: boolean;
  /** The boundary term's weight in the loss. */
  readonly boundaryWeight: number;
}

/** The network's parameters: the MLP, the linear term w [D, 1], the per-coordinate features' scales a and shifts b [D]. */
export interface PoissonParams {
  readonly mlp: nn.MlpParams;
  readonly w: Tensor;
  readonly a: Tensor;
  readonly b: Tensor;
}

export function problem({ width, interior, boundary, samples, distribution, unbiased, boundaryWeight, dtype }: PoissonSize): PinnProblem<PoissonParams> {
  const net = nn.mlp({ sizes: [dim, width, width, 1], activation: 'tanh', seed: 51, dtype });
  const params: PoissonParams = { mlp: net.params, w: zeros([dim, 1], { dtype }), a: ones([dim], { dtype }), b: zeros([dim], { dtype }) };
  const field = (p: PoissonParams) => (X: Tensor) =>
    net
      .apply(p.mlp, X.mul(p.a).add(p.b).tanh())
      .reshape([-1])
      .add(X.matmul(p.w).reshape([-1]));
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
    params,
    lr: 1e-2,
    lbfgs: false,
    loss: (p, step) => {
      const [Xr, Xb] = points(step);
      const seed = 1000 + 2 * step;
      const boundaryLoss = field(p)(Xb).sub(exact(Xb)).square().mean().mul(boundaryWeight);
      // step 0 (the reported loss): the exact Laplacian, D directions
      if (step === 0) return residual(field(p), Xr, null, 0).square().mean().add(boundaryLoss);
      const [r1, r2] = unbiased ? residualPair(field(p), Xr, samples, seed, distribution) : [residual(field(p), Xr, samples, seed, distribution), null];
      return (r2 ? r1.mul(r2) : r1.square()).mean().add(boundaryLoss);
    },
    error: (p) => relativeL2(field(p)(Xt), ut),
  };
}
