// Batching (vmap) rules: for every primitive, the node computing a whole batch of its outputs at
// once from inputs that either carry the batch as a new leading axis 0 (batched) or are shared by
// every example (unbatched). The result always carries the batch at axis 0. Keyed by the
// primitive table: a missing rule fails the build.

import * as B from '../ir/build.js';
import { Node } from '../ir/node.js';
import type { CustomRules, Prim } from '../ir/primitives.js';
import * as ops from '../ops.js';
import type { Tensor } from '../tensor.js';
import { everyElementwise } from './partials.js';

/** What a batching rule knows besides its node: the batch size, and vmap itself (for custom rules). */
export interface BatchContext {
  readonly size: number;
  /**
   * vmap of `fn` over `leaves`: leaf i carries the batch at axis 0 when `batched[i]`, else it is
   * shared; `fn` sees per-example tensors and returns per-example tensors; the results carry the
   * batch at axis 0. Handed to the rules so that they do not import the AD layer.
   */
  readonly batchCall: (fn: (leaves: Tensor[]) => Tensor[], leaves: readonly Tensor[], batched: readonly boolean[]) => Tensor[];
}

/**
 * (per-example node, its inputs as rebuilt — batched ones with the batch at axis 0 —, which inputs
 * are batched, context) => the batched node, of shape [size, ...n.shape].
 */
export type BatchRule = (n: Node, inputs: readonly Node[], batched: readonly boolean[], ctx: BatchContext) => Node;

/** `x` with the batch at axis 0: as it is when batched, else broadcast along a new axis 0. */
export function withBatch(x: Node, batched: boolean, size: number): Node {
  return batched ? x : B.broadcastNode(x, [size, ...x.shape]);
}

/** Axis `a` of a per-example tensor is axis a + 1 of its batch. */
const shifted = (axes: readonly number[]): number[] => axes.map((a) => a + 1);

/**
 * The same elementwise primitive (and parameters) on batch-shaped inputs, the unbatched ones
 * broadcast: every input then has the output's shape [size, ...n.shape], as the primitive requires.
 */
const elementwise = everyElementwise<BatchRule>(
  (n, ins, batched, { size }) =>
    new Node(
      n.op,
      ins.map((x, i) => withBatch(x, batched[i]!, size)),
      n.params,
      [size, ...n.shape],
      n.dtype,
    ),
);

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

/**
 * matmul with the batch on one operand: the batch is folded into that operand's free dimension
 * (rows of A, columns of B), so a batch of products against a shared matrix is one larger product.
 * a: [...bt, m, k], b: [...bt, k, q] per example; `nb` = bt.length.
 */
function matmulOneBatched(n: Node, a: Node, b: Node, aBatched: boolean, size: number): Node {
  const nb = n.rank - 2;
  const bt = n.shape.slice(0, nb);
  const [m, q] = [n.shape[nb]!, n.shape[nb + 1]!];
  if (aBatched) {
    // [B, ...bt, m, k] -> [...bt, B·m, k] @ b -> [...bt, B, m, q] -> [B, ...bt, m, q]
    const k = a.shape[nb + 2]!;
    const rows = B.reshapeNode(B.permuteNode(a, [...range(1, nb + 1), 0, nb + 1, nb + 2]), [...bt, size * m, k]);
    const prod = B.reshapeNode(B.matmulNode(rows, b), [...bt, size, m, q]);
    return B.permuteNode(prod, [nb, ...range(0, nb), nb + 1, nb + 2]);
  }
  // [B, ...bt, k, q] -> [...bt, k, B·q]; a @ it -> [...bt, m, B, q] -> [B, ...bt, m, q]
  const k = b.shape[nb + 1]!;
  const cols = B.reshapeNode(B.permuteNode(b, [...range(1, nb + 1), nb + 1, 0, nb + 2]), [...bt, k, size * q]);
  const prod = B.reshapeNode(B.matmulNode(a, cols), [...bt, m, size, q]);
  return B.permuteNode(prod, [nb + 1, ...range(0, nb), nb, nb + 2]);
}

/**
 * A custom node of batched primals: the implementation is the batched implementation, and each
 * user rule is applied per example (vmap of the rule), since the rules were written for one
 * example's shapes. A cotangent of an unbatched primal is summed over the batch (every example
 * used the same value).
 */
