// Node constructors: one per primitive kind, each checking its inputs (shapes, dtypes, params)
// and inferring the output shape and dtype. Errors name the op and the shapes, at build time.
// Callers (src/ops.ts) do broadcasting and argument conversion before they get here.

import { type DType, type HostArray, allocHost } from '../dtype.js';
import { ArgumentError, DTypeError, ShapeError, fmtShape } from '../errors.js';
import { Node } from './node.js';
import type { BinaryPrim, CmpOp, CustomRules, ReducePrim, UnaryPrim } from './primitives.js';
import { type Shape, checkExtent, checkPerm, shapesEqual, sizeOf } from './shape.js';

export function constNode(data: HostArray, shape: Shape, dtype: DType): Node {
  if (data.length !== sizeOf(shape)) {
    throw new ShapeError(`tensor: ${data.length} values do not fill shape ${fmtShape(shape)}`);
  }
  return new Node('const', [], { data }, shape.slice(), dtype);
}

/** A 0-d constant holding `value` in `dtype`. */
export function scalarNode(value: number, dtype: DType): Node {
  const data = allocHost(dtype, 1);
  data[0] = value;
  return constNode(data, [], dtype);
}

function sameDType(op: string, nodes: readonly Node[]): DType {
  const dtype = nodes[0]!.dtype;
  for (const n of nodes) {
    if (n.dtype !== dtype) {
      throw new DTypeError(`${op}: dtypes differ (${nodes.map((m) => m.dtype).join(' vs ')}); cast one with astype()`);
    }
  }
  return dtype;
}

function sameShape(op: string, nodes: readonly Node[]): Shape {
  const shape = nodes[0]!.shape;
  for (const n of nodes) {
    if (!shapesEqual(n.shape, shape)) {
      throw new ShapeError(`${op}: shapes ${nodes.map((m) => fmtShape(m.shape)).join(' and ')} differ`);
    }
  }
  return shape;
}

export function unaryNode(op: Exclude<UnaryPrim, 'pow' | 'cast'>, x: Node): Node {
  return new Node(op, [x], {}, x.shape, x.dtype);
}

export function powNode(x: Node, exponent: number): Node {
  if (typeof exponent !== 'number' || !Number.isFinite(exponent)) {
    throw new ArgumentError(`pow: the exponent must be a finite number, got ${String(exponent)}`);
  }
  return new Node('pow', [x], { exponent }, x.shape, x.dtype);
}

export function castNode(x: Node, dtype: DType): Node {
  return new Node('cast', [x], { dtype }, x.shape, dtype);
}

export function binaryNode(op: Exclude<BinaryPrim, 'cmp'>, a: Node, b: Node): Node {
  const dtype = sameDType(op, [a, b]);
  return new Node(op, [a, b], {}, sameShape(op, [a, b]), dtype);
}

export function cmpNode(cmp: CmpOp, a: Node, b: Node): Node {
  const dtype = sameDType(cmp, [a, b]);
  return new Node('cmp', [a, b], { cmp }, sameShape(cmp, [a, b]), dtype);
}

export function whereNode(cond: Node, a: Node, b: Node): Node {
  const dtype = sameDType('where', [cond, a, b]);
  return new Node('where', [cond, a, b], {}, sameShape('where', [cond, a, b]), dtype);
}

/** Reduction over sorted, validated `axes`; the axes are dropped from the shape. */
export function reduceNode(op: ReducePrim, x: Node, axes: number[]): Node {
  const shape = x.shape.filter((_, i) => !axes.includes(i));
  if (op === 'max') {
    for (const a of axes) {
      if (x.shape[a] === 0) throw new ShapeError(`max: cannot reduce over axis ${a} of size 0 in ${fmtShape(x.shape)}`);
    }
  }
  // reducing an axis of size 1 only drops it: a reshape, which fuses where a reduction could not
  // (the transpose of a broadcast over a size-1 axis, a sum over one direction)
  const unit = axes.filter((a) => x.shape[a] === 1);
  if (unit.length === 0) return new Node(op, [x], { axes }, shape, x.dtype);
  const y = reshapeNode(
    x,
    x.shape.filter((_, i) => !unit.includes(i)),
  );
  const rest = axes.filter((a) => x.shape[a] !== 1).map((a) => a - unit.filter((u) => u < a).length);
  return rest.length === 0 ? y : new Node(op, [y], { axes: rest }, shape, x.dtype);
}

