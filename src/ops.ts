// The op layer behind the public API: converts arguments (tensors or JS numbers), does NumPy
// broadcasting, normalizes axes, and builds primitive nodes. Composite ops (mean, relu, concat,
// minimum, ...) are written here in terms of primitives. Tensor methods delegate to these.

import { type DType, checkDType } from './dtype.js';
import { ArgumentError, DTypeError, ShapeError, fmtShape } from './errors.js';
import * as B from './ir/build.js';
import { scalarNode } from './ir/build.js';
import * as self from './ops.js';
import type { Node } from './ir/node.js';
import type { BinaryPrim, CmpOp, UnaryPrim } from './ir/primitives.js';
import { broadcastShapes, checkExtent, checkPerm, checkShape, normAxes, normAxis, sizeOf } from './ir/shape.js';
import { checkBackendDType, checkResident } from './ir/host.js';
import { Tensor, bindOps } from './tensor.js';

bindOps(self); // Tensor methods call these functions

export type TensorLike = Tensor | number;

function checkLive(op: string, t: Tensor, name: string): Node {
  if (t.node.disposed) throw new ArgumentError(`${op}: argument '${name}' was disposed`);
  checkResident(op, t.node, `argument '${name}'`);
  return t.node;
}

/** Node of `x`, converting a JS number to a scalar of dtype `dtype`. */
function nodeOf(op: string, x: unknown, name: string, dtype: DType = 'float32'): Node {
  if (x instanceof Tensor) return checkLive(op, x, name);
  if (typeof x === 'number') return scalarNode(x, dtype);
  throw new ArgumentError(`${op}: argument '${name}' must be a Tensor or a number, got ${describe(x)}`);
}

function tensorNode(op: string, x: unknown, name = 'x'): Node {
  if (x instanceof Tensor) return checkLive(op, x, name);
  throw new ArgumentError(`${op}: argument '${name}' must be a Tensor, got ${describe(x)}`);
}

function describe(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'an array (wrap it with tensor())';
  if (typeof x === 'object') return (x as object).constructor?.name ?? 'object';
  return `${typeof x} ${String(x)}`;
}

/** Nodes of two operands, numbers taking the dtype of the tensor operand, broadcast together. */
function operands(op: string, a: unknown, b: unknown): [Node, Node] {
  const dtype = a instanceof Tensor ? a.dtype : b instanceof Tensor ? b.dtype : 'float32';
  const na = nodeOf(op, a, 'a', dtype);
  const nb = nodeOf(op, b, 'b', dtype);
  if (na.dtype !== nb.dtype) {
    throw new DTypeError(`${op}: dtypes differ (${na.dtype} vs ${nb.dtype}); cast one with astype()`);
  }
  const shape = broadcastShapes(op, na.shape, nb.shape);
  return [B.broadcastNode(na, shape), B.broadcastNode(nb, shape)];
}

const wrap = (n: Node): Tensor => new Tensor(n);

function binary(op: Exclude<BinaryPrim, 'cmp'>, a: unknown, b: unknown): Tensor {
  const [x, y] = operands(op, a, b);
  return wrap(B.binaryNode(op, x, y));
}

export const add = (a: TensorLike, b: TensorLike): Tensor => binary('add', a, b);
export const sub = (a: TensorLike, b: TensorLike): Tensor => binary('sub', a, b);
export const mul = (a: TensorLike, b: TensorLike): Tensor => binary('mul', a, b);
export const div = (a: TensorLike, b: TensorLike): Tensor => binary('div', a, b);
export const maximum = (a: TensorLike, b: TensorLike): Tensor => binary('maximum', a, b);
/** The angle of the point (x, y) in (−π, π], elementwise (NumPy's arctan2 argument order). */
export const atan2 = (y: TensorLike, x: TensorLike): Tensor => binary('atan2', y, x);
/** -maximum(-a, -b); numbers take the tensor operand's dtype, errors name 'minimum'. */
export function minimum(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = operands('minimum', a, b);
  return wrap(B.unaryNode('neg', B.binaryNode('maximum', B.unaryNode('neg', x), B.unaryNode('neg', y))));
}

function compare(op: string, cmp: CmpOp, a: unknown, b: unknown): Tensor {
  const [x, y] = operands(op, a, b);
  return wrap(B.cmpNode(cmp, x, y));
}

