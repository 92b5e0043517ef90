// Newton-CG on an L2-regularized logistic regression: each Newton step solves ∇²L(w) s = ∇L(w) by
// conjugate gradient with Hessian-vector products (the Hessian is never formed).

import { type Tensor, cg, grad, hvp } from '../src/index.js';

/** mean_i log(1 + exp(−s_i x_i·w)) + λ/2 ‖w‖², labels s_i = ±1. */
export const logisticLoss =
  (X: Tensor, S: Tensor, lambda: number) =>
  (w: Tensor): Tensor =>
    X.matmul(w)
      .mul(S)
      .neg()
      .softplus()
      .mean()
      .add(
        w
          .square()
          .sum()
          .mul(lambda / 2),
      );

/** `steps` Newton-CG steps from w0; each iterate is computed before the next step is built. */
export async function newtonCg(X: Tensor, S: Tensor, lambda: number, w0: Tensor, steps: number): Promise<Tensor> {
  const L = logisticLoss(X, S, lambda);
  let w = w0;
  for (let k = 0; k < steps; k++) {
    const step = cg((v: Tensor) => hvp(L, w, v), grad(L)(w), { tol: 1e-12 });
    w = w.sub(step);
    await w.data(); // realize: the next step's graph starts from this value
  }
  return w;
}
