// Algebraic rewrites applied while the graph is canonicalized (graph.ts), written as data: each
// rule names the primitive it matches and returns the node that replaces the match, or null.
// Transformations produce these patterns often (x * 1 from a seed, x + 0, --x from a transpose
// of a negation); removing them keeps fused expressions short. Only identities that hold for
// every float value, NaN and infinities included, are listed (so no x * 0 -> 0). Two rules build
// new nodes instead of picking an input: a batched product summed over its batch is one product
// with the batch folded into K (the weight gradient of a layer run over stacked Taylor channels),
// and a product over K = 1 is the outer product it is, elementwise (so it fuses with its readers).

import { binaryNode, broadcastNode, matmulNode, permuteNode, reshapeNode } from '../ir/build.js';
import type { Node } from '../ir/node.js';
import type { Prim } from '../ir/primitives.js';
import { schedulerConstant } from './constants.js';

/** The value of a node that is a size-1 constant seen through reshapes / broadcasts, else null. */
export function scalarValue(n: Node, inputsOf: (m: Node) => readonly Node[]): number | null {
  let m = n;
  // a realized reshape / broadcast has dropped its input: it is a buffer, not a view of a constant
  while ((m.op === 'broadcast' || m.op === 'reshape') && m.buffer === null) m = inputsOf(m)[0]!;
  if (m.op !== 'const' || m.size !== 1) return null;
  return m.p('const').data[0]!;
}

export interface Rewrite {
  readonly op: Prim;
  readonly name: string;
  /**
   * The replacement (same shape and dtype as `n`): one of `inputs`, or nodes built over them
   * that the canonicalization settles in turn; null when no match.
   */
  readonly apply: (n: Node, inputs: readonly Node[], value: (m: Node) => number | null, inputsOf: (m: Node) => readonly Node[]) => Node | null;
}

const isOne = (v: number | null): boolean => v === 1;

/**
 * sum over every batch axis of P @ Q ([...batch, m, k] @ [...batch, k, n]) as one product over
 * the batch folded into K: P permuted to [m, ...batch, k] and merged to [m, B·k], Q merged to
 * [B·k, n]. Both are views of the operands (strides can merge a permuted batch into K), so the
 * kernel that reduces the batch disappears and the product's K grows B-fold. The batched product
 * is not read elsewhere where transformations build this (the transpose of a weight broadcast
 * over stacked channels); where it is, both are computed.
 */
function foldBatchSum(n: Node, x: Node, inputsOf: (m: Node) => readonly Node[]): Node | null {
  if (x.op !== 'matmul' || x.buffer !== null || x.rank < 3) return null;
  const batchRank = x.rank - 2;
  const axes = n.p('sum').axes;
  if (axes.length !== batchRank || axes.some((a, i) => a !== i)) return null;
  const [p, q] = inputsOf(x) as [Node, Node];
  const batch = x.shape.slice(0, batchRank).reduce((s, d) => s * d, 1);
  const [m, k] = p.shape.slice(batchRank) as [number, number];
  const perm = [batchRank, ...Array.from({ length: batchRank }, (_, i) => i), batchRank + 1];
  return matmulNode(reshapeNode(permuteNode(p, perm), [m, batch * k]), reshapeNode(q, [batch * k, q.shape[x.rank - 1]!]));
}

/**
 * P @ Q over K = 1 ([..., m, 1] @ [..., 1, n]) as 0 + P·Q broadcast to [..., m, n]: the product
 * kernel's one term added to its zero accumulator, so a zero product is +0 exactly as there.
 */
function outerProduct(n: Node, [p, q]: readonly Node[]): Node | null {
  if (p!.shape[p!.rank - 1] !== 1) return null;
  const product = binaryNode('mul', broadcastNode(p!, n.shape.slice()), broadcastNode(q!, n.shape.slice()));
  return binaryNode('add', product, broadcastNode(schedulerConstant(0, n.dtype), n.shape.slice()));
}

export const REWRITES: readonly Rewrite[] = [
  { op: 'mul', name: 'x * 1 -> x', apply: (_n, [a, b], v) => (isOne(v(b!)) ? a! : isOne(v(a!)) ? b! : null) },
  { op: 'div', name: 'x / 1 -> x', apply: (_n, [a, b], v) => (isOne(v(b!)) ? a! : null) },
  // x - (+0) is x for every x (-0 - 0 = -0); x - (-0) is not (-0 + 0 = +0)
  { op: 'sub', name: 'x - 0 -> x', apply: (_n, [a, b], v) => (Object.is(v(b!), 0) ? a! : null) },
  // x + (-0) is x for every x; x + (+0) differs only for x = -0, which it turns into +0
  { op: 'add', name: 'x + (-0) -> x', apply: (_n, [a, b], v) => (Object.is(v(b!), -0) ? a! : Object.is(v(a!), -0) ? b! : null) },
  {
    op: 'sum',
    name: 'sum over the batch of P @ Q -> one product over the batch folded into K',
    apply: (n, [x], _v, inputsOf) => foldBatchSum(n, x!, inputsOf),
  },
  { op: 'matmul', name: 'P @ Q over K = 1 -> 0 + P * Q (an outer product, elementwise)', apply: (n, inputs) => outerProduct(n, inputs) },
  { op: 'neg', name: '-(-x) -> x', apply: (_n, [a], _v, inputsOf) => (a!.op === 'neg' && a!.buffer === null ? inputsOf(a!)[0]! : null) },
];

const byOp = new Map<Prim, Rewrite[]>();
for (const r of REWRITES) byOp.set(r.op, [...(byOp.get(r.op) ?? []), r]);

/** The node replacing `n` (with canonical `inputs`) after applying the rules, or null. */
export function rewrite(n: Node, inputs: readonly Node[], inputsOf: (m: Node) => readonly Node[]): Node | null {
  const rules = byOp.get(n.op);
  if (!rules) return null;
  const value = (m: Node): number | null => scalarValue(m, inputsOf);
  for (const r of rules) {
    const out = r.apply(n, inputs, value, inputsOf);
    if (out && out.dtype === n.dtype && out.shape.length === n.shape.length && out.shape.every((d, i) => d === n.shape[i])) return out;
  }
  return null;
}