export const less = (a: TensorLike, b: TensorLike): Tensor => compare('less', 'lt', a, b);
export const lessEqual = (a: TensorLike, b: TensorLike): Tensor => compare('lessEqual', 'le', a, b);
export const greater = (a: TensorLike, b: TensorLike): Tensor => compare('greater', 'gt', a, b);
export const greaterEqual = (a: TensorLike, b: TensorLike): Tensor => compare('greaterEqual', 'ge', a, b);
export const equal = (a: TensorLike, b: TensorLike): Tensor => compare('equal', 'eq', a, b);
export const notEqual = (a: TensorLike, b: TensorLike): Tensor => compare('notEqual', 'ne', a, b);

/** cond != 0 ? a : b, broadcasting all three. */
export function where(cond: TensorLike, a: TensorLike, b: TensorLike): Tensor {
  const dtype = [cond, a, b].find((t): t is Tensor => t instanceof Tensor)?.dtype ?? 'float32';
  let nc = nodeOf('where', cond, 'cond', dtype);
  let na = nodeOf('where', a, 'a', dtype);
  let nb = nodeOf('where', b, 'b', dtype);
  const shape = broadcastShapes('where', broadcastShapes('where', nc.shape, na.shape), nb.shape);
  nc = B.broadcastNode(nc, shape);
  na = B.broadcastNode(na, shape);
  nb = B.broadcastNode(nb, shape);
  return wrap(B.whereNode(nc, na, nb));
}

type UnaryName = Exclude<UnaryPrim, 'pow' | 'cast'>;
const unary =
  (op: UnaryName) =>
  (x: Tensor): Tensor =>
    wrap(B.unaryNode(op, tensorNode(op, x)));

export const neg = (x: TensorLike): Tensor => (typeof x === 'number' ? wrap(scalarNode(-x, 'float32')) : unary('neg')(x));
export const exp = unary('exp');
export const log = unary('log');
export const sin = unary('sin');
export const cos = unary('cos');
export const tanh = unary('tanh');
export const sigmoid = unary('sigmoid');
/** log(1 + exp(x)), computed stably. */
export const softplus = unary('softplus');
export const sqrt = unary('sqrt');
/** log(1 + x), accurate for small x. */
export const log1p = unary('log1p');
/** exp(x) − 1, accurate for small x. */
export const expm1 = unary('expm1');
/** The error function 2/√π ∫_0^x e^(−t²) dt. */
export const erf = unary('erf');
/** The Gaussian error linear unit x Φ(x) = x (1 + erf(x / √2)) / 2 (exact, not the tanh approximation). */
export function gelu(x: Tensor): Tensor {
  tensorNode('gelu', x);
  return mul(mul(x, 0.5), add(erf(mul(x, Math.SQRT1_2)), 1));
}
export const abs = unary('abs');
/** -1, 0 or 1. Its derivative is zero everywhere. */
export const sign = unary('sign');
export const square = (x: Tensor): Tensor => mul(x, x);
/** max(x, 0) (NaN stays NaN, -Infinity gives 0). Derivative convention: 0 at x = 0. */
export function relu(x: Tensor): Tensor {
  tensorNode('relu', x);
  return where(lessEqual(x, 0), 0, x);
}

export function pow(x: Tensor, exponent: number): Tensor {
  const n = tensorNode('pow', x);
  if (exponent === 1) return x;
  if (exponent === 2) return mul(x, x);
  return wrap(B.powNode(n, exponent));
}

export function astype(x: Tensor, dtype: DType): Tensor {
  const n = tensorNode('astype', x);
  checkDType('astype', dtype);
  checkBackendDType('astype', dtype);
  return dtype === n.dtype ? x : wrap(B.castNode(n, dtype));
}

// ----- reductions -----

