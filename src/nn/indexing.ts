// Index ops: argmax / argmin, oneHot, take (NumPy's take) and gather (take_along_axis, PyTorch's
// gather). wgad's dtypes are float32 and float64 only, so an index tensor is a float tensor
// holding integers (exact up to 2^24 in float32, 2^53 in float64; longer axes are refused).
// Index values are checked at graph-build time when they are known then (a constant tensor, e.g.
// from tensor([...])): integers, in range. Computed indices cannot be checked before they run: an
// out-of-range or fractional computed index selects nothing (a zero), as in a one-hot encoding.
// take and gather are written with primitives, as a selection by one-hot comparison summed over
// the indexed axis (where, not a product: an Infinity or NaN elsewhere in x does not leak in).
// That costs O(|indices| · axis length) work, fused into one reduction kernel, and gives every
// derivative for free: the VJP is the scatter-add (the transposed selection sums the cotangents
// of repeated indices), the indices get none, and Taylor mode passes coefficients through.

import { arange } from '../creation.js';
import type { DType } from '../dtype.js';
import { ArgumentError, ShapeError, fmtShape } from '../errors.js';
import { broadcastShapes, normAxis } from '../ir/shape.js';
import * as ops from '../ops.js';
import type { Tensor } from '../tensor.js';
import { checkTensor } from './checks.js';

/** Integers a dtype holds exactly: the longest axis an index can address. */
const EXACT_INTEGERS: Record<DType, number> = { float32: 2 ** 24, float64: 2 ** 53 };

function checkAxisLength(op: string, n: number, dtype: DType): void {
  if (n > EXACT_INTEGERS[dtype]) {
    throw new ShapeError(`${op}: an axis of length ${n} cannot be indexed in ${dtype}, which holds integers exactly up to ${EXACT_INTEGERS[dtype]}`);
  }
}

/** Validates the values of constant `indices` for an axis of length n (negative ones from the end when `negative`). */
function checkIndexValues(op: string, indices: Tensor, n: number, negative: boolean, what: string): void {
  if (indices.node.op !== 'const') return; // computed indices: see the header
  const data = indices.node.p('const').data;
  const lo = negative ? -n : 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (!Number.isInteger(v)) throw new ArgumentError(`${op}: indices must be integers, got ${v} at flat position ${i}`);
    if (v < lo || v >= n) throw new ArgumentError(`${op}: index ${v} (flat position ${i}) is out of range for ${what} (size ${n})`);
  }
}

/** Indices in x's dtype with negative ones counted from the end of an axis of length n. */
function wrapNegative(indices: Tensor, n: number, dtype: DType): Tensor {
  const idx = indices.dtype === dtype ? indices : ops.astype(indices, dtype);
  return ops.where(ops.less(idx, 0), ops.add(idx, n), idx);
}

function argExtreme(op: 'argmax' | 'argmin', x: Tensor, axis: number | undefined, keepdims: boolean): Tensor {
  checkTensor(op, x, 'x');
  const flat = axis === undefined || axis === null;
  const t = flat ? ops.reshape(x, [-1]) : x;
  const a = flat ? 0 : normAxis(op, axis, x.ndim);
  const n = t.shape[a]!;
  if (n === 0) throw new ShapeError(`${op}: cannot reduce over axis ${a} of size 0 in ${fmtShape(t.shape)}`);
  checkAxisLength(op, n, x.dtype);
  const m = op === 'argmax' ? ops.max(t, a, true) : ops.min(t, a, true);
  // the first position holding the extreme; with a NaN along the axis, the first NaN (NumPy)
  const hits = ops.where(ops.notEqual(m, m), ops.notEqual(t, t), ops.equal(t, m));
  const iota = ops.reshape(
    arange(n, undefined, 1, { dtype: x.dtype }),
    t.shape.map((d, i) => (i === a ? d : 1)),
  );
  const idx = ops.min(ops.where(hits, iota, n), a, keepdims && !flat);
  return ops.stopGradient(
    flat && keepdims
      ? ops.reshape(
          idx,
          x.shape.map(() => 1),
        )
      : idx,
  );
}

/**
 * Index of the largest value along `axis` (over all values, flattened, when absent), the first
 * one at ties and the first NaN if any; a float tensor holding integers, with no derivative.
 */