function batchedCustom(n: Node, ins: readonly Node[], batched: readonly boolean[], ctx: BatchContext): Node {
  const rules = n.p('custom').rules;
  const np = ins.length - 1;
  const pb = batched.slice(0, np);
  const impl = withBatch(ins[np]!, batched[np]!, ctx.size);
  const out: CustomRules = { name: rules.name };
  const { jvp, vjp } = rules;
  if (jvp) {
    out.jvp = (primals, tangents, value) => {
      const ts = tangents as (Tensor | null)[];
      const present = range(0, np).filter((i) => ts[i] !== null && ts[i] !== undefined);
      let zero = false;
      const res = ctx.batchCall(
        (xs) => {
          const t: (Tensor | null)[] = new Array(np).fill(null);
          present.forEach((i, j) => (t[i] = xs[np + j]!));
          const r = jvp(xs.slice(0, np), t, xs[xs.length - 1]!) as Tensor | null | undefined;
          zero = r === null || r === undefined;
          return zero ? [] : [r as Tensor];
        },
        [...(primals as Tensor[]), ...present.map((i) => ts[i]!), value as Tensor],
        [...pb, ...present.map((i) => pb[i]!), true],
      );
      return zero ? null : res[0]!;
    };
  }
  if (vjp) {
    out.vjp = (primals, value, cotangent) => {
      let given: boolean[] = [];
      const res = ctx.batchCall(
        (xs) => {
          const cts = vjp(xs.slice(0, np), xs[np], xs[np + 1]) as (Tensor | null | undefined)[];
          given = range(0, np).map((i) => cts[i] !== null && cts[i] !== undefined);
          return cts.filter((c): c is Tensor => c !== null && c !== undefined);
        },
        [...(primals as Tensor[]), value as Tensor, cotangent as Tensor],
        [...pb, true, true],
      );
      let j = 0;
      return given.map((g, i) => {
        if (!g) return null;
        const c = res[j++]!;
        return pb[i] ? c : ops.sum(c, 0);
      });
    };
  }
  return B.customNode(ins.slice(0, np) as Node[], impl, out);
}

export const batchRules = {
  ...elementwise,
  // a constant has no inputs, so it never depends on a batched value; shared by every example
  const: (n, _ins, _b, { size }) => withBatch(n, false, size),
  identity: (_n, [x], [b], { size }) => B.identityNode(withBatch(x!, b!, size)),
  custom: batchedCustom,
  sum: (n, [x], _b, { size }) => B.reduceNode('sum', withBatch(x!, true, size), shifted(n.p('sum').axes)),
  max: (n, [x], _b, { size }) => B.reduceNode('max', withBatch(x!, true, size), shifted(n.p('max').axes)),
  reshape: (n, [x], [b], { size }) => B.reshapeNode(withBatch(x!, b!, size), [size, ...n.p('reshape').shape]),
  permute: (n, [x], [b], { size }) => B.permuteNode(withBatch(x!, b!, size), [0, ...shifted(n.p('permute').perm)]),
  broadcast: (n, [x], [b], { size }) => {
    // right-aligned broadcasting would align the batch axis with a per-example axis: insert the
    // new leading axes after the batch first
    const target = n.p('broadcast').shape;
    const lead = target.length - x!.rank + (b ? 1 : 0);
    const xb = withBatch(x!, b!, size);
    const aligned = B.reshapeNode(xb, [size, ...new Array<number>(lead).fill(1), ...xb.shape.slice(1)]);
    return B.broadcastNode(aligned, [size, ...target]);
  },
  slice: (n, [x], [b], { size }) => {
    const p = n.p('slice');
    return B.sliceNode(withBatch(x!, b!, size), [0, ...p.starts], [size, ...p.ends], [1, ...p.steps]);
  },
  pad: (n, [x], [b], { size }) => {
    const p = n.p('pad');
    return B.padNode(withBatch(x!, b!, size), [0, ...p.before], [0, ...p.after]);
  },
  matmul: (n, [a, b], [ba, bb], { size }) => (ba && bb ? B.matmulNode(a!, b!) : matmulOneBatched(n, a!, b!, ba!, size)),
} satisfies Record<Prim, BatchRule>;
