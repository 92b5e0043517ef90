// softmax and logSoftmax along one axis as fused ops (src/ad/fused.ts): stable values (the max is
// subtracted; logSoftmax is x − logsumexp(x)) and explicit rules. Both follow from the ODE of the
// softmax y = softmax(x) along a path x(t):
//     y' = y ⊙ (x' − w),   w = Σ_axis y ⊙ x'   (and log y = x − lse(x), lse' = w),
// integrated coefficient by coefficient (derivative coefficients, Y_0 = y):
//     W_i = Σ_axis Σ_{l=0..i} C(i, l) Y_l X_{i+1−l},   Y_k = Σ_{j=0..k−1} C(k−1, j) Y_j (X_{k−j} − W_{k−1−j}).
// The VJP is y ⊙ (g − Σ_axis g ⊙ y) (softmax) and g − y Σ_axis g (logSoftmax).

import { type Coef, type Series, fusedNode, sumAxesCoef } from '../ad/fused.js';
import { ShapeError, fmtShape } from '../errors.js';
import { normAxis } from '../ir/shape.js';
import * as ops from '../ops.js';
import { addAll, binom } from '../rules/taylor-coef.js';
import type { Tensor } from '../tensor.js';
import { checkTensor } from './checks.js';

/** The axis of a softmax-like op, checked (a size-0 axis has no softmax), counted from the end. */
function softmaxAxis(op: string, x: Tensor, axis: number): number {
  checkTensor(op, x, 'x');
  if (x.ndim === 0) throw new ShapeError(`${op}: x must have at least one axis, got shape []`);
  const a = normAxis(op, axis, x.ndim);
  if (x.shape[a] === 0) throw new ShapeError(`${op}: axis ${a} of ${fmtShape(x.shape)} has size 0`);
  return a - x.ndim;
}

/** x − max(x) along `axis` where the max is finite (a shift with no derivative), as in logsumexp. */
function shifted(x: Tensor, axis: number): Tensor {
  const mx = ops.max(x, axis, true);
  return ops.sub(x, ops.stopGradient(ops.where(ops.equal(ops.sub(mx, mx), 0), mx, 0)));
}

/**
 * The softmax ODE integrated: Y_1..Y_K (when `withTop`, else Y_1..Y_{K−1}) and W_0..W_{K−1}, for
 * y = softmax(x) along `axis` of `shape` and x's coefficients X.
 */
export function softmaxSeries(y: Tensor, X: Series, axis: number, shape: readonly number[], K: number, withTop = true): { Y: Coef[]; W: Coef[] } {
  const Y: Coef[] = [];
  const W: Coef[] = [];
  const V: Coef[] = []; // V_i = X_{i+1} − W_i, the coefficients of x' − w
  const Yat = (j: number): Coef => (j === 0 ? y : (Y[j - 1] ?? null));
  for (let k = 1; k <= K; k++) {
    const wTerms: Coef[] = [];
    for (let l = 0; l < k; l++) {
      const yl = Yat(l),
        xm = X[k - l - 1] ?? null;
      if (yl && xm) wTerms.push(scaled(ops.mul(yl, xm), binom(k - 1, l)));
    }
    const wSum = addAll(wTerms);
    const w = wSum ? sumAxesCoef(wSum, [axis], shape) : null;
    W.push(w);
    const xk = X[k - 1] ?? null;
    V.push(w ? (xk ? ops.sub(xk, w) : ops.neg(w)) : xk);
    if (k === K && !withTop) break;
    const yTerms: Coef[] = [];
    for (let j = 0; j < k; j++) {
      const yj = Yat(j),
        vm = V[k - 1 - j] ?? null;
      if (yj && vm) yTerms.push(scaled(ops.mul(yj, vm), binom(k - 1, j)));
    }
    Y.push(addAll(yTerms));
  }
  return { Y, W };
}

const scaled = (t: Tensor, c: number): Tensor => (c === 1 ? t : ops.mul(t, c));

/** The softmax VJP: y ⊙ (g − Σ_axis g ⊙ y). */
export function softmaxVjp(y: Tensor, g: Tensor, axis: number): Tensor {
  return ops.mul(y, ops.sub(g, ops.sum(ops.mul(g, y), axis, true)));
}

/** exp(x) / Σ_axis exp(x), computed as exp(x − max) / Σ exp(x − max); axis defaults to the last. */
export function softmax(x: Tensor, axis = -1): Tensor {
  const a = softmaxAxis('softmax', x, axis);
  const e = ops.exp(shifted(x, a));
  const impl = ops.div(e, ops.sum(e, a, true));
  return fusedNode(
    {
      name: 'softmax',
      jet: ([x0], [X], y, K) => (X ? softmaxSeries(y, X, x0!.ndim + a, x0!.shape, K).Y : []),
      vjp: (_ps, y, g) => [softmaxVjp(y, g, a)],
    },
    [x],
    impl,
  );
}

/** log(softmax(x)) = x − logsumexp(x) along `axis` (default the last), stable for large |x|. */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  const a = softmaxAxis('logSoftmax', x, axis);
  const s = shifted(x, a);
  const impl = ops.sub(s, ops.log(ops.sum(ops.exp(s), a, true)));
  return fusedNode(
    {
      name: 'logSoftmax',
      // Z_k = X_k − W_{k−1} (lse's coefficients), with y = exp(z)
      jet: ([x0], [X], z, K) => {
        if (!X) return [];
        const { W } = softmaxSeries(ops.exp(z), X, x0!.ndim + a, x0!.shape, K, false);
        return W.map((w, i) => {
          const xk = X[i] ?? null;
          return w ? (xk ? ops.sub(xk, w) : ops.neg(w)) : xk;
        });
      },
      vjp: (_ps, z, g) => [ops.sub(g, ops.mul(ops.exp(z), ops.sum(g, a, true)))],
    },
    [x],
    impl,
  );
}
