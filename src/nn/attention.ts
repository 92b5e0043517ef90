// Scaled dot-product attention softmax(scale · q kᵀ, masked) v as one fused op (src/ad/fused.ts)
// whose rules are explicit and differentiable again, so grad(grad), hvp and jet work through it
// (PyTorch's fused attention kernels have no double backward; this is the meta-learning case).
// With s = scale · q kᵀ (masked entries replaced by the lowest finite value, JAX's convention, so
// a fully masked row is uniform rather than NaN), p = softmax(s) and o = p v:
//   Taylor: S_k and O_k by Leibniz over the matmuls, P_k by the softmax ODE (./softmax.ts);
//           masked entries of S_k are zero (the mask is a constant).
//   VJP: g_v = pᵀ g, g_s = p ⊙ (g vᵀ − Σ_row p ⊙ g vᵀ) (zero where masked), g_q = scale g_s k,
//        g_k = scale g_sᵀ q.
// The rules recompute p from q and k with the fused softmax, so its derivatives are explicit too.

import { type Coef, type Series, fusedNode, leibnizCoef } from '../ad/fused.js';
import { ArgumentError, DTypeError, ShapeError, fmtShape } from '../errors.js';
import * as ops from '../ops.js';
import { matmulCoef } from '../rules/taylor-coef.js';
import type { Tensor } from '../tensor.js';
import { broadcastsTo, checkTensor } from './checks.js';
import { softmax, softmaxSeries, softmaxVjp } from './softmax.js';

export interface AttentionOptions {
  /** Where to attend: non-zero entries; broadcasts to [..., Lq, Lk]. No derivative flows through it. */
  mask?: Tensor;
  /** Multiplies q kᵀ (default 1/√d, d the last axis of q and k). */
  scale?: number;
}

/** The last two axes swapped (of a primal, or of a coefficient with its direction axis). */
function mT(t: Tensor): Tensor {
  const perm = [...t.shape.keys()];
  const n = perm.length;
  [perm[n - 2], perm[n - 1]] = [n - 1, n - 2];
  return ops.transpose(t, perm);
}

function checkShapes(q: Tensor, k: Tensor, v: Tensor): void {
  const r = q.ndim;
  const same = (a: readonly number[], b: readonly number[]): boolean => fmtShape(a) === fmtShape(b);
  const ok =
    r >= 2 &&
    k.ndim === r &&
    v.ndim === r &&
    same(q.shape.slice(0, -2), k.shape.slice(0, -2)) &&
    same(q.shape.slice(0, -2), v.shape.slice(0, -2)) &&
    q.shape[r - 1] === k.shape[r - 1] &&
    k.shape[r - 2] === v.shape[r - 2];
  if (!ok) {
    throw new ShapeError(
      `attention: shapes q ${fmtShape(q.shape)}, k ${fmtShape(k.shape)}, v ${fmtShape(v.shape)} do not match ` +
        '(expected q [..., Lq, d], k [..., Lk, d], v [..., Lk, dv] with the same batch axes)',
    );
  }
  if (q.dtype !== k.dtype || q.dtype !== v.dtype) throw new DTypeError(`attention: dtypes differ (q ${q.dtype}, k ${k.dtype}, v ${v.dtype})`);
}

/** Scaled dot-product attention softmax(scale · q kᵀ + mask) v over the last two axes. */
export function attention(q: Tensor, k: Tensor, v: Tensor, opts: AttentionOptions = {}): Tensor {
  checkTensor('attention', q, 'q');
  checkTensor('attention', k, 'k');
  checkTensor('attention', v, 'v');
  checkShapes(q, k, v);
  const d = q.shape[q.ndim - 1]!;
  const scale = opts.scale ?? 1 / Math.sqrt(d);
  if (typeof scale !== 'number' || !Number.isFinite(scale)) throw new ArgumentError(`attention: scale must be a finite number, got ${String(scale)}`);
  const sShape = [...q.shape.slice(0, -1), k.shape[k.ndim - 2]!];
  let mask: Tensor | null = null;
  if (opts.mask !== undefined) {
    const m = opts.mask;
    checkTensor('attention', m, 'mask');
    if (!broadcastsTo(m.shape, sShape)) {
      throw new ShapeError(`attention: mask of shape ${fmtShape(m.shape)} does not broadcast to the scores' shape ${fmtShape(sShape)}`);
    }
    mask = ops.stopGradient(m.dtype === q.dtype ? m : ops.astype(m, q.dtype));
  }
  const lowest = q.dtype === 'float32' ? -3.4028234663852886e38 : -Number.MAX_VALUE;
  const probs = (q0: Tensor, k0: Tensor): Tensor => {
    const s = ops.mul(ops.matmul(q0, mT(k0)), scale);
    return softmax(mask ? ops.where(mask, s, lowest) : s, -1);
  };
  const jet = ([q0, k0, v0]: readonly Tensor[], [Q, Kc, V]: readonly (Series | null)[], _o: Tensor, K: number): Coef[] => {
    const scores = [...q0!.shape.slice(0, -1), k0!.shape[k0!.ndim - 2]!];
    const kT = mT(k0!);
    const KT = Kc ? Kc.map((c) => (c ? mT(c) : null)) : null;
    const p = probs(q0!, k0!);
    let P: Series | null = null;
    if (Q || KT) {
      const qk = (a: Tensor, al: boolean, b: Tensor, bl: boolean): Tensor => matmulCoef(a, al, b, bl, q0!.shape, kT.shape);
      const S = Array.from({ length: K }, (_, i) => {
        const s = leibnizCoef(qk, q0!, Q ?? null, kT, KT, i + 1);
        return s ? ops.mul(mask ? ops.where(mask, s, 0) : s, scale) : null;
      });
      P = softmaxSeries(p, S, scores.length - 1, scores, K).Y;
    }
    const pv = (a: Tensor, al: boolean, b: Tensor, bl: boolean): Tensor => matmulCoef(a, al, b, bl, scores, v0!.shape);
    return Array.from({ length: K }, (_, i) => leibnizCoef(pv, p, P, v0!, V ?? null, i + 1));
  };
  return fusedNode(
    {
      name: 'attention',
      jet,
      vjp: ([q0, k0, v0], _o, g) => {
        const p = probs(q0!, k0!);
        let gs = softmaxVjp(p, ops.matmul(g, mT(v0!)), -1);
        if (mask) gs = ops.where(mask, gs, 0);
        gs = ops.mul(gs, scale);
        return [ops.matmul(gs, k0!), ops.matmul(mT(gs), q0!), ops.matmul(mT(p), g)];
      },
    },
    [q, k, v],
    ops.matmul(probs(q, k), v),
  );
}