function reduceShape(shape: readonly number[], axes: number[]): number[] {
  return shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

export function sum(x: Tensor, axis?: number | number[] | null, keepdims = false): Tensor {
  const n = tensorNode('sum', x);
  const axes = normAxes('sum', axis, n.rank);
  if (axes.length === 0) return x;
  const r = B.reduceNode('sum', n, axes);
  return wrap(keepdims ? B.reshapeNode(r, reduceShape(n.shape, axes)) : r);
}

export function max(x: Tensor, axis?: number | number[] | null, keepdims = false): Tensor {
  const n = tensorNode('max', x);
  const axes = normAxes('max', axis, n.rank);
  if (axes.length === 0) return x;
  const r = B.reduceNode('max', n, axes);
  return wrap(keepdims ? B.reshapeNode(r, reduceShape(n.shape, axes)) : r);
}

export function min(x: Tensor, axis?: number | number[] | null, keepdims = false): Tensor {
  const n = tensorNode('min', x);
  const axes = normAxes('min', axis, n.rank);
  for (const a of axes) {
    if (n.shape[a] === 0) throw new ShapeError(`min: cannot reduce over axis ${a} of size 0 in ${fmtShape(n.shape)}`);
  }
  return neg(max(neg(x), axes, keepdims));
}

export function mean(x: Tensor, axis?: number | number[] | null, keepdims = false): Tensor {
  const n = tensorNode('mean', x);
  const axes = normAxes('mean', axis, n.rank);
  const count = axes.reduce((c, a) => c * n.shape[a]!, 1);
  return mul(sum(x, axes, keepdims), 1 / count);
}

/** log(sum(exp(x))) over `axis`, stable (shifts by the max, which gets no gradient). */
export function logsumexp(x: Tensor, axis?: number | number[] | null, keepdims = false): Tensor {
  const n = tensorNode('logsumexp', x);
  const axes = normAxes('logsumexp', axis, n.rank);
  for (const a of axes) {
    if (n.shape[a] === 0) throw new ShapeError(`logsumexp: cannot reduce over axis ${a} of size 0 in ${fmtShape(n.shape)}`);
  }
  // shift by the max where it is finite (all -Infinity gives -Infinity, +Infinity gives +Infinity)
  const mx = max(x, axes, true);
  const m = stopGradient(where(equal(sub(mx, mx), 0), mx, 0));
  const s = log(sum(exp(sub(x, m)), axes, true)).add(m);
  if (keepdims) return s;
  return reshape(
    s,
    n.shape.filter((_, i) => !axes.includes(i)),
  );
}

/** The same value with no derivative: a constant for every transformation. */
export function stopGradient(x: Tensor): Tensor {
  const n = tensorNode('stopGradient', x);
  return wrap(B.customNode([], n, { name: 'stopGradient', jvp: () => null, vjp: () => [] }));
}

// ----- movement -----

export function reshape(x: Tensor, shape: number[]): Tensor {
  const n = tensorNode('reshape', x);
  if (!Array.isArray(shape)) throw new ArgumentError(`reshape: shape must be an array, got ${describe(shape)}`);
  const holes = shape.filter((d) => d === -1).length;
  let target = shape;
  if (holes === 1) {
    const known = shape.filter((d) => d !== -1);
    checkShape('reshape', known);
    const rest = sizeOf(known);
    if (rest === 0 || n.size % rest !== 0) {
      throw new ShapeError(`reshape: cannot infer -1 reshaping ${fmtShape(n.shape)} to ${fmtShape(shape)}`);
    }
    target = shape.map((d) => (d === -1 ? n.size / rest : d));
  } else if (holes > 1) {
    throw new ShapeError(`reshape: at most one -1 is allowed, got ${fmtShape(shape)}`);
  }
  return wrap(B.reshapeNode(n, checkShape('reshape', target)));
}

export function permute(x: Tensor, perm: number[]): Tensor {
  return wrap(B.permuteNode(tensorNode('permute', x), perm));
}

/** Reverses the axes, or permutes them by `perm`. */
export function transpose(x: Tensor, perm?: number[]): Tensor {
  const n = tensorNode('transpose', x);
  return wrap(B.permuteNode(n, perm === undefined ? n.shape.map((_, i) => n.rank - 1 - i) : checkPerm('transpose', perm, n.rank)));
}

export function broadcastTo(x: Tensor, shape: number[]): Tensor {
  return wrap(B.broadcastNode(tensorNode('broadcastTo', x), checkShape('broadcastTo', shape)));
}

export function expandDims(x: Tensor, axis: number): Tensor {
  const n = tensorNode('expandDims', x);
  const a = normAxis('expandDims', axis, n.rank + 1);
  const shape = n.shape.slice();
  shape.splice(a, 0, 1);
  return wrap(B.reshapeNode(n, shape));
}

export function squeeze(x: Tensor, axis?: number | number[]): Tensor {
  const n = tensorNode('squeeze', x);
  const axes = axis === undefined ? n.shape.flatMap((d, i) => (d === 1 ? [i] : [])) : normAxes('squeeze', axis, n.rank);
  for (const a of axes) {
    if (n.shape[a] !== 1) throw new ShapeError(`squeeze: axis ${a} of ${fmtShape(n.shape)} has size ${n.shape[a]}, not 1`);
  }
  return wrap(
    B.reshapeNode(
      n,
      n.shape.filter((_, i) => !axes.includes(i)),
    ),
  );
}

/**
 * Slice along every axis: `starts[i] <= index < ends[i]` with step `steps[i]` (default 1).
 * Missing entries mean the whole axis; negative starts/ends count from the end.
 */
export function slice(x: Tensor, starts: number[], ends?: (number | null)[], steps?: number[]): Tensor {
  const n = tensorNode('slice', x);
  if (!Array.isArray(starts) || (ends !== undefined && !Array.isArray(ends)) || (steps !== undefined && !Array.isArray(steps))) {
    throw new ArgumentError(`slice: starts, ends and steps must be arrays, got ${describe(starts)}, ${describe(ends)}, ${describe(steps)}`);
  }
  if (starts.length > n.rank || (ends && ends.length > n.rank) || (steps && steps.length > n.rank)) {
    throw new ShapeError(`slice: starts/ends/steps have more entries than the rank of ${fmtShape(n.shape)}`);
  }
  const s: number[] = [],
    e: number[] = [],
    st: number[] = [];
  for (let i = 0; i < n.rank; i++) {
    const d = n.shape[i]!;
    const step = steps?.[i] ?? 1;
    if (!Number.isInteger(step) || step < 1) throw new ArgumentError(`slice: steps must be positive integers, got ${step}`);
    const clamp = (v: number | null | undefined, dflt: number): number => {
      if (v === undefined || v === null) return dflt;
      if (!Number.isInteger(v)) throw new ArgumentError(`slice: indices must be integers, got ${v}`);
      return Math.min(d, Math.max(0, v < 0 ? v + d : v));
    };
    const a = clamp(starts[i], 0);
    s.push(a);
    e.push(Math.max(a, clamp(ends?.[i], d)));
    st.push(step);
  }
  return wrap(B.sliceNode(n, s, e, st));
}

/** Zero padding: `pads[i] = [before, after]` for each axis. */
export function pad(x: Tensor, pads: [number, number][]): Tensor {
  const n = tensorNode('pad', x);
  if (!Array.isArray(pads) || pads.length !== n.rank) {
    throw new ShapeError(`pad: need ${n.rank} [before, after] pairs for ${fmtShape(n.shape)}`);
  }
  return wrap(
    B.padNode(
      n,
      pads.map((p) => p[0]),
      pads.map((p) => p[1]),
    ),
  );
}

export function concat(tensors: Tensor[], axis = 0): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) throw new ArgumentError('concat: needs a non-empty array of tensors');
  const nodes = tensors.map((t, i) => tensorNode('concat', t, `tensors[${i}]`));
  const first = nodes[0]!;
  const a = normAxis('concat', axis, first.rank);
  for (const m of nodes) {
    const ok = m.rank === first.rank && m.shape.every((d, i) => i === a || d === first.shape[i]);
    if (!ok) throw new ShapeError(`concat: shapes ${nodes.map((q) => fmtShape(q.shape)).join(', ')} differ off axis ${a}`);
    if (m.dtype !== first.dtype) throw new DTypeError(`concat: dtypes differ (${nodes.map((q) => q.dtype).join(', ')}); cast with astype()`);
  }
  if (nodes.length === 1) return tensors[0]!;
  const total = nodes.reduce((s, m) => s + m.shape[a]!, 0);
  const outShape = first.shape.map((d, i) => (i === a ? total : d));
  checkExtent('concat', outShape, `the result ${fmtShape(outShape)} of concatenating ${nodes.length} tensors along axis ${a}`);
  let offset = 0;
  let out: Node | null = null;
  for (const m of nodes) {
    const before = m.shape.map((_, i) => (i === a ? offset : 0));
    const after = m.shape.map((d, i) => (i === a ? total - offset - d : 0));
    offset += m.shape[a]!;
    const padded = B.padNode(m, before, after);
    out = out === null ? padded : B.binaryNode('add', out, padded);
  }
  return wrap(out!);
}

