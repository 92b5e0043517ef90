// Reverse-mode (VJP / transpose) rules: for every primitive, the cotangents of its inputs from the
// cotangent of its output, built as ordinary graph nodes. Keyed by the primitive table: a missing
// rule fails the build.

import { TransformError } from '../errors.js';
import * as B from '../ir/build.js';
import type { Node } from '../ir/node.js';
import type { Prim } from '../ir/primitives.js';
import * as ops from '../ops.js';
import type { Tensor } from '../tensor.js';
import { T, bmm, invertPerm, mT, maxWeights, unbroadcast, unpad, unreduce, unslice } from './derivs.js';
import { everyElementwise, pullPartials } from './partials.js';

/** A cotangent; null is a known zero (never materialized). */
export type Ct = Tensor | null;

/**
 * (node, its inputs, cotangent of its output, which differentiable inputs need a cotangent) =>
 * one cotangent per differentiable input (null for zero or not needed). For `custom` the
 * differentiable inputs are the primals (not the implementation).
 */
export type VjpRule = (n: Node, inputs: readonly Node[], ct: Tensor, needed: readonly boolean[], transpose: TransposeLinear) => Ct[];

/**
 * Transposes a function linear in arguments shaped like `like` (the reverse walk of src/ad/trace.ts,
 * handed to the rules so that they do not import the AD layer): a custom JVP rule run backwards.
 */
export type TransposeLinear = (fn: (args: Ct[]) => Ct, like: readonly Tensor[], needed: readonly boolean[], ct: Tensor) => Ct[];

/** Every elementwise primitive: input i gets ∂_i ⊙ g from its partials (./partials.ts). */
const elementwise = everyElementwise<VjpRule>((n, ins, g, needed) => pullPartials(n, ins, g, needed));

export const vjpRules = {
  ...elementwise,
  const: () => [],
  identity: (_n, _ins, g) => [g],
  custom: (n, ins, g, needed, transposeLinear) => {
    const rules = n.p('custom').rules;
    const primals = ins.slice(0, -1).map(T);
    if (rules.vjp) return rules.vjp(primals, T(n), g).map((c, i) => (needed[i] ? ((c ?? null) as Ct) : null));
    if (rules.jvp) {
      // the JVP rule is linear in the tangents: run it backwards (transpose it)
      const jvp = rules.jvp;
      const out = T(n);
      return transposeLinear((ts) => (jvp(primals, ts, out) ?? null) as Ct, primals, needed, g);
    }
    throw new TransformError(`vjp: '${rules.name}' has neither a VJP nor a JVP rule`);
  },
  sum: (n, [x], g) => [unreduce(g, x!.shape, n.p('sum').axes)],
  max: (n, [x], g) => [ops.mul(unreduce(g, x!.shape, n.p('max').axes), maxWeights(n, x!))],
  reshape: (_n, [x], g) => [T(B.reshapeNode(g.node, x!.shape.slice()))],
  permute: (n, _ins, g) => [T(B.permuteNode(g.node, invertPerm(n.p('permute').perm)))],
  broadcast: (_n, [x], g) => [unbroadcast(g, x!.shape)],
  slice: (n, [x], g) => {
    const p = n.p('slice');
    return [unslice(g, x!.shape, p.starts, p.steps)];
  },
  pad: (n, [x], g) => [unpad(g, x!.shape, n.p('pad').before)],
  // C = A B: dA = G Bᵀ, dB = Aᵀ G
  matmul: (_n, [a, b], g, [na, nb]) => [na ? bmm(g, mT(T(b!))) : null, nb ? bmm(mT(T(a!)), g) : null],
} satisfies Record<Prim, VjpRule>;
