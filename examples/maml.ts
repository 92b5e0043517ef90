// MAML meta-gradient for a batch of sine-regression tasks: an inner gradient step per task on its
// support set, the loss of the adapted parameters on its query set, averaged over the tasks by
// vmap, and differentiated with respect to the shared initialization (grad of vmap of grad).

import { type Tensor, grad, vmap } from '../src/index.js';

export interface Net {
  W1: Tensor; // [1, H]
  b1: Tensor; // [H]
  W2: Tensor; // [H, 1]
}

const net = (p: Net, x: Tensor): Tensor => x.matmul(p.W1).add(p.b1).tanh().matmul(p.W2);
const mse = (p: Net, x: Tensor, y: Tensor): Tensor => net(p, x).sub(y).square().mean();

/** One task: adapt by one gradient step of size alpha on (xs, ys), evaluate on (xq, yq). */
export function taskLoss(p: Net, xs: Tensor, ys: Tensor, xq: Tensor, yq: Tensor, alpha: number): Tensor {
  const g = grad(mse)(p, xs, ys);
  const adapted: Net = { W1: p.W1.sub(g.W1.mul(alpha)), b1: p.b1.sub(g.b1.mul(alpha)), W2: p.W2.sub(g.W2.mul(alpha)) };
  return mse(adapted, xq, yq);
}

/** The meta-loss over tasks stacked on axis 0 of XS, YS [T, K, 1] and XQ, YQ [T, Q, 1]. */
export function metaLoss(p: Net, XS: Tensor, YS: Tensor, XQ: Tensor, YQ: Tensor, alpha: number): Tensor {
  const perTask = vmap((xs: Tensor, ys: Tensor, xq: Tensor, yq: Tensor) => taskLoss(p, xs, ys, xq, yq, alpha));
  return perTask(XS, YS, XQ, YQ).mean();
}

/** ∇_p of the meta-loss: the MAML meta-gradient (second order: through the inner gradient step). */
export function metaGradient(p: Net, XS: Tensor, YS: Tensor, XQ: Tensor, YQ: Tensor, alpha: number): Net {
  return grad((q: Net) => metaLoss(q, XS, YS, XQ, YQ, alpha))(p);
}
