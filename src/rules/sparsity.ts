// Structural sparsity (which input elements each output element may depend on): for every
// primitive, the dependency sets of its output elements from those of its inputs. Walked over a
// traced function, it gives a superset of the nonzero pattern of its Jacobian, for coloring
// (src/ad/sparse.ts). Keyed by the primitive table: a missing rule fails the build.

import type { Node } from '../ir/node.js';
import type { Prim } from '../ir/primitives.js';
import { contiguousStrides } from '../ir/shape.js';
import { everyElementwise } from './partials.js';

/** Per element of a node (flat, row-major): the sorted input element indices it may depend on. */
export type Deps = readonly Int32Array[];

/** (node, dependency sets of its inputs — null for an input that depends on nothing) => its own. */
export type SparsityRule = (n: Node, inputs: readonly (Deps | null)[]) => Deps;

const EMPTY = new Int32Array(0);

/** The sorted union of sorted index lists. */
export function union(lists: readonly Int32Array[]): Int32Array {
  const nonEmpty = lists.filter((l) => l.length > 0);
  if (nonEmpty.length === 0) return EMPTY;
  if (nonEmpty.length === 1) return nonEmpty[0]!;
  const all = new Set<number>();
  for (const l of nonEmpty) for (const v of l) all.add(v);
  return Int32Array.from([...all].sort((a, b) => a - b));
}

/** For each output element, the input element it reads (or -1), through a map of multi-indices. */
function gather(outShape: readonly number[], inShape: readonly number[], deps: Deps | null, source: (idx: number[]) => number[] | null): Deps {
  const size = outShape.reduce((a, b) => a * b, 1);
  if (!deps) return new Array<Int32Array>(size).fill(EMPTY);
  const inStrides = contiguousStrides(inShape);
  const out = new Array<Int32Array>(size);
  const idx = new Array<number>(outShape.length).fill(0);
  for (let f = 0; f < size; f++) {
    const src = source(idx);
    out[f] = src ? deps[src.reduce((o, v, a) => o + v * inStrides[a]!, 0)]! : EMPTY;
    for (let a = outShape.length - 1; a >= 0; a--) {
      if (++idx[a]! < outShape[a]!) break;
      idx[a] = 0;
    }
  }
  return out;
}

/** Element-by-element union of same-shaped inputs (null: no dependency). */
function elementwiseUnion(size: number, inputs: readonly (Deps | null)[]): Deps {
  const present = inputs.filter((d): d is Deps => d !== null);
  return Array.from({ length: size }, (_, i) => union(present.map((d) => d[i]!)));
}

const none = (n: Node): Deps => new Array<Int32Array>(n.size).fill(EMPTY);

/** A reduction: each output element unites the input elements reduced into it. */
function reduce(n: Node, [x]: readonly (Deps | null)[]): Deps {
  if (!x) return none(n);
  const axes = n.p(n.op as 'sum').axes;
  const inShape = n.inputs[0]!.shape;
  const keptStrides = contiguousStrides(n.shape);
  const groups: Int32Array[][] = Array.from({ length: n.size }, () => []);
  const idx = new Array<number>(inShape.length).fill(0);
  for (let f = 0; f < x.length; f++) {
    let o = 0,
      k = 0;
    for (let a = 0; a < inShape.length; a++) if (!axes.includes(a)) o += idx[a]! * keptStrides[k++]!;
    groups[o]!.push(x[f]!);
    for (let a = inShape.length - 1; a >= 0; a--) {
      if (++idx[a]! < inShape[a]!) break;
      idx[a] = 0;
    }
  }
  return groups.map(union);
}

export const sparsityRules = {
  // the derivative of sign and of a comparison is zero; where sends nothing to its condition
  ...everyElementwise<SparsityRule>((n, ins) => {
    if (n.op === 'sign' || n.op === 'cmp') return none(n);
    return elementwiseUnion(n.size, n.op === 'where' ? ins.slice(1) : ins);
  }),
  const: none,
  identity: (_n, [x]) => x!,
  // the implementation's structure (the last input); a custom rule can only remove dependencies
  custom: (n, ins) => ins[ins.length - 1] ?? none(n),
  sum: reduce,
  max: reduce,
  reshape: (n, [x]) => x ?? none(n), // same row-major order
  permute: (n, [x]) => {
    const perm = n.p('permute').perm;
    return gather(n.shape, n.inputs[0]!.shape, x!, (idx) => {
      const src = new Array<number>(perm.length);
      perm.forEach((p, a) => (src[p] = idx[a]!));
      return src;
    });
  },
  broadcast: (n, [x]) => {
    const inShape = n.inputs[0]!.shape;
    const lead = n.rank - inShape.length;
    return gather(n.shape, inShape, x!, (idx) => inShape.map((d, a) => (d === 1 ? 0 : idx[a + lead]!)));
  },
  slice: (n, [x]) => {
    const { starts, steps } = n.p('slice');
    return gather(n.shape, n.inputs[0]!.shape, x!, (idx) => idx.map((v, a) => starts[a]! + v * steps[a]!));
  },
  pad: (n, [x]) => {
    const before = n.p('pad').before;
    const inShape = n.inputs[0]!.shape;
    return gather(n.shape, inShape, x!, (idx) => {
      const src = idx.map((v, a) => v - before[a]!);
      return src.every((v, a) => v >= 0 && v < inShape[a]!) ? src : null;
    });
  },
  matmul: (n, [a, b]) => {
    // out[..., i, j] = ∪_k a[..., i, k] ∪ b[..., k, j]
    const [as, bs] = [n.inputs[0]!.shape, n.inputs[1]!.shape];
    const r = as.length;
    const [m, k, q] = [as[r - 2]!, as[r - 1]!, bs[r - 1]!];
    const batch = n.size / (m * q);
    const out = new Array<Int32Array>(n.size);
    for (let t = 0; t < batch; t++)
      for (let i = 0; i < m; i++)
        for (let j = 0; j < q; j++) {
          const parts: Int32Array[] = [];
          for (let l = 0; l < k; l++) {
            if (a) parts.push(a[t * m * k + i * k + l]!);
            if (b) parts.push(b[t * k * q + l * q + j]!);
          }
          out[t * m * q + i * q + j] = union(parts);
        }
    return out;
  },
} satisfies Record<Prim, SparsityRule>;
