// Layer normalization: n = (x − μ) / √(σ² + eps) over the normalized axes as a fused op
// (src/ad/fused.ts), then the optional elementwise affine map n ⊙ weight + bias as ordinary ops.
// Rules, with c = x − μ, v = mean(c²) + eps, r = v^(−1/2), n = c r:
//   Taylor: C_k = X_k − mean(X_k); V_k = mean(Σ_j C(k, j) C_j C_{k−j}) (Leibniz);
//           R_k by Faà di Bruno with φ(v) = v^(−1/2), φ^(j) = (−½)(−³⁄₂)…(½ − j) r v^(−j);
//           N_k = Σ_j C(k, j) C_j R_{k−j} (Leibniz).
//   VJP: r (g − mean(g) − n mean(g ⊙ n)).

import { type Coef, type Series, fusedNode, leibnizCoef, meanAxesCoef, mulProduct } from '../ad/fused.js';
import { faaDiBruno } from '../ad/taylor.js';
import { ArgumentError, DTypeError, ShapeError, fmtShape } from '../errors.js';
import { normAxes } from '../ir/shape.js';
import * as ops from '../ops.js';
import type { Tensor } from '../tensor.js';
import { broadcastsTo, checkTensor } from './checks.js';

export interface LayerNormOptions {
  /** The normalized axes (default the last). */
  axis?: number | number[];
  /** Added to the variance (default 1e-5). */
  eps?: number;
  /** Multiplies the normalized values; broadcasts to x's shape (typically the normalized axes' shape). */
  weight?: Tensor;
  /** Added after the weight; broadcasts to x's shape. */
  bias?: Tensor;
}

/** c = x − mean(x) and r = (mean(c²) + eps)^(−1/2) over `axes` (kept as size 1). */
function moments(x: Tensor, axes: readonly number[], eps: number): { c: Tensor; v: Tensor; r: Tensor } {
  const c = ops.sub(x, ops.mean(x, axes.slice(), true));
  const v = ops.add(ops.mean(ops.mul(c, c), axes.slice(), true), eps);
  return { c, v, r: ops.div(1, ops.sqrt(v)) };
}

function normalizeJet(x: Tensor, X: Series, fromEnd: readonly number[], eps: number, K: number): Coef[] {
  const shape = x.shape;
  const axes = fromEnd.map((a) => x.ndim + a);
  const { c, v, r } = moments(x, axes, eps);
  const Cs: Coef[] = X.map((xk) => (xk ? ops.sub(xk, meanAxesCoef(xk, axes, shape)) : null));
  const Vs: Coef[] = [];
  for (let k = 1; k <= K; k++) {
    const sq = leibnizCoef(mulProduct, c, Cs, c, Cs, k);
    Vs.push(sq ? meanAxesCoef(sq, axes, shape) : null);
  }
  // φ^(j)(v) = f_j r v^(−j), f_j = (−½)(−½ − 1)…(−½ − j + 1)
  const inv = ops.div(1, v);
  const d: Coef[] = [];
  let f = 1,
    p = r;
  for (let j = 1; j <= K; j++) {
    f *= 0.5 - j;
    p = ops.mul(p, inv);
    d.push(ops.mul(p, f));
  }
  const Rs: Coef[] = Array.from({ length: K }, (_, k) => faaDiBruno(d, Vs, k + 1));
  return Array.from({ length: K }, (_, k) => leibnizCoef(mulProduct, c, Cs, r, Rs, k + 1));
}

/** (x − mean) / √(var + eps) over `axes` (counted from the end), one fused node. */
function normalize(x: Tensor, axes: readonly number[], eps: number): Tensor {
  const { c, v } = moments(x, axes, eps);
  return fusedNode(
    {
      name: 'layerNorm',
      jet: ([x0], [X], _n, K) => (X ? normalizeJet(x0!, X, axes, eps, K) : []),
      vjp: ([x0], n, g) => {
        const { r } = moments(x0!, axes, eps);
        const mg = ops.mean(g, axes.slice(), true);
        const mgn = ops.mean(ops.mul(g, n), axes.slice(), true);
        return [ops.mul(r, ops.sub(ops.sub(g, mg), ops.mul(n, mgn)))];
      },
    },
    [x],
    ops.div(c, ops.sqrt(v)),
  );
}

/** A weight or bias: a tensor of x's dtype broadcasting to x's shape without growing it. */
function checkAffine(name: string, t: unknown, x: Tensor): Tensor {
  checkTensor('layerNorm', t, name);
  if (t.dtype !== x.dtype) throw new DTypeError(`layerNorm: ${name} is ${t.dtype} but x is ${x.dtype}`);
  if (!broadcastsTo(t.shape, x.shape))
    throw new ShapeError(`layerNorm: ${name} of shape ${fmtShape(t.shape)} does not broadcast to x's shape ${fmtShape(x.shape)}`);
  return t;
}

/**
 * Layer normalization over `axis` (default the last; a list normalizes over several):
 * (x − mean) / √(var + eps) ⊙ weight + bias, with the biased variance (as PyTorch and JAX).
 */
export function layerNorm(x: Tensor, opts: LayerNormOptions = {}): Tensor {
  checkTensor('layerNorm', x, 'x');
  if (x.ndim === 0) throw new ShapeError('layerNorm: x must have at least one axis, got shape []');
  const axes = normAxes('layerNorm', opts.axis ?? -1, x.ndim);
  const eps = opts.eps ?? 1e-5;
  if (typeof eps !== 'number' || !Number.isFinite(eps) || eps < 0) {
    throw new ArgumentError(`layerNorm: eps must be a finite number >= 0, got ${String(eps)}`);
  }
  for (const a of axes) if (x.shape[a] === 0) throw new ShapeError(`layerNorm: axis ${a} of ${fmtShape(x.shape)} has size 0`);
  const weight = opts.weight === undefined ? null : checkAffine('weight', opts.weight, x);
  const bias = opts.bias === undefined ? null : checkAffine('bias', opts.bias, x);
  let y = normalize(
    x,
    axes.map((a) => a - x.ndim),
    eps,
  );
  if (weight) y = ops.mul(y, weight);
  if (bias) y = ops.add(y, bias);
  return y;
}
