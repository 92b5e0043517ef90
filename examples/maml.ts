// MAML meta-gradient for a batch of sine-regression tasks: `steps` inner gradient steps per task
// on its support set, the loss of the adapted parameters on its query set, averaged over the tasks
// by vmap, and differentiated with respect to the shared initialization (grad of vmap of grad:
// second order, through every inner step). examples/maml-sine.ts trains with it.

import { type Tensor, grad, vmap } from '../src/index.js';

export interface Net {
  W1: Tensor; // [1, H]
  b1: Tensor; // [H]
  W2: Tensor; // [H, 1]
}

export const net = (p: Net, x: Tensor): Tensor => x.matmul(p.W1).add(p.b1).tanh().matmul(p.W2);
export const mse = (p: Net, x: Tensor, y: Tensor): Tensor => net(p, x).sub(y).square().mean();

/** `steps` plain gradient steps of size alpha on (xs, ys) from p (differentiable in p). */
export function adapt(p: Net, xs: Tensor, ys: Tensor, alpha: number, steps = 1): Net {
  let q = p;
  for (let s = 0; s < steps; s++) {
    const g = grad(mse)(q, xs, ys);
    q = { W1: q.W1.sub(g.W1.mul(alpha)), b1: q.b1.sub(g.b1.mul(alpha)), W2: q.W2.sub(g.W2.mul(alpha)) };
  }
  return q;
}

/** One task: adapt by `steps` gradient steps of size alpha on (xs, ys), evaluate on (xq, yq). */
export function taskLoss(p: Net, xs: Tensor, ys: Tensor, xq: Tensor, yq: Tensor, alpha: number, steps = 1): Tensor {
  return mse(adapt(p, xs, ys, alpha, steps), xq, yq);
}

/** The meta-loss over tasks stacked on axis 0 of XS, YS [T, K, 1] and XQ, YQ [T, Q, 1]. */
export function metaLoss(p: Net, XS: Tensor, YS: Tensor, XQ: Tensor, YQ: Tensor, alpha: number, steps = 1): Tensor {
  const perTask = vmap((xs: Tensor, ys: Tensor, xq: Tensor, yq: Tensor) => taskLoss(p, xs, ys, xq, yq, alpha, steps));
  return perTask(XS, YS, XQ, YQ).mean();
}

/** ∇_p of the meta-loss: the MAML meta-gradient (second order: through the inner gradient steps). */
export function metaGradient(p: Net, XS: Tensor, YS: Tensor, XQ: Tensor, YQ: Tensor, alpha: number, steps = 1): Net {
  return grad((q: Net) => metaLoss(q, XS, YS, XQ, YQ, alpha, steps))(p);
}
