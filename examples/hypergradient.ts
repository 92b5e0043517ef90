// A hyperparameter gradient through a fixed point: ridge regression solved by gradient descent,
// w* = w* − η (Xᵀ(X w* − y)/N + λ w*), and the validation loss V(w*(λ)) differentiated in λ —
// implicitly (fixedPoint: the adjoint system, not the iterations) or through the unrolled iterations.

import { type Tensor, fixedPoint, grad } from '../src/index.js';

export interface Ridge {
  X: Tensor; // [N, D] training inputs
  y: Tensor; // [N]
  Xv: Tensor; // [M, D] validation inputs
  yv: Tensor; // [M]
  eta: number;
  iterations: number;
}

/** One gradient-descent step of the ridge objective; λ is a 0-d tensor. */
const step =
  (r: Ridge) =>
  (w: Tensor, lambda: Tensor): Tensor =>
    w.sub(
      r.X.transpose()
        .matmul(r.X.matmul(w).sub(r.y))
        .mul(1 / r.X.shape[0]!)
        .add(w.mul(lambda))
        .mul(r.eta),
    );

const validation = (r: Ridge, w: Tensor): Tensor => r.Xv.matmul(w).sub(r.yv).square().mean();

/** dV(w*(λ))/dλ: 'implicit' by fixedPoint, 'unrolled' by differentiating every iteration. */
export function hypergradient(r: Ridge, lambda: Tensor, method: 'implicit' | 'unrolled'): Tensor {
  const w0 = r.X.slice([0], [1]).reshape([-1]).mul(0);
  const solve =
    method === 'implicit'
      ? (l: Tensor) => fixedPoint(step(r), { iterations: r.iterations })(w0, l)
      : (l: Tensor) => {
          let w = w0;
          for (let k = 0; k < r.iterations; k++) w = step(r)(w, l);
          return w;
        };
  return grad((l: Tensor) => validation(r, solve(l)))(lambda);
}