export function reshapeNode(x: Node, shape: number[]): Node {
  if (sizeOf(shape) !== x.size) {
    throw new ShapeError(`reshape: cannot reshape ${fmtShape(x.shape)} (${x.size} elements) to ${fmtShape(shape)} (${sizeOf(shape)} elements)`);
  }
  if (shapesEqual(shape, x.shape)) return x;
  return new Node('reshape', [x], { shape }, shape, x.dtype);
}

export function permuteNode(x: Node, perm: readonly number[]): Node {
  const p = checkPerm('permute', perm, x.rank);
  if (p.every((a, i) => a === i)) return x;
  return new Node(
    'permute',
    [x],
    { perm: p },
    p.map((a) => x.shape[a]!),
    x.dtype,
  );
}

export function broadcastNode(x: Node, shape: number[]): Node {
  const off = shape.length - x.rank;
  let ok = off >= 0;
  for (let i = 0; ok && i < x.rank; i++) {
    const d = x.shape[i]!;
    if (d !== 1 && d !== shape[off + i]) ok = false;
  }
  if (!ok) throw new ShapeError(`broadcastTo: cannot broadcast ${fmtShape(x.shape)} to ${fmtShape(shape)}`);
  if (shapesEqual(shape, x.shape)) return x;
  return new Node('broadcast', [x], { shape }, shape, x.dtype);
}

/** Slice with normalized, in-range starts/ends and positive steps (see ops.ts for user input). */
export function sliceNode(x: Node, starts: number[], ends: number[], steps: number[]): Node {
  const shape = starts.map((s, i) => Math.max(0, Math.ceil((ends[i]! - s) / steps[i]!)));
  if (shapesEqual(shape, x.shape) && steps.every((s) => s === 1)) return x;
  return new Node('slice', [x], { starts, ends, steps }, shape, x.dtype);
}

export function padNode(x: Node, before: number[], after: number[]): Node {
  if (before.length !== x.rank || after.length !== x.rank) {
    throw new ShapeError(`pad: need ${x.rank} (before, after) pairs for shape ${fmtShape(x.shape)}`);
  }
  for (const p of [...before, ...after]) {
    if (!Number.isInteger(p) || p < 0) throw new ArgumentError(`pad: padding must be non-negative integers, got ${p}`);
  }
  if (before.every((p) => p === 0) && after.every((p) => p === 0)) return x;
  const shape = x.shape.map((d, i) => d + before[i]! + after[i]!);
  checkExtent('pad', shape, `the result ${fmtShape(shape)} of padding ${fmtShape(x.shape)}`);
  return new Node('pad', [x], { before, after }, shape, x.dtype);
}

export function matmulNode(a: Node, b: Node): Node {
  const dtype = sameDType('matmul', [a, b]);
  const r = a.rank;
  const bad = r < 2 || b.rank !== r || a.shape[r - 1] !== b.shape[r - 2] || !shapesEqual(a.shape.slice(0, r - 2), b.shape.slice(0, r - 2));
  if (bad) {
    throw new ShapeError(`matmul: shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)} do not match ([..., m, k] @ [..., k, n])`);
  }
  return new Node('matmul', [a, b], {}, [...a.shape.slice(0, r - 1), b.shape[r - 1]!], dtype);
}

export function identityNode(x: Node): Node {
  return new Node('identity', [x], {}, x.shape, x.dtype);
}

/** A node evaluating to `impl` whose derivatives come from `rules` applied to `primals`. */
export function customNode(primals: Node[], impl: Node, rules: CustomRules): Node {
  return new Node('custom', [...primals, impl], { rules }, impl.shape, impl.dtype);
}

/** `n`'s primitive and parameters applied to `inputs` of the same shapes and dtypes (a copy of n). */
export function cloneWithInputs(n: Node, inputs: readonly Node[]): Node {
  if (inputs.length !== n.inputs.length || inputs.some((m, i) => !shapesEqual(m.shape, n.inputs[i]!.shape) || m.dtype !== n.inputs[i]!.dtype)) {
    throw new ShapeError(
      `${n.op}: a copy needs inputs shaped like ${n.inputs.map((m) => fmtShape(m.shape)).join(', ')}, got ${inputs.map((m) => fmtShape(m.shape)).join(', ')}`,
    );
  }
  return new Node(n.op, inputs.slice(), n.params, n.shape, n.dtype);
}
