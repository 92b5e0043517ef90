// Conventions at kinks and transposes shared by every rule table (JVP, VJP, Taylor): the
// tie-splitting weights of `maximum` and of the `max` reduction (decided and documented here,
// used by ./partials.ts and ./taylor.ts alike), and the transposes of the movement ops.

import * as B from '../ir/build.js';
import type { Node } from '../ir/node.js';
import * as ops from '../ops.js';
import { Tensor } from '../tensor.js';

export const T = (n: Node): Tensor => new Tensor(n);

/**
 * Weights of d maximum(a, b) / d(a, b): (1, 0) where a > b, (0, 1) where a < b and (½, ½) at
 * ties (JAX's convention; the subgradient average).
 */
export function maximumWeights(a: Node, b: Node): [Tensor, Tensor] {
  const A = T(a),
    Bt = T(b);
  const half = ops.mul(ops.equal(A, Bt), 0.5);
  return [ops.add(ops.greater(A, Bt), half), ops.add(ops.less(A, Bt), half)];
}

/** x's shape with the reduced axes kept as size 1. */
export function keptShape(xShape: readonly number[], axes: readonly number[]): number[] {
  return xShape.map((d, i) => (axes.includes(i) ? 1 : d));
}

/** Broadcasts a reduced-shape tensor `g` back over the reduced axes of `xShape`. */
export function unreduce(g: Tensor, xShape: readonly number[], axes: readonly number[]): Tensor {
  return T(B.broadcastNode(B.reshapeNode(g.node, keptShape(xShape, axes)), xShape.slice()));
}

/**
 * The `max` reduction's derivative weights: 1/k at each of the k positions equal to the maximum,
 * 0 elsewhere — ties split the derivative equally (like `maximum`), so
 * d max(x) = Σ_i w_i dx_i is the average of the tied directional derivatives.
 */
export function maxWeights(n: Node, x: Node): Tensor {
  const axes = n.p('max').axes;
  const mask = ops.equal(T(x), unreduce(T(n), x.shape, axes));
  const count = T(B.reduceNode('sum', mask.node, axes));
  return ops.div(mask, unreduce(count, x.shape, axes));
}

/** Sums `g` (of shape `outShape`) over the axes a `broadcast` from `inShape` expanded. */
export function unbroadcast(g: Tensor, inShape: readonly number[]): Tensor {
  const lead = g.ndim - inShape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.ndim; i++) {
    if (i < lead || (inShape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  }
  const summed = axes.length ? B.reduceNode('sum', g.node, axes) : g.node;
  return T(B.reshapeNode(summed, inShape.slice()));
}

/** Transpose of `slice`: scatters `g` back to positions starts + i·steps of a zero tensor. */
export function unslice(g: Tensor, inShape: readonly number[], starts: readonly number[], steps: readonly number[]): Tensor {
  let cur = g.node;
  const rank = inShape.length;
  const before: number[] = [],
    after: number[] = [],
    ends: number[] = [];
  for (let a = 0; a < rank; a++) {
    const m = cur.shape[a]!;
    const k = steps[a]!;
    if (k > 1 && m > 0) {
      // interleave k-1 zeros after each element: [.., m, ..] -> [.., m, k, ..] -> [.., m·k, ..]
      const split = [...cur.shape.slice(0, a + 1), 1, ...cur.shape.slice(a + 1)];
      const padAfter = split.map((_, i) => (i === a + 1 ? k - 1 : 0));
      const spread = B.padNode(
        B.reshapeNode(cur, split),
        split.map(() => 0),
        padAfter,
      );
      const merged = cur.shape.slice();
      merged[a] = m * k;
      cur = B.reshapeNode(spread, merged);
    }
    const room = inShape[a]! - starts[a]!; // room from the start to the end of the axis
    const len = cur.shape[a]!;
    ends.push(Math.min(len, room));
    before.push(starts[a]!);
    after.push(Math.max(0, room - len));
  }
  if (ends.some((e, a) => e < cur.shape[a]!))
    cur = B.sliceNode(
      cur,
      ends.map(() => 0),
      ends,
      ends.map(() => 1),
    );
  return T(B.padNode(cur, before, after));
}

/** Transpose of `pad`: the slice that drops the padding. */
export function unpad(g: Tensor, inShape: readonly number[], before: readonly number[]): Tensor {
  return T(
    B.sliceNode(
      g.node,
      before.slice(),
      before.map((b, i) => b + inShape[i]!),
      before.map(() => 1),
    ),
  );
}

/** The inverse of a permutation. */
export function invertPerm(perm: readonly number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return inv;
}

/** Swaps the last two axes (matrix transpose of a batch of matrices). */
export function mT(x: Tensor): Tensor {
  const r = x.ndim;
  const perm = Array.from({ length: r }, (_, i) => (i === r - 2 ? r - 1 : i === r - 1 ? r - 2 : i));
  return T(B.permuteNode(x.node, perm));
}

/** Batched matmul of equal-batch operands (no broadcasting: the graph already did it). */
export function bmm(a: Tensor, b: Tensor): Tensor {
  return T(B.matmulNode(a.node, b.node));
}
