// Mixed and full-matrix transformations built on jvp / vjp: Hessian-vector products in three
// modes, Jacobians by forward or reverse mode (one traced call, one walk per basis vector, the
// results stacked) and the Hessian as forward-over-reverse.

import type { DType } from '../dtype.js';
import { TransformError } from '../errors.js';
import { constNode } from '../ir/build.js';
import { allocHost } from '../dtype.js';
import { sizeOf } from '../ir/shape.js';
import * as ops from '../ops.js';
import { Tensor } from '../tensor.js';
import { flatten, unflatten } from './pytree.js';
import { type Maybe, checkFn, checkLike, flattenLike, normArgnums, pullBack, pushForward, selectArgs, traceLeaves, zerosOf } from './trace.js';
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
}

type JacMode = 'fwd' | 'rev' | 'auto';

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

function jacImpl(what: string, f: (...args: any[]) => unknown, opts: JacOptions | undefined, args: unknown[], mode: JacMode): any {
  const argnums = normArgnums(what, opts?.argnums ?? 0, args.length);
  const sel = selectArgs(what, args, argnums);
  const tr = traceLeaves(what, sel.leaves, (fresh) => f(...sel.rebuild(fresh)));
  const ins = sel.leaves;
  const outs = tr.outLeaves;
  const nIn = ins.reduce((s, t) => s + t.size, 0);
  const nOut = outs.reduce((s, t) => s + t.size, 0);
  const forward = mode === 'fwd' || (mode === 'auto' && nIn <= nOut);
  // blocks[o][i]: ∂out_o / ∂in_i, of shape [...out_o.shape, ...in_i.shape]
  const blocks: Tensor[][] = outs.map(() => []);
  if (forward) {
    ins.forEach((x, i) => {
      const cols: Maybe[][] = outs.map(() => []);
      for (let j = 0; j < x.size; j++) {
        const seeds = ins.map((_, k) => (k === i ? oneHot(x.shape, j, x.dtype) : null));
        pushForward(tr, seeds).forEach((t, o) => cols[o]!.push(t));
      }
      outs.forEach((y, o) => {
        blocks[o]![i] = assemble(cols[o]!, y.shape, y.ndim, [...y.shape, ...x.shape], y.dtype);
      });
    });
  } else {
    outs.forEach((y, o) => {
      const rows: Maybe[][] = ins.map(() => []);
      for (let j = 0; j < y.size; j++) {
        const cts = outs.map((_, k) => (k === o ? oneHot(y.shape, j, y.dtype) : null));
        pullBack(tr, cts).forEach((c, i) => rows[i]!.push(c));
      }
      ins.forEach((x, i) => {
        blocks[o]![i] = assemble(rows[i]!, x.shape, 0, [...y.shape, ...x.shape], x.dtype);
      });
    });
  }
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
  return (...args: unknown[]) => jacImpl('jacfwd', f, opts, args, 'fwd');
}

/** Jacobian by reverse mode (one VJP per output element); same layout as jacfwd. */
export function jacrev<F extends (...args: any[]) => unknown, const A extends Argnums = 0>(
  f: F,
  opts?: JacOptions<A>,
): (...args: Parameters<F>) => JacobianOf<F, A>;
export function jacrev(f: (...args: any[]) => unknown, opts?: JacOptions): (...args: any[]) => any {
  checkFn('jacrev', f);
  return (...args: unknown[]) => jacImpl('jacrev', f, opts, args, 'rev');
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
  return (...args: unknown[]) => jacImpl('jacobian', f, opts, args, 'auto');
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
    return jacImpl('hessian', jacrev(f, opts), opts, args, 'fwd');
  };
}
