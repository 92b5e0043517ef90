// Mixed and full-matrix transformations built on jvp / vjp: Hessian-vector products in three
// modes, Jacobians by forward or reverse mode (one traced call, one walk batched over the basis
// vectors by vmap, so one kernel plan whatever the size) and the Hessian as forward-over-reverse.

import type { DType } from '../dtype.js';
import { ArgumentError, TransformError } from '../errors.js';
import { arange } from '../creation.js';
import { constNode } from '../ir/build.js';
import { allocHost } from '../dtype.js';
import { sizeOf } from '../ir/shape.js';
import * as ops from '../ops.js';
import { Tensor } from '../tensor.js';
import { flatten, unflatten } from './pytree.js';
import { type Maybe, type Trace, checkFn, checkLike, flattenLike, normArgnums, pullBack, pushForward, selectArgs, traceLeaves, zerosOf } from './trace.js';
import { type Sparsity, sparseJacobian } from './sparse.js';
import { overRows } from './vmap.js';
import { jvp } from './jvp.js';
import { grad, vjp } from './vjp.js';
import type { Argnums, HessianOf, JacobianOf, Zeroable } from './types.js';

export type HvpMode = 'fwd-rev' | 'rev-fwd' | 'rev-rev';

export interface HvpOptions {
  /** 'fwd-rev' (default): jvp of grad; 'rev-fwd': grad of jvp; 'rev-rev': vjp of grad. */
  mode?: HvpMode;
}

/**
 * Hessian-vector product (∇²f(x)) v of a scalar-valued one-argument `f`. `x` is a Tensor or a
 * tree of tensors; `v` has its structure, shapes and dtypes (a null leaf is zero). The result has
 * x's structure. The three modes give the same value by different graphs.
 */
export function hvp<X>(f: (x: X) => Tensor, x: X, v: Zeroable<X>, opts?: HvpOptions): X;
export function hvp(f: (x: any) => Tensor, x: unknown, v: unknown, opts?: HvpOptions): any {
  checkFn('hvp', f);
  const mode = opts?.mode ?? 'fwd-rev';
  if (mode !== 'fwd-rev' && mode !== 'rev-fwd' && mode !== 'rev-rev') {
    throw new TransformError(`hvp: mode must be 'fwd-rev', 'rev-fwd' or 'rev-rev', got ${String(mode)}`);
  }
  const { leaves, def } = flatten(x, 'hvp (x)');
  const vl = flattenLike('hvp', 'v', v, def);
  vl.leaves.forEach((t, i) => {
    if (t) checkLike('hvp', 'v', vl.paths[i]!, t, leaves[i]!, 'x');
  });
  const g = grad(f);
  switch (mode) {
    case 'fwd-rev':
      return jvp((y) => g(y), [x], [v])[1];
    case 'rev-fwd':
      return grad((y) => jvp(f, [y], [v])[1] as Tensor)(x);
    case 'rev-rev':
      return vjp((y) => g(y), x)[1](v)[0];
  }
}

export interface JacOptions<A extends Argnums = Argnums> {
  /** Which argument(s) to differentiate: an index or a list of indices (default 0). */
  argnums?: A;
  /**
   * How many basis vectors one batch pushes (forward) or pulls (reverse) at a time (default: all
   * of them): bounds the memory of the batched tangents; each chunk reuses the same traced walk.
   */
  chunkSize?: number;
  /**
   * The entries of the Jacobian that may be nonzero (flat output and input indices; a one-Tensor
   * function of one Tensor): columns (forward) or rows (reverse) that share no entry are computed
   * together, one pass per color (src/ad/sparse.ts). For `hessian`, the Hessian's pattern.
   * 'detect': the pattern of the function's graph structure (detectSparsity).
   */
  sparsity?: Sparsity | 'detect';
}

type JacMode = 'fwd' | 'rev' | 'auto';
/** 'batched': vmap over the basis (one walk); 'columns': one walk per basis vector (the former way, kept for benchmarks). */
type JacStrategy = 'batched' | 'columns';

/** A one-hot constant of `shape` with a 1 at flat index j. */
function oneHot(shape: readonly number[], j: number, dtype: DType): Tensor {
  const data = allocHost(dtype, sizeOf(shape));
  data[j] = 1;
  return new Tensor(constNode(data, shape, dtype));
}

/** Stacks `parts` (each of `partShape`, null = zero) at `axis` and reshapes to `shape`. */
function assemble(parts: readonly Maybe[], partShape: readonly number[], axis: number, shape: number[], dtype: DType): Tensor {
  if (parts.every((p) => p === null)) return zerosOf(shape, dtype);
  const full = parts.map((p) => p ?? zerosOf(partShape, dtype));
  return ops.reshape(ops.stack(full, axis), shape);
}

