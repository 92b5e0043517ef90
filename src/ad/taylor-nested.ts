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

/** Direction r of `dirs` ([R, 1, D]) on every row: [N, D]. */
function direction(dirs: Tensor, r: number, N: number): Tensor {
  const D = dirs.shape[2]!;
  return dirs
    .slice([r, 0, 0], [r + 1, 1, D])
    .reshape([1, D])
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

/** Σ_r w_r F4(v_r), F4(v) = ∂⁴f[v, v, v, v] = vᵀ H(x ↦ vᵀ H(x) v) v per row, by nesting. `weights` null: plain sum. */
export function nestedQuartic(f: RowFn, X: Tensor, dirs: Tensor, weights: readonly number[] | null): Tensor {
  const R = dirs.shape[0]!;
  let acc: Tensor | null = null;
  for (let r = 0; r < R; r++) {
    const one = dirs.slice([r, 0, 0], [r + 1, 1, dirs.shape[2]!]);
    const inner = (Y: Tensor): Tensor => nestedQuadratic(f, Y, one, null);
    let q = nestedQuadratic(inner, X, one, null);
    if (weights) q = q.mul(weights[r]!);
    acc = acc ? acc.add(q) : q;
  }
  return acc!;
}
