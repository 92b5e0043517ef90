// Fused ops: one graph node per call whose value is an implementation written with primitives and
// whose every derivative comes from explicit rules (a VJP rule and a Taylor rule to any order; the
// JVP is the Taylor rule at order 1). The rules build their results with ordinary ops — which may
// be fused ops again (softmax's VJP reads softmax's output) — so they are differentiable again:
// grad(grad), hvp in its three modes and jet of a derivative all differentiate the rules.
//
// Mechanism: a fused op is a `custom` node (the node customJvp/customVjp build, src/ad/custom.ts)
// carrying all three rules, rather than a new primitive. Chosen because (1) the scheduler already
// runs a custom node as its implementation, so the fused op's kernels are the primitives' fused
// kernels, and no backend, WGSL or scheduler table changes; (2) every transformation already
// dispatches custom nodes to their rules (src/rules/jvp.ts, vjp.ts; src/rules/taylor.ts runs the
// `jet` rule, and derives collapsed Taylor mode from it); (3) a new primitive would need a row in
// every table (partials, codegen, WGSL, batching) for ops that are compositions anyway. The cost:
// the Taylor engines also walk the implementation's subgraph, whose coefficients are built lazily
// and never scheduled (nothing reads them).
//
// Rules are polymorphic in leading axes: they read shapes from the primals they are given and
// count axes from the end, so the same rules hold for the primals with batch axes added in front
// (what a batching transformation needs to keep a fused node fused).
//
// Coefficient conventions (src/rules/taylor-coef.ts): coefficient k of a primal of shape S is
// [L, ...S'] with S'[i] = S[i] or 1 (the same for every index along that axis); the helpers below
// reduce along primal axes with that in mind.

import { customNode } from '../ir/build.js';
import * as ops from '../ops.js';
import { type Coef, type Series, addAll, binom } from '../rules/taylor-coef.js';
import { Tensor } from '../tensor.js';

export type { Coef, Series };

/** The rules of a fused op, over its differentiable inputs (the primals). */
export interface FusedRules {
  /** Names the op in errors. */
  readonly name: string;
  /**
   * Coefficients 1..K of the output (null: zero) from the primals' coefficients series[i] =
   * [X_1..X_K] (null: all zero), with `out` the op's value. Order 1 is the JVP.
   */
  jet(primals: readonly Tensor[], series: readonly (Series | null)[], out: Tensor, K: number): Coef[];
  /** Cotangents of the primals (null: zero) from the output's cotangent `g`. */
  vjp(primals: readonly Tensor[], out: Tensor, g: Tensor): Coef[];
}

/** The fused op's value `impl` (built from `primals` with primitives), as one node with `rules`. */
export function fusedNode(rules: FusedRules, primals: readonly Tensor[], impl: Tensor): Tensor {
  const jvp = (ps: unknown[], ts: unknown[], out: unknown): Tensor | null => {
    const o = out as Tensor;
    const series = (ts as (Tensor | null)[]).map((t) => (t ? [ops.reshape(t, [1, ...t.shape])] : null));
    const z = rules.jet(ps as Tensor[], series, o, 1)[0] ?? null;
    return z ? ops.reshape(ops.broadcastTo(z, [1, ...o.shape]), o.shape) : null;
  };
  return new Tensor(
    customNode(
      primals.map((p) => p.node),
      impl.node,
      {
        name: rules.name,
        jvp,
        vjp: (ps, out, g) => rules.vjp(ps as Tensor[], out as Tensor, g as Tensor),
        jet: (ps, series, out, K) => rules.jet(ps as Tensor[], series as (Series | null)[], out as Tensor, K),
      },
    ),
  );
}

// ----- helpers for rules on coefficients -----

/** Coefficient c ([L, ...S']) summed over primal `axes` of `shape` and times `scale`, the axes kept as size 1. */
export function sumAxesCoef(c: Tensor, axes: readonly number[], shape: readonly number[], scale = 1): Tensor {
  let factor = scale;
  const real: number[] = [];
  for (const a of axes) {
    if (c.shape[a + 1] === 1) factor *= shape[a]!;
    else real.push(a + 1);
  }
  const r = real.length ? ops.sum(c, real, true) : c;
  return factor === 1 ? r : ops.mul(r, factor);
}

/** Coefficient c averaged over primal `axes` of `shape`, the axes kept as size 1. */
export function meanAxesCoef(c: Tensor, axes: readonly number[], shape: readonly number[]): Tensor {
  const real = axes.filter((a) => c.shape[a + 1] !== 1); // a size-1 axis is its own mean
  return sumAxesCoef(c, real, shape, 1 / real.reduce((n, a) => n * shape[a]!, 1));
}

/**
 * Leibniz's rule for a bilinear product: Σ_{j=0..k} C(k, j) A_j ∘ B_{k−j}, with A_0 = a0 and
 * B_0 = b0 the primals (no direction axis) and `product(x, xLead, y, yLead)` the product.
 */
export function leibnizCoef(
  product: (x: Tensor, xLead: boolean, y: Tensor, yLead: boolean) => Tensor,
  a0: Tensor,
  A: Series | null,
  b0: Tensor,
  B: Series | null,
  k: number,
): Coef {
  const terms: Coef[] = [];
  for (let j = 0; j <= k; j++) {
    const a = j === 0 ? a0 : (A?.[j - 1] ?? null);
    const b = j === k ? b0 : (B?.[k - j - 1] ?? null);
    if (!a || !b) continue;
    const p = product(a, j !== 0, b, j !== k);
    const c = binom(k, j);
    terms.push(c === 1 ? p : ops.mul(p, c));
  }
  return addAll(terms);
}

/** Elementwise product for leibnizCoef (NumPy broadcasting aligns primals and coefficients). */
export const mulProduct = (x: Tensor, _xl: boolean, y: Tensor): Tensor => ops.mul(x, y);