/** Rows r0..r1-1 of the n×n identity, lazily: [r1 - r0, n]. */
function basisRows(r0: number, r1: number, n: number, dtype: DType): Tensor {
  return ops.equal(ops.reshape(arange(r0, r1, 1, { dtype }), [r1 - r0, 1]), ops.reshape(arange(0, n, 1, { dtype }), [1, n]));
}

/** `fn` applied to every basis vector of Rⁿ at once (vmap over the rows of the identity; see overRows). */
function overBasis(what: string, n: number, dtype: DType, chunk: number, fn: (e: Tensor) => Maybe[]): Maybe[] {
  return overRows(what, n, dtype, n, chunk, (r0, r1) => basisRows(r0, r1, n, dtype), fn);
}

function checkChunk(what: string, chunk: unknown): number {
  if (chunk === undefined) return Number.POSITIVE_INFINITY;
  if (typeof chunk !== 'number' || !Number.isInteger(chunk) || chunk < 1) {
    throw new ArgumentError(`${what}: chunkSize must be a positive integer, got ${String(chunk)}`);
  }
  return chunk;
}

/** Blocks ∂out_o/∂in_i by forward mode: per input, its basis pushed through the trace. */
function forwardBlocks(what: string, tr: Trace, ins: readonly Tensor[], chunk: number, strategy: JacStrategy, blocks: Tensor[][]): void {
  const outs = tr.outLeaves;
  ins.forEach((x, i) => {
    const shapes = outs.map((y) => [...y.shape, ...x.shape]);
    if (strategy === 'columns') {
      const cols: Maybe[][] = outs.map(() => []);
      for (let j = 0; j < x.size; j++) {
        const seeds = ins.map((_, k) => (k === i ? oneHot(x.shape, j, x.dtype) : null));
        pushForward(tr, seeds).forEach((t, o) => cols[o]!.push(t));
      }
      outs.forEach((y, o) => (blocks[o]![i] = assemble(cols[o]!, y.shape, y.ndim, shapes[o]!, y.dtype)));
      return;
    }
    const rows = overBasis(what, x.size, x.dtype, chunk, (e) =>
      pushForward(
        tr,
        ins.map((_, k) => (k === i ? ops.reshape(e, x.shape) : null)),
      ),
    );
    outs.forEach((y, o) => {
      const r = rows[o];
      // [n, ...yShape] -> [...yShape, n] -> [...yShape, ...xShape]
      blocks[o]![i] = r ? ops.reshape(ops.permute(r, [...y.shape.map((_, a) => a + 1), 0]), shapes[o]!) : zerosOf(shapes[o]!, y.dtype);
    });
  });
}

/** Blocks ∂out_o/∂in_i by reverse mode: per output, its basis pulled back through the trace. */
function reverseBlocks(what: string, tr: Trace, ins: readonly Tensor[], chunk: number, strategy: JacStrategy, blocks: Tensor[][]): void {
  const outs = tr.outLeaves;
  outs.forEach((y, o) => {
    const shapes = ins.map((x) => [...y.shape, ...x.shape]);
    if (strategy === 'columns') {
      const rows: Maybe[][] = ins.map(() => []);
      for (let j = 0; j < y.size; j++) {
        const cts = outs.map((_, k) => (k === o ? oneHot(y.shape, j, y.dtype) : null));
        pullBack(tr, cts).forEach((c, i) => rows[i]!.push(c));
      }
      ins.forEach((x, i) => (blocks[o]![i] = assemble(rows[i]!, x.shape, 0, shapes[i]!, x.dtype)));
      return;
    }
    const rows = overBasis(what, y.size, y.dtype, chunk, (e) =>
      pullBack(
        tr,
        outs.map((_, k) => (k === o ? ops.reshape(e, y.shape) : null)),
      ),
    );
    ins.forEach((x, i) => {
      const r = rows[i];
      blocks[o]![i] = r ? ops.reshape(r, shapes[i]!) : zerosOf(shapes[i]!, x.dtype);
    });
  });
}

