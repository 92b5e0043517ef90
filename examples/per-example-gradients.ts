// Per-example gradient norms (as differential privacy and data-influence methods need them):
// vmap(grad(loss)) gives every example's gradient of a parameter tree in one graph, without a
// loop over the examples. Run: npx tsx examples/run.ts

import { type Tensor, grad, vmap } from '../src/index.js';

export interface Model {
  w: Tensor; // [D]
  b: Tensor; // []
}

/** The loss of one example: (tanh(w·x + b) − y)². */
export const exampleLoss = (p: Model, x: Tensor, y: Tensor): Tensor => x.mul(p.w).sum().add(p.b).tanh().sub(y).square();

/** ‖∇_p loss(p, x_i, y_i)‖ for every row x_i of X [N, D] and y_i of Y [N]: [N]. */
export function perExampleGradNorms(p: Model, X: Tensor, Y: Tensor): Tensor {
  const g = vmap(grad(exampleLoss), { inAxes: [null, 0, 0] })(p, X, Y); // { w: [N, D], b: [N] }
  return g.w.square().sum(1).add(g.b.square()).sqrt();
}
