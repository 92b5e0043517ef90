// Forward-mode (JVP) rules: for every primitive, the output tangent from the input tangents,
// built as ordinary graph nodes. Keyed by the primitive table: a missing rule fails the build.

import { TransformError } from '../errors.js';
import * as B from '../ir/build.js';
import type { Node } from '../ir/node.js';
import type { Prim } from '../ir/primitives.js';
import * as ops from '../ops.js';
import type { Tensor } from '../tensor.js';
import { T, bmm, maxWeights } from './derivs.js';
import { everyElementwise, pushPartials } from './partials.js';

/** A tangent; null is a known zero (never materialized). */
export type Tan = Tensor | null;

/**
 * (node, its inputs, tangents of its differentiable inputs) => tangent of its output. The
 * walker calls a rule only when some tangent is non-null. For `custom`, `tangents` covers the
 * primals only (not the implementation).
 */
export type JvpRule = (n: Node, inputs: readonly Node[], tangents: readonly Tan[]) => Tan;

/** Every elementwise primitive: Σ_i ∂_i ⊙ t_i from its partials (./partials.ts). */
const elementwise = everyElementwise<JvpRule>((n, ins, ts) => pushPartials(n, ins, ts));

/** a + b with nulls as zeros. */
function plus(a: Tan, b: Tan): Tan {
  if (a === null) return b;
  if (b === null) return a;
  return ops.add(a, b);
}

export const jvpRules = {
  ...elementwise,
  const: () => null,
  identity: (_n, _ins, [t]) => t ?? null,
  custom: (n, ins, ts) => {
    const rules = n.p('custom').rules;
    if (!rules.jvp) {
      throw new TransformError(
        `jvp: '${rules.name}' has a custom VJP rule but no JVP rule, so forward mode (jvp, jacfwd, jacobian, hessian, ` +
          `hvp 'fwd-rev' / 'rev-fwd') cannot differentiate it; use reverse mode (grad, vjp, jacrev, hvp 'rev-rev'), ` +
          `or give it a JVP rule with customJvp (reverse mode then transposes that rule)`,
      );
    }
    const out = rules.jvp(ins.slice(0, -1).map(T), ts.slice(), T(n));
    return (out ?? null) as Tan;
  },
  sum: (n, _ins, [t]) => (t ? T(B.reduceNode('sum', t.node, n.p('sum').axes)) : null),
  max: (n, [x], [t]) => (t ? T(B.reduceNode('sum', ops.mul(t, maxWeights(n, x!)).node, n.p('max').axes)) : null),
  reshape: (n, _ins, [t]) => (t ? T(B.reshapeNode(t.node, n.p('reshape').shape)) : null),
  permute: (n, _ins, [t]) => (t ? T(B.permuteNode(t.node, n.p('permute').perm)) : null),
  broadcast: (n, _ins, [t]) => (t ? T(B.broadcastNode(t.node, n.p('broadcast').shape)) : null),
  slice: (n, _ins, [t]) => {
    const p = n.p('slice');
    return t ? T(B.sliceNode(t.node, p.starts, p.ends, p.steps)) : null;
  },
  pad: (n, _ins, [t]) => {
    const p = n.p('pad');
    return t ? T(B.padNode(t.node, p.before, p.after)) : null;
  },
  matmul: (_n, [a, b], [ta, tb]) => plus(ta ? bmm(ta, T(b!)) : null, tb ? bmm(T(a!), tb) : null),
} satisfies Record<Prim, JvpRule>;