function jacImpl(what: string, f: (...args: any[]) => unknown, opts: JacOptions | undefined, args: unknown[], mode: JacMode, strategy: JacStrategy): any {
  const argnums = normArgnums(what, opts?.argnums ?? 0, args.length);
  const chunk = checkChunk(what, opts?.chunkSize);
  const sel = selectArgs(what, args, argnums);
  const tr = traceLeaves(what, sel.leaves, (fresh) => f(...sel.rebuild(fresh)));
  const ins = sel.leaves;
  const outs = tr.outLeaves;
  const nIn = ins.reduce((s, t) => s + t.size, 0);
  const nOut = outs.reduce((s, t) => s + t.size, 0);
  if (opts?.sparsity !== undefined && strategy === 'batched') {
    if (ins.length !== 1 || outs.length !== 1 || !(tr.out instanceof Tensor)) {
      throw new TransformError(
        `${what}: a sparsity pattern needs a function of one Tensor returning one Tensor, got ${ins.length} input and ${outs.length} output tensors`,
      );
    }
    const block = sparseJacobian(what, tr, opts.sparsity, mode, chunk);
    return typeof (opts.argnums ?? 0) === 'number' ? block : [block];
  }
  const forward = mode === 'fwd' || (mode === 'auto' && nIn <= nOut);
  // blocks[o][i]: ∂out_o / ∂in_i, of shape [...out_o.shape, ...in_i.shape]
  const blocks: Tensor[][] = outs.map(() => []);
  (forward ? forwardBlocks : reverseBlocks)(what, tr, ins, chunk, strategy, blocks);
  const single = typeof (opts?.argnums ?? 0) === 'number';
  return unflatten(
    tr.outDef,
    outs.map((_, o) => {
      const perArg = sel.split(blocks[o]!);
      return single ? perArg[0]! : perArg;
    }) as never[],
  );
}

/**
 * Jacobian by forward mode (one JVP per input element). Shape [...outShape, ...inShape]; with
 * tree inputs/outputs, a tree (of f's result structure) of trees (of the argument's structure).
 */
export function jacfwd<F extends (...args: any[]) => unknown, const A extends Argnums = 0>(
  f: F,
  opts?: JacOptions<A>,
): (...args: Parameters<F>) => JacobianOf<F, A>;
export function jacfwd(f: (...args: any[]) => unknown, opts?: JacOptions): (...args: any[]) => any {
  checkFn('jacfwd', f);
  return (...args: unknown[]) => jacImpl('jacfwd', f, opts, args, 'fwd', 'batched');
}

/** Jacobian by reverse mode (one VJP per output element); same layout as jacfwd. */
export function jacrev<F extends (...args: any[]) => unknown, const A extends Argnums = 0>(
  f: F,
  opts?: JacOptions<A>,
): (...args: Parameters<F>) => JacobianOf<F, A>;
export function jacrev(f: (...args: any[]) => unknown, opts?: JacOptions): (...args: any[]) => any {
  checkFn('jacrev', f);
  return (...args: unknown[]) => jacImpl('jacrev', f, opts, args, 'rev', 'batched');
}

/**
 * Jacobian choosing the cheaper mode from the traced sizes: forward when the differentiated
 * inputs have no more elements than the outputs (fewer JVPs than VJPs), reverse otherwise.
 */
export function jacobian<F extends (...args: any[]) => unknown, const A extends Argnums = 0>(
  f: F,
  opts?: JacOptions<A>,
): (...args: Parameters<F>) => JacobianOf<F, A>;
export function jacobian(f: (...args: any[]) => unknown, opts?: JacOptions): (...args: any[]) => any {
  checkFn('jacobian', f);
  return (...args: unknown[]) => jacImpl('jacobian', f, opts, args, 'auto', 'batched');
}

/** Hessian of a scalar-valued `f` (forward-over-reverse): shape [...inShape, ...inShape]. */
export function hessian<F extends (...args: any[]) => Tensor, const A extends Argnums = 0>(
  f: F,
  opts?: JacOptions<A>,
): (...args: Parameters<F>) => HessianOf<F, A>;
export function hessian(f: (...args: any[]) => unknown, opts?: JacOptions): (...args: any[]) => any {
  checkFn('hessian', f);
  return (...args: unknown[]) => {
    normArgnums('hessian', opts?.argnums ?? 0, args.length);
    return jacImpl('hessian', jacrev(f, { ...opts, sparsity: undefined }), opts, args, 'fwd', 'batched');
  };
}

/**
 * `jacobian` (mode by shape) or `hessian` the former way, one walk per basis vector and the
 * columns stacked: kept so that benchmarks can compare (src/internal.ts exports it).
 */
export function jacobianByColumns(kind: 'jacobian' | 'hessian', f: (...args: any[]) => unknown, opts?: JacOptions): (...args: any[]) => any {
  checkFn(kind, f);
  if (kind === 'jacobian') return (...args: unknown[]) => jacImpl(kind, f, opts, args, 'auto', 'columns');
  const g = (...args: unknown[]) => jacImpl(kind, f, opts, args, 'rev', 'columns');
  return (...args: unknown[]) => jacImpl(kind, g, opts, args, 'fwd', 'columns');
}