export function stack(tensors: Tensor[], axis = 0): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) throw new ArgumentError('stack: needs a non-empty array of tensors');
  const nodes = tensors.map((t, i) => tensorNode('stack', t, `tensors[${i}]`));
  const first = nodes[0]!;
  if (nodes.some((m) => m.rank !== first.rank || m.shape.some((d, i) => d !== first.shape[i]))) {
    throw new ShapeError(`stack: shapes ${nodes.map((q) => fmtShape(q.shape)).join(', ')} differ`);
  }
  const a = normAxis('stack', axis, first.rank + 1);
  const outShape = first.shape.slice();
  outShape.splice(a, 0, nodes.length);
  checkExtent('stack', outShape, `the result ${fmtShape(outShape)} of stacking ${nodes.length} tensors of shape ${fmtShape(first.shape)}`);
  return concat(
    tensors.map((t) => expandDims(t, a)),
    a,
  );
}

// ----- matmul -----

/** Broadcast batch shape of matmul operands `sa` @ `sb`; names both operands and the failing axes. */
function matmulBatch(sa: string, sb: string, a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  const bad: string[] = [];
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1,
      db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) bad.push(`batch axis ${i}: ${da} vs ${db}`);
    out.push(da === 1 ? db : da);
  }
  if (bad.length > 0) {
    throw new ShapeError(
      `matmul: the batch dimensions of ${sa} @ ${sb} do not broadcast: ${fmtShape(a)} vs ${fmtShape(b)} (${bad.join(', ')}); ` +
        'operands are [...batch, m, k] @ [...batch, k, n], and batch dimensions must be equal or 1',
    );
  }
  return out;
}

