// Reverse mode: vjp(f, ...primals) -> [out, pullback], grad and valueAndGrad (with argnums). The
// region is snapshotted when f is traced, so a pullback still works after outputs were read.

import { TransformError, fmtShape } from '../errors.js';
import { scalarNode } from '../ir/build.js';
import { Tensor } from '../tensor.js';
import { type Maybe, checkFn, checkLike, flattenLike, normArgnums, orZeros, pullBack, selectArgs, traceLeaves } from './trace.js';
import type { Argnums, GradOf, Mutable, Zeroable } from './types.js';

export interface GradOptions<A extends Argnums = Argnums> {
  /** Which argument(s) to differentiate: an index or a list of indices (default 0). */
  argnums?: A;
}

/**
 * A pullback: cotangent with the structure of f's result `Out` (null leaves are zeros) -> one
 * cotangent tree per argument, with the structures of the arguments `Args`.
 */
export type Pullback<Out = unknown, Args extends readonly unknown[] = any[]> = (cotangent: Zeroable<Out>) => Mutable<Args>;

/**
 * Reverse-mode derivative of `f` at `primals`. Returns `[f(...primals), pullback]`; `pullback(u)`
 * returns `[uᵀ ∂f/∂primals[0], uᵀ ∂f/∂primals[1], ...]`, each with its argument's structure. The
 * cotangent `u` has the structure, shapes and dtypes of f's result (a `null` leaf is a zero).
 * The pullback may be called any number of times, also after the output was read.
 */
export function vjp<F extends (...args: any[]) => unknown>(f: F, ...primals: Parameters<F>): [ReturnType<F>, Pullback<ReturnType<F>, Parameters<F>>];
export function vjp(f: (...args: any[]) => unknown, ...primals: unknown[]): [any, Pullback] {
  checkFn('vjp', f);
  const all = primals.map((_, i) => i);
  const sel = selectArgs('vjp', primals, all);
  const tr = traceLeaves('vjp', sel.leaves, (fresh) => f(...sel.rebuild(fresh)));
  const pullback: Pullback = (cotangent) => {
    const c = flattenLike('vjp', 'cotangent', cotangent, tr.outDef);
    c.leaves.forEach((cl, i) => {
      if (cl) checkLike('vjp', 'cotangent', c.paths[i]!, cl, tr.outLeaves[i]!, 'output');
    });
    const res = pullBack(tr, c.leaves);
    return sel.split(res.map((r: Maybe, i) => orZeros(r, sel.leaves[i]!)));
  };
  return [tr.out, pullback];
}

function gradImpl(what: string, f: (...args: any[]) => unknown, opts: GradOptions | undefined, args: unknown[]): [Tensor, any] {
  const argnums = normArgnums(what, opts?.argnums ?? 0, args.length);
  const sel = selectArgs(what, args, argnums);
  const tr = traceLeaves(what, sel.leaves, (fresh) => f(...sel.rebuild(fresh)));
  const out = tr.out;
  if (!(out instanceof Tensor)) {
    throw new TransformError(
      `${what}: the function must return a scalar Tensor (shape []), got ${tr.outLeaves.length} tensor(s) in a container; use vjp or jacrev`,
    );
  }
  if (out.ndim !== 0) {
    throw new TransformError(
      `${what}: the function must return a scalar (shape []), got shape ${fmtShape(out.shape)}; use vjp or jacrev for non-scalar outputs`,
    );
  }
  const seed = new Tensor(scalarNode(1, out.dtype));
  const res = pullBack(tr, [seed]);
  const trees = sel.split(res.map((r, i) => orZeros(r, sel.leaves[i]!)));
  return [out, typeof (opts?.argnums ?? 0) === 'number' ? trees[0] : trees];
}

/**
 * Gradient of a scalar-valued `f`: `grad(f, { argnums })(...args)`. With `argnums` a number
 * (default 0) the result has that argument's structure; with an array, it is an array of them.
 */
export function grad<F extends (...args: any[]) => Tensor, const A extends Argnums = 0>(f: F, opts?: GradOptions<A>): (...args: Parameters<F>) => GradOf<F, A>;
export function grad(f: (...args: any[]) => unknown, opts?: GradOptions): (...args: any[]) => any {
  checkFn('grad', f);
  return (...args: unknown[]) => gradImpl('grad', f, opts, args)[1];
}

/** Like grad, returning `[f(...args), gradient]`. */
export function valueAndGrad<F extends (...args: any[]) => Tensor, const A extends Argnums = 0>(
  f: F,
  opts?: GradOptions<A>,
): (...args: Parameters<F>) => [Tensor, GradOf<F, A>];
export function valueAndGrad(f: (...args: any[]) => unknown, opts?: GradOptions): (...args: any[]) => [Tensor, any] {
  checkFn('valueAndGrad', f);
  return (...args: unknown[]) => gradImpl('valueAndGrad', f, opts, args);
}
