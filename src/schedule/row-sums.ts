// A graph pass on the canonical graph (graph.ts), run before fusion: a sum over the rows of X
// whose rows are also rows [r0, r0 + R) of a product's B operand (B seen through reshapes,
// zero padding and concatenations) becomes one more row of that product: [A; e] @ B with e the
// row of ones over [r0, r0 + R), zeros elsewhere. The product and the sum are then read as
// slices of the one product, which the merge pass (merge.ts) writes as two row blocks of its
// epilogue. This is the bias gradient of a layer, Σ_rows G, next to its weight gradient Xᵀ G
// (over stacked Taylor channels, G's primal channel is rows [0, R) of the product's B): one
// kernel less per layer of a training step.
//
// The row of the product sums 1·B[j] over [r0, r0 + R) and 0·B[j] elsewhere; it differs from
// the sum only where B holds an infinity or NaN outside those rows, where the product itself is
// not finite.

import { binaryNode, broadcastNode, matmulNode, padNode, reshapeNode, sliceNode } from '../ir/build.js';
import type { Node } from '../ir/node.js';
import { schedulerConstant } from './constants.js';
import type { Canonical } from './graph.js';

/** Rows [lo, hi) of a node seen as [rows, n] (its leading dims flattened). */
interface RowRange {
  readonly lo: number;
  readonly hi: number;
}

const lastDim = (n: Node): number => n.shape[n.rank - 1]!;
const rowsOf = (n: Node): number => n.size / Math.max(1, lastDim(n));
const innerRows = (n: Node): number => n.shape.slice(1, n.rank - 1).reduce((a, b) => a * b, 1);

/** A pad along the leading dim only (and not along the last). */
function padsLeadOnly(p: Node): boolean {
  const { before, after } = p.p('pad');
  return p.rank >= 2 && before.every((b, i) => i === 0 || b === 0) && after.every((a, i) => i === 0 || a === 0);
}

/** Is `n` (seen as [rows, n]) zero on rows [lo, hi)? Pads along the leading dim, and sums of them. */
function zeroOnRows(n: Node, lo: number, hi: number, g: Canonical): boolean {
  if (n.buffer !== null) return false;
  if (n.op === 'add') return g.inputsOf(n).every((m) => zeroOnRows(m, lo, hi, g));
  if (n.op !== 'pad' || !padsLeadOnly(n)) return false;
  const inner = innerRows(n);
  const b = n.p('pad').before[0]!;
  const from = b * inner;
  const to = (n.shape[0]! - n.p('pad').after[0]!) * inner;
  return hi <= from || lo >= to;
}

/**
 * Where the rows of `x` lie in `y`, one of its consumers: rows [lo, hi) of `x` are rows of `y`
 * after a reshape keeping the last dim, a pad along the leading dim, or an add whose other
 * operand is zero there; null otherwise.
 */
function rowsIn(x: Node, r: RowRange, y: Node, g: Canonical): RowRange | null {
  if (y.buffer !== null || y.rank < 2 || lastDim(y) !== lastDim(x) || y.dtype !== x.dtype) return null;
  if (y.op === 'reshape') return r;
  if (y.op === 'pad') {
    if (!padsLeadOnly(y)) return null;
    const shift = y.p('pad').before[0]! * innerRows(y);
    return { lo: r.lo + shift, hi: r.hi + shift };
  }
  if (y.op === 'add') {
    const ins = g.inputsOf(y);
    if (ins.length !== 2 || ins[0] === ins[1]) return null;
    const other = ins[0] === x ? ins[1]! : ins[0]!;
    if (other.shape.length !== y.rank || !other.shape.every((d, i) => d === y.shape[i])) return null;
    return zeroOnRows(other, r.lo, r.hi, g) ? r : null;
  }
  return null;
}

/** Deepest chain of reshapes, pads and adds followed from X to a product's B. */
const MAX_CHAIN = 64;

interface Fold {
  readonly sum: Node;
  readonly product: Node;
  readonly rows: RowRange;
}

/** The product whose B holds X's rows, and where: searched up X's consumers. */
function findProduct(sum: Node, x: Node, g: Canonical): Fold | null {
  let frontier: [Node, RowRange][] = [[x, { lo: 0, hi: rowsOf(x) }]];
  for (let depth = 0; depth < MAX_CHAIN && frontier.length > 0; depth++) {
    const next: [Node, RowRange][] = [];
    for (const [n, r] of frontier) {
      for (const c of g.consumers.get(n) ?? []) {
        if (c.op === 'matmul' && c.rank === 2 && g.inputsOf(c)[1] === n && n.rank === 2 && g.inputsOf(c)[0] !== n) {
          return { sum, product: c, rows: r };
        }
        const r2 = c === sum ? null : rowsIn(n, r, c, g);
        if (r2) next.push([c, r2]);
      }
    }
    frontier = next;
  }
  return null;
}

/**
 * Does `product` depend on `sum`? Then folding would make the sum a row of a product computed from
 * it: a cycle (fuzz seed 122, graph #34: a matmul whose A is built from the mean of its own B).
 * Only nodes after `sum` in topological order (`pos`) can depend on it.
 */
function dependsOn(product: Node, sum: Node, g: Canonical, pos: ReadonlyMap<Node, number>): boolean {
  const after = pos.get(sum)!;
  const seen = new Set<Node>();
  const stack = [...g.inputsOf(product)];
  while (stack.length > 0) {
    const m = stack.pop()!;
    if (m === sum) return true;
    if (seen.has(m) || (pos.get(m) ?? -1) <= after) continue;
    seen.add(m);
    stack.push(...g.inputsOf(m));
  }
  return false;
}

/** A sum over every dim of X but the last (X of rank ≥ 2), or null. */
function rowSumInput(n: Node, g: Canonical): Node | null {
  if (n.op !== 'sum' || n.buffer !== null) return null;
  const x = g.inputsOf(n)[0]!;
  const axes = n.p('sum').axes;
  if (x.rank < 2 || axes.length !== x.rank - 1 || axes.some((a, i) => a !== i)) return null;
  return x;
}

/**
 * Replacements for products and row sums that fold (see the header), for graph.ts's substitute:
 * product P = A @ B and sum S over X's rows become slices of [A; e] @ B. Each product takes at
 * most one sum. Empty when nothing folds.
 */
export function foldRowSums(g: Canonical): Map<Node, Node> {
  const out = new Map<Node, Node>();
  let pos: Map<Node, number> | null = null;
  for (const n of g.order) {
    const x = rowSumInput(n, g);
    if (!x) continue;
    const f = findProduct(n, x, g);
    if (!f || out.has(f.product)) continue;
    pos ??= new Map(g.order.map((m, i) => [m, i]));
    if (dependsOn(f.product, n, g, pos)) continue;
    const [a, b] = g.inputsOf(f.product) as [Node, Node];
    const [m, k] = a.shape as [number, number];
    const cols = lastDim(b);
    const ones = broadcastNode(schedulerConstant(1, a.dtype), [1, f.rows.hi - f.rows.lo]);
    const e = padNode(ones, [0, f.rows.lo], [0, k - f.rows.hi]);
    const aRow = binaryNode('add', padNode(a, [0, 0], [1, 0]), padNode(e, [m, 0], [0, 0]));
    const both = matmulNode(aRow, b);
    out.set(f.product, sliceNode(both, [0, 0], [m, cols], [1, 1]));
    out.set(n, reshapeNode(sliceNode(both, [m, 0], [m + 1, cols], [1, 1]), n.shape.slice()));
  }
  return out;
}
