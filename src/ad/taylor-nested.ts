// The 'nested' (first-order AD) method of the operators: forward-over-reverse Hessian-vector products (jvp of grad), one per direction.

// Rows of f are independent, so the gradient of f(X).sum() with respect to X holds every row's
// gradient, and one jvp of it in the direction "v on every row" gives every row's H v. The
// directions are separate jvp calls on one lazy graph: the primal and adjoint passes are the same
// nodes for all of them (the scheduler's CSE merges them), the tangent passes are per direction.
// Vectors per datum: primal + adjoint once, tangent + tangent adjoint per direction: 2 + 2R.

import * as ops from '../ops.js';
import type { Tensor } from '../tensor.js';
import { jvp } from './jvp.js';
import { grad } from './vjp.js';

/** Row-wise f: [N, D] -> [N]. */
export type RowFn = (X: Tensor) => Tensor;

/** Direction r of `dirs` ([R, 1, D], the same on every row, or [R, N, D], one per row) as [N, D]. */
function direction(dirs: Tensor, r: number, N: number): Tensor {
  const [, M, D] = dirs.shape as [number, number, number];
  return dirs
    .slice([r, 0, 0], [r + 1, M, D])
    .reshape([M, D])
    .broadcastTo([N, D]);
}

/** Σ_r w_r v_rᵀ H(x_n) v_r for every row n, by one jvp-of-grad per direction. `weights` null: plain sum. */
export function nestedQuadratic(f: RowFn, X: Tensor, dirs: Tensor, weights: readonly number[] | null): Tensor {
  const [N] = X.shape as [number, number];
  const R = dirs.shape[0]!;
  const g = grad((Y: Tensor) => f(Y).sum());
  let acc: Tensor | null = null;
  for (let r = 0; r < R; r++) {
    const v = direction(dirs, r, N);
    const hv = jvp((Y: Tensor) => g(Y) as Tensor, [X], [v])[1] as Tensor;
    let q = ops.sum(ops.mul(hv, v), 1);
    if (weights) q = q.mul(weights[r]!);
    acc = acc ? acc.add(q) : q;
  }
  return acc!;
}

/**
 * F_d(v) = ∂^d f[v, ..., v] per row as a function of the points, by nesting first-order AD: a
 * gradient dotted with v for d = 1, the quadratic form (jvp of grad) of F_{d−2}(v) for d >= 2.
 * `v`: one direction, [1, 1, D] or [1, N, D] (per row); held constant.
 */
export function nestedForm(f: RowFn, v: Tensor, d: number): RowFn {
  if (d === 0) return f;
  if (d === 1) {
    const g = grad((Y: Tensor) => f(Y).sum());
    return (Y: Tensor) => ops.sum(ops.mul(g(Y) as Tensor, direction(v, 0, Y.shape[0]!)), 1);
  }
  const inner = nestedForm(f, v, d - 2);
  return (Y: Tensor) => nestedQuadratic(inner, Y, v, null);
}