/** NumPy matmul: 1-D operands are promoted and the added axis removed; batch axes broadcast. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  let na = tensorNode('matmul', a, 'a');
  let nb = tensorNode('matmul', b, 'b');
  if (na.rank === 0 || nb.rank === 0) {
    throw new ShapeError(`matmul: operands must be at least 1-D, got ${fmtShape(na.shape)} and ${fmtShape(nb.shape)}`);
  }
  const sa = fmtShape(na.shape),
    sb = fmtShape(nb.shape);
  const vecA = na.rank === 1,
    vecB = nb.rank === 1;
  if (vecA) na = B.reshapeNode(na, [1, na.shape[0]!]);
  if (vecB) nb = B.reshapeNode(nb, [nb.shape[0]!, 1]);
  if (na.shape[na.rank - 1] !== nb.shape[nb.rank - 2]) {
    throw new ShapeError(`matmul: inner dimensions differ: ${sa} @ ${sb}`);
  }
  const batch = matmulBatch(sa, sb, na.shape.slice(0, -2), nb.shape.slice(0, -2));
  const m = na.shape[na.rank - 2]!,
    n = nb.shape[nb.rank - 1]!;
  checkExtent('matmul', [...batch, m, n], `the result ${fmtShape([...batch, m, n])} of ${sa} @ ${sb}`);
  for (const [which, x] of [
    ['a', na],
    ['b', nb],
  ] as const) {
    const to = [...batch, ...x.shape.slice(-2)];
    checkExtent('matmul', to, `operand ${which} broadcast to ${fmtShape(to)} for ${sa} @ ${sb}`);
  }
  na = B.broadcastNode(na, [...batch, ...na.shape.slice(-2)]);
  nb = B.broadcastNode(nb, [...batch, ...nb.shape.slice(-2)]);
  let out = B.matmulNode(na, nb);
  if (vecA || vecB) {
    const shape = out.shape.slice();
    if (vecB) shape.splice(shape.length - 1, 1);
    if (vecA) shape.splice(shape.length - (vecB ? 1 : 2), 1);
    out = B.reshapeNode(out, shape);
  }
  return wrap(out);
}