export function argmax(x: Tensor, axis?: number, keepdims = false): Tensor {
  return argExtreme('argmax', x, axis, keepdims);
}

/** Index of the smallest value along `axis`; conventions as argmax. */
export function argmin(x: Tensor, axis?: number, keepdims = false): Tensor {
  return argExtreme('argmin', x, axis, keepdims);
}

/**
 * One-hot encoding: shape [...indices.shape, n], 1 where the last index equals the index, else 0;
 * indices' dtype unless `dtype` is given. Constant indices must be integers in [0, n).
 */
export function oneHot(indices: Tensor, n: number, opts: { dtype?: DType } = {}): Tensor {
  checkTensor('oneHot', indices, 'indices');
  if (!Number.isInteger(n) || n < 0) throw new ArgumentError(`oneHot: n must be a non-negative integer, got ${String(n)}`);
  checkAxisLength('oneHot', n, indices.dtype);
  checkIndexValues('oneHot', indices, n, false, 'a one-hot axis');
  const hot = ops.equal(ops.expandDims(indices, -1), arange(n, undefined, 1, { dtype: indices.dtype }));
  return opts.dtype === undefined ? hot : ops.astype(hot, opts.dtype);
}

/** The selection one-hot matrix of normalized indices, in x's dtype. */
function selector(op: string, x: Tensor, indices: Tensor, n: number, what: string): Tensor {
  checkAxisLength(op, n, x.dtype);
  checkIndexValues(op, indices, n, true, what);
  return ops.equal(ops.expandDims(wrapNegative(indices, n, x.dtype), -1), arange(n, undefined, 1, { dtype: x.dtype }));
}

/**
 * NumPy's take: the entries of x at `indices` along `axis` (of the flattened x when absent); the
 * result's shape is x.shape[:axis] + indices.shape + x.shape[axis+1:]. Negative indices count
 * from the end. The derivative with respect to x scatters (adds) back to the taken positions.
 */
export function take(x: Tensor, indices: Tensor, axis?: number): Tensor {
  checkTensor('take', x, 'x');
  checkTensor('take', indices, 'indices');
  const flat = axis === undefined || axis === null;
  const t = flat ? ops.reshape(x, [-1]) : x;
  const a = flat ? 0 : normAxis('take', axis, x.ndim);
  const n = t.shape[a]!;
  const pre = t.shape.slice(0, a),
    post = t.shape.slice(a + 1);
  const size = (s: number[]): number => s.reduce((p, d) => p * d, 1);
  const hot = selector('take', t, ops.reshape(indices, [-1]), n, `axis ${a} of ${fmtShape(t.shape)}`);
  const picked = ops.where(ops.reshape(hot, [1, indices.size, n, 1]), ops.reshape(t, [size(pre), 1, n, size(post)]), 0);
  return ops.reshape(ops.sum(picked, 2), [...pre, ...indices.shape, ...post]);
}

/**
 * take_along_axis (PyTorch's gather): out[..., j, ...] = x[..., indices[..., j, ...], ...] along
 * `axis`; indices has x's rank, and its other axes broadcast against x's. Negative indices count
 * from the end. The derivative with respect to x is the scatter-add.
 */
export function gather(x: Tensor, indices: Tensor, axis: number): Tensor {
  checkTensor('gather', x, 'x');
  checkTensor('gather', indices, 'indices');
  const a = normAxis('gather', axis, x.ndim);
  if (indices.ndim !== x.ndim) {
    throw new ShapeError(`gather: indices of shape ${fmtShape(indices.shape)} must have the rank of x ${fmtShape(x.shape)}`);
  }
  const unit = (s: number[]): number[] => s.map((d, i) => (i === a ? 1 : d));
  broadcastShapes('gather', unit(x.shape), unit(indices.shape)); // the other axes must broadcast
  const n = x.shape[a]!;
  const hot = selector('gather', x, indices, n, `axis ${a} of ${fmtShape(x.shape)}`);
  const perm = [...x.shape.keys()].filter((i) => i !== a);
  const moved = ops.expandDims(ops.transpose(x, [...perm, a]), a); // [..., 1 at a, ..., n]
  return ops.sum(ops.where(hot, moved, 0), -1);
}
