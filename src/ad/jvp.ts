// Forward mode: jvp(f, primals, tangents) -> [out, tangentOut]. The function is traced on fresh
// aliases of the primals and the tangent graph is built node by node with the JVP rules.

import { TransformError } from '../errors.js';
import { Tensor } from '../tensor.js';
import { flatten, unflatten } from './pytree.js';
import { type Maybe, checkFn, checkLike, describe, flattenLike, orZeros, pushForward, traceLeaves } from './trace.js';
import type { Zeroable } from './types.js';

/**
 * Forward-mode derivative of `f` at `primals` in the direction `tangents`.
 *
 * `primals` is the list of arguments of `f` (each a Tensor or nested arrays / plain objects of
 * tensors); a single Tensor is accepted for a one-argument `f`. `tangents` has the same structure,
 * shapes and dtypes; a `null` leaf is a known-zero tangent (nothing is built for it).
 * Returns `[f(...primals), J·tangents]`, both with the structure of f's result.
 */
export function jvp<F extends (...args: any[]) => unknown>(f: F, primals: Parameters<F>, tangents: Zeroable<Parameters<F>>): [ReturnType<F>, ReturnType<F>];
export function jvp<F extends (x: Tensor) => unknown>(f: F, primals: Tensor, tangents: Tensor | null): [ReturnType<F>, ReturnType<F>];
export function jvp(f: (...args: any[]) => unknown, primals: unknown, tangents: unknown): [any, any] {
  checkFn('jvp', f);
  const single = primals instanceof Tensor;
  const args = single ? [primals] : primals;
  if (!Array.isArray(args)) {
    throw new TransformError(`jvp: primals must be an array of the function's arguments (or one Tensor), got ${describe(primals)}`);
  }
  const tans = single ? [tangents] : tangents;
  const { leaves, def } = flatten(args, 'jvp (primals)');
  const t = flattenLike('jvp', 'tangents', tans, def);
  t.leaves.forEach((tl, i) => {
    if (tl) checkLike('jvp', 'tangent', t.paths[i]!, tl, leaves[i]!, 'primal');
  });
  const tr = traceLeaves('jvp', leaves, (fresh) => f(...(unflatten(def, fresh) as unknown[])));
  const outT = pushForward(tr, t.leaves);
  return [
    tr.out,
    unflatten<Tensor>(
      tr.outDef,
      outT.map((x: Maybe, i) => orZeros(x, tr.outLeaves[i]!)),
    ),
  ];
}
